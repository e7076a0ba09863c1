//! The session as plain data for a front end that draws it (the terminal UI).

use wobs_events::{RawOutcome, StopReason};

use crate::{without_pointer_type, Debugger};

/// Where the guest is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Not started yet (`run` starts it).
    NotStarted,
    /// Stopped at a breakpoint or after a step.
    Stopped,
    /// Stopped by a trap (post-mortem), with wasmtime's message.
    Trapped(String),
    /// Finished with this exit code.
    Exited(i32),
}

/// One source frame of the stack, innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameView {
    /// `function (args)`.
    pub label: String,
    /// Source file as DWARF names it, when known.
    pub file: Option<String>,
    /// Where to read that file (after `--source-map` and `directory`).
    pub path: Option<String>,
    /// Line, when known.
    pub line: Option<u32>,
    /// Inlined into the next frame out.
    pub inlined: bool,
    /// Index of the physical frame (what `frame N` selects).
    pub physical: usize,
}

/// A breakpoint's first location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakpointView {
    /// Its number.
    pub id: u32,
    /// Source file, when known.
    pub file: Option<String>,
    /// Line, when known.
    pub line: Option<u32>,
}

/// Everything a front end draws after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// Where the guest is.
    pub state: RunState,
    /// Source frames, innermost first.
    pub frames: Vec<FrameView>,
    /// The selected physical frame.
    pub selected: usize,
    /// `(name, value)` of the selected frame's arguments, then locals.
    pub variables: Vec<(String, String)>,
    /// User breakpoints.
    pub breakpoints: Vec<BreakpointView>,
    /// The file (where to read it) and line to show when nothing is selected: the entry function's.
    pub entry: Option<(String, u32)>,
    /// `memory EXPR`: the expression and its hex dump lines.
    pub memory: Option<(String, Vec<String>)>,
    /// `layout asm`: the selected frame's instructions (offset, text) and the current offset.
    pub disassembly: Option<(Vec<(u32, String)>, u32)>,
    /// `follow EXPR`: each followed pointer expression and what it points to.
    pub followed: std::collections::BTreeMap<String, String>,
    /// The error the last command ended with (`No symbol "x" in current context.`).
    pub error: Option<String>,
}

impl Debugger {
    /// The session as a front end draws it.
    pub fn view(&self) -> View {
        let state = match (&self.outcome, self.stop.as_ref().map(|s| &s.reason)) {
            (Some(RawOutcome::Trapped { message, .. }), _) => RunState::Trapped(message.clone()),
            (Some(outcome), _) => RunState::Exited(outcome.exit_code()),
            (None, Some(StopReason::Trap(message))) => RunState::Trapped(message.clone()),
            (None, Some(_)) => RunState::Stopped,
            (None, None) => RunState::NotStarted,
        };
        let mut frames = Vec::new();
        if self.stop.is_some() {
            // Up to main's frame, as `backtrace` shows them.
            for physical in 0..self.shown_frames() {
                let Some(location) = self.lookup_location(physical) else {
                    continue;
                };
                for (depth, source) in self.source_frames(location).into_iter().enumerate() {
                    let args = if depth == 0 {
                        self.args_text(physical)
                    } else {
                        String::new()
                    };
                    frames.push(FrameView {
                        label: format!("{} ({args})", source.function),
                        path: source.file.as_deref().map(|f| self.source_path(f)),
                        file: source.file,
                        line: source.line.filter(|&l| l > 0),
                        inlined: source.inlined,
                        physical,
                    });
                }
            }
        }
        let variables = self
            .in_frame(self.selected, |symbols, pc, state| {
                symbols
                    .variables(pc)
                    .into_iter()
                    .map(|v| {
                        let value = symbols.format_variable(pc, &v, state);
                        (v.name, without_pointer_type(&value).to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        let breakpoints = self
            .breakpoints
            .iter()
            .map(|b| {
                let source = self.source_of(b.locations[0]);
                BreakpointView {
                    id: b.id,
                    file: source.as_ref().map(|(file, _)| file.clone()),
                    line: source.map(|(_, line)| line),
                }
            })
            .collect();
        // Code without lines (a WASI adapter, a library built without -g) shows its
        // instructions, as a debugger's source pane falls back to disassembly.
        let sourceless = frames
            .iter()
            .find(|f| f.physical == self.selected)
            .is_some_and(|f| f.file.is_none());
        View {
            disassembly: (self.layout_asm || sourceless)
                .then(|| self.disassembly().ok())
                .flatten(),
            state,
            frames,
            selected: self.selected,
            variables,
            breakpoints,
            entry: self
                .entry_source()
                .map(|(file, line)| (self.source_path(&file), line)),
            memory: self.memory_view(),
            followed: self.followed_view(),
            error: self.last_error.clone(),
        }
    }
}

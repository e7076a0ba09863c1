//! What the UI shows, changed only by the event loop; the view draws it and nothing else.

use std::collections::HashMap;

use wobs_debugger::{RunState, View};

/// The panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The source file.
    Source,
    /// The call stack.
    Stack,
    /// Variables of the selected frame.
    Variables,
    /// Guest output and debugger messages.
    Output,
}

impl Pane {
    fn next(self) -> Pane {
        match self {
            Pane::Source => Pane::Stack,
            Pane::Stack => Pane::Variables,
            Pane::Variables => Pane::Output,
            Pane::Output => Pane::Source,
        }
    }
}

/// Everything on the screen.
pub struct State {
    /// The debugger's view after the last command.
    pub view: View,
    /// The file shown in the source pane, as DWARF names it.
    pub file: Option<String>,
    /// Where that file is read from.
    pub path: Option<String>,
    /// The `/` search being typed, and the last one searched.
    pub search: Option<String>,
    /// The last search, for `/` then Enter.
    pub last_search: String,
    /// Lines of files read so far.
    pub sources: HashMap<String, Option<Vec<String>>>,
    /// The line the execution is at in `file` (highlighted).
    pub current_line: Option<u32>,
    /// The source cursor (1-based).
    pub cursor: u32,
    /// Values of the previous stop, to highlight what changed.
    pub previous_values: HashMap<String, String>,
    /// Guest output, then debugger messages, as lines.
    pub output: Vec<String>,
    /// The focused pane.
    pub focus: Pane,
    /// Lines the output pane is scrolled back from its end.
    pub output_scroll: usize,
    /// Paths of expanded aggregates in the variables pane (`rect`, `rect.origin`).
    pub expanded: std::collections::HashSet<String>,
    /// The row under the variables pane's cursor.
    pub variable_cursor: usize,
    /// The command line while open.
    pub command_line: Option<String>,
    /// Commands entered, for ↑↓.
    pub history: Vec<String>,
    /// Position in `history` while browsing it.
    pub history_at: Option<usize>,
    /// A command is running in the debugger (the guest may be running).
    pub busy: bool,
    /// Show the key table.
    pub help: bool,
    /// `q` was pressed while the guest is alive: the next `y` quits.
    pub confirm_quit: bool,
    /// When the last command was sent (for the timing figures).
    pub sent_at: Option<std::time::Instant>,
}

impl State {
    /// The state before the first command.
    pub fn new(view: View) -> State {
        let mut state = State {
            view,
            file: None,
            path: None,
            search: None,
            last_search: String::new(),
            sources: HashMap::new(),
            current_line: None,
            cursor: 1,
            previous_values: HashMap::new(),
            output: Vec::new(),
            focus: Pane::Source,
            output_scroll: 0,
            expanded: std::collections::HashSet::new(),
            variable_cursor: 0,
            command_line: None,
            history: Vec::new(),
            history_at: None,
            busy: false,
            help: false,
            confirm_quit: false,
            sent_at: None,
        };
        state.follow_stop();
        state
    }

    /// Takes the debugger's view after a command: the source pane follows the selected frame.
    pub fn update(&mut self, view: View) {
        self.previous_values = self.view.variables.iter().cloned().collect();
        self.view = view;
        self.follow_stop();
    }

    fn follow_stop(&mut self) {
        let selected = self
            .view
            .frames
            .iter()
            .find(|f| f.physical == self.view.selected && f.file.is_some());
        let (file, path, line) = match selected {
            Some(frame) => (frame.file.clone(), frame.path.clone(), frame.line),
            None => match &self.view.entry {
                Some((path, line)) if self.view.state == RunState::NotStarted => {
                    (Some(path.clone()), Some(path.clone()), Some(*line))
                }
                _ => (self.file.clone(), self.path.clone(), None),
            },
        };
        if let Some(path) = &path {
            self.sources.entry(path.clone()).or_insert_with(|| {
                std::fs::read_to_string(path)
                    .ok()
                    .map(|text| text.lines().map(expand_tabs).collect())
            });
        }
        self.file = file;
        self.path = path;
        self.current_line = line;
        if let Some(line) = line {
            self.cursor = line;
        }
    }

    /// Moves the cursor to the next line (after the cursor, wrapping) that contains `text`.
    pub fn search(&mut self, text: &str) -> bool {
        let Some(lines) = self.lines() else {
            return false;
        };
        let count = lines.len();
        let start = self.cursor as usize; // the line after the cursor, 0-based
        let found = (0..count)
            .map(|i| (start + i) % count)
            .find(|&i| lines[i].contains(text));
        if let Some(index) = found {
            self.cursor = index as u32 + 1;
        }
        found.is_some()
    }

    /// Lines of the shown file.
    pub fn lines(&self) -> Option<&[String]> {
        self.sources.get(self.path.as_ref()?)?.as_deref()
    }

    /// Moves the source cursor, within the file.
    pub fn move_cursor(&mut self, by: isize) {
        let last = self.lines().map_or(1, |l| l.len().max(1)) as isize;
        self.cursor = (self.cursor as isize + by).clamp(1, last) as u32;
    }

    /// Cursor to the first (`end` false) or last line.
    pub fn cursor_to(&mut self, end: bool) {
        self.cursor = if end {
            self.lines().map_or(1, |l| l.len().max(1)) as u32
        } else {
            1
        };
    }

    /// Scrolls the output pane back (negative) or forward, within what it holds.
    pub fn scroll_output(&mut self, by: isize) {
        let back = self.output_scroll as isize - by;
        self.output_scroll = back.clamp(0, self.output.len() as isize) as usize;
    }

    /// The physical frame `by` frames from the selected one, within the stack; `None` when that is
    /// the selected one already or there is no stack (not started, finished).
    pub fn frame_after(&self, by: isize) -> Option<usize> {
        let frames = self.view.frames.last()?.physical + 1;
        let target = self.view.selected.saturating_add_signed(by).min(frames - 1);
        (target != self.view.selected).then_some(target)
    }

    /// The variables pane's rows as they are shown.
    pub fn variable_rows(&self) -> Vec<crate::tree::Row> {
        crate::tree::rows(&self.view.variables, &self.expanded, &self.view.followed)
    }

    /// Moves the variables cursor, within the rows.
    pub fn move_variable_cursor(&mut self, by: isize) {
        let last = self.variable_rows().len().saturating_sub(1) as isize;
        self.variable_cursor = (self.variable_cursor as isize + by).clamp(0, last.max(0)) as usize;
    }

    /// Expands or collapses the aggregate under the variables cursor. A pointer is followed by
    /// the debugger: the returned command asks it to (`follow EXPR`).
    pub fn toggle_expanded(&mut self) -> Option<String> {
        let rows = self.variable_rows();
        let row = rows.get(self.variable_cursor).filter(|r| r.expandable)?;
        if row.pointer {
            return Some(format!("follow {}", crate::tree::expression(&row.path)));
        }
        if !self.expanded.remove(&row.path) {
            self.expanded.insert(row.path.clone());
        }
        None
    }

    /// Focus the next pane.
    pub fn next_pane(&mut self) {
        self.focus = self.focus.next();
    }

    /// The breakpoint on the cursor line of the shown file, if any.
    pub fn breakpoint_at_cursor(&self) -> Option<u32> {
        let file = self.file.as_ref()?;
        self.view
            .breakpoints
            .iter()
            .find(|b| b.file.as_ref() == Some(file) && b.line == Some(self.cursor))
            .map(|b| b.id)
    }

    /// Whether the guest can still run (quitting then asks first).
    pub fn guest_alive(&self) -> bool {
        matches!(self.view.state, RunState::Stopped | RunState::Trapped(_)) || self.busy
    }

    /// The status line.
    pub fn status(&self) -> String {
        if self.busy {
            return "running… (Ctrl-C interrupts)".to_string();
        }
        match &self.view.state {
            RunState::NotStarted => "not started: c runs, b sets a breakpoint, ? shows keys".into(),
            RunState::Exited(code) => format!("exited with {code}"),
            RunState::Trapped(message) => format!("trapped ({message})"),
            RunState::Stopped => {
                let frame = self.view.frames.first();
                let label = frame.map_or("?", |f| f.label.as_str());
                match (
                    frame.and_then(|f| f.file.as_ref()),
                    frame.and_then(|f| f.line),
                ) {
                    (Some(file), Some(line)) => format!("stopped at {file}:{line} in {label}"),
                    _ => format!("stopped in {label}"),
                }
            }
        }
    }
}

/// `line` with tabs expanded to 8-column stops: the terminal would otherwise keep stale cells.
pub fn expand_tabs(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c == '\t' {
            let pad = 8 - out.chars().count() % 8;
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            out.push(c);
        }
    }
    out
}

//! wasmtime's debug handler: decides at each breakpoint or single-step event whether the guest
//! stops, and while it is stopped serves the front end's commands.

use std::sync::Arc;

use wasmtime::{
    AsContextMut, DebugEvent as WasmtimeEvent, DebugHandler, ModulePC, StoreContextMut,
};
use wobs_events::{CodeLocation, DebugCommand, DebugEvent, Resume, StopReason};

use super::snapshot::{frames, read_memory, snapshot, Frame};
use super::{DebugHost, Shared};

/// How the guest runs until its next stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// To the next breakpoint.
    Continue,
    /// One instruction; `over` keeps going while the stack is deeper than `depth`.
    Instruction { over: bool, depth: usize },
    /// To another source line of the frame at `depth`, or a shallower one; with `into`, also to the
    /// first line of a called function that has lines.
    Line {
        into: bool,
        depth: usize,
        line: Option<(Option<String>, u32)>,
    },
    /// Until the stack is shallower than `depth`.
    Finish { depth: usize },
}

impl Mode {
    fn single_steps(&self) -> bool {
        !matches!(self, Mode::Continue)
    }
}

/// The handler wasmtime calls; cloned per event, so it only holds the shared state.
#[derive(Clone)]
pub(crate) struct Handler {
    shared: Arc<Shared>,
}

impl Handler {
    pub fn new(shared: Arc<Shared>) -> Handler {
        Handler { shared }
    }
}

impl DebugHandler for Handler {
    type Data = DebugHost;

    fn handle(
        &self,
        mut store: StoreContextMut<'_, DebugHost>,
        event: WasmtimeEvent<'_>,
    ) -> impl std::future::Future<Output = ()> + Send {
        let reason = match event {
            WasmtimeEvent::Breakpoint => self.should_stop(&mut store),
            WasmtimeEvent::Trap(trap) => Some(StopReason::Trap(trap.to_string())),
            _ => None,
        };
        if let Some(reason) = reason {
            serve(&self.shared, &mut store, reason);
        }
        std::future::ready(())
    }
}

impl Handler {
    /// Whether the guest stops here, and why.
    fn should_stop(&self, store: &mut StoreContextMut<'_, DebugHost>) -> Option<StopReason> {
        let stack = frames(&self.shared, store);
        let here = stack.first()?.location;
        let control = self.shared.control.lock().ok()?;
        let at_breakpoint = control.breakpoints.contains(&here);
        let depth = stack.len();
        let stepped = match &control.mode {
            Mode::Continue => false,
            Mode::Instruction { over, depth: start } => !over || depth <= *start,
            Mode::Finish { depth: start } => depth < *start,
            Mode::Line {
                into,
                depth: start,
                line,
            } => {
                if depth < *start {
                    true
                } else if depth == *start {
                    let now = self.line_at(here);
                    now.is_some() && now != *line
                } else {
                    // Into a call: stop once past the callee's prologue, as gdb does.
                    *into && self.line_at(here).is_some() && self.past_prologue(here)
                }
            }
        };
        if stepped {
            Some(StopReason::Step)
        } else if at_breakpoint {
            Some(StopReason::Breakpoint)
        } else {
            None
        }
    }

    /// The source line at `location` (innermost frame), when it has a real one.
    fn line_at(&self, location: CodeLocation) -> Option<(Option<String>, u32)> {
        line_at(&self.shared, location)
    }

    /// Whether `location` is past its function's prologue (true when that is unknown).
    fn past_prologue(&self, location: CodeLocation) -> bool {
        let Some(Some(symbols)) = self.shared.symbols.get(location.module as usize) else {
            return true;
        };
        let end = symbols
            .lock()
            .ok()
            .and_then(|s| s.prologue_end(location.offset));
        end.is_none_or(|end| location.offset >= end)
    }
}

fn line_at(shared: &Shared, location: CodeLocation) -> Option<(Option<String>, u32)> {
    let symbols = shared.symbols.get(location.module as usize)?.as_ref()?;
    let frame = symbols
        .lock()
        .ok()?
        .lookup(location.offset)
        .into_iter()
        .next()?;
    let line = frame.line.filter(|&line| line > 0)?;
    Some((frame.file, line))
}

/// Reports the stop, then answers commands until one resumes the guest.
fn serve(shared: &Shared, store: &mut StoreContextMut<'_, DebugHost>, reason: StopReason) {
    let trapped = matches!(reason, StopReason::Trap(_));
    let stop = snapshot(shared, store, reason);
    let stack: Vec<Frame> = frames(shared, store);
    if shared.events.send(DebugEvent::Stopped(stop)).is_err() {
        return let_it_run(shared, store);
    }
    loop {
        let command = match shared.commands.lock() {
            Ok(commands) => commands.recv(),
            Err(_) => return,
        };
        match command {
            Ok(DebugCommand::ReadMemory {
                module,
                address,
                len,
            }) => {
                let bytes = read_memory(store, &stack, module, address, len);
                let _ = shared.events.send(DebugEvent::Memory(bytes));
            }
            Ok(DebugCommand::SetBreakpoints(set)) => {
                if let Ok(mut control) = shared.control.lock() {
                    control.breakpoints = set;
                }
            }
            Ok(DebugCommand::Resume(resume)) => {
                if !trapped {
                    let _ = apply(shared, store, resume, Some(&stack));
                }
                return;
            }
            // The front end is gone: run to the end.
            Err(_) => return let_it_run(shared, store),
        }
    }
}

fn let_it_run(shared: &Shared, store: &mut StoreContextMut<'_, DebugHost>) {
    if let Ok(mut control) = shared.control.lock() {
        control.breakpoints.clear();
        control.mode = Mode::Continue;
    }
    let _ = sync_breakpoints(shared, store, false);
}

/// Sets the mode for `resume` and makes wasmtime's breakpoints and single-stepping match.
/// `stack` is the stack the guest is stopped with (`None` before it starts).
pub(crate) fn apply(
    shared: &Shared,
    store: &mut StoreContextMut<'_, DebugHost>,
    resume: Resume,
    stack: Option<&[Frame]>,
) -> wasmtime::Result<()> {
    let depth = stack.map_or(0, <[Frame]>::len);
    let mode = match resume {
        Resume::Continue => Mode::Continue,
        Resume::StepInstruction => Mode::Instruction { over: false, depth },
        Resume::NextInstruction => Mode::Instruction { over: true, depth },
        Resume::StepLine { into } => Mode::Line {
            into,
            depth,
            line: stack
                .and_then(|s| s.first())
                .and_then(|f| line_at(shared, f.location)),
        },
        Resume::Finish { frame } => Mode::Finish {
            depth: depth.saturating_sub(frame),
        },
    };
    let single_step = mode.single_steps();
    if let Ok(mut control) = shared.control.lock() {
        control.mode = mode;
    }
    sync_breakpoints(shared, store, single_step)
}

/// Replaces wasmtime's breakpoints with the front end's set.
fn sync_breakpoints(
    shared: &Shared,
    store: &mut StoreContextMut<'_, DebugHost>,
    single_step: bool,
) -> wasmtime::Result<()> {
    let Ok(mut control) = shared.control.lock() else {
        return Ok(());
    };
    let Some(mut edit) = store.as_context_mut().edit_breakpoints() else {
        return Ok(());
    };
    for location in std::mem::take(&mut control.installed) {
        if let Some(module) = shared.modules.get(location.module as usize) {
            edit.remove_breakpoint(module, ModulePC::new(location.offset))?;
        }
    }
    for location in control.breakpoints.clone() {
        if let Some(module) = shared.modules.get(location.module as usize) {
            edit.add_breakpoint(module, ModulePC::new(location.offset))?;
            control.installed.push(location);
        }
    }
    edit.single_step(single_step)?;
    Ok(())
}

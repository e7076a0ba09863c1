//! wasmtime's debug handler: decides at each breakpoint or single-step event whether the guest
//! stops, and while it is stopped serves the front end's commands.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use wasmtime::{
    AsContext, AsContextMut, DebugEvent as WasmtimeEvent, DebugHandler, StoreContextMut,
};
use wobs_events::{CodeLocation, DebugCommand, DebugEvent, Resume, StopReason};

use super::snapshot::{frames, memory_bytes, read_memory, snapshot, write_memory, Frame};
use super::{Control, DebugHost, Shared};

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
        /// Source frames (the function and the inlined calls it is in) where the step started:
        /// `next` runs over deeper inlined calls as over real ones.
        inlined: usize,
    },
    /// Until the stack is shallower than `depth`.
    Finish { depth: usize },
}

impl Mode {
    /// Whether the mode needs an event at every instruction (finish waits for a return
    /// breakpoint instead).
    pub(crate) fn single_steps(&self) -> bool {
        !matches!(self, Mode::Continue | Mode::Finish { .. })
    }

    /// The stack depth the step started at.
    fn depth(&self) -> usize {
        match self {
            Mode::Continue => 0,
            Mode::Instruction { depth, .. } | Mode::Line { depth, .. } | Mode::Finish { depth } => {
                *depth
            }
        }
    }
}

/// Instructions of called code a step single-steps through before it lets the call run free.
const SINGLE_STEP_BUDGET: u64 = 20_000;

/// What a stepping mode makes of one instruction.
enum Decision {
    Stop,
    /// Keep single-stepping.
    Run,
    /// A call the step goes over: run it at full speed until it returns.
    SkipCall,
    /// The step returned into the middle of its caller's line: step on to where a line starts
    /// there, as gdb does (the rest of the line runs first).
    FinishLine,
}

/// Stops single-stepping until the call made from the frame at `caller` returns. A caller frame's
/// location is its return address (the instruction after the call), so the breakpoint goes there.
fn arm_return(
    shared: &Shared,
    control: &mut Control,
    store: &mut StoreContextMut<'_, DebugHost>,
    caller: CodeLocation,
) -> wasmtime::Result<()> {
    let location = caller;
    let Some((module, pc)) = shared.target(location) else {
        return Ok(());
    };
    let was_stepping = store.as_context().is_single_step();
    let Some(mut edit) = store.as_context_mut().edit_breakpoints() else {
        return Ok(());
    };
    edit.add_breakpoint(module, pc)?;
    control.installed.push(location);
    control.returning = Some(location);
    // Watched memory is checked at every instruction, calls included.
    let stepping = !control.watches.is_empty();
    set_single_step(
        shared,
        &mut edit,
        was_stepping,
        stepping,
        &control.installed,
    )
}

/// Back from the call: single-step again without the return breakpoint.
fn disarm_return(
    shared: &Shared,
    control: &mut Control,
    store: &mut StoreContextMut<'_, DebugHost>,
) -> wasmtime::Result<()> {
    let Some(location) = control.returning.take() else {
        return Ok(());
    };
    let was_stepping = store.as_context().is_single_step();
    let Some(mut edit) = store.as_context_mut().edit_breakpoints() else {
        return Ok(());
    };
    if let Some(at) = control.installed.iter().position(|l| *l == location) {
        control.installed.swap_remove(at);
        if let Some((module, pc)) = shared.target(location) {
            edit.remove_breakpoint(module, pc)?;
        }
    }
    let stepping = control.single_steps();
    set_single_step(
        shared,
        &mut edit,
        was_stepping,
        stepping,
        &control.installed,
    )
}

/// Turns single-stepping on or off in `edit`, `was_stepping` being the state before it.
///
/// wasmtime 48 ends single-stepping by re-patching every breakpoint site of a module's code with
/// that module's breakpoints; a component's core modules share one code object, so each module's
/// pass switches off the breakpoints of the others. Re-applying the `installed` ones afterwards
/// (removed to a zero count, then added, so each is patched again) keeps them all.
fn set_single_step(
    shared: &Shared,
    edit: &mut wasmtime::BreakpointEdit<'_>,
    was_stepping: bool,
    stepping: bool,
    installed: &[CodeLocation],
) -> wasmtime::Result<()> {
    edit.single_step(stepping)?;
    if was_stepping && !stepping {
        let targets: Vec<_> = installed.iter().filter_map(|&l| shared.target(l)).collect();
        for &(module, pc) in &targets {
            edit.remove_breakpoint(module, pc)?;
        }
        for &(module, pc) in &targets {
            edit.add_breakpoint(module, pc)?;
        }
    }
    Ok(())
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
        // The stack is walked once per event that can stop, and shared by the decision, the
        // snapshot and the memory reads while stopped.
        let stopped = match event {
            WasmtimeEvent::Breakpoint => {
                let stack = frames(&self.shared, &mut store, false);
                self.should_stop(&mut store, &stack)
                    .map(|reason| (reason, stack))
            }
            WasmtimeEvent::Trap(trap) => Some((
                StopReason::Trap(trap.to_string()),
                frames(
                    &self.shared,
                    &mut store,
                    matches!(trap, wasmtime::Trap::StackOverflow),
                ),
            )),
            // The front end bumped the epoch to stop a running guest (Ctrl-C).
            WasmtimeEvent::EpochYield if self.shared.interrupt.swap(false, Ordering::SeqCst) => {
                Some((
                    StopReason::Interrupted,
                    frames(&self.shared, &mut store, false),
                ))
            }
            _ => None,
        };
        if let Some((reason, stack)) = stopped {
            // Time stopped at a prompt is not the guest's running time.
            if let Some(limit) = &self.shared.limit {
                limit.pause();
            }
            serve(&self.shared, &mut store, reason, stack);
            if let Some(limit) = &self.shared.limit {
                limit.start();
            }
        }
        std::future::ready(())
    }
}

impl Handler {
    /// Whether the guest stops here, and why. Calls that a step goes over run at full speed: a
    /// temporary breakpoint where they return replaces single-stepping until then.
    fn should_stop(
        &self,
        store: &mut StoreContextMut<'_, DebugHost>,
        stack: &[Frame],
    ) -> Option<StopReason> {
        let here = stack.first()?.location;
        let depth = stack.len();
        let mut control = self.shared.control.lock().ok()?;
        let at_breakpoint = control.breakpoints.contains(&here);
        if watched_memory_changed(store, stack, &mut control) {
            return Some(StopReason::Watchpoint);
        }
        let start = control.mode.depth();
        if control.returning.is_some() {
            // `finish` keeps its return breakpoint through stops at user breakpoints in the
            // finishing frame (a false condition resumes it with `Resume::Again`).
            let finishing = matches!(control.mode, Mode::Finish { .. }) && depth >= start;
            if depth > start || finishing {
                // The return breakpoint, hit by a deeper (recursive) activation, or a user one.
                return at_breakpoint.then_some(StopReason::Breakpoint);
            }
            // Back in the stepping frame: single-step again.
            let _ = disarm_return(&self.shared, &mut control, store);
        }
        // A line stop hit by a deeper (recursive) activation of the stepping function; a `step`'s
        // stops one call deeper are where its callees begin, and decided below.
        let into = matches!(control.mode, Mode::Line { into: true, .. });
        if control.line_stops.is_some() && depth > start + usize::from(into) {
            return at_breakpoint.then_some(StopReason::Breakpoint);
        }
        let decision = match &control.mode {
            // Without single-stepping only breakpoints raise events; wasmtime may have slipped
            // one forward to the next instruction, so `here` need not be a requested location.
            // Single-stepping only for watched memory: only requested locations stop.
            Mode::Continue if !control.watches.is_empty() => {
                return at_breakpoint.then_some(StopReason::Breakpoint)
            }
            Mode::Continue => return Some(StopReason::Breakpoint),
            Mode::Finish { depth: start } => {
                if depth < *start {
                    Decision::Stop
                } else {
                    Decision::Run
                }
            }
            Mode::Instruction { over, depth: start } => {
                if !over || depth <= *start {
                    Decision::Stop
                } else {
                    Decision::SkipCall
                }
            }
            Mode::Line {
                into,
                depth: start,
                line,
                inlined,
            } => {
                if depth < *start {
                    match self.is_line_start(here) {
                        Some(false) => Decision::FinishLine,
                        _ => Decision::Stop,
                    }
                } else if depth == *start {
                    let now = match into {
                        true => self.line_at(here),
                        false => line_at_level(&self.shared, here, *inlined),
                    };
                    if now.is_some() && now != *line {
                        Decision::Stop
                    } else {
                        Decision::Run
                    }
                } else if !*into || self.line_at(here).is_none() && self.past_prologue(here) {
                    // Over the call, or into code without line information: let it run.
                    Decision::SkipCall
                } else if self.line_at(here).is_some() && self.past_prologue(here) {
                    Decision::Stop
                } else {
                    Decision::Run
                }
            }
        };
        let indirect_call = matches!(decision, Decision::Run)
            && matches!(control.mode, Mode::Line { into: true, .. })
            && depth == start
            && control.indirect_calls.contains(&here)
            && !control.breakpoints.contains(&here);
        if indirect_call {
            drop(control);
            self.arm_indirect_callee(store, stack);
            return None;
        }
        match decision {
            Decision::Stop => Some(StopReason::Step),
            Decision::FinishLine => {
                let into = matches!(control.mode, Mode::Line { into: true, .. });
                drop(control);
                let _ = apply(&self.shared, store, Resume::StepLine { into }, Some(stack));
                None
            }
            Decision::SkipCall => {
                // Short calls are cheaper to single-step through than to skip: every breakpoint
                // edit re-publishes the module's code (~100 ms for 50 MB). Long ones run free
                // to a breakpoint where they return.
                control.skipped_steps += 1;
                if control.skipped_steps > SINGLE_STEP_BUDGET && control.watches.is_empty() {
                    let caller = stack.get(depth - start)?.location;
                    let _ = arm_return(&self.shared, &mut control, store, caller);
                }
                at_breakpoint.then_some(StopReason::Breakpoint)
            }
            Decision::Run => at_breakpoint.then_some(StopReason::Breakpoint),
        }
    }

    /// The source line at `location` (innermost frame), when it has a real one.
    fn line_at(&self, location: CodeLocation) -> Option<(Option<String>, u32)> {
        line_at(&self.shared, location)
    }

    /// A `step` reached a `call_indirect` of its function: the table index on top of the operand
    /// stack names the callee, and where it is past its prologue becomes one more stop of the
    /// step. Nothing when the callee has no line information (the call then runs through).
    fn arm_indirect_callee(&self, store: &mut StoreContextMut<'_, DebugHost>, stack: &[Frame]) {
        let Some(frame) = stack.first() else {
            return;
        };
        let here = frame.location;
        let top = frame
            .handle
            .num_stacks(&mut *store)
            .ok()
            .and_then(|count| count.checked_sub(1))
            .and_then(|top| frame.handle.stack(&mut *store, top).ok());
        let Some(wasmtime::Val::I32(index)) = top else {
            return;
        };
        let Some(Some(symbols)) = self.shared.symbols.get(here.module as usize) else {
            return;
        };
        let entry = symbols.lock().ok().and_then(|s| {
            let function = s.table_function(index as u32)?;
            s.prologue_end(s.function_body(function)?.start)
        });
        let Some(offset) = entry else {
            return;
        };
        let callee = CodeLocation {
            module: here.module,
            offset,
        };
        let single_step = match self.shared.control.lock() {
            Ok(mut control) => {
                match &mut control.line_stops {
                    Some(stops) if !stops.contains(&callee) => stops.push(callee),
                    _ => return,
                }
                control.single_steps()
            }
            Err(_) => return,
        };
        let _ = sync_breakpoints(&self.shared, store, single_step);
    }

    /// Whether a line starts at `location` (`None` without line information there).
    fn is_line_start(&self, location: CodeLocation) -> Option<bool> {
        let Some(Some(symbols)) = self.shared.symbols.get(location.module as usize) else {
            return None;
        };
        symbols.lock().ok()?.is_line_start(location.offset)
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

/// Whether an instruction since the last event changed watched memory (the new bytes are kept).
fn watched_memory_changed(
    store: &mut StoreContextMut<'_, DebugHost>,
    stack: &[Frame],
    control: &mut Control,
) -> bool {
    // A local's frame returned: stop once, and watch it no more.
    let before = control.watches.len();
    control.watches.retain(|(range, _)| {
        range
            .frame_depth
            .is_none_or(|depth| stack.len() >= depth as usize)
    });
    let mut changed = control.watches.len() != before;
    // This runs at every instruction while watching: compare in place, copy only on a change.
    for (range, last) in &mut control.watches {
        let Some(now) = memory_bytes(store, stack, range.module, range.address, range.len) else {
            continue;
        };
        if last.as_deref() != Some(now) {
            changed |= last.is_some();
            *last = Some(now.to_vec());
        }
    }
    changed
}

/// The innermost source line at `location`.
fn line_at(shared: &Shared, location: CodeLocation) -> Option<(Option<String>, u32)> {
    line_at_level(shared, location, 0)
}

/// The source line at `location` of the frame `inlined` source frames deep (counted from the
/// real function; 0 or too deep: the innermost): inside a call inlined deeper than that, the
/// line of the call.
fn line_at_level(
    shared: &Shared,
    location: CodeLocation,
    inlined: usize,
) -> Option<(Option<String>, u32)> {
    let frames = source_frames(shared, location);
    let index = match inlined {
        0 => 0,
        _ => frames.len().saturating_sub(inlined),
    };
    let frame = frames.into_iter().nth(index)?;
    let line = frame.line.filter(|&line| line > 0)?;
    Some((frame.file, line))
}

/// The source frames at `location`, innermost first.
fn source_frames(shared: &Shared, location: CodeLocation) -> Vec<wobs_symbolize::Location> {
    let Some(Some(symbols)) = shared.symbols.get(location.module as usize) else {
        return Vec::new();
    };
    symbols
        .lock()
        .map(|s| s.lookup(location.offset))
        .unwrap_or_default()
}

/// Reports the stop, then answers commands until one resumes the guest.
fn serve(
    shared: &Shared,
    store: &mut StoreContextMut<'_, DebugHost>,
    reason: StopReason,
    stack: Vec<Frame>,
) {
    let trapped = matches!(reason, StopReason::Trap(_));
    let stop = snapshot(store, &stack, reason);
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
            Ok(DebugCommand::WriteMemory {
                module,
                address,
                bytes,
            }) => {
                let wrote = write_memory(store, &stack, module, address, &bytes);
                let _ = shared.events.send(DebugEvent::Wrote(wrote));
            }
            Ok(DebugCommand::SetBreakpoints(set)) => {
                if let Ok(mut control) = shared.control.lock() {
                    control.breakpoints = set;
                }
            }
            Ok(DebugCommand::SetWatchpoints(ranges)) => {
                if let Ok(mut control) = shared.control.lock() {
                    control.watches = ranges
                        .into_iter()
                        .map(|range| {
                            let now =
                                read_memory(store, &stack, range.module, range.address, range.len);
                            (range, now)
                        })
                        .collect();
                }
            }
            // The mode (a step, a `finish`) is still the one the breakpoint interrupted.
            Ok(DebugCommand::Resume(Resume::Again)) => return,
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
        Resume::Continue | Resume::Again => Mode::Continue,
        Resume::StepInstruction => Mode::Instruction { over: false, depth },
        Resume::NextInstruction => Mode::Instruction { over: true, depth },
        Resume::StepLine { into } => {
            let here = stack.and_then(|s| s.first()).map(|f| f.location);
            Mode::Line {
                into,
                depth,
                line: here.and_then(|l| line_at(shared, l)),
                inlined: here.map_or(0, |l| source_frames(shared, l).len()),
            }
        }
        Resume::Finish { frame } => Mode::Finish {
            depth: depth.saturating_sub(frame),
        },
    };
    let finish_caller = match (resume, stack) {
        (Resume::Finish { frame }, Some(stack)) => stack.get(frame + 1).map(|f| f.location),
        _ => None,
    };
    // `next` without watched memory runs at full speed from line start to line start of its
    // function (or to its return): single-stepping a large module costs wasmtime a patch at every
    // instruction of the module, a few breakpoints cost a few.
    let (line_stops, indirect_calls) = match (resume, stack) {
        (Resume::StepLine { into }, Some(stack)) => match line_stops(shared, stack, into) {
            Some((stops, indirect)) => (Some(stops), indirect),
            None => (None, Vec::new()),
        },
        _ => (None, Vec::new()),
    };
    let single_step = match shared.control.lock() {
        Ok(mut control) => {
            control.mode = mode;
            control.returning = None;
            control.skipped_steps = 0;
            control.line_stops = line_stops.filter(|_| control.watches.is_empty());
            control.indirect_calls = match control.line_stops {
                Some(_) => indirect_calls,
                None => Vec::new(),
            };
            control.single_steps()
        }
        Err(_) => false,
    };
    sync_breakpoints(shared, store, single_step)?;
    // `finish` runs at full speed to a breakpoint where the frame returns.
    if let (Some(caller), Ok(mut control)) = (finish_caller, shared.control.lock()) {
        arm_return(shared, &mut control, store, caller)?;
    }
    Ok(())
}

/// Where a `next` (or, `into`, a `step`) from the top of `stack` can stop: the other line starts
/// of its function, the caller's return address and, for a `step`, where each function it calls
/// is past its prologue (those with line information) and its `call_indirect`s. In a function
/// without line information both run to its return, as gdb's do (or, in the outermost function,
/// to the end). `None` — the step then single-steps — for a `step` out of a function with a
/// `call_ref` or a tail call (they can land anywhere).
fn line_stops(shared: &Shared, stack: &[Frame], into: bool) -> Option<StepStops> {
    let here = stack.first()?.location;
    let caller = stack.get(1).map(|caller| caller.location);
    let Some(Some(symbols)) = shared.symbols.get(here.module as usize) else {
        return Some((caller.into_iter().collect(), Vec::new()));
    };
    let symbols = symbols.lock().ok()?;
    let starts = symbols.line_starts(here.offset);
    if starts.is_empty() {
        return Some((caller.into_iter().collect(), Vec::new()));
    }
    let at = |offset| CodeLocation {
        module: here.module,
        offset,
    };
    // A `step`'s stops where its callees begin, and at its indirect calls, whose callee is read
    // from the operand stack when one is reached (`Handler::arm_indirect_callee`).
    let (entries, indirect): (Vec<u32>, Vec<CodeLocation>) = match into {
        false => (Vec::new(), Vec::new()),
        true => {
            let calls = symbols.calls_in(here.offset)?;
            let entries = calls
                .direct
                .into_iter()
                .filter_map(|index| symbols.prologue_end(symbols.function_body(index)?.start))
                .chain(calls.indirect.iter().copied())
                .collect();
            (entries, calls.indirect.into_iter().map(at).collect())
        }
    };
    let mut stops: Vec<CodeLocation> = starts
        .into_iter()
        .filter(|&offset| offset != here.offset)
        .chain(entries)
        .map(at)
        .chain(caller)
        .collect();
    stops.sort_unstable_by_key(|l| (l.module, l.offset));
    stops.dedup();
    Some((stops, indirect))
}

/// A step's temporary breakpoints, and which of them are `call_indirect`s of its function.
type StepStops = (Vec<CodeLocation>, Vec<CodeLocation>);

/// Replaces wasmtime's breakpoints with the front end's set (and the line stops of a `next`).
fn sync_breakpoints(
    shared: &Shared,
    store: &mut StoreContextMut<'_, DebugHost>,
    single_step: bool,
) -> wasmtime::Result<()> {
    let Ok(mut control) = shared.control.lock() else {
        return Ok(());
    };
    // Every edit re-publishes the module's code (tens of ms for tens of MB): skip no-op edits.
    let wanted = control.wanted();
    if control.installed == wanted && store.as_context().is_single_step() == single_step {
        return Ok(());
    }
    let was_stepping = store.as_context().is_single_step();
    let Some(mut edit) = store.as_context_mut().edit_breakpoints() else {
        return Ok(());
    };
    for location in std::mem::take(&mut control.installed) {
        if let Some((module, pc)) = shared.target(location) {
            edit.remove_breakpoint(module, pc)?;
        }
    }
    for location in wanted {
        if let Some((module, pc)) = shared.target(location) {
            edit.add_breakpoint(module, pc)?;
            control.installed.push(location);
        }
    }
    set_single_step(
        shared,
        &mut edit,
        was_stepping,
        single_step,
        &control.installed,
    )
}

//! What a debug session and its front ends (batch mode, the terminal UI) say to each other.
//!
//! The session (in `wobs-runtime`) owns the guest; a front end sends [`DebugCommand`]s and receives
//! [`DebugEvent`]s over channels. While the guest is stopped, the session answers memory reads and
//! breakpoint edits; a resume command lets it run to the next stop, which the session finds itself
//! (stepping is done in the engine, not by round trips).

use serde::{Deserialize, Serialize};

use crate::RawOutcome;

/// A code location: module (0 = main, then preloads in order) and module-file offset.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct CodeLocation {
    /// Module index.
    pub module: u32,
    /// Module-file offset of an instruction.
    pub offset: u32,
}

/// How to resume a stopped guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resume {
    /// Run to the next breakpoint, trap or exit.
    Continue,
    /// Execute one wasm instruction (into calls).
    StepInstruction,
    /// One wasm instruction, over calls.
    NextInstruction,
    /// Run to a different source line of this frame or a caller (`next`), or also into called
    /// functions that have line information (`step`).
    StepLine {
        /// Step into calls.
        into: bool,
    },
    /// Run until the selected frame (0 = innermost) returns.
    Finish {
        /// Frame to finish.
        frame: usize,
    },
    /// Carry on with what the guest was doing when a breakpoint stopped it (a step or a
    /// `finish` goes on), after the front end found the breakpoint's condition false.
    Again,
}

/// A request from a front end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DebugCommand {
    /// Replace the set of breakpoints (applied before the guest starts, or while stopped).
    SetBreakpoints(Vec<CodeLocation>),
    /// Start the guest (first), or resume it.
    Resume(Resume),
    /// Read linear memory 0 of a module's instance while stopped; answered by
    /// [`DebugEvent::Memory`].
    ReadMemory {
        /// Module whose instance's memory to read.
        module: u32,
        /// Start address.
        address: u64,
        /// Bytes wanted.
        len: u32,
    },
    /// Replace the set of watched memory ranges: the guest single-steps and stops with
    /// [`StopReason::Watchpoint`] after an instruction that changed one of them.
    SetWatchpoints(Vec<WatchRange>),
    /// Write linear memory 0 of a module's instance while stopped (`set var`); answered by
    /// [`DebugEvent::Wrote`].
    WriteMemory {
        /// Module whose instance's memory to write.
        module: u32,
        /// Start address.
        address: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// Bytes of a module instance's linear memory 0 that a watchpoint watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRange {
    /// The module whose instance's memory it is.
    pub module: u32,
    /// Start address.
    pub address: u64,
    /// How many bytes.
    pub len: u32,
    /// For a local's watch: the stack depth (wasm frames) of its frame. The session stops once
    /// when the stack gets shallower (the frame returned) and forgets the range.
    pub frame_depth: Option<u32>,
}

/// A wasm value read from a frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum DebugValue {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, as its bits.
    F32(u32),
    /// `f64`, as its bits.
    F64(u64),
    /// A value of another type (vector, reference), not inspectable yet.
    Other,
}

/// One wasm frame of a stopped guest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DebugFrame {
    /// Where the frame is: the next instruction to run, so in a caller the instruction after the
    /// call (look up source lines of callers at `offset - 1`, as debuggers do).
    pub location: CodeLocation,
    /// Wasm function index in its module (imports counted).
    pub function: u32,
    /// The frame's wasm locals, parameters first.
    pub locals: Vec<DebugValue>,
    /// The frame's operand stack, bottom first.
    pub stack: Vec<DebugValue>,
}

/// Why the guest stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// A breakpoint (the one at this location).
    Breakpoint,
    /// A step or finish completed.
    Step,
    /// The guest trapped: inspect it, then resuming ends the run (post-mortem).
    Trap(String),
    /// The front end interrupted the running guest (Ctrl-C).
    Interrupted,
    /// An instruction changed watched memory (the stop is at the instruction after it).
    Watchpoint,
}

/// A stopped guest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DebugStop {
    /// Why it stopped.
    pub reason: StopReason,
    /// Wasm frames, innermost first.
    pub frames: Vec<DebugFrame>,
    /// Globals of the innermost frame's instance, by index (`i32`/`i64`/floats; others `Other`).
    pub globals: Vec<DebugValue>,
}

/// What a session reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DebugEvent {
    /// The guest stopped; it waits for commands.
    Stopped(DebugStop),
    /// Answer to [`DebugCommand::ReadMemory`]; `None` when the range is outside memory.
    Memory(Option<Vec<u8>>),
    /// Answer to [`DebugCommand::WriteMemory`]: whether the bytes were written.
    Wrote(bool),
    /// The guest finished (exit, return, trap after inspection, link failure).
    Finished(RawOutcome),
}

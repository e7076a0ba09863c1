//! Unsymbolized samples as the runtime records them.

use serde::{Deserialize, Serialize};

/// One wasm frame: which module it ran in and where.
///
/// `offset` is the byte offset of the instruction from the start of the module file — the
/// convention of wasmtime's `FrameInfo::module_offset` and of wasm DWARF consumers once the code
/// section start is subtracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RawFrame {
    /// Index into the run's module list (0 is the main module, preloads follow in order).
    pub module: u32,
    /// Byte offset in the module file.
    pub offset: u32,
}

impl RawFrame {
    /// The module index of host frames.
    pub const HOST_MODULE: u32 = u32::MAX;

    /// A frame for time in a host call (a WASI function), on top of the wasm frames that made the
    /// call: `function` indexes [`RawProfile::host_functions`], `u32::MAX` when unknown.
    pub fn host(function: u32) -> RawFrame {
        RawFrame {
            module: RawFrame::HOST_MODULE,
            offset: function,
        }
    }

    /// Whether this is a [`RawFrame::host`] frame.
    pub fn is_host(self) -> bool {
        self.module == RawFrame::HOST_MODULE
    }
}

/// One observation of the guest stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawSample {
    /// Index into [`RawProfile::stacks`].
    pub stack: u32,
    /// Nanoseconds since the guest started running.
    pub time_ns: u64,
    /// The innermost kept span open at the time (the run's root span when no probed call was
    /// open); 0 when the run made no spans.
    pub span: crate::SpanId,
}

/// Every sample of one run, with stacks interned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawProfile {
    /// Distinct stacks, each ordered root (outermost caller) first, leaf last.
    pub stacks: Vec<Vec<RawFrame>>,
    /// Samples in the order they were taken.
    pub samples: Vec<RawSample>,
    /// Sampling ticks that passed without a sample: the guest was in host code (a WASI call), or
    /// the sample buffer was full. Reported so the user knows what the profile does not show.
    pub dropped: u64,
    /// Samples taken inside a probe call (instrumented code), where the probe knows exactly which
    /// function the guest is in, rather than at the guest's next epoch check.
    pub at_probes: u64,
    /// Names of the host functions host frames refer to (`poll_oneoff`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_functions: Vec<String>,
    /// CPU time the guest thread used while the exact sampler ran, ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_cpu_ns: Option<u64>,
}

/// How the guest finished, before symbolization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RawOutcome {
    /// `_start` returned (0) or the guest called `proc_exit`.
    Exited(i32),
    /// An invoked export returned these values, rendered as the wasmtime CLI prints them.
    Returned(Vec<String>),
    /// The guest trapped; `backtrace` is innermost first.
    Trapped {
        /// wasmtime's description of the trap.
        message: String,
        /// Physical wasm frames at the trap, innermost first.
        backtrace: Vec<RawFrame>,
    },
    /// The time limit (milliseconds) expired.
    TimedOut(u64),
    /// Interrupted by the user.
    Interrupted,
    /// Linking, instantiation or the call itself failed before or outside guest code.
    Failed(String),
}

impl RawOutcome {
    /// The exit code `wasmtime run` gives for this outcome.
    pub fn exit_code(&self) -> i32 {
        match self {
            RawOutcome::Exited(code) => *code,
            RawOutcome::Returned(_) => 0,
            RawOutcome::Trapped { .. } | RawOutcome::TimedOut(_) => 134,
            RawOutcome::Interrupted => 130,
            RawOutcome::Failed(_) => 1,
        }
    }
}

/// Exact per-function figures from an instrumented run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawTrace {
    /// Every probed function that was called at least once.
    pub functions: Vec<TracedFunction>,
    /// Caller → callee call counts between probed functions (`caller` None: called from the host).
    pub edges: Vec<TracedEdge>,
    /// `exit` probes that matched no open frame, and frames closed without their `exit` (an
    /// exception unwound them). 0 in a well-formed run.
    pub unbalanced: u64,
    /// Frames still open when the run ended (trap, `proc_exit`, timeout), closed at the end time.
    pub closed_at_end: u64,
    /// `memory.grow` calls seen and pages they asked for.
    pub memory_grows: u64,
    /// Total pages requested by `memory.grow`.
    pub pages_requested: u64,
    /// Spans handed to the span queue.
    #[serde(default)]
    pub spans_emitted: u64,
    /// Spans lost because the span queue was full or its reader gone (never blocks the guest).
    #[serde(default)]
    pub spans_dropped: u64,
    /// Exact figures per call path, when asked for (`wobs bench`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<TracedPath>,
}

/// One call path: a probed function reached through its parent node's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedPath {
    /// Index of the caller's node; `None` at the top.
    pub parent: Option<u32>,
    /// Module index.
    pub module: u32,
    /// Probe id.
    pub id: u32,
    /// Calls along this path.
    pub calls: u64,
    /// Units (ns, or fuel in a fuel-counting run) in the function itself on this path.
    pub self_units: u64,
    /// Units from entry to exit on this path, callees included.
    pub total_units: u64,
}

/// Exact figures for one probed function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedFunction {
    /// Module index.
    pub module: u32,
    /// Probe id (original function index).
    pub id: u32,
    /// Name from the module's `wobs.map`.
    pub name: String,
    /// Calls.
    pub calls: u64,
    /// Calls that were counted but not timed: the function was throttled (its calls had proved
    /// short), so `self_ns` and `total_ns` cover `calls - untimed_calls` calls.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub untimed_calls: u64,
    /// Throttled when the run ended: its timed calls averaged under the throttle's duration.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub throttled: bool,
    /// Time in the function itself, excluding probed callees, ns (fuel in a fuel-counting run).
    pub self_ns: u64,
    /// Time from entry to exit, callees included; recursive activations counted once, ns (fuel in
    /// a fuel-counting run).
    pub total_ns: u64,
}

/// Calls from one probed function to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracedEdge {
    /// (module, probe id) of the caller; `None` for calls from outside probed code.
    pub caller: Option<(u32, u32)>,
    /// (module, probe id) of the callee.
    pub callee: (u32, u32),
    /// Number of calls.
    pub calls: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

//! The saved recording: schema version 1.
//!
//! A recording is self-contained: frames are stored symbolized, so `wobs report` needs neither the
//! modules nor their debug info. It is JSON:
//!
//! ```text
//! {
//!   "format": "wobs-recording", "version": 1,
//!   "modules":   [{ "name", "path", "size", "sha256" }],          // index 0 = main module
//!   "run":       { "args", "invoke", "start_unix_ms", "duration_ns", "interval_ns",
//!                  "samples_taken", "samples_dropped", "outcome": { "kind", ... } },
//!   "frames":    [{ "function", "module", "file", "line", "column", "inlined" }],
//!   "stacks":    [{ "frames": [frame index, root first] }],
//!   "samples":   [{ "stack", "time_ns" }],
//!   "functions": [{ "name", "module", "file", "line", "self_samples", "total_samples",
//!                   "calls"?, "self_ns"?, "total_ns"? }],
//!   "trace"?:    { "functions", "edges": [{ "caller", "callee", "calls" }], "unbalanced", ... }
//!   "spans"?:    { "trace_id", "root_span_id", "remote_parent"?, "min_duration_ns",
//!                  "functions": [{ "module", "index", "name", "file"?, "line"? }],
//!                  "spans": [{ "function", "span_id", "parent_span_id", "start_unix_ns",
//!                              "end_unix_ns", "filtered_calls"?, ... }], "dropped" }
//! }
//! ```
//!
//! Readers must reject a `format` they do not know and a `version` newer than theirs; fields added
//! within a version are optional, so older readers ignore them.

use serde::{Deserialize, Serialize};

/// Value of [`Recording::format`].
pub const RECORDING_FORMAT: &str = "wobs-recording";
/// The schema version this crate writes and the newest it reads.
pub const RECORDING_VERSION: u32 = 1;

/// Everything one profiled run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// Always [`RECORDING_FORMAT`].
    pub format: String,
    /// Schema version, [`RECORDING_VERSION`] when written by this crate.
    pub version: u32,
    /// Modules that ran: the main module first, then preloads in command-line order.
    pub modules: Vec<ModuleInfo>,
    /// How the run went.
    pub run: RunInfo,
    /// Symbolized frames, deduplicated; stacks refer to them by index.
    pub frames: Vec<Frame>,
    /// Distinct stacks; samples refer to them by index.
    pub stacks: Vec<Stack>,
    /// Every sample, in time order.
    pub samples: Vec<Sample>,
    /// Per-function totals, hottest (by self samples, then exact self time) first.
    pub functions: Vec<FunctionSummary>,
    /// Exact call figures and caller→callee edges, for instrumented runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<crate::RawTrace>,
    /// Kept spans of an instrumented run, for `wobs report --otlp`, Chrome traces and pprof labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spans: Option<crate::SpanSet>,
}

/// One module that took part in the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// The name frames use: the file stem for the main module, the import name for preloads.
    pub name: String,
    /// Where it was loaded from, as given on the command line.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

/// Facts about the run as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Arguments the guest saw, `argv[0]` included.
    pub args: Vec<String>,
    /// The export called, when it was not `_start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoke: Option<String>,
    /// Wall-clock start, milliseconds since the Unix epoch.
    pub start_unix_ms: u64,
    /// Guest run time (instantiation to exit), nanoseconds.
    pub duration_ns: u64,
    /// Sampling interval, nanoseconds; 0 when sampling was off.
    pub interval_ns: u64,
    /// The interval was of the guest thread's CPU time (`--clock cpu`), not wall-clock time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cpu_clock: bool,
    /// Samples recorded.
    pub samples_taken: u64,
    /// Sampling ticks that produced no sample (guest in host code, buffer full).
    pub samples_dropped: u64,
    /// Of the samples, those taken inside a probe call of instrumented code (attributed to the
    /// probed function's stack at that moment).
    #[serde(default)]
    pub samples_at_probes: u64,
    /// CPU time the guest thread used while the exact sampler ran, nanoseconds (the kernel's
    /// account, which `--clock cpu` paces by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_cpu_ns: Option<u64>,
    /// How the guest finished.
    pub outcome: Outcome,
}

/// How the guest finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// `_start` returned (code 0) or the guest called `proc_exit(code)`.
    Exited {
        /// The exit status.
        code: i32,
    },
    /// An `--invoke`d export returned these values (rendered as the wasmtime CLI prints them).
    Returned {
        /// One string per result.
        values: Vec<String>,
    },
    /// The guest trapped.
    Trapped {
        /// wasmtime's description of the trap, e.g. "wasm trap: integer divide by zero".
        message: String,
        /// The wasm stack at the trap, innermost first.
        backtrace: Vec<TraceFrame>,
    },
    /// `--timeout` expired.
    TimedOut {
        /// The limit that expired, milliseconds.
        limit_ms: u64,
    },
    /// The user pressed Ctrl-C.
    Interrupted,
    /// The module could not be linked, instantiated or called.
    Failed {
        /// One-line reason.
        message: String,
    },
}

impl Outcome {
    /// The process exit code the wasmtime CLI gives for this outcome: the guest's own status, 134
    /// (128 + SIGABRT) for a trap or timeout, 130 (128 + SIGINT) for Ctrl-C, 1 for other failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Exited { code } => *code,
            Outcome::Returned { .. } => 0,
            Outcome::Trapped { .. } | Outcome::TimedOut { .. } => 134,
            Outcome::Interrupted => 130,
            Outcome::Failed { .. } => 1,
        }
    }
}

/// One physical wasm frame of a trap backtrace with the source frames it expands to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceFrame {
    /// Module index.
    pub module: u32,
    /// Byte offset in the module file.
    pub offset: u32,
    /// Source frames at that offset, innermost (inlined) first; the last is the physical function.
    pub frames: Vec<Frame>,
}

/// A symbolized source frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Frame {
    /// Demangled function name; `wasm-function[N]` when the module names nothing.
    pub function: String,
    /// Module index.
    pub module: u32,
    /// Source file, when DWARF says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line, when DWARF says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, when DWARF says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// True when the compiler inlined this function into its caller.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inlined: bool,
}

impl Frame {
    /// `file:line`, `file`, or `None` — the source position as people write it.
    pub fn source(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(match self.line {
            Some(line) => format!("{file}:{line}"),
            None => file.to_string(),
        })
    }
}

/// A call stack, as frame indices.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stack {
    /// Indices into [`Recording::frames`], root (outermost caller) first, leaf last.
    pub frames: Vec<u32>,
}

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// Index into [`Recording::stacks`].
    pub stack: u32,
    /// Nanoseconds since the guest started.
    pub time_ns: u64,
    /// The innermost kept span open when the sample was taken (the root span outside probed
    /// calls); absent when the run made no spans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<crate::SpanId>,
}

/// Totals for one function (all call sites merged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionSummary {
    /// Demangled name.
    pub name: String,
    /// Module index.
    pub module: u32,
    /// Source file of the function's hottest sampled line.
    pub file: Option<String>,
    /// The function's hottest sampled line (most self samples, else most total samples).
    pub line: Option<u32>,
    /// Samples whose leaf frame is this function.
    pub self_samples: u64,
    /// Samples with this function anywhere on the stack (counted once per sample).
    pub total_samples: u64,
    /// Exact calls (instrumented runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<u64>,
    /// Exact time in the function excluding probed callees, ns (instrumented runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_ns: Option<u64>,
    /// Exact time from entry to exit, recursion counted once, ns (instrumented runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_ns: Option<u64>,
    /// Calls counted but not timed (the function was throttled): `self_ns` and `total_ns` cover
    /// `calls - untimed_calls` calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untimed_calls: Option<u64>,
}

impl FunctionSummary {
    /// A row with no samples, source position or exact figures yet.
    pub fn new(name: String, module: u32) -> Self {
        FunctionSummary {
            name,
            module,
            file: None,
            line: None,
            self_samples: 0,
            total_samples: 0,
            calls: None,
            self_ns: None,
            total_ns: None,
            untimed_calls: None,
        }
    }
}

impl Recording {
    /// An empty recording of the current schema version.
    pub fn new(modules: Vec<ModuleInfo>, run: RunInfo) -> Self {
        Recording {
            format: RECORDING_FORMAT.to_string(),
            version: RECORDING_VERSION,
            modules,
            run,
            frames: Vec::new(),
            stacks: Vec::new(),
            samples: Vec::new(),
            functions: Vec::new(),
            trace: None,
            spans: None,
        }
    }

    /// Takes the span label off samples taken in the spans `dropped` (spans that never went
    /// out), counting them in [`SpanSet::unlabelled_samples`](crate::SpanSet).
    pub fn drop_span_labels(&mut self, dropped: &[crate::SpanId]) {
        if dropped.is_empty() {
            return;
        }
        let dropped: std::collections::HashSet<crate::SpanId> = dropped.iter().copied().collect();
        let mut unlabelled = 0;
        for sample in &mut self.samples {
            if sample.span_id.is_some_and(|id| dropped.contains(&id)) {
                sample.span_id = None;
                unlabelled += 1;
            }
        }
        if let Some(spans) = &mut self.spans {
            spans.unlabelled_samples += unlabelled;
        }
    }

    /// Why this recording cannot be read by this version of wobs, if it cannot.
    pub fn incompatibility(&self) -> Option<String> {
        if self.format != RECORDING_FORMAT {
            return Some(format!("not a wobs recording (format {:?})", self.format));
        }
        if self.version > RECORDING_VERSION {
            return Some(format!(
                "recording version {} is newer than this wobs reads ({RECORDING_VERSION})",
                self.version
            ));
        }
        let frames = self.frames.len() as u64;
        if let Some(bad) = self
            .stacks
            .iter()
            .flat_map(|s| &s.frames)
            .find(|&&f| u64::from(f) >= frames)
        {
            return Some(format!(
                "stack refers to frame {bad}, but there are {frames}"
            ));
        }
        let stacks = self.stacks.len() as u64;
        if let Some(bad) = self.samples.iter().find(|s| u64::from(s.stack) >= stacks) {
            return Some(format!(
                "sample refers to stack {}, but there are {stacks}",
                bad.stack
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunInfo {
        RunInfo {
            args: vec!["a.wasm".into()],
            invoke: None,
            start_unix_ms: 1,
            duration_ns: 2,
            interval_ns: 1_000_000,
            cpu_clock: false,
            samples_taken: 1,
            samples_dropped: 0,
            samples_at_probes: 0,
            guest_cpu_ns: None,
            outcome: Outcome::Trapped {
                message: "wasm trap: unreachable".into(),
                backtrace: vec![],
            },
        }
    }

    #[test]
    fn outcome_is_tagged_and_round_trips() {
        let mut rec = Recording::new(vec![], run());
        rec.frames.push(Frame {
            function: "main".into(),
            module: 0,
            file: None,
            line: None,
            column: None,
            inlined: false,
        });
        rec.stacks.push(Stack { frames: vec![0] });
        rec.samples.push(Sample {
            stack: 0,
            time_ns: 5,
            span_id: None,
        });
        let json = serde_json::to_string(&rec).unwrap();
        assert!(json.contains(r#""kind":"trapped""#), "{json}");
        assert!(!json.contains("inlined"), "false flags are omitted: {json}");
        let back: Recording = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rec);
        assert_eq!(back.incompatibility(), None);
        assert_eq!(back.run.outcome.exit_code(), 134);
    }

    #[test]
    fn dangling_indices_and_future_versions_are_rejected() {
        let mut rec = Recording::new(vec![], run());
        rec.samples.push(Sample {
            stack: 3,
            time_ns: 0,
            span_id: None,
        });
        assert!(rec.incompatibility().unwrap().contains("stack 3"));
        rec.samples.clear();
        rec.version = RECORDING_VERSION + 1;
        assert!(rec.incompatibility().unwrap().contains("newer"));
    }

    #[test]
    fn exit_codes_match_wasmtime_cli() {
        assert_eq!(Outcome::Exited { code: 3 }.exit_code(), 3);
        assert_eq!(Outcome::TimedOut { limit_ms: 1 }.exit_code(), 134);
        assert_eq!(Outcome::Interrupted.exit_code(), 130);
    }
}

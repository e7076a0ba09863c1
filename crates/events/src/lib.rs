//! Types that cross a wobs crate or process boundary.
//!
//! * [`raw`]: what the runtime observes — stacks of `(module, offset)` pairs and the times they were
//!   seen. Cheap to produce on the guest thread; no symbols.
//! * [`recording`]: the one saved artefact (`wobs run -o rec.json`), a versioned, documented JSON
//!   schema that `wobs report` reads back without the original modules.
//!
//! This crate depends on `serde` only, so every other crate can share these types.

pub mod debug;
pub mod probe_map;
pub mod raw;
pub mod recording;
pub mod serve;
pub mod span;

pub use debug::{
    CodeLocation, DebugCommand, DebugEvent, DebugFrame, DebugStop, DebugValue, Resume, StopReason,
    WatchRange,
};
pub use probe_map::{
    AbiNames, CountedLayout, MovedFunction, Probe, ProbeAbi, ProbeMap, CARRIED_DEBUG_PREFIX,
    COMPONENT_COUNTS_PREFIX, COMPONENT_PROBE_PREFIX, PROBE_MAP_SECTION,
};
pub use raw::{
    RawFrame, RawOutcome, RawProfile, RawSample, RawTrace, TracedEdge, TracedFunction, TracedPath,
};
pub use recording::{
    Frame, FunctionSummary, ModuleInfo, Outcome, Recording, RunInfo, Sample, Stack, TraceFrame,
    RECORDING_FORMAT, RECORDING_VERSION,
};
/// The wasmtime version wobs runs guests on: part of trace resources and bench fingerprints.
pub const WASMTIME_VERSION: &str = "48.0.8";

pub use serve::{
    ClientRecord, OutputStream, RequestCalls, RequestFailure, RequestRecord, RequestTrace,
};
pub use span::{MemoryGrow, RawSpan, SpanFunction, SpanId, SpanRecord, SpanSet, TraceId};

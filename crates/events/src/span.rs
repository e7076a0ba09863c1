//! Spans: one per probed call that lasted long enough, as the runtime emits them and as the
//! recording keeps them.
//!
//! Ids follow W3C trace context: a span id is 8 bytes, a trace id 16, both non-zero and written as
//! lowercase hex (in JSON too, so readers in languages without 64-bit integers keep them exact).
//! Times are absolute: nanoseconds since the Unix epoch, anchored once per run to the wall clock
//! and advanced by a monotonic clock.

use serde::{Deserialize, Serialize};

/// A span id; 0 is "no span".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub u64);

/// A trace id; 0 is "no trace".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceId(pub u128);

impl SpanId {
    /// Whether this is a real id (not 0).
    pub fn is_valid(self) -> bool {
        self.0 != 0
    }
}

impl std::fmt::Display for SpanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::fmt::Display for TraceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl Serialize for SpanId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SpanId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        u64::from_str_radix(&text, 16)
            .map(SpanId)
            .map_err(|_| serde::de::Error::custom(format!("bad span id {text:?}")))
    }
}

impl Serialize for TraceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TraceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        u128::from_str_radix(&text, 16)
            .map(TraceId)
            .map_err(|_| serde::de::Error::custom(format!("bad trace id {text:?}")))
    }
}

/// A `memory.grow` seen while a span was the innermost kept one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryGrow {
    /// When, ns since the Unix epoch.
    pub time_unix_ns: u64,
    /// Pages asked for.
    pub pages: u32,
}

/// One kept call as the runtime emits it, the moment the call returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawSpan {
    /// Module index (0 main, then preloads).
    pub module: u32,
    /// Probe id: the function's index in the original module.
    pub function: u32,
    /// This call's id.
    pub span_id: SpanId,
    /// The nearest kept caller's id, or the run's root span.
    pub parent_span_id: SpanId,
    /// Entry, ns since the Unix epoch.
    pub start_unix_ns: u64,
    /// Return, ns since the Unix epoch.
    pub end_unix_ns: u64,
    /// Calls beneath this one that were too short to keep (and are in no kept child's count).
    pub filtered_calls: u64,
    /// The call did not return: the run ended (trap, exit, timeout) or an exception unwound it.
    pub unfinished: bool,
    /// `memory.grow` calls made beneath this span and in no kept child.
    pub memory_grows: Vec<MemoryGrow>,
}

/// Every span of a run, as the recording keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanSet {
    /// The trace every span belongs to (from `TRACEPARENT`, else new).
    pub trace_id: TraceId,
    /// The run's own span, parent of the outermost probed calls.
    pub root_span_id: SpanId,
    /// The span the run was started under (`TRACEPARENT`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_parent: Option<SpanId>,
    /// W3C `tracestate` that came with the remote parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_state: Option<String>,
    /// Calls shorter than this (ns) were folded into their caller's `filtered_calls`.
    pub min_duration_ns: u64,
    /// The root span's start (the guest's start), ns since the Unix epoch.
    pub root_start_unix_ns: u64,
    /// The root span's end (the guest's end), ns since the Unix epoch.
    pub root_end_unix_ns: u64,
    /// Outermost probed calls too short to keep.
    #[serde(default)]
    pub root_filtered_calls: u64,
    /// `memory.grow` calls outside any kept span.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub root_memory_grows: Vec<MemoryGrow>,
    /// Functions spans refer to.
    pub functions: Vec<SpanFunction>,
    /// Kept spans in the order they ended (children before parents).
    pub spans: Vec<SpanRecord>,
    /// Spans the runtime could not hand over (its bounded queue was full).
    pub dropped: u64,
    /// Spans handed over but not kept in the recording (over its cap); they were still exported.
    #[serde(default)]
    pub not_recorded: u64,
    /// Samples taken in a span that was dropped (a full queue): they carry no span label, so
    /// that a label always names a span that went out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unlabelled_samples: u64,
}

/// A function as spans name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanFunction {
    /// Module index.
    pub module: u32,
    /// Index in the original module.
    pub index: u32,
    /// Demangled name.
    pub name: String,
    /// Source file of the function's entry, when DWARF says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Line of the function's entry, when DWARF says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// One kept call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanRecord {
    /// Index into [`SpanSet::functions`].
    pub function: u32,
    /// This call's id.
    pub span_id: SpanId,
    /// The nearest kept caller, or the root span.
    pub parent_span_id: SpanId,
    /// Entry, ns since the Unix epoch.
    pub start_unix_ns: u64,
    /// Return, ns since the Unix epoch.
    pub end_unix_ns: u64,
    /// Calls beneath this one that were too short to keep.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub filtered_calls: u64,
    /// The call never returned (see [`RawSpan::unfinished`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unfinished: bool,
    /// `memory.grow` calls beneath this span and in no kept child.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memory_grows: Vec<MemoryGrow>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fixed_width_hex_in_json() {
        let id = SpanId(0xab);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""00000000000000ab""#);
        assert_eq!(serde_json::from_str::<SpanId>(&json).unwrap(), id);
        let trace = TraceId(u128::MAX - 1);
        let json = serde_json::to_string(&trace).unwrap();
        assert_eq!(json.len(), 34);
        assert_eq!(serde_json::from_str::<TraceId>(&json).unwrap(), trace);
        assert!(serde_json::from_str::<SpanId>(r#""zz""#).is_err());
    }
}

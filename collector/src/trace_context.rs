//! The trace a run belongs to: a new one, or the one named by `TRACEPARENT` / `TRACESTATE` in the
//! environment (the OpenTelemetry environment-carrier convention that CI systems, otel-cli,
//! Jenkins and Buildkite follow), so a wasm run shows up inside the pipeline's trace.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};
use wobs_events::{SpanId, SpanSet, TraceId};

/// Ids that place a run's spans in a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// The trace.
    pub trace_id: TraceId,
    /// The run's root span.
    pub root_span_id: SpanId,
    /// The span the run was started under, from `TRACEPARENT`.
    pub remote_parent: Option<SpanId>,
    /// `TRACESTATE` that came with it.
    pub trace_state: Option<String>,
}

impl TraceContext {
    /// A new trace with a new root span.
    pub fn new() -> TraceContext {
        let ids = RandomIdGenerator::default();
        TraceContext {
            trace_id: TraceId(u128::from_be_bytes(ids.new_trace_id().to_bytes())),
            root_span_id: new_span_id(),
            remote_parent: None,
            trace_state: None,
        }
    }

    /// The context from `TRACEPARENT` / `TRACESTATE` when set, else a new trace. A malformed
    /// `TRACEPARENT` is not fatal: a new trace is started and the second value says why.
    pub fn from_env() -> (TraceContext, Option<String>) {
        let Ok(parent) = std::env::var("TRACEPARENT") else {
            return (TraceContext::new(), None);
        };
        let state = std::env::var("TRACESTATE").ok();
        match TraceContext::child_of(&parent, state.as_deref()) {
            Some(context) => (context, None),
            None => (
                TraceContext::new(),
                Some(format!(
                    "TRACEPARENT {parent:?} is not a W3C traceparent; starting a new trace"
                )),
            ),
        }
    }

    /// A new root span under the W3C `traceparent` header value `parent`.
    pub fn child_of(parent: &str, state: Option<&str>) -> Option<TraceContext> {
        let mut carrier = HashMap::from([("traceparent".to_string(), parent.trim().to_string())]);
        if let Some(state) = state {
            carrier.insert("tracestate".to_string(), state.to_string());
        }
        let context = TraceContextPropagator::new().extract(&carrier);
        let span = context.span();
        let remote = span.span_context();
        if !remote.is_valid() {
            return None;
        }
        let trace_state = remote.trace_state().header();
        Some(TraceContext {
            trace_id: TraceId(u128::from_be_bytes(remote.trace_id().to_bytes())),
            root_span_id: new_span_id(),
            remote_parent: Some(SpanId(u64::from_be_bytes(remote.span_id().to_bytes()))),
            trace_state: (!trace_state.is_empty()).then_some(trace_state),
        })
    }

    /// The context a recording's spans were made in.
    pub fn of(spans: &SpanSet) -> TraceContext {
        TraceContext {
            trace_id: spans.trace_id,
            root_span_id: spans.root_span_id,
            remote_parent: spans.remote_parent,
            trace_state: spans.trace_state.clone(),
        }
    }
}

impl Default for TraceContext {
    fn default() -> Self {
        TraceContext::new()
    }
}

fn new_span_id() -> SpanId {
    SpanId(u64::from_be_bytes(
        RandomIdGenerator::default().new_span_id().to_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_becomes_the_parent() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = TraceContext::child_of(parent, Some("vendor=abc")).unwrap();
        assert_eq!(
            context.trace_id.to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(context.remote_parent, Some(SpanId(0x00f0_67aa_0ba9_02b7)));
        assert_eq!(context.trace_state.as_deref(), Some("vendor=abc"));
        assert!(context.root_span_id.is_valid());
        assert_ne!(Some(context.root_span_id), context.remote_parent);
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        for bad in [
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "junk",
        ] {
            assert_eq!(TraceContext::child_of(bad, None), None, "{bad:?}");
        }
        let fresh = TraceContext::new();
        assert!(fresh.trace_id.0 != 0 && fresh.root_span_id.is_valid());
    }
}

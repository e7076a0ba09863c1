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
    /// Whether the trace is recorded: the sampler of `OTEL_TRACES_SAMPLER` decides (by default
    /// a new trace is, and a `TRACEPARENT` with sampled flag `00` is not).
    pub sampled: bool,
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
            sampled: true,
        }
    }

    /// The context from `TRACEPARENT` / `TRACESTATE` when set, else a new trace. A malformed
    /// `TRACEPARENT` is not fatal: a new trace is started and the second value says why.
    pub fn from_env() -> (TraceContext, Option<String>) {
        let parent = std::env::var("TRACEPARENT").ok();
        let state = std::env::var("TRACESTATE").ok();
        let (mut context, warning) = match parent
            .as_deref()
            .map(|p| (p, TraceContext::child_of(p, state.as_deref())))
        {
            None => (TraceContext::new(), None),
            Some((_, Some(context))) => (context, None),
            Some((parent, None)) => (
                TraceContext::new(),
                Some(format!(
                    "TRACEPARENT {parent:?} is not a W3C traceparent; starting a new trace"
                )),
            ),
        };
        let sampler = opentelemetry_sdk::trace::Config::default().sampler;
        context.sampled = context.sampled_by(&*sampler);
        (context, warning)
    }

    /// What `sampler` decides for this context's root span.
    pub fn sampled_by(&self, sampler: &dyn opentelemetry_sdk::trace::ShouldSample) -> bool {
        use opentelemetry::trace::{SpanContext, TraceFlags, TraceState};
        let trace_id = opentelemetry::trace::TraceId::from(self.trace_id.0);
        let parent = match self.remote_parent {
            Some(parent) => {
                opentelemetry::Context::new().with_remote_span_context(SpanContext::new(
                    trace_id,
                    opentelemetry::trace::SpanId::from(parent.0),
                    match self.sampled {
                        true => TraceFlags::SAMPLED,
                        false => TraceFlags::default(),
                    },
                    true,
                    TraceState::default(),
                ))
            }
            None => opentelemetry::Context::new(),
        };
        sampler
            .should_sample(
                Some(&parent),
                trace_id,
                "wobs run",
                &opentelemetry::trace::SpanKind::Server,
                &[],
                &[],
            )
            .decision
            == opentelemetry_sdk::trace::SamplingDecision::RecordAndSample
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
            sampled: remote.is_sampled(),
        })
    }

    /// The context a recording's spans were made in.
    pub fn of(spans: &SpanSet) -> TraceContext {
        TraceContext {
            trace_id: spans.trace_id,
            root_span_id: spans.root_span_id,
            remote_parent: spans.remote_parent,
            trace_state: spans.trace_state.clone(),
            sampled: true,
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
        assert!(context.sampled);
    }

    #[test]
    fn an_unsampled_traceparent_is_not_recorded_by_default() {
        use opentelemetry_sdk::trace::Sampler;
        let default = Sampler::ParentBased(Box::new(Sampler::AlwaysOn));
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        let context = TraceContext::child_of(parent, None).unwrap();
        assert!(!context.sampled_by(&default));
        assert!(context.sampled_by(&Sampler::AlwaysOn));
        assert!(TraceContext::new().sampled_by(&default));
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

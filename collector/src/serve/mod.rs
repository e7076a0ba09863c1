//! `wobs serve`'s side of the collector: the trace each request joins ([`RequestTraces`]: W3C
//! propagation and the sampler the `OTEL_TRACES_SAMPLER` variables choose), one file per signal:
//! the export of its SERVER span ([`traces`]), the server's [`metrics`], the guest's output as
//! [`logs`], continuous [`profiles`].

pub mod logs;
pub mod metrics;
pub mod profiles;
pub mod traces;

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanKind, TraceContextExt};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SamplingDecision, ShouldSample};
use wobs_events::{RequestTrace, SpanId, TraceId};

/// Decides the trace of each request: the caller's when its `traceparent` is valid, else a new
/// one; sampled as the SDK's sampler for the `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`
/// variables says (default `parentbased_always_on`: a caller's `-00` flag is respected).
#[derive(Debug)]
pub struct RequestTraces {
    sampler: Box<dyn ShouldSample>,
    ids: RandomIdGenerator,
}

impl RequestTraces {
    /// The sampler configured by the environment.
    pub fn from_env() -> RequestTraces {
        RequestTraces {
            sampler: opentelemetry_sdk::trace::Config::default().sampler,
            ids: RandomIdGenerator::default(),
        }
    }

    /// With the given sampler (tests, embedders).
    pub fn with_sampler(sampler: impl ShouldSample + 'static) -> RequestTraces {
        RequestTraces {
            sampler: Box::new(sampler),
            ids: RandomIdGenerator::default(),
        }
    }

    /// A new span id.
    pub fn new_span_id(&self) -> SpanId {
        SpanId(u64::from_be_bytes(self.ids.new_span_id().to_bytes()))
    }

    /// For an outgoing request made while serving a request of `trace`: its CLIENT span's id and
    /// the W3C headers (`traceparent`, `tracestate`) that make the callee's spans its children.
    pub fn outgoing(&self, trace: &RequestTrace) -> (SpanId, Vec<(String, String)>) {
        use opentelemetry::trace::{SpanContext, TraceFlags, TraceState};
        let span_id = self.new_span_id();
        let flags = match trace.sampled {
            true => TraceFlags::SAMPLED,
            false => TraceFlags::default(),
        };
        let state = trace
            .trace_state
            .as_deref()
            .and_then(|s| s.parse::<TraceState>().ok())
            .unwrap_or_default();
        let context = opentelemetry::Context::new().with_remote_span_context(SpanContext::new(
            opentelemetry::trace::TraceId::from(trace.trace_id.0),
            opentelemetry::trace::SpanId::from(span_id.0),
            flags,
            false,
            state,
        ));
        let mut headers = HashMap::new();
        TraceContextPropagator::new().inject_context(&context, &mut headers);
        (span_id, headers.into_iter().collect())
    }

    /// The trace of a request whose `traceparent` and `tracestate` headers are these.
    pub fn decide(
        &self,
        method: &str,
        traceparent: Option<&str>,
        tracestate: Option<&str>,
    ) -> RequestTrace {
        let mut carrier = HashMap::new();
        if let Some(parent) = traceparent {
            carrier.insert("traceparent".to_string(), parent.trim().to_string());
        }
        if let Some(state) = tracestate {
            carrier.insert("tracestate".to_string(), state.to_string());
        }
        let context = TraceContextPropagator::new().extract(&carrier);
        let remote = context.span().span_context().clone();
        let trace_id = match remote.is_valid() {
            true => remote.trace_id(),
            false => self.ids.new_trace_id(),
        };
        let sampled = self
            .sampler
            .should_sample(
                Some(&context),
                trace_id,
                method,
                &SpanKind::Server,
                &[],
                &[],
            )
            .decision
            == SamplingDecision::RecordAndSample;
        let trace_state = remote.trace_state().header();
        RequestTrace {
            trace_id: TraceId(u128::from_be_bytes(trace_id.to_bytes())),
            span_id: self.new_span_id(),
            remote_parent: remote
                .is_valid()
                .then(|| SpanId(u64::from_be_bytes(remote.span_id().to_bytes()))),
            trace_state: (remote.is_valid() && !trace_state.is_empty()).then_some(trace_state),
            sampled,
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_sdk::trace::Sampler;

    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7";

    #[test]
    fn a_callers_trace_is_joined_and_its_sampled_flag_respected() {
        let traces = RequestTraces::with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
        let joined = traces.decide("GET", Some(&format!("{PARENT}-01")), Some("vendor=abc"));
        assert_eq!(
            joined.trace_id.to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(joined.remote_parent, Some(SpanId(0x00f0_67aa_0ba9_02b7)));
        assert_eq!(joined.trace_state.as_deref(), Some("vendor=abc"));
        assert!(joined.sampled && joined.span_id.is_valid());
        let unsampled = traces.decide("GET", Some(&format!("{PARENT}-00")), None);
        assert!(!unsampled.sampled);
        assert_eq!(unsampled.trace_id, joined.trace_id);
        for bad in [None, Some("junk"), Some("00-0-0-01")] {
            let fresh = traces.decide("GET", bad, None);
            assert!(fresh.sampled && fresh.remote_parent.is_none(), "{bad:?}");
            assert_ne!(fresh.trace_id, joined.trace_id);
        }
    }

    #[test]
    fn outgoing_requests_carry_the_trace_under_a_new_span() {
        let traces = RequestTraces::with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
        let request = traces.decide("GET", Some(&format!("{PARENT}-01")), Some("vendor=abc"));
        let (client, headers) = traces.outgoing(&request);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header("traceparent"),
            Some(format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{client}-01"))
        );
        assert_eq!(header("tracestate").as_deref(), Some("vendor=abc"));
        assert!(client.is_valid() && client != request.span_id);
        // The callee joins the same trace as a child of the CLIENT span.
        let callee = traces.decide("GET", header("traceparent").as_deref(), None);
        assert_eq!(
            (callee.trace_id, callee.remote_parent),
            (request.trace_id, Some(client))
        );
    }

    #[test]
    fn a_ratio_sampler_keeps_about_its_share_of_new_traces() {
        let traces = RequestTraces::with_sampler(Sampler::TraceIdRatioBased(0.25));
        let kept = (0..4000)
            .filter(|_| traces.decide("GET", None, None).sampled)
            .count();
        // Binomial(4000, 0.25): mean 1000, standard deviation 27; ±6 σ.
        assert!((840..=1160).contains(&kept), "{kept}");
    }
}

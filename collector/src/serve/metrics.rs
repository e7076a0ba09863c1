//! A server's metrics, as the HTTP semantic conventions name them, through the OpenTelemetry SDK:
//! `http.server.request.duration` (histogram, seconds, by method, status code and error type),
//! `http.server.active_requests`, and wobs's own `wobs.serve.traps` (handlers that failed) and
//! `wobs.serve.instances` (component instances created: one per request).
//!
//! Recording is a few atomic operations per request on the server's threads; the SDK's reader
//! thread aggregates and exports every interval.

use opentelemetry::metrics::{Counter, Histogram, MeterProvider as _, UpDownCounter};
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use wobs_events::RequestRecord;

/// The instruments of one server.
pub struct ServeMetrics {
    provider: SdkMeterProvider,
    duration: Histogram<f64>,
    active: UpDownCounter<i64>,
    traps: Counter<u64>,
    instances: Counter<u64>,
}

/// The semantic conventions' advised bucket boundaries for `http.server.request.duration`.
const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

impl ServeMetrics {
    /// Instruments exported by `provider`.
    pub fn new(provider: SdkMeterProvider) -> ServeMetrics {
        let meter = provider.meter("wobs");
        ServeMetrics {
            duration: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests.")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            active: meter
                .i64_up_down_counter("http.server.active_requests")
                .with_unit("{request}")
                .with_description("Number of active HTTP server requests.")
                .build(),
            traps: meter
                .u64_counter("wobs.serve.traps")
                .with_unit("{request}")
                .with_description("Requests whose handler trapped or set no response.")
                .build(),
            instances: meter
                .u64_counter("wobs.serve.instances")
                .with_unit("{instance}")
                .with_description("Component instances created (one per request).")
                .build(),
            provider,
        }
    }

    /// A request arrived.
    pub fn arrived(&self, method: &str) {
        self.active.add(
            1,
            &[KeyValue::new("http.request.method", method.to_string())],
        );
        self.instances.add(1, &[]);
    }

    /// A request is over.
    pub fn finished(&self, record: &RequestRecord) {
        let method = KeyValue::new("http.request.method", record.method.clone());
        self.active.add(-1, std::slice::from_ref(&method));
        let mut attributes = vec![
            method,
            KeyValue::new("url.scheme", record.scheme.clone()),
            KeyValue::new("http.response.status_code", i64::from(record.status)),
            KeyValue::new("network.protocol.version", record.protocol_version.clone()),
        ];
        if record.failure.is_some() {
            attributes.push(KeyValue::new("error.type", "wasm trap"));
            self.traps.add(1, &[]);
        } else if record.status >= 500 {
            attributes.push(KeyValue::new("error.type", record.status.to_string()));
        }
        let seconds = record.end_unix_ns.saturating_sub(record.start_unix_ns) as f64 / 1e9;
        self.duration.record(seconds, &attributes);
    }

    /// Exports what is left and stops; the first error, if any.
    pub fn shutdown(&self) -> Option<String> {
        self.provider.shutdown().err().map(|e| e.to_string())
    }
}

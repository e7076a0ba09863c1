//! The guest's output as OTLP log records: each line a record carrying the request's trace and
//! span ids (so a Python traceback printed by a failing handler sits next to its trace), stdout at
//! INFO and stderr at WARN, with `wobs.request.id` and the stream's name.
//!
//! Emitting is an allocation and a queue push on the server's thread; the SDK's batch processor
//! exports from its own thread and drops (counting) when its queue is full.

use std::time::SystemTime;

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};
use wobs_events::{OutputStream, RequestTrace};

/// Log records of a server's requests.
pub struct RequestLogs {
    provider: SdkLoggerProvider,
    logger: SdkLogger,
}

impl RequestLogs {
    /// Records exported by `provider`.
    pub fn new(provider: SdkLoggerProvider) -> RequestLogs {
        RequestLogs {
            logger: provider.logger("wobs"),
            provider,
        }
    }

    /// One line the guest wrote while handling request `id`.
    pub fn line(&self, id: u64, trace: &RequestTrace, stream: OutputStream, text: &str) {
        let mut record = self.logger.create_log_record();
        let now = SystemTime::now();
        record.set_timestamp(now);
        record.set_observed_timestamp(now);
        let (severity, name) = match stream {
            OutputStream::Stdout => (Severity::Info, "INFO"),
            OutputStream::Stderr => (Severity::Warn, "WARN"),
        };
        record.set_severity_number(severity);
        record.set_severity_text(name);
        record.set_body(AnyValue::from(text.to_string()));
        record.add_attribute("wobs.request.id", id as i64);
        record.add_attribute("log.iostream", stream.name());
        if trace.sampled {
            record.set_trace_context(
                TraceId::from(trace.trace_id.0),
                SpanId::from(trace.span_id.0),
                Some(TraceFlags::SAMPLED),
            );
        }
        self.logger.emit(record);
    }

    /// Exports what is left and stops; the first error, if any.
    pub fn shutdown(&self) -> Option<String> {
        self.provider.shutdown().err().map(|e| e.to_string())
    }
}

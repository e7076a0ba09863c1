//! OTLP trace export (gRPC and HTTP/protobuf) with the `opentelemetry-otlp` exporter, driven by
//! wobs's own batching so that nothing is lost without being counted.
//!
//! The caller (the span collector thread, or `wobs report`) pushes spans; full batches go to an
//! export thread through a bounded queue. When the network is slower than the guest, batches that
//! do not fit are dropped and counted — the guest never waits. [`OtlpExporter::finish`] sends the
//! root span and waits for the rest at most the configured timeout.

/// Builds an `opentelemetry_otlp` exporter of kind `$kind` (`SpanExporter`, `MetricExporter`,
/// `LogExporter`: each its own builder type) for `$config`'s transport, endpoint and timeout. A
/// gRPC exporter must be built inside a tokio runtime.
macro_rules! otlp_exporter {
    ($kind:ident, $config:expr) => {
        match $config.protocol {
            OtlpProtocol::Grpc => opentelemetry_otlp::$kind::builder()
                .with_tonic()
                .with_endpoint($config.endpoint.clone())
                .with_timeout($config.timeout)
                .build(),
            OtlpProtocol::HttpProtobuf => opentelemetry_otlp::$kind::builder()
                .with_http()
                .with_endpoint($config.endpoint.clone())
                .with_timeout($config.timeout)
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .build(),
        }
    };
}

mod config;
mod convert;
pub mod providers;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use opentelemetry_sdk::Resource;
use wobs_events::{
    ClientRecord, Recording, RequestRecord, RequestTrace, SpanFunction, SpanId, SpanRecord,
};

pub use config::{OtlpConfig, OtlpProtocol, Signal};
use convert::SpanContextParts;

use crate::trace_context::TraceContext;

/// Why export could not start.
#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    /// A setting is unusable.
    #[error("{0}")]
    Config(String),
    /// The exporter could not be built.
    #[error("cannot set up OTLP export to {endpoint}: {reason}")]
    Setup {
        /// Where spans were to go.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
}

/// What happened to the spans, for the one line printed at exit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// Where they went.
    pub endpoint: String,
    /// Accepted by the receiver.
    pub exported: u64,
    /// Dropped because a queue was full (the runtime's span queue or the export queue).
    pub dropped: u64,
    /// Rejected or not delivered (receiver down, error status).
    pub failed: u64,
    /// Still waiting when the export timeout ran out after the guest ended.
    pub unsent: u64,
    /// The first failure's reason.
    pub error: Option<String>,
}

impl std::fmt::Display for ExportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exported {} spans to {} ({} dropped: queue full, {} failed",
            self.exported, self.endpoint, self.dropped, self.failed
        )?;
        if let Some(error) = &self.error {
            write!(f, ": {error}")?;
        }
        if self.unsent > 0 {
            write!(f, "; {} unsent: export timeout reached", self.unsent)?;
        }
        write!(f, ")")
    }
}

#[derive(Default)]
struct Counters {
    exported: AtomicU64,
    failed: AtomicU64,
    error: Mutex<Option<String>>,
}

/// A running export: push spans, then [`finish`](OtlpExporter::finish).
pub struct OtlpExporter {
    config: OtlpConfig,
    parts: SpanContextParts,
    module_names: Vec<String>,
    /// Drop batches when the queue is full (live runs) or wait (re-exporting a recording).
    wait_when_full: bool,
    batch: Vec<SpanData>,
    batch_started: Option<Instant>,
    queue: SyncSender<Vec<SpanData>>,
    counters: Arc<Counters>,
    pushed: u64,
    dropped: u64,
    /// The ids of the spans in dropped batches: samples must not name them.
    dropped_ids: Vec<SpanId>,
    done: Receiver<()>,
}

impl OtlpExporter {
    /// Starts the export thread for spans of `context`; `module_names[i]` names module `i`.
    /// Fails if the exporter cannot be built (e.g. an unusable endpoint URL); an unreachable
    /// receiver is not an error here — its spans are counted as failed.
    pub fn start(
        config: OtlpConfig,
        context: &TraceContext,
        module_names: Vec<String>,
        wait_when_full: bool,
    ) -> Result<OtlpExporter, OtlpError> {
        let (queue, batches) = sync_channel(config.queued_batches.max(1));
        let (done_tx, done) = sync_channel(1);
        let (ready_tx, ready) = sync_channel(1);
        let counters = Arc::new(Counters::default());
        let thread_counters = counters.clone();
        let thread_config = config.clone();
        std::thread::Builder::new()
            .name("wobs-otlp".into())
            .spawn(move || {
                export_thread(thread_config, batches, &thread_counters, ready_tx);
                let _ = done_tx.send(());
            })
            .map_err(|e| setup_error(&config, e))?;
        match ready.recv() {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => {
                return Err(OtlpError::Setup {
                    endpoint: config.endpoint.clone(),
                    reason,
                })
            }
            Err(e) => return Err(setup_error(&config, e)),
        }
        Ok(OtlpExporter {
            parts: SpanContextParts::new(context),
            config,
            module_names,
            wait_when_full,
            batch: Vec::new(),
            batch_started: None,
            queue,
            counters,
            pushed: 0,
            dropped: 0,
            dropped_ids: Vec::new(),
            done,
        })
    }

    /// Adds one call span; sends the batch when full.
    pub fn push(&mut self, span: &SpanRecord, function: &SpanFunction) {
        let module = self
            .module_names
            .get(function.module as usize)
            .map_or("", String::as_str);
        let data = self.parts.call(span, function, module);
        self.push_data(data);
    }

    /// Adds the SERVER span of a request `wobs serve` served; `stacktrace`: its symbolized
    /// trap backtrace, when it trapped; `profile_linked`: profiles label its samples.
    pub fn push_request(
        &mut self,
        record: &RequestRecord,
        stacktrace: Option<String>,
        profile_linked: bool,
    ) {
        let data = self.parts.request(record, stacktrace, profile_linked);
        self.push_data(data);
    }

    /// Adds a span of a guest call inside a request `wobs serve` served, in its trace.
    pub fn push_request_call(
        &mut self,
        trace: &RequestTrace,
        span: &SpanRecord,
        function: &SpanFunction,
    ) {
        let module = self
            .module_names
            .get(function.module as usize)
            .map_or("", String::as_str);
        let data = self.parts.request_call(trace, span, function, module);
        self.push_data(data);
    }

    /// Adds the CLIENT span of an outgoing request a served handler made.
    pub fn push_client(&mut self, record: &ClientRecord) {
        let data = self.parts.client(record);
        self.push_data(data);
    }

    fn push_data(&mut self, data: SpanData) {
        self.batch_started.get_or_insert_with(Instant::now);
        self.batch.push(data);
        self.pushed += 1;
        if self.batch.len() >= self.config.batch_size {
            self.flush();
        }
    }

    /// Sends a partial batch that has waited the batch delay; call this now and then.
    pub fn tick(&mut self) {
        if self
            .batch_started
            .is_some_and(|t| t.elapsed() >= self.config.batch_delay)
        {
            self.flush();
        }
    }

    fn flush(&mut self) {
        self.batch_started = None;
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let unsent = if self.wait_when_full {
            self.queue.send(batch).err().map(|e| e.0)
        } else {
            match self.queue.try_send(batch) {
                Ok(()) => None,
                Err(TrySendError::Full(batch) | TrySendError::Disconnected(batch)) => Some(batch),
            }
        };
        if let Some(batch) = unsent {
            self.dropped += batch.len() as u64;
            self.dropped_ids.extend(
                batch
                    .iter()
                    .map(|span| SpanId(u64::from_be_bytes(span.span_context.span_id().to_bytes()))),
            );
        }
    }

    /// The spans dropped so far because the export queue was full: profile samples taken in
    /// them must lose their span label ([`Recording::drop_span_labels`]).
    pub fn dropped_span_ids(&self) -> &[SpanId] {
        &self.dropped_ids
    }

    /// Sends the root span of `recording` and everything pending, waits for the export thread
    /// at most the configured timeout, and reports. `dropped_before`: spans the runtime could
    /// not queue. `profile_linked`: the run also wrote a pprof file whose samples carry span ids.
    pub fn finish(
        mut self,
        recording: &Recording,
        dropped_before: u64,
        profile_linked: bool,
    ) -> ExportReport {
        let root = self.parts.root(recording, profile_linked);
        self.push_data(root);
        self.close(dropped_before)
    }

    /// Sends everything pending, waits for the export thread at most the configured timeout,
    /// and reports. `dropped_before`: spans dropped before they reached the exporter.
    pub fn close(mut self, dropped_before: u64) -> ExportReport {
        // The last batch waits for room: the guest is done, and the timeout bounds the wait.
        self.wait_when_full = true;
        self.flush();
        let OtlpExporter {
            config,
            queue,
            done,
            counters,
            pushed,
            dropped,
            ..
        } = self;
        drop(queue);
        let _ = done.recv_timeout(config.timeout);
        let exported = counters.exported.load(Ordering::SeqCst);
        let failed = counters.failed.load(Ordering::SeqCst);
        let error = counters.error.lock().ok().and_then(|e| e.clone());
        ExportReport {
            endpoint: config.endpoint,
            exported,
            dropped: dropped + dropped_before,
            failed,
            unsent: pushed.saturating_sub(exported + failed + dropped),
            error,
        }
    }
}

fn setup_error(config: &OtlpConfig, error: impl std::fmt::Display) -> OtlpError {
    OtlpError::Setup {
        endpoint: config.endpoint.clone(),
        reason: error.to_string(),
    }
}

/// Builds the exporter and sends batches until the queue closes. gRPC (tonic) needs a tokio
/// runtime for the exporter's whole life; the HTTP exporter uses a blocking client, which must not
/// run inside one.
fn export_thread(
    config: OtlpConfig,
    batches: Receiver<Vec<SpanData>>,
    counters: &Counters,
    ready: SyncSender<Result<(), String>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let built = {
        let _inside = (config.protocol == OtlpProtocol::Grpc).then(|| runtime.enter());
        otlp_exporter!(SpanExporter, config)
    };
    let mut exporter = match built {
        Ok(exporter) => exporter,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    exporter.set_resource(&resource(&config));
    let _ = ready.send(Ok(()));
    loop {
        let batch = match batches.recv_timeout(Duration::from_secs(3600)) {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let size = batch.len() as u64;
        let result = match config.protocol {
            OtlpProtocol::Grpc => runtime.block_on(exporter.export(batch)),
            OtlpProtocol::HttpProtobuf => futures_executor::block_on(exporter.export(batch)),
        };
        match result {
            Ok(()) => counters.exported.fetch_add(size, Ordering::SeqCst),
            Err(e) => {
                if let Ok(mut first) = counters.error.lock() {
                    first.get_or_insert_with(|| {
                        e.to_string()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                    });
                }
                counters.failed.fetch_add(size, Ordering::SeqCst)
            }
        };
    }
}

/// The resource: the SDK's (`telemetry.sdk.*`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`),
/// the runtime, and the module's name as the service unless the environment named one.
pub(crate) fn resource(config: &OtlpConfig) -> Resource {
    let named_by_env = std::env::var("OTEL_SERVICE_NAME").is_ok_and(|v| !v.trim().is_empty())
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|v| {
            v.split(',')
                .any(|kv| kv.trim().starts_with("service.name="))
        });
    let mut builder = Resource::builder().with_attributes([
        opentelemetry::KeyValue::new("process.runtime.name", "wasmtime"),
        opentelemetry::KeyValue::new("process.runtime.version", wobs_events::WASMTIME_VERSION),
    ]);
    if !named_by_env {
        builder = builder.with_service_name(config.service_name.clone());
    }
    builder.build()
}

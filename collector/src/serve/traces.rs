//! Request spans leave the server's worker threads through a bounded queue (a full queue drops
//! the span and counts it: a slow collector never slows a response) to one export thread that
//! symbolizes trap backtraces and batches spans for OTLP.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use wobs_events::{ClientRecord, RequestFailure, RequestRecord};

use crate::export::otlp::{ExportReport, OtlpExporter};
use crate::spans::{FunctionTable, SpanNaming};

/// How often the export thread looks for a partial batch that has waited long enough.
const TICK: Duration = Duration::from_millis(100);

/// A span to export: a served request's, or an outgoing request's.
enum Exported {
    Server(Box<RequestRecord>),
    Client(Box<ClientRecord>),
}

/// The running export of request spans.
pub struct RequestSpanExport {
    queue: SyncSender<Exported>,
    dropped: Arc<AtomicU64>,
    thread: JoinHandle<ExportReport>,
}

impl RequestSpanExport {
    /// Starts the export thread; `stacktrace` renders a failed handler's backtrace;
    /// `profile_linked`: profiles label each request's samples with its span id; `naming` names
    /// the guest's functions in requests' spans (called on the export thread when the first
    /// request with such spans comes; it may wait for symbols).
    pub fn start(
        exporter: OtlpExporter,
        capacity: usize,
        profile_linked: bool,
        stacktrace: impl Fn(&RequestFailure) -> Option<String> + Send + 'static,
        naming: impl FnOnce() -> Vec<SpanNaming> + Send + 'static,
    ) -> std::io::Result<RequestSpanExport> {
        let (queue, records) = sync_channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let thread = std::thread::Builder::new()
            .name("wobs-request-spans".into())
            .spawn(move || {
                let parts = ExportParts {
                    profile_linked,
                    stacktrace,
                    naming: Some(naming),
                    names: None,
                };
                export(exporter, &records, parts)
            })?;
        Ok(RequestSpanExport {
            queue,
            dropped,
            thread,
        })
    }

    /// Queues a finished request's span; never waits.
    pub fn record(&self, record: RequestRecord) {
        if record.trace.sampled {
            self.queue_span(Exported::Server(Box::new(record)));
        }
    }

    /// Queues an outgoing request's span; never waits.
    pub fn record_client(&self, record: ClientRecord) {
        if record.trace.sampled {
            self.queue_span(Exported::Client(Box::new(record)));
        }
    }

    fn queue_span(&self, span: Exported) {
        match self.queue.try_send(span) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Sends what is queued and reports (waiting at most the exporter's timeout).
    pub fn finish(self) -> ExportReport {
        let RequestSpanExport {
            queue,
            dropped,
            thread,
        } = self;
        drop(queue);
        let mut report = thread.join().unwrap_or_default();
        report.dropped += dropped.load(Ordering::Relaxed);
        report
    }
}

/// What the export thread needs besides the exporter.
struct ExportParts<S, N> {
    profile_linked: bool,
    stacktrace: S,
    /// Names the guest's functions; taken when first needed.
    naming: Option<N>,
    names: Option<FunctionTable>,
}

impl<S, N> ExportParts<S, N>
where
    S: Fn(&RequestFailure) -> Option<String>,
    N: FnOnce() -> Vec<SpanNaming>,
{
    /// A request's SERVER span, then the spans of the guest's calls inside it.
    fn push(&mut self, exporter: &mut OtlpExporter, mut record: RequestRecord) {
        let trace = record.failure.as_ref().and_then(&self.stacktrace);
        exporter.push_request(&record, trace, self.profile_linked);
        let Some(calls) = record.calls.as_mut().filter(|c| !c.spans.is_empty()) else {
            return;
        };
        let names = self.names.get_or_insert_with(|| {
            FunctionTable::new(
                self.naming
                    .take()
                    .map(|naming| naming())
                    .unwrap_or_default(),
            )
        });
        for raw in std::mem::take(&mut calls.spans) {
            let span = names.record(raw);
            if let Some(function) = names.functions.get(span.function as usize) {
                exporter.push_request_call(&record.trace, &span, function);
            }
        }
    }
}

fn export(
    mut exporter: OtlpExporter,
    records: &Receiver<Exported>,
    mut parts: ExportParts<
        impl Fn(&RequestFailure) -> Option<String>,
        impl FnOnce() -> Vec<SpanNaming>,
    >,
) -> ExportReport {
    loop {
        match records.recv_timeout(TICK) {
            Ok(Exported::Server(record)) => parts.push(&mut exporter, *record),
            Ok(Exported::Client(record)) => exporter.push_client(&record),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        exporter.tick();
    }
    exporter.close(0)
}

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

/// How often the export thread looks for a partial batch that has waited long enough.
const TICK: Duration = Duration::from_millis(100);

/// A span to export: a served request's, or an outgoing request's.
enum Exported {
    Server(RequestRecord),
    Client(ClientRecord),
}

/// The running export of request spans.
pub struct RequestSpanExport {
    queue: SyncSender<Exported>,
    dropped: Arc<AtomicU64>,
    thread: JoinHandle<ExportReport>,
}

impl RequestSpanExport {
    /// Starts the export thread; `stacktrace` renders a failed handler's backtrace;
    /// `profile_linked`: profiles label each request's samples with its span id.
    pub fn start(
        exporter: OtlpExporter,
        capacity: usize,
        profile_linked: bool,
        stacktrace: impl Fn(&RequestFailure) -> Option<String> + Send + 'static,
    ) -> std::io::Result<RequestSpanExport> {
        let (queue, records) = sync_channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let thread = std::thread::Builder::new()
            .name("wobs-request-spans".into())
            .spawn(move || export(exporter, &records, profile_linked, stacktrace))?;
        Ok(RequestSpanExport {
            queue,
            dropped,
            thread,
        })
    }

    /// Queues a finished request's span; never waits.
    pub fn record(&self, record: RequestRecord) {
        if record.trace.sampled {
            self.queue_span(Exported::Server(record));
        }
    }

    /// Queues an outgoing request's span; never waits.
    pub fn record_client(&self, record: ClientRecord) {
        if record.trace.sampled {
            self.queue_span(Exported::Client(record));
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

fn export(
    mut exporter: OtlpExporter,
    records: &Receiver<Exported>,
    profile_linked: bool,
    stacktrace: impl Fn(&RequestFailure) -> Option<String>,
) -> ExportReport {
    loop {
        match records.recv_timeout(TICK) {
            Ok(Exported::Server(record)) => {
                let trace = record.failure.as_ref().and_then(&stacktrace);
                exporter.push_request(&record, trace, profile_linked);
            }
            Ok(Exported::Client(record)) => exporter.push_client(&record),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        exporter.tick();
    }
    exporter.close(0)
}

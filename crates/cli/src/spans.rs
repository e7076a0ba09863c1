//! Spans for `run` and `report`: the OTLP flags, starting the span collector next to the guest,
//! and the one line that says what reached the collector.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use wobs_collector::export::otlp::{OtlpConfig, OtlpExporter};
use wobs_collector::spans::{SpanCollector, SpanNaming};
use wobs_collector::TraceContext;
use wobs_events::{ProbeMap, Recording, SpanSet};
use wobs_runtime::{RunResult, SpanOptions};

/// Spans the runtime may queue before the collector thread takes them; beyond, spans are dropped
/// and counted (~100 bytes each: 6.5 MB).
const SPAN_QUEUE: usize = 65_536;

/// Export spans over OTLP (configured by the standard `OTEL_*` variables).
#[derive(Args, Debug, Clone)]
pub struct OtlpFlags {
    /// Export the run as a trace over OTLP (implies `--trace` for a module without probes).
    /// Configured by `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`,
    /// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_SERVICE_NAME`,
    /// `OTEL_RESOURCE_ATTRIBUTES`; `TRACEPARENT` makes the run a child of that span.
    #[arg(long)]
    pub otlp: bool,

    /// OTLP endpoint (base URL, like `OTEL_EXPORTER_OTLP_ENDPOINT`; overrides it). Implies --otlp.
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,

    /// `grpc` or `http/protobuf` (overrides `OTEL_EXPORTER_OTLP_PROTOCOL`). Implies --otlp.
    #[arg(long, value_name = "PROTOCOL")]
    pub otlp_protocol: Option<String>,
}

impl OtlpFlags {
    /// Whether spans go to OTLP.
    pub fn enabled(&self) -> bool {
        self.otlp || self.otlp_endpoint.is_some() || self.otlp_protocol.is_some()
    }

    /// Starts an exporter for spans of `context` when asked to.
    pub fn exporter(
        &self,
        context: &TraceContext,
        service_name: &str,
        module_names: Vec<String>,
        wait_when_full: bool,
    ) -> anyhow::Result<Option<OtlpExporter>> {
        if !self.enabled() {
            return Ok(None);
        }
        let config = OtlpConfig::from_env(
            self.otlp_endpoint.as_deref(),
            self.otlp_protocol.as_deref(),
            service_name,
        )?;
        Ok(Some(OtlpExporter::start(
            config,
            context,
            module_names,
            wait_when_full,
        )?))
    }
}

/// The spans of a run in progress.
pub(crate) struct RunSpans {
    collector: SpanCollector,
}

impl RunSpans {
    /// Starts the span collector for a run whose modules have `probes`; `naming` gives what names
    /// the spans (it may wait for symbols). Returns the options the runtime emits spans with.
    pub(crate) fn start(
        context: &TraceContext,
        min_duration: Duration,
        max_recorded: usize,
        exporter: Option<OtlpExporter>,
        naming: impl FnOnce() -> Vec<SpanNaming> + Send + 'static,
    ) -> anyhow::Result<(SpanOptions, RunSpans)> {
        let (options, receiver) =
            SpanOptions::channel(min_duration, context.root_span_id, SPAN_QUEUE);
        let collector = SpanCollector::start(
            receiver,
            context,
            min_duration,
            max_recorded,
            naming,
            exporter,
        )?;
        Ok((options, RunSpans { collector }))
    }

    /// After the run: the recording's span set and the exporter, which still has the root span
    /// to send.
    pub(crate) fn finish(self, result: &RunResult) -> (SpanSet, Option<OtlpExporter>) {
        let (mut set, exporter) = self.collector.finish();
        set.root_start_unix_ns = result.start_unix_ns;
        set.root_end_unix_ns = result.start_unix_ns + result.duration.as_nanos() as u64;
        set.dropped = result.trace.as_ref().map_or(0, |t| t.spans_dropped);
        if let Some(root) = &result.spans {
            set.root_filtered_calls = root.root_filtered_calls;
            set.root_memory_grows = root.root_memory_grows.clone();
            set.unlabelled_samples = root.unlabelled_samples;
        }
        (set, exporter)
    }
}

/// Sends the root span and waits for the export; prints the one-line account.
pub(crate) fn finish_export(exporter: OtlpExporter, recording: &Recording, profile_linked: bool) {
    let dropped = recording.spans.as_ref().map_or(0, |s| s.dropped);
    let report = exporter.finish(recording, dropped, profile_linked);
    eprintln!("wobs: {report}");
    let unlabelled = recording.spans.as_ref().map_or(0, |s| s.unlabelled_samples);
    if profile_linked && unlabelled > 0 {
        eprintln!(
            "wobs: {unlabelled} profile samples carry no span label: their spans were dropped"
        );
    }
}

/// What names each module's spans: its probes, and symbols once they are ready.
pub(crate) fn naming(
    probes: Vec<Option<Arc<ProbeMap>>>,
    instrumented_ahead: Vec<bool>,
    symbols: Vec<Option<wobs_symbolize::SharedSymbols>>,
) -> Vec<SpanNaming> {
    probes
        .into_iter()
        .zip(instrumented_ahead)
        .zip(symbols.into_iter().chain(std::iter::repeat(None)))
        .map(|((probes, ahead), symbols)| SpanNaming {
            probes,
            symbols,
            symbols_of_instrumented: ahead,
        })
        .collect()
}

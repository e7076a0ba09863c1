//! `wobs serve`: serve a `wasi:http/proxy` component as `wasmtime serve` does, with a trace per
//! request.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use wobs_collector::export::otlp::providers::{logger_provider, meter_provider};
use wobs_collector::export::otlp::{ExportReport, OtlpConfig, OtlpExporter, Signal};
use wobs_collector::export::render_backtrace;
use wobs_collector::serve::logs::RequestLogs;
use wobs_collector::serve::metrics::ServeMetrics;
use wobs_collector::serve::traces::RequestSpanExport;
use wobs_collector::serve::RequestTraces;
use wobs_collector::{symbolize_backtrace, TraceContext};
use wobs_events::{ModuleInfo, OutputStream, RequestFailure, RequestRecord, RequestTrace};
use wobs_runtime::{CompiledGuest, Engine, EngineOptions, RequestObserver, ServeOptions};
use wobs_symbolize::ModuleSymbols;

use crate::deferred::Deferred;
use crate::flags::{parse_duration, GuestFlags};
use crate::guest::{read_symbols, run_options, LoadedGuest, ModuleSymbolsList};
use crate::spans::OtlpFlags;

/// Request spans that may wait for the export thread; beyond, they are dropped and counted.
const REQUEST_SPAN_QUEUE: usize = 65_536;

/// Serve a wasi:http/proxy component (as `wasmtime serve`), with a trace per request.
#[derive(Args, Debug)]
pub struct ServeCommand {
    #[command(flatten)]
    guest: GuestFlags,

    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = "0.0.0.0:8080")]
    addr: SocketAddr,

    /// After SIGINT or SIGTERM, how long requests in flight may take to finish.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    shutdown_timeout: Duration,

    /// Print the guest's output without the `stdout [ID] :: ` request prefix.
    #[arg(long)]
    no_logging_prefix: bool,

    #[command(flatten)]
    otlp: OtlpFlags,

    /// The wasi:http/proxy component.
    #[arg(value_name = "WASM")]
    component: PathBuf,
}

impl ServeCommand {
    /// Serves until SIGINT or SIGTERM; exits 0 once requests in flight are done and every span
    /// is flushed.
    pub fn execute(self) -> anyhow::Result<i32> {
        if self.guest.invoke.is_some() || !self.guest.preloads.is_empty() {
            anyhow::bail!("--invoke and --preload do not apply to `wobs serve`");
        }
        if self.guest.timeout.is_some() {
            anyhow::bail!("--timeout does not apply to `wobs serve`: it bounds a whole run");
        }
        let guest = LoadedGuest::load(&self.guest, &self.component)?;
        let LoadedGuest::Component(component) = &guest else {
            anyhow::bail!(
                "{}: a core module; `wobs serve` serves a wasi:http/proxy component \
                 (`wobs run` runs a module)",
                self.component.display()
            );
        };
        let units = guest.units();
        let modules: Vec<ModuleInfo> = units.iter().map(|u| u.info.clone()).collect();
        let symbols = read_symbols(&units);

        let mut engine_options = EngineOptions::default();
        engine_options.cache_dir = self.guest.cache_dir();
        engine_options.no_epoch_checks = true;
        let engine = Engine::new(&engine_options)?;
        let CompiledGuest::Component(compiled) = component.compile(&engine)? else {
            anyhow::bail!("{}: not a component", self.component.display());
        };

        let service = guest.file().info.name.clone();
        // `--otlp` exports every signal, except those the standard `OTEL_*_EXPORTER=none` turn off
        // (a backend such as Jaeger or Tempo takes traces only).
        let wanted = |signal: &str| {
            self.otlp.enabled()
                && std::env::var(format!("OTEL_{signal}_EXPORTER"))
                    .map_or(true, |v| v.trim() != "none")
        };
        let observer = Arc::new(Observer {
            traces: RequestTraces::from_env(),
            spans: match wanted("TRACES") {
                true => Some(self.span_export(&service, symbols, modules)?),
                false => None,
            },
            metrics: match wanted("METRICS") {
                true => Some(ServeMetrics::new(meter_provider(
                    &self.otlp_config(Signal::Metrics, &service)?,
                    metric_interval()?,
                )?)),
                false => None,
            },
            logs: match wanted("LOGS") {
                true => Some(RequestLogs::new(logger_provider(
                    &self.otlp_config(Signal::Logs, &service)?,
                )?)),
                false => None,
            },
        });
        let mut options = ServeOptions::default();
        options.guest = run_options(&self.guest, guest.file(), &[])?;
        options.addr = self.addr;
        options.shutdown_timeout = self.shutdown_timeout;
        options.log_prefix = !self.no_logging_prefix;
        let report = wobs_runtime::serve(&engine, &compiled, &options, observer.clone())?;

        eprintln!(
            "wobs: served {} requests{}",
            report.requests,
            match report.abandoned {
                0 => String::new(),
                n => format!(" ({n} still running at the shutdown timeout were cut off)"),
            }
        );
        if let Ok(observer) = Arc::try_unwrap(observer) {
            observer.finish();
        }
        Ok(0)
    }

    /// Where `signal` goes: the `--otlp-*` flags, then the `OTEL_*` variables.
    fn otlp_config(&self, signal: Signal, service: &str) -> anyhow::Result<OtlpConfig> {
        Ok(OtlpConfig::from_env_for(
            signal,
            self.otlp.otlp_endpoint.as_deref(),
            self.otlp.otlp_protocol.as_deref(),
            service,
        )?)
    }

    /// The export of request spans, with trap backtraces symbolized by the units' own symbols.
    fn span_export(
        &self,
        service: &str,
        symbols: Deferred<ModuleSymbolsList>,
        modules: Vec<ModuleInfo>,
    ) -> anyhow::Result<RequestSpanExport> {
        let config = self.otlp_config(Signal::Traces, service)?;
        let names = modules.iter().map(|m| m.name.clone()).collect();
        let exporter = OtlpExporter::start(config, &TraceContext::new(), names, false)?;
        let stacktrace = move |failure: &RequestFailure| {
            (!failure.backtrace.is_empty()).then(|| stacktrace(failure, &symbols, &modules))
        };
        Ok(RequestSpanExport::start(
            exporter,
            REQUEST_SPAN_QUEUE,
            stacktrace,
        )?)
    }
}

/// A failed handler's backtrace as wasmtime prints one, each unit's frames named by its symbols.
fn stacktrace(
    failure: &RequestFailure,
    symbols: &Deferred<ModuleSymbolsList>,
    modules: &[ModuleInfo],
) -> String {
    let shared: Vec<_> = symbols
        .get()
        .map(|list| list.iter().map(|(s, _)| s.clone()).collect())
        .unwrap_or_default();
    let guards: Vec<_> = shared
        .iter()
        .map(|s| s.as_ref().and_then(|s| s.lock().ok()))
        .collect();
    let refs: Vec<Option<&ModuleSymbols>> = guards.iter().map(|g| g.as_deref()).collect();
    render_backtrace(&symbolize_backtrace(&failure.backtrace, &refs), modules)
}

/// `OTEL_METRIC_EXPORT_INTERVAL` (ms; the specification's default is 60 s).
fn metric_interval() -> anyhow::Result<Duration> {
    match std::env::var("OTEL_METRIC_EXPORT_INTERVAL") {
        Ok(ms) if !ms.trim().is_empty() => {
            let ms: u64 = ms.trim().parse().map_err(|_| {
                anyhow::anyhow!("OTEL_METRIC_EXPORT_INTERVAL {ms:?} is not milliseconds")
            })?;
            Ok(Duration::from_millis(ms.max(1)))
        }
        _ => Ok(Duration::from_secs(60)),
    }
}

/// What the server tells the collector: each request's trace, span, metrics and output lines.
struct Observer {
    traces: RequestTraces,
    spans: Option<RequestSpanExport>,
    metrics: Option<ServeMetrics>,
    logs: Option<RequestLogs>,
}

impl Observer {
    /// Flushes every signal and says what reached the collector.
    fn finish(self) {
        if let Some(export) = self.spans {
            let report: ExportReport = export.finish();
            eprintln!("wobs: {report}");
        }
        let failures = [
            ("metrics", self.metrics.and_then(|m| m.shutdown())),
            ("logs", self.logs.and_then(|l| l.shutdown())),
        ];
        for (signal, failure) in failures {
            if let Some(failure) = failure {
                let failure = wobs_runtime::one_line(&failure);
                eprintln!("wobs: warning: exporting {signal} failed: {failure}");
            }
        }
    }
}

impl RequestObserver for Observer {
    fn listening(&self, addr: SocketAddr) {
        eprintln!("Serving HTTP on http://{addr}/");
    }

    fn arrived(&self, method: &str, headers: &http::HeaderMap) -> RequestTrace {
        if let Some(metrics) = &self.metrics {
            metrics.arrived(method);
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        self.traces
            .decide(method, header("traceparent"), header("tracestate"))
    }

    fn output(&self, id: u64, trace: &RequestTrace, stream: OutputStream, line: &str) {
        if let Some(logs) = &self.logs {
            logs.line(id, trace, stream, line);
        }
    }

    fn finished(&self, record: RequestRecord) {
        if let Some(metrics) = &self.metrics {
            metrics.finished(&record);
        }
        if let Some(spans) = &self.spans {
            spans.record(record);
        }
    }
}

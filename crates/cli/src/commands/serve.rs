//! `wobs serve`: serve a `wasi:http/proxy` component as `wasmtime serve` does, with a trace per
//! request.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use wobs_collector::export::otlp::{ExportReport, OtlpConfig, OtlpExporter};
use wobs_collector::export::render_backtrace;
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

        let spans = match self.otlp.enabled() {
            true => Some(self.span_export(&guest, symbols, modules)?),
            false => None,
        };
        let observer = Arc::new(Observer {
            traces: RequestTraces::from_env(),
            spans,
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
        let observer = Arc::try_unwrap(observer).ok();
        if let Some(export) = observer.and_then(|o| o.spans) {
            let report: ExportReport = export.finish();
            eprintln!("wobs: {report}");
        }
        Ok(0)
    }

    /// The export of request spans, with trap backtraces symbolized by the units' own symbols.
    fn span_export(
        &self,
        guest: &LoadedGuest,
        symbols: Deferred<ModuleSymbolsList>,
        modules: Vec<ModuleInfo>,
    ) -> anyhow::Result<RequestSpanExport> {
        let service = guest.file().info.name.clone();
        let config = OtlpConfig::from_env(
            self.otlp.otlp_endpoint.as_deref(),
            self.otlp.otlp_protocol.as_deref(),
            &service,
        )?;
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

/// What the server tells the collector.
struct Observer {
    traces: RequestTraces,
    spans: Option<RequestSpanExport>,
}

impl RequestObserver for Observer {
    fn listening(&self, addr: SocketAddr) {
        eprintln!("Serving HTTP on http://{addr}/");
    }

    fn arrived(&self, method: &str, headers: &http::HeaderMap) -> RequestTrace {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        self.traces
            .decide(method, header("traceparent"), header("tracestate"))
    }

    fn output(&self, _id: u64, _trace: &RequestTrace, _stream: OutputStream, _line: &str) {}

    fn finished(&self, record: RequestRecord) {
        if let Some(spans) = &self.spans {
            spans.record(record);
        }
    }
}

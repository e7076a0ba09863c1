//! `wobs serve`: serve a `wasi:http/proxy` component as `wasmtime serve` does, with a trace per
//! request.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use wobs_collector::export::otlp::providers::{logger_provider, meter_provider};
use wobs_collector::export::otlp::{ExportReport, OtlpConfig, OtlpExporter, Signal};
use wobs_collector::export::render_backtrace;
use wobs_collector::serve::logs::RequestLogs;
use wobs_collector::serve::metrics::ServeMetrics;
use wobs_collector::serve::profiles::{PeriodProfile, ProfileOptions, ServeProfiles};
use wobs_collector::serve::traces::RequestSpanExport;
use wobs_collector::serve::RequestTraces;
use wobs_collector::{symbolize_backtrace, TraceContext};
use wobs_events::{
    ClientRecord, ModuleInfo, OutputStream, ProbeMap, RequestFailure, RequestRecord, RequestTrace,
    SpanId,
};
use wobs_runtime::{CompiledGuest, Engine, EngineOptions, RequestObserver, ServeOptions};
use wobs_symbolize::ModuleSymbols;

use crate::deferred::Deferred;
use crate::flags::{parse_duration, GuestFlags};
use crate::guest::{read_symbols, run_options, LoadedGuest, ModuleSymbolsList};
use crate::spans::{naming, OtlpFlags};
use crate::write::write_atomic;

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

    /// End a request still running after this long with 504 (turns on epoch checks: a few
    /// percent of guest speed).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    request_timeout: Option<Duration>,

    /// Write a gzipped pprof of every request's samples here every `--profile-period` and at
    /// shutdown (samples labelled `span_id`; turns on sampling at epoch checks).
    #[arg(long, value_name = "DIR")]
    profile_dir: Option<PathBuf>,

    /// Push the same profiles to Grafana Pyroscope (its `/ingest` API, pprof), e.g.
    /// `http://localhost:4040`.
    #[arg(long, value_name = "URL")]
    pyroscope: Option<String>,

    /// Length of each profile.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    profile_period: Duration,

    /// Sampling interval of the profiles.
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_duration)]
    interval: Duration,

    /// With `--otlp`: calls of the guest's functions lasting at least this become spans under
    /// their request's span (the component is instrumented in memory with counted probes;
    /// functions that prove shorter stop being timed, in every later request too).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    span_min: Option<Duration>,

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
        let profiling = self.profile_dir.is_some() || self.pyroscope.is_some();
        if self.span_min.is_some() && profiling {
            anyhow::bail!(
                "--span-min with --profile-dir or --pyroscope is not supported yet (the profiles' \
                 samples would be taken in the instrumented code)"
            );
        }
        let guest = LoadedGuest::load(&self.guest, &self.component)?;
        let guest = match self.span_min {
            Some(span_min) => {
                if !self.otlp.enabled() {
                    anyhow::bail!("--span-min makes spans for OTLP: add --otlp");
                }
                // Counted probes, as `run --otlp` uses: calls are counted in the component and
                // only timed ones call the host (a component's host call costs hundreds of ns).
                // The instrumenter's default, ABI v1, called the host on every call.
                // Requests' counts are never read: the calls-so-far counter is all spans need.
                let mut options = wobs_instrument::Options::default();
                options.abi = wobs_events::ProbeAbi::Counted;
                options.time_leaves = span_min.is_zero();
                options.per_function_counts = false;
                guest.instrumented(&options, self.guest.instrument_cache_dir().as_deref())?
            }
            None => guest,
        };
        let LoadedGuest::Component(component) = &guest else {
            anyhow::bail!(
                "{}: a core module; `wobs serve` serves a wasi:http/proxy component \
                 (`wobs run` runs a module)",
                self.component.display()
            );
        };
        let units = guest.units();
        let modules: Vec<ModuleInfo> = units.iter().map(|u| u.info.clone()).collect();
        let symbols = Arc::new(read_symbols(&units));

        if profiling && self.interval.is_zero() {
            anyhow::bail!("--interval 0 takes no samples: profiles need an interval");
        }
        if let Some(dir) = &self.profile_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create --profile-dir {}", dir.display()))?;
        }
        let mut engine_options = EngineOptions::default();
        engine_options.cache_dir = self.guest.cache_dir();
        // Samples and timeouts happen at epoch checks; without them the code has none.
        engine_options.no_epoch_checks = !profiling && self.request_timeout.is_none();
        let engine = Engine::new(&engine_options)?;
        let CompiledGuest::Component(compiled) = component.compile(&engine)? else {
            anyhow::bail!("{}: not a component", self.component.display());
        };

        let service = guest.file().info.name.clone();
        let profiles = match profiling {
            true => Some(self.profiles(&service, &symbols, modules.clone())?),
            false => None,
        };
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
                true => Some(self.span_export(
                    &service,
                    symbols.clone(),
                    modules.clone(),
                    CompiledGuest::Component(compiled.clone()).probes(),
                )?),
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
            profiles,
        });
        let mut options = ServeOptions::default();
        options.guest = run_options(&self.guest, guest.file(), &[])?;
        options.addr = self.addr;
        options.shutdown_timeout = self.shutdown_timeout;
        options.log_prefix = !self.no_logging_prefix;
        options.sample_interval = profiling.then_some(self.interval);
        options.request_timeout = self.request_timeout;
        options.span_min = self.span_min;
        if let (Some(span_min), Some(throttle)) = (self.span_min, &mut options.guest.throttle) {
            throttle.below = span_min.as_nanos().min(u128::from(u64::MAX)) as u64;
        }
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

    /// Profiles per period, written to `--profile-dir` and pushed to `--pyroscope`.
    fn profiles(
        &self,
        service: &str,
        symbols: &Arc<Deferred<ModuleSymbolsList>>,
        modules: Vec<ModuleInfo>,
    ) -> anyhow::Result<ServeProfiles> {
        let options = ProfileOptions::new(self.profile_period, self.interval, modules);
        let symbols = symbols.clone();
        let shared = move || {
            symbols
                .get()
                .map(|list| list.iter().map(|(s, _)| s.clone()).collect())
                .unwrap_or_default()
        };
        let dir = self.profile_dir.clone();
        let pyroscope = self
            .pyroscope
            .as_deref()
            .map(|url| Pyroscope::new(url, service));
        let sink = move |profile: PeriodProfile| {
            if let Some(dir) = &dir {
                let name = format!("profile-{}.pb.gz", profile.start_unix_ns / 1_000_000);
                if let Err(e) = write_atomic(&dir.join(&name), &profile.pprof) {
                    eprintln!("wobs: warning: cannot write {name}: {e:#}");
                }
            }
            if let Some(pyroscope) = &pyroscope {
                pyroscope.push(&profile);
            }
        };
        Ok(ServeProfiles::start(options, shared, sink)?)
    }

    /// The export of request spans, with trap backtraces symbolized by the units' own symbols
    /// and the guest's calls named by `probes` (the units' probe maps, when instrumented).
    fn span_export(
        &self,
        service: &str,
        symbols: Arc<Deferred<ModuleSymbolsList>>,
        modules: Vec<ModuleInfo>,
        probes: Vec<Option<Arc<ProbeMap>>>,
    ) -> anyhow::Result<RequestSpanExport> {
        let config = self.otlp_config(Signal::Traces, service)?;
        let names = modules.iter().map(|m| m.name.clone()).collect();
        let exporter = OtlpExporter::start(config, &TraceContext::new(), names, false)?;
        let naming = {
            let symbols = symbols.clone();
            move || {
                let shared = symbols
                    .get()
                    .map(|list| list.iter().map(|(s, _)| s.clone()).collect())
                    .unwrap_or_default();
                let ahead = vec![false; probes.len()];
                naming(probes, ahead, shared)
            }
        };
        let stacktrace = move |failure: &RequestFailure| {
            (!failure.backtrace.is_empty()).then(|| stacktrace(failure, &symbols, &modules))
        };
        let profile_linked = self.profile_dir.is_some() || self.pyroscope.is_some();
        Ok(RequestSpanExport::start(
            exporter,
            REQUEST_SPAN_QUEUE,
            profile_linked,
            stacktrace,
            naming,
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

/// Pushes profiles to Grafana Pyroscope's `/ingest` (pprof as the raw body).
struct Pyroscope {
    client: reqwest::blocking::Client,
    url: String,
    service: String,
}

impl Pyroscope {
    fn new(url: &str, service: &str) -> Pyroscope {
        Pyroscope {
            client: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            url: format!("{}/ingest", url.trim_end_matches('/')),
            service: service.to_string(),
        }
    }

    /// One profile; a failure is a warning (the server goes on).
    fn push(&self, profile: &PeriodProfile) {
        let seconds = |ns: u64| (ns / 1_000_000_000).to_string();
        let url = reqwest::Url::parse_with_params(
            &self.url,
            [
                ("name", self.service.as_str()),
                ("from", &seconds(profile.start_unix_ns)),
                ("until", &seconds(profile.end_unix_ns)),
                ("format", "pprof"),
                ("spyName", "wobs"),
            ],
        );
        let sent = match url {
            Ok(url) => self
                .client
                .post(url)
                .body(profile.pprof.clone())
                .send()
                .and_then(reqwest::blocking::Response::error_for_status)
                .map(drop)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = sent {
            eprintln!(
                "wobs: warning: pushing a profile to {} failed: {e}",
                self.url
            );
        }
    }
}

/// What the server tells the collector: each request's trace, span, metrics, output lines and
/// samples.
struct Observer {
    traces: RequestTraces,
    spans: Option<RequestSpanExport>,
    metrics: Option<ServeMetrics>,
    logs: Option<RequestLogs>,
    profiles: Option<ServeProfiles>,
}

impl Observer {
    /// Flushes every signal and says what reached the collector.
    fn finish(self) {
        if let Some(profiles) = self.profiles {
            let (profiled, dropped) = profiles.finish();
            eprintln!("wobs: profiled {profiled} samples ({dropped} dropped: queue full)");
        }
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

    fn outgoing(&self, trace: &RequestTrace) -> (SpanId, Vec<(String, String)>) {
        self.traces.outgoing(trace)
    }

    fn sent(&self, record: ClientRecord) {
        if let Some(spans) = &self.spans {
            spans.record_client(record);
        }
    }

    fn output(&self, id: u64, trace: &RequestTrace, stream: OutputStream, line: &str) {
        if let Some(logs) = &self.logs {
            logs.line(id, trace, stream, line);
        }
    }

    fn finished(&self, mut record: RequestRecord) {
        if let Some(metrics) = &self.metrics {
            metrics.finished(&record);
        }
        if let Some(profiles) = &self.profiles {
            let samples = std::mem::take(&mut record.samples);
            // An unsampled request's span is not exported: its samples carry no label.
            let span = match record.trace.sampled {
                true => record.trace.span_id,
                false => Default::default(),
            };
            profiles.record(span, samples);
        }
        if let Some(spans) = &self.spans {
            spans.record(record);
        }
    }
}

//! `wobs run`: run a WASI program and profile it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use wobs_collector::spans::MAX_RECORDED_SPANS;
use wobs_collector::TraceContext;
use wobs_collector::{build_recording, RecordingInput};
use wobs_events::{ModuleInfo, ProbeMap, RawOutcome};
use wobs_runtime::{
    CompiledGuest, Engine, EngineOptions, RunOptions, SampleClock, SamplerKind, Throttle,
};
use wobs_symbolize::ModuleSymbols;

use crate::deferred::Deferred;
use crate::spans::{finish_export, naming, OtlpFlags, RunSpans};

use crate::flags::{parse_duration, GuestFlags, InstrumentFlags};
use crate::guest::{
    flush_guest_stdout, read_symbols, run_options, Loaded, LoadedGuest, ModuleSymbolsList,
};
use crate::learned;
use crate::outputs::OutputFlags;
use crate::supervise::supervise;
use crate::write::write_atomic;

/// Run a WASI program under wasmtime, sampling its stack, and report where time went.
#[derive(Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct RunCommand {
    #[command(flatten)]
    guest: GuestFlags,

    /// Sampling interval (`0` turns sampling off).
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_duration)]
    interval: Duration,

    /// `exact`: a signal interrupts the guest where it is, so the leaf line is the one running,
    /// host calls are sampled, and no epoch checks slow the guest (Linux x86_64; elsewhere
    /// `epoch`). `epoch`: sample at the guest's next epoch check (function entries, loop headers).
    #[arg(long, value_enum, default_value_t = SamplerFlag::Exact)]
    sampler: SamplerFlag,

    /// What paces the exact sampler: `wall` time (what you wait for; time blocked in host calls
    /// such as sleeps shows on `[host]` frames) or the guest thread's `cpu` time.
    #[arg(long, value_enum, default_value_t = ClockFlag::Wall)]
    clock: ClockFlag,

    /// Save the recording (JSON) for `wobs report`.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,

    #[command(flatten)]
    outputs: OutputFlags,

    /// Instrument the modules in memory and report exact calls and times (filters below).
    #[arg(long)]
    trace: bool,

    #[command(flatten)]
    filters: InstrumentFlags,

    #[command(flatten)]
    otlp: OtlpFlags,

    /// Calls shorter than this are not spans; each kept span counts the calls folded into it
    /// (`wobs.filtered_calls`). `0` keeps every call.
    #[arg(long, value_name = "DURATION", default_value = "100us", value_parser = parse_duration)]
    span_min: Duration,

    /// When a function stops being timed (its calls are still counted exactly): after CALLS
    /// timed calls none of which lasted DURATION (default: `--span-min` when spans are made,
    /// else 10us). `off` times every call (slow on interpreters). Modules only; a component's
    /// probes time every call.
    #[arg(long, value_name = "CALLS[:DURATION]|off", default_value = "1000", value_parser = parse_throttle)]
    throttle: ThrottleFlag,

    /// The WebAssembly module or component to run, then its arguments. Everything after it belongs to
    /// the guest, flags included (`wobs run -q app.wasm -q` passes the second `-q` to the guest).
    #[arg(value_name = "WASM [ARGS]...", required = true, num_args = 1.., allow_hyphen_values = true)]
    module_and_args: Vec<String>,
}

impl RunCommand {
    /// Runs the guest; returns the exit code wasmtime would give.
    pub fn execute(self) -> anyhow::Result<i32> {
        let wasm = PathBuf::from(&self.module_and_args[0]);
        let guest = LoadedGuest::load(&self.guest, &wasm)?;
        // Spans come from probes: asking for them instruments a module that has none.
        let trace = self.trace || (self.wants_spans() && !guest.probed());
        let learning = self.learning(&guest, trace);
        let guest = match trace {
            true => guest.instrumented(
                &self.instrument_options(learning.as_ref()),
                self.guest.instrument_cache_dir().as_deref(),
            )?,
            false => guest,
        };
        let all = guest.units();
        let symbols = Arc::new(read_symbols(&all));
        let digests = digests(&all);

        let mut engine_options = EngineOptions::default();
        engine_options.cache_dir = self.guest.cache_dir();
        let no_epoch_checks = self.no_epoch_checks(&all);
        engine_options.no_epoch_checks = no_epoch_checks;
        let engine = Engine::new(&engine_options)?;
        let compiled = guest.compile(&engine)?;

        if matches!(self.sampler, SamplerFlag::Exact)
            && matches!(self.sampler(), SamplerFlag::Epoch)
        {
            eprintln!("wobs: note: the exact sampler needs Linux x86_64; sampling at epoch checks");
        }
        if matches!(self.clock, ClockFlag::Cpu) && matches!(self.sampler(), SamplerFlag::Epoch) {
            eprintln!("wobs: note: --clock cpu needs the exact sampler; sampling wall-clock time");
        }
        let mut options = self.run_options(guest.file())?;
        let spans = self.start_spans(&all, &compiled, &symbols, &mut options)?;
        let interrupt = options.interrupt.clone();
        install_interrupt_handler(interrupt);
        let result = supervise(&engine, &compiled, &options, !no_epoch_checks);
        if let (Some(learning), Some(trace)) = (&learning, &result.trace) {
            learning.remember(trace, self.guest.learned_dir().as_deref());
        }
        // The runtime's span queue closes with the run; this copy must not keep it open.
        options.spans = None;
        flush_guest_stdout();
        for note in &result.notes {
            eprintln!("wobs: note: {note}");
        }
        let (span_set, exporter) = match spans {
            Some(spans) => {
                let (set, exporter) = spans.finish(&result);
                (Some(set), exporter)
            }
            None => (None, None),
        };

        let no_symbols = Vec::new();
        let symbols = symbols.get().unwrap_or(&no_symbols);
        for warning in symbols.iter().filter_map(|(_, warning)| warning.as_ref()) {
            eprintln!("wobs: warning: {warning}");
        }
        let guards: Vec<_> = symbols
            .iter()
            .map(|(symbols, _)| symbols.as_ref().and_then(|s| s.lock().ok()))
            .collect();
        let symbol_refs: Vec<Option<&ModuleSymbols>> =
            guards.iter().map(|g| g.as_deref()).collect();
        let mut infos: Vec<ModuleInfo> = all.iter().map(|m| m.info.clone()).collect();
        for (info, digest) in infos.iter_mut().zip(digests.get().into_iter().flatten()) {
            info.sha256 = digest.clone();
        }
        let original_offsets: Vec<Option<&ProbeMap>> = all
            .iter()
            .map(|m| m.original.as_ref().map(|(_, map)| map))
            .collect();
        let mut recording = build_recording(
            RecordingInput {
                modules: &infos,
                args: &options.args,
                invoke: options.invoke.as_deref(),
                interval_ns: options.interval.map_or(0, |i| i.as_nanos() as u64),
                cpu_clock: options.clock == SampleClock::Cpu
                    && options.sampler == SamplerKind::Signal,
                start_unix_ms: result.start_unix_ms,
                duration_ns: result.duration.as_nanos() as u64,
                profile: &result.profile,
                outcome: &result.outcome,
                trace: result.trace.as_ref(),
                original_offsets: &original_offsets,
            },
            &symbol_refs,
        );
        recording.spans = span_set;
        if let Some(exporter) = &exporter {
            recording.drop_span_labels(exporter.dropped_span_ids());
        }
        if let RawOutcome::Returned(values) = &result.outcome {
            for value in values {
                println!("{value}");
            }
        }
        let title = format!("wobs run {}", wasm.display());
        let mut written = self.outputs.emit(&recording, &title);
        if let Some(path) = &self.output {
            let saved = serde_json::to_vec(&recording)
                .context("cannot serialize the recording")
                .and_then(|json| write_atomic(path, &json));
            if let Err(err) = saved {
                eprintln!("error: {err:#}");
                written = written.and(Err(err));
            }
        }
        if let Some(exporter) = exporter {
            finish_export(exporter, &recording, self.outputs.pprof.is_some());
        }
        let code = recording.run.outcome.exit_code();
        // A guest that succeeded but whose outputs could not be written is a failure of wobs.
        match written {
            Err(_) if code == 0 => Ok(1),
            _ => Ok(code),
        }
    }

    /// Whether the guest runs without epoch checks (at a plain run's speed): when nothing needs
    /// them — the exact sampler or no sampling. Ctrl-C and `--timeout` then end the run from
    /// outside ([`supervise`]), from the samples so far; a timeout in probed code still needs
    /// checks, so that the exact call figures and open spans of the calls it cuts are kept.
    fn no_epoch_checks(&self, modules: &[&Loaded]) -> bool {
        let sampler_needs_checks =
            matches!(self.sampler(), SamplerFlag::Epoch) && !self.interval.is_zero();
        let probed = || {
            modules
                .iter()
                .any(|m| m.original.is_some() || ProbeMap::from_module(m.bytes()).is_some())
        };
        !sampler_needs_checks && (self.guest.timeout.is_none() || !probed())
    }

    /// The sampler asked for, where it exists.
    fn sampler(&self) -> SamplerFlag {
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            self.sampler
        } else {
            SamplerFlag::Epoch
        }
    }

    fn run_options(&self, main: &Loaded) -> anyhow::Result<RunOptions> {
        let mut options = run_options(&self.guest, main, &self.module_and_args[1..])?;
        options.interval = (!self.interval.is_zero()).then_some(self.interval);
        options.sampler = match self.sampler() {
            SamplerFlag::Epoch => SamplerKind::Epoch,
            SamplerFlag::Exact => SamplerKind::Signal,
        };
        options.clock = match self.clock {
            ClockFlag::Wall => SampleClock::Wall,
            ClockFlag::Cpu => SampleClock::Cpu,
        };
        options.throttle = self.throttle_options();
        Ok(options)
    }

    /// What `--trace` instruments: leaves are timed too when every call is to be timed; the
    /// functions learned short are counted, never timed.
    fn instrument_options(&self, learning: Option<&Learning>) -> wobs_instrument::Options {
        let mut options = self.filters.options();
        options.time_leaves = matches!(self.throttle, ThrottleFlag::Off)
            || (self.wants_spans() && self.span_min.is_zero());
        options.count_only = learning.map(|l| l.untimed.clone()).unwrap_or_default();
        options
    }

    /// Spans without `--trace` from a module instrumented in memory, throttled: what earlier
    /// runs learned of it applies ([`crate::learned`]), and this run's throttled functions are
    /// remembered.
    fn learning(&self, guest: &LoadedGuest, instrumenting: bool) -> Option<Learning> {
        let below_ns = self.throttle_options()?.below;
        let LoadedGuest::Modules(modules) = guest else {
            return None;
        };
        if self.trace || !self.wants_spans() || !instrumenting || self.span_min.is_zero() {
            return None;
        }
        let digest = crate::guest::digest(modules.first()?.bytes());
        let untimed = match learned::read(self.guest.learned_dir().as_deref(), &digest) {
            Some(learned) if learned.below_ns <= below_ns => learned.ids,
            _ => Vec::new(),
        };
        if !untimed.is_empty() {
            eprintln!(
                "wobs: note: {} functions whose calls averaged under {} in an earlier run are counted, \
                 not timed (`--throttle off` times them)",
                untimed.len(),
                humantime::format_duration(Duration::from_nanos(below_ns))
            );
        }
        Some(Learning {
            digest,
            below_ns,
            untimed,
        })
    }

    /// The throttle the run uses, `None` when it times every call.
    fn throttle_options(&self) -> Option<Throttle> {
        let ThrottleFlag::After { calls, below } = self.throttle else {
            return None;
        };
        let mut throttle = Throttle::default();
        throttle.after_calls = calls;
        let below = match below {
            Some(below) => below,
            None if self.wants_spans() => self.span_min,
            None => Duration::from_nanos(throttle.below),
        };
        throttle.below = below.as_nanos().min(u128::from(u64::MAX)) as u64;
        Some(throttle)
    }

    /// Whether the run makes spans (for OTLP or a Chrome trace).
    fn wants_spans(&self) -> bool {
        self.otlp.enabled() || self.outputs.chrome_trace.is_some()
    }

    /// Starts collecting (and exporting) spans when any module has probes.
    fn start_spans(
        &self,
        all: &[&Loaded],
        compiled: &CompiledGuest,
        symbols: &Arc<Deferred<ModuleSymbolsList>>,
        options: &mut RunOptions,
    ) -> anyhow::Result<Option<RunSpans>> {
        let probes = compiled.probes();
        if probes.iter().all(Option::is_none) && !self.otlp.enabled() {
            return Ok(None);
        }
        let (context, warning) = TraceContext::from_env();
        if let Some(warning) = warning {
            eprintln!("wobs: warning: {warning}");
        }
        let names: Vec<String> = all.iter().map(|m| m.info.name.clone()).collect();
        let exporter = match context.sampled {
            true => self
                .otlp
                .exporter(&context, &names[0], names.clone(), false)?,
            false if self.otlp.enabled() => {
                eprintln!(
                    "wobs: note: the trace is not sampled (TRACEPARENT's flags are 00, or \
                     OTEL_TRACES_SAMPLER): no spans are exported"
                );
                None
            }
            false => None,
        };
        let ahead: Vec<bool> = all.iter().map(|m| m.original.is_none()).collect();
        let symbols = symbols.clone();
        // Spans are kept in memory only for outputs that list them.
        let keep = match self.output.is_some() || self.outputs.chrome_trace.is_some() {
            true => MAX_RECORDED_SPANS,
            false => 0,
        };
        let (span_options, spans) =
            RunSpans::start(&context, self.span_min, keep, exporter, move || {
                let shared = symbols
                    .get()
                    .map(|list| list.iter().map(|(s, _)| s.clone()).collect())
                    .unwrap_or_default();
                naming(probes, ahead, shared)
            })?;
        options.spans = Some(span_options);
        Ok(Some(spans))
    }
}

/// What a span run learned, and learns, of its main module's functions.
struct Learning {
    /// SHA-256 of the main module as read.
    digest: String,
    /// The run's throttle duration.
    below_ns: u64,
    /// Functions counted, not timed, because an earlier run learned them short.
    untimed: Vec<u32>,
}

impl Learning {
    /// Remembers the functions throttled at the end of `trace`, and those already untimed, for the next
    /// run.
    fn remember(&self, trace: &wobs_events::RawTrace, dir: Option<&std::path::Path>) {
        let mut ids = self.untimed.clone();
        ids.extend(
            trace
                .functions
                .iter()
                .filter(|f| f.module == 0 && f.throttled)
                .map(|f| f.id),
        );
        ids.sort_unstable();
        ids.dedup();
        if ids.len() > self.untimed.len() {
            let learned = learned::Learned {
                below_ns: self.below_ns,
                ids,
            };
            learned::write(dir, &self.digest, &learned);
        }
    }
}

/// `--throttle` values.
#[derive(Clone, Copy, Debug)]
enum ThrottleFlag {
    /// Time every call.
    Off,
    /// Throttle after `calls` timed calls shorter than `below` (a default when `None`).
    After { calls: u64, below: Option<Duration> },
}

/// Parses `off`, `CALLS` or `CALLS:DURATION`.
fn parse_throttle(text: &str) -> Result<ThrottleFlag, String> {
    if text == "off" {
        return Ok(ThrottleFlag::Off);
    }
    let (calls, below) = match text.split_once(':') {
        Some((calls, below)) => (calls, Some(parse_duration(below)?)),
        None => (text, None),
    };
    let calls = calls
        .parse()
        .map_err(|_| format!("expected `off`, CALLS or CALLS:DURATION, got {text:?}"))?;
    Ok(ThrottleFlag::After { calls, below })
}

/// `--sampler` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum SamplerFlag {
    /// At epoch checks.
    Epoch,
    /// Exact PC, by signal.
    Exact,
}

/// `--clock` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ClockFlag {
    /// Wall-clock time.
    Wall,
    /// The guest thread's CPU time.
    Cpu,
}

/// Each module's symbols (shared with the span collector) and a warning to print after the run.
/// The digests of the files' code units (as read, not instrumented), computed off the guest's way.
fn digests(all: &[&Loaded]) -> Deferred<Vec<String>> {
    let inputs: Vec<Arc<Vec<u8>>> = all
        .iter()
        .map(|m| {
            m.original
                .as_ref()
                .map_or(&m.bytes, |(original, _)| original)
                .clone()
        })
        .collect();
    Deferred::spawn(move || {
        inputs
            .iter()
            .map(|bytes| crate::guest::digest(bytes))
            .collect()
    })
}

/// First Ctrl-C: stop the guest at its next check (or end the run from [`supervise`]) and write
/// the outputs. Second: exit now, writing nothing.
fn install_interrupt_handler(flag: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

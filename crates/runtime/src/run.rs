//! One guest run: link, instantiate, call, classify how it ended.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wasmtime::{Store, UpdateDeadline, WasmBacktrace};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};
use wobs_events::{MemoryGrow, RawOutcome, RawProfile, RawTrace};

use crate::sampler::{Sampler, Stop, Ticker};
use crate::tracer::Tracer;
use crate::{CompiledGuest, Engine, RunOptions};

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// How the guest finished.
    pub outcome: RawOutcome,
    /// Every sample; module indices are 0 for the main module, then preloads in order.
    pub profile: RawProfile,
    /// Exact call figures, when any module was instrumented.
    pub trace: Option<RawTrace>,
    /// Wall time from linking the first module to the end of the call.
    pub duration: Duration,
    /// When the guest started, milliseconds since the Unix epoch.
    pub start_unix_ms: u64,
    /// The same moment in nanoseconds: the anchor of span and sample times.
    pub start_unix_ns: u64,
    /// What the run's spans left for its root span, when it made spans.
    pub spans: Option<RunSpans>,
    /// Operators executed, when the engine counts fuel.
    pub fuel: Option<FuelCount>,
    /// What the user should know about how the run was observed, one line each (the exact
    /// sampler could not start, say).
    pub notes: Vec<String>,
}

/// wasmtime fuel consumed by a run: exact and identical run to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FuelCount {
    /// While instantiating (start functions) and, for `--invoke`, running `_initialize`.
    pub instantiation: u64,
    /// The whole run, instantiation included.
    pub total: u64,
}

/// Fuel a run starts with: far more than any run uses, and clear of wasmtime's i64 limit.
const FUEL_BUDGET: u64 = u64::MAX >> 2;

/// Span facts that belong to the run's root span.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RunSpans {
    /// Outermost probed calls too short to keep.
    pub root_filtered_calls: u64,
    /// `memory.grow` calls made outside any kept span.
    pub root_memory_grows: Vec<MemoryGrow>,
    /// Samples taken in spans the runtime's full queue dropped: they carry no span label.
    pub unlabelled_samples: u64,
}

/// The store's data.
pub(crate) struct Host {
    pub(crate) wasi: GuestWasi,
    pub(crate) sampler: Sampler,
    pub(crate) tracer: Tracer,
    /// Probes read fuel instead of the clock.
    pub(crate) fuel: bool,
    /// Fuel consumed when instantiation finished.
    pub(crate) instantiated_fuel: Option<u64>,
}

/// What a guest sees of the system: WASI for both kinds of guest (preview 1 for modules, and
/// through the same table and context WASI 0.2 for components), and wasi:http for a component
/// run with `-S http`. A run's store holds it in [`Host`]; a debug session's store holds nothing
/// else.
pub(crate) struct GuestWasi {
    pub(crate) p1: WasiP1Ctx,
    /// Shares the WASI resource table.
    http: wasmtime_wasi_http::WasiHttpCtx,
    /// How outgoing requests are sent (`wobs serve` traces them); wasmtime's default otherwise.
    pub(crate) hooks: Option<Box<dyn wasmtime_wasi_http::WasiHttpHooks>>,
    /// What an instrumented component's probes report to in a store that holds nothing else
    /// (a served request's); a run's probes report to [`Host::tracer`].
    pub(crate) probes: Option<Box<Tracer>>,
}

impl GuestWasi {
    /// The context `builder` makes, with wasi:http.
    pub(crate) fn new(mut builder: WasiCtxBuilder) -> GuestWasi {
        GuestWasi {
            p1: builder.build_p1(),
            http: wasmtime_wasi_http::WasiHttpCtx::new(),
            hooks: None,
            probes: None,
        }
    }
}

impl wasmtime_wasi::WasiView for GuestWasi {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        self.p1.ctx()
    }
}

impl wasmtime_wasi_http::WasiHttpView for GuestWasi {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: wasmtime_wasi::WasiView::ctx(&mut self.p1).table,
            hooks: match &mut self.hooks {
                Some(hooks) => hooks.as_mut(),
                None => Default::default(),
            },
        }
    }
}

impl wasmtime_wasi::WasiView for Host {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        self.wasi.ctx()
    }
}

impl wasmtime_wasi_http::WasiHttpView for Host {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        self.wasi.http()
    }
}

impl Host {
    /// Notes the fuel instantiation used, when the engine counts fuel.
    pub(crate) fn instantiated(store: &mut Store<Host>) {
        if store.data().fuel {
            store.data_mut().instantiated_fuel = Some(consumed(store.get_fuel().ok()));
        }
    }
}

/// Runs `guest`. Never panics on guest behaviour: every way a guest can end — return, exit,
/// trap, timeout, interrupt, link failure — is a [`RawOutcome`], and the samples taken until then
/// are returned with it.
pub fn run(engine: &Engine, guest: &CompiledGuest, options: &RunOptions) -> RunResult {
    let unix_now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    };
    let ticks = Arc::new(AtomicU64::new(0));
    let sampler = Sampler::new(guest, options, ticks.clone());
    // The exact sampler's handler reads the tracer's innermost span through this.
    let beacon = (options.sampler == crate::SamplerKind::Signal && options.spans.is_some())
        .then(|| Arc::new(crate::spans::SpanBeacon::default()));
    let tracer = Tracer::new(
        guest.probes(),
        options.spans.clone().filter(|_| !engine.fuel),
        options.call_paths,
        beacon.clone(),
        options.throttle,
    );
    let wasi = match wasi_context(options) {
        Ok(wasi) => wasi,
        Err(err) => {
            return RunResult {
                outcome: RawOutcome::Failed(crate::one_line(&format!("{err:#}"))),
                profile: RawProfile::default(),
                trace: None,
                duration: Duration::ZERO,
                start_unix_ms: unix_now() / 1_000_000,
                start_unix_ns: unix_now(),
                spans: None,
                fuel: None,
                notes: Vec::new(),
            }
        }
    };
    let mut store = Store::new(
        &engine.inner,
        Host {
            wasi,
            sampler,
            tracer,
            fuel: engine.fuel,
            instantiated_fuel: None,
        },
    );
    if engine.fuel {
        // Cannot fail: the engine counts fuel.
        let _ = store.set_fuel(FUEL_BUDGET);
    }
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut cx| {
        if cx.data_mut().sampler.should_stop().is_some() {
            return Ok(UpdateDeadline::Interrupt);
        }
        if cx.data().sampler.sampling() {
            let trace = WasmBacktrace::capture(&cx);
            let host = cx.data_mut();
            let span = host.tracer.sample_span();
            host.sampler.record(&trace, span);
        }
        Ok(UpdateDeadline::Continue(1))
    });

    let mut notes = Vec::new();
    let exact = match exact::start(options, &store.data().sampler, beacon) {
        Some(Ok(exact)) => Some(exact),
        Some(Err(reason)) if engine.epoch_checks => {
            notes.push(format!(
                "exact sampler unavailable ({reason}); sampling at epoch checks"
            ));
            None
        }
        Some(Err(reason)) => {
            notes.push(format!(
                "exact sampler unavailable ({reason}); no samples taken"
            ));
            None
        }
        None => None,
    };
    if let Some(exact) = &exact {
        store.data_mut().sampler.disable();
        exact::attribute_host_calls(&mut store, exact);
    }
    // With exact sampling the ticker only drives stop checks (timeouts, Ctrl-C); code without
    // epoch checks has no use for it.
    let tick_interval = if exact.is_some() {
        None
    } else {
        options.interval
    };
    let ticker = engine
        .epoch_checks
        .then(|| Ticker::start(&engine.inner, tick_interval, ticks));
    let started = Instant::now();
    let start_unix_ns = unix_now();
    store.data_mut().sampler.start_clock(started);
    store.data_mut().tracer.start_clock(started, start_unix_ns);
    let result = match guest {
        CompiledGuest::Modules(modules) => {
            crate::guest::module::execute(&mut store, engine, modules, options)
        }
        CompiledGuest::Component(component) => {
            crate::guest::component::execute(&mut store, engine, component, options)
        }
    };
    let duration = started.elapsed();
    drop(ticker);
    if let Some(exact) = exact {
        exact::finish(exact, &mut store.data_mut().sampler);
    }

    let outcome = match result {
        Ok(outcome) => outcome,
        Err(err) => classify(&err, &store.data().sampler, options),
    };
    let fuel = engine.fuel.then(|| FuelCount {
        instantiation: store.data().instantiated_fuel.unwrap_or(0),
        total: consumed(store.get_fuel().ok()),
    });
    let end = match fuel {
        Some(fuel) => fuel.total,
        None => store.data().tracer.elapsed(),
    };
    let Host {
        sampler, tracer, ..
    } = store.into_data();
    let (trace, spans) = match tracer.active() {
        true => {
            let (trace, spans) = tracer.finish(end);
            (Some(trace), spans)
        }
        false => (None, None),
    };
    let mut unlabelled_samples = 0;
    let profile = match &spans {
        Some(spans) => sampler.into_profile(|span| {
            let kept = spans.kept(span);
            unlabelled_samples += u64::from(span.is_valid() && !kept.is_valid());
            kept
        }),
        None => sampler.into_profile(|span| span),
    };
    RunResult {
        outcome,
        trace,
        profile,
        duration,
        start_unix_ms: start_unix_ns / 1_000_000,
        start_unix_ns,
        spans: spans.map(|s| RunSpans {
            root_filtered_calls: s.root_filtered_calls,
            root_memory_grows: s.root_memory_grows,
            unlabelled_samples,
        }),
        fuel,
        notes,
    }
}

/// The exact-PC sampler where it exists (Linux x86_64).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod exact {
    use std::sync::Arc;

    use wasmtime::{CallHook, WasmBacktrace};

    use crate::sampler::signal::SignalSampler;
    use crate::sampler::Sampler;
    use crate::spans::SpanBeacon;
    use crate::{RunOptions, SamplerKind};

    /// Starts it on the calling (guest) thread when the options ask for it; `Err` says why it
    /// could not start.
    pub(super) fn start(
        options: &RunOptions,
        sampler: &Sampler,
        beacon: Option<Arc<SpanBeacon>>,
    ) -> Option<Result<SignalSampler, String>> {
        let (SamplerKind::Signal, Some(interval)) = (options.sampler, options.interval) else {
            return None;
        };
        let live = options.live_samples.clone().unwrap_or_default();
        live.name_hosts_with(sampler.host_names());
        Some(SignalSampler::start(
            interval,
            options.clock,
            sampler.code(),
            live,
            beacon,
        ))
    }

    /// Samples that landed in host code (WASI calls) whose own frames could not be walked get the
    /// wasm stack that made the call, captured once when the call returns.
    pub(super) fn attribute_host_calls(
        store: &mut wasmtime::Store<super::Host>,
        exact: &SignalSampler,
    ) {
        let host_calls = exact.host_calls();
        let mut call_start = 0;
        store.call_hook(move |mut cx, hook| {
            match hook {
                CallHook::CallingHost => {
                    // Samples counted before this call belong to no call: drop them.
                    let lost = host_calls.take_pending();
                    cx.data_mut().sampler.count_dropped(lost);
                    call_start = host_calls.now_ns();
                }
                CallHook::ReturningFromHost => {
                    let samples = host_calls.take_pending();
                    if samples > 0 {
                        let trace = WasmBacktrace::capture(&cx);
                        let host = cx.data_mut();
                        let span = host.tracer.sample_span();
                        let stack = trace
                            .frames()
                            .iter()
                            .rev()
                            .filter_map(|f| host.sampler.raw_frame(f))
                            .collect();
                        host_calls.add(stack, samples, call_start, span);
                    }
                }
                CallHook::CallingWasm | CallHook::ReturningFromWasm => {}
            }
            Ok(())
        });
    }

    /// Stops it and moves its samples into `sampler`. A sample in a host call gets a
    /// host frame on top of the wasm frames that made the call.
    pub(super) fn finish(exact: SignalSampler, sampler: &mut Sampler) {
        // Host samples of a call that never returned (proc_exit, a trap in the host).
        sampler.count_dropped(exact.host_calls().take_pending());
        let mut taken = exact.finish();
        // Host-call samples join when the call returns, behind the ones taken meanwhile.
        taken.samples.sort_by_key(|s| s.time_ns);
        for mut sample in taken.samples {
            if sample.host {
                let host = sampler.host_frame(sample.stack.last().copied());
                sample.stack.push(host);
            }
            sampler.push(&sample.stack, sample.time_ns, sample.span);
        }
        sampler.count_dropped(taken.dropped);
        sampler.set_guest_cpu(taken.guest_cpu_ns);
    }
}

/// Elsewhere the epoch sampler is used.
#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
mod exact {
    use crate::sampler::Sampler;
    use crate::RunOptions;

    pub(super) enum Never {}

    pub(super) fn start(
        _: &RunOptions,
        _: &Sampler,
        _: Option<std::sync::Arc<crate::spans::SpanBeacon>>,
    ) -> Option<Result<Never, String>> {
        None
    }

    pub(super) fn finish(never: Never, _: &mut Sampler) {
        match never {}
    }

    pub(super) fn attribute_host_calls(_: &mut wasmtime::Store<super::Host>, never: &Never) {
        match *never {}
    }
}

/// Fuel consumed, from what `get_fuel` says is left.
pub(crate) fn consumed(left: Option<u64>) -> u64 {
    FUEL_BUDGET.saturating_sub(left.unwrap_or(FUEL_BUDGET))
}

/// The guest's WASI as `options` describe it (arguments, environment, directories, stdio, network,
/// determinism).
pub(crate) fn wasi_context(options: &RunOptions) -> wasmtime::Result<GuestWasi> {
    Ok(GuestWasi::new(wasi_builder(options)?))
}

/// WASI as `options` set it up (arguments, environment, directories, stdio, determinism), for
/// the caller to finish.
pub(crate) fn wasi_builder(options: &RunOptions) -> wasmtime::Result<WasiCtxBuilder> {
    let mut builder = WasiCtxBuilder::new();
    match &options.capture_output {
        Some(captured) => {
            builder
                .stdout(captured.pipe.clone())
                .stderr(captured.pipe.clone());
        }
        None => {
            builder.inherit_stdio();
        }
    }
    if let Some(stdin) = &options.stdin {
        builder.stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(stdin.clone()));
    }
    if options.deterministic {
        builder
            .wall_clock(crate::determinism::SteppingClock::default())
            .monotonic_clock(crate::determinism::SteppingClock::default())
            .secure_random(crate::determinism::random())
            .insecure_random(crate::determinism::random())
            .insecure_random_seed(u128::from(crate::determinism::RANDOM_SEED));
    }
    builder.args(&options.args);
    if options.inherit_network {
        builder.inherit_network().allow_ip_name_lookup(true);
    }
    for (name, value) in &options.env {
        builder.env(name, value);
    }
    for (host, guest) in &options.dirs {
        builder
            .preopened_dir(host, guest, FsPerms::ReadWrite)
            .map_err(|e| e.context(format!("cannot open --dir {}", host.display())))?;
    }
    Ok(builder)
}

/// Turns the error a run ended with into an outcome.
fn classify(err: &wasmtime::Error, sampler: &Sampler, options: &RunOptions) -> RawOutcome {
    if let Some(exit) = err.downcast_ref::<I32Exit>() {
        return RawOutcome::Exited(exit.0);
    }
    match sampler.stopped() {
        Some(Stop::TimedOut) => {
            let limit = options.timeout.unwrap_or_default().as_millis() as u64;
            return RawOutcome::TimedOut(limit);
        }
        Some(Stop::Interrupted) => return RawOutcome::Interrupted,
        None => {}
    }
    let trace = err.downcast_ref::<WasmBacktrace>();
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>() {
        return RawOutcome::Trapped {
            message: trap.to_string(),
            backtrace: trace
                .map(|t| {
                    t.frames()
                        .iter()
                        .filter_map(|f| sampler.raw_frame(f))
                        .collect()
                })
                .unwrap_or_default(),
        };
    }
    match trace {
        // A host function failed while guest code was on the stack.
        Some(trace) if !trace.frames().is_empty() => RawOutcome::Trapped {
            message: err.root_cause().to_string(),
            backtrace: trace
                .frames()
                .iter()
                .filter_map(|f| sampler.raw_frame(f))
                .collect(),
        },
        _ => RawOutcome::Failed(crate::one_line(&format!("{err:#}"))),
    }
}

//! The epoch-driven stack sampler and the stop conditions checked at the same points.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wobs_events::{RawFrame, RawProfile, RawSample, SpanId};

pub(crate) mod code_map;
pub(crate) mod live;
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(crate) mod signal;

/// Tick period when sampling is off: only timeouts and Ctrl-C are checked then.
const CHECK_PERIOD: Duration = Duration::from_millis(10);

/// Why the sampler stopped the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    TimedOut,
    Interrupted,
}

/// Per-run sampling state; lives in the store so the epoch callback can reach it.
pub(crate) struct Sampler {
    code: crate::guest::GuestCode,
    host_names: HostNames,
    stack_ids: HashMap<Box<[RawFrame]>, u32>,
    scratch: Vec<RawFrame>,
    profile: RawProfile,
    sampling: bool,
    max_samples: usize,
    start: Instant,
    timeout: Option<Duration>,
    interrupt: Arc<AtomicBool>,
    ticks: Arc<AtomicU64>,
    last_tick: u64,
    stop: Option<Stop>,
}

impl Sampler {
    pub fn new(
        guest: &crate::CompiledGuest,
        options: &crate::RunOptions,
        ticks: Arc<AtomicU64>,
    ) -> Sampler {
        Sampler {
            code: guest.code(),
            host_names: HostNames::new(guest.call_sites()),
            stack_ids: HashMap::new(),
            scratch: Vec::new(),
            profile: RawProfile::default(),
            sampling: options.interval.is_some(),
            max_samples: options.max_samples,
            start: Instant::now(),
            timeout: options.timeout,
            interrupt: options.interrupt.clone(),
            ticks,
            last_tick: 0,
            stop: None,
        }
    }

    /// Sample times count from `start`, the moment the guest starts.
    pub fn start_clock(&mut self, start: Instant) {
        self.start = start;
        self.last_tick = self.ticks.load(Ordering::Relaxed);
    }

    /// Whether the guest must stop now (checked at every tick).
    pub fn should_stop(&mut self) -> Option<Stop> {
        if self.interrupt.load(Ordering::Relaxed) {
            self.stop = Some(Stop::Interrupted);
        } else if self.timeout.is_some_and(|t| self.start.elapsed() >= t) {
            self.stop = Some(Stop::TimedOut);
        }
        self.stop
    }

    /// The stop condition that ended the run, if one did.
    pub fn stopped(&self) -> Option<Stop> {
        self.stop
    }

    /// Whether samples are wanted.
    pub fn sampling(&self) -> bool {
        self.sampling
    }

    /// Whether a tick has passed that no sample answered yet. A probe asks this on every call (one
    /// relaxed load): a tick that arrives while the guest is inside a probe is then sampled right
    /// there, in the probed function, instead of at the guest's next epoch check, which would
    /// charge the probe's time to whatever code comes next.
    pub fn tick_due(&self) -> bool {
        self.sampling && self.ticks.load(Ordering::Relaxed) > self.last_tick
    }

    /// Records one stack taken inside a probe call.
    pub fn record_at_probe(&mut self, trace: &wasmtime::WasmBacktrace, span: SpanId) {
        let before = self.profile.samples.len();
        self.record(trace, span);
        self.profile.at_probes += (self.profile.samples.len() - before) as u64;
    }

    /// Records one stack (innermost frame first, as wasmtime reports it), taken inside `span`.
    pub fn record(&mut self, trace: &wasmtime::WasmBacktrace, span: SpanId) {
        let tick = self.ticks.load(Ordering::Relaxed);
        if tick == self.last_tick {
            // A probe already sampled this tick; this epoch check only noticed it late.
            return;
        }
        // Ticks that passed while the guest was in host code produced no sample.
        self.profile.dropped += tick.saturating_sub(self.last_tick + 1);
        self.last_tick = tick;
        let mut frames = std::mem::take(&mut self.scratch);
        frames.clear();
        for frame in trace.frames().iter().rev() {
            if let Some(raw) = self.raw_frame(frame) {
                frames.push(raw);
            }
        }
        let time_ns = self.start.elapsed().as_nanos() as u64;
        self.push(&frames, time_ns, span);
        self.scratch = frames;
    }

    /// Adds one sample of `frames` (root first) taken at `time_ns`; an empty stack is a drop.
    pub fn push(&mut self, frames: &[RawFrame], time_ns: u64, span: SpanId) {
        if frames.is_empty() {
            self.profile.dropped += 1;
            return;
        }
        if self.profile.samples.len() >= self.max_samples {
            self.profile.dropped += 1;
            return;
        }
        let stack = match self.stack_ids.get(frames) {
            Some(&id) => id,
            None => {
                let id = self.profile.stacks.len() as u32;
                self.profile.stacks.push(frames.to_vec());
                self.stack_ids.insert(frames.into(), id);
                id
            }
        };
        self.profile.samples.push(RawSample {
            stack,
            time_ns,
            span,
        });
    }

    /// The host frame for a call made at `caller` (root-first stacks: the innermost wasm frame).
    pub fn host_frame(&mut self, caller: Option<RawFrame>) -> RawFrame {
        self.host_names
            .frame(caller, &mut self.profile.host_functions)
    }

    /// What names this run's host frames.
    pub fn host_names(&self) -> HostNames {
        self.host_names.clone()
    }

    /// The guest thread's CPU time while another sampler ran.
    pub fn set_guest_cpu(&mut self, ns: u64) {
        self.profile.guest_cpu_ns = Some(ns);
    }

    /// Counts samples another sampler lost.
    pub fn count_dropped(&mut self, dropped: u64) {
        self.profile.dropped += dropped;
    }

    /// Turns off epoch-check sampling (another sampler takes the samples).
    pub fn disable(&mut self) {
        self.sampling = false;
    }

    /// The run's compiled code.
    pub fn code(&self) -> &crate::guest::GuestCode {
        &self.code
    }

    /// Maps a wasmtime frame to (code unit, offset); `None` for frames without an address map
    /// or of code that is not part of this run.
    pub fn raw_frame(&self, frame: &wasmtime::FrameInfo) -> Option<RawFrame> {
        self.code.raw_frame(frame)
    }

    /// Hands over the samples, each sample's span passed through `kept`.
    pub fn into_profile(mut self, mut kept: impl FnMut(SpanId) -> SpanId) -> RawProfile {
        for sample in &mut self.profile.samples {
            sample.span = kept(sample.span);
        }
        self.profile
    }
}

/// Names host frames after the import their wasm caller calls (`[host] poll_oneoff`), or the
/// instruction that wasmtime's runtime carries out for it (`[host] memory.fill`).
#[derive(Clone, Default)]
pub(crate) struct HostNames {
    /// Per module: what a call site calls in the host.
    calls: Vec<Arc<crate::engine::CallSites>>,
    ids: HashMap<String, u32>,
}

impl std::fmt::Debug for HostNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostNames")
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

impl HostNames {
    /// For the run's modules, in order.
    pub fn new(calls: Vec<Arc<crate::engine::CallSites>>) -> HostNames {
        HostNames {
            calls,
            ids: HashMap::new(),
        }
    }

    /// The host frame for a call made at `caller`, naming what the instruction there calls when it
    /// can tell; new names are added to `names` (a profile's `host_functions`).
    pub fn frame(&mut self, caller: Option<RawFrame>, names: &mut Vec<String>) -> RawFrame {
        let name = caller.and_then(|c| self.calls.get(c.module as usize)?.host_call_at(c.offset));
        let Some(name) = name else {
            return RawFrame::host(u32::MAX);
        };
        let id = match self.ids.get(name) {
            Some(&id) => id,
            None => {
                let id = names.len() as u32;
                names.push(name.to_string());
                self.ids.insert(name.to_string(), id);
                id
            }
        };
        RawFrame::host(id)
    }
}

/// A thread that advances the engine's epoch at a fixed period until dropped.
pub(crate) struct Ticker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Starts ticking `engine` every `interval` (or every [`CHECK_PERIOD`] when sampling is off),
    /// counting ticks in `ticks`.
    pub fn start(
        engine: &wasmtime::Engine,
        interval: Option<Duration>,
        ticks: Arc<AtomicU64>,
    ) -> Ticker {
        let period = interval.unwrap_or(CHECK_PERIOD);
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.clone();
        let handle = periodic("wobs-ticker", period, stop.clone(), move || {
            ticks.fetch_add(1, Ordering::Relaxed);
            engine.increment_epoch();
        });
        Ticker { stop, handle }
    }
}

/// A thread named `name` that calls `tick` every `period` until `stop` is set (then unpark the
/// thread to end it at once: [`stop_periodic`]). It sleeps to
/// absolute deadlines so the period does not drift with scheduling delay, and after a stall
/// (machine suspended, thread starved) skips the missed ticks rather than firing them back to back,
/// which would oversample one spot.
pub(crate) fn periodic(
    name: &str,
    period: Duration,
    stop: Arc<AtomicBool>,
    mut tick: impl FnMut() + Send + 'static,
) -> Option<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let mut next = Instant::now() + period;
            while !stop.load(Ordering::Relaxed) {
                let now = Instant::now();
                if next > now {
                    // Parked rather than asleep, so whoever stops the thread can wake it at once.
                    std::thread::park_timeout(next - now);
                    if Instant::now() < next {
                        continue;
                    }
                }
                next += period;
                let now = Instant::now();
                if next < now {
                    next = now + period;
                }
                tick();
            }
        })
        .ok()
}

impl Drop for Ticker {
    fn drop(&mut self) {
        stop_periodic(&self.stop, self.handle.take());
    }
}

/// Stops a [`periodic`] thread and waits for it.
pub(crate) fn stop_periodic(stop: &AtomicBool, handle: Option<JoinHandle<()>>) {
    stop.store(true, Ordering::Release);
    if let Some(handle) = handle {
        handle.thread().unpark();
        let _ = handle.join();
    }
}

//! Continuous profiles of a server: the stacks sampled in every request, labelled with the
//! request's span id, gathered per period into a gzipped pprof (the same exporter as `wobs run
//! --pprof`) that a sink writes to a directory or pushes to Pyroscope.
//!
//! Requests hand their samples over through a bounded queue (full: dropped and counted); one
//! thread interns the stacks and, at the end of each period and at shutdown, symbolizes them once
//! and builds the profile. Memory is bounded by one period's distinct stacks and samples.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wobs_events::{ModuleInfo, RawFrame, RawOutcome, RawProfile, RawSample, SpanId};
use wobs_symbolize::{ModuleSymbols, SharedSymbols};

use crate::build::{build_recording, RecordingInput};
use crate::export::pprof_gz;

/// Requests' samples waiting for the profile thread; beyond, they are dropped and counted.
const QUEUE: usize = 4096;

/// One period's profile.
#[derive(Debug, Clone)]
pub struct PeriodProfile {
    /// Gzipped pprof.
    pub pprof: Vec<u8>,
    /// The period, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
    /// Its end.
    pub end_unix_ns: u64,
    /// Samples in it.
    pub samples: u64,
}

/// How profiles are made.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProfileOptions {
    /// Length of a profile.
    pub period: Duration,
    /// The sampling interval (each sample stands for this much time).
    pub interval: Duration,
    /// The code units, as frames name them.
    pub modules: Vec<ModuleInfo>,
}

impl ProfileOptions {
    /// Profiles of `period` from samples taken every `interval` in `modules`.
    pub fn new(period: Duration, interval: Duration, modules: Vec<ModuleInfo>) -> ProfileOptions {
        ProfileOptions {
            period,
            interval,
            modules,
        }
    }
}

/// The running profile thread.
pub struct ServeProfiles {
    queue: SyncSender<(SpanId, Vec<Vec<RawFrame>>)>,
    dropped: Arc<AtomicU64>,
    thread: JoinHandle<u64>,
}

impl ServeProfiles {
    /// Starts the thread; `symbols` (called once, at the first profile) gives each code unit's
    /// symbols; `sink` receives every period's profile.
    pub fn start(
        options: ProfileOptions,
        symbols: impl FnOnce() -> Vec<Option<SharedSymbols>> + Send + 'static,
        sink: impl FnMut(PeriodProfile) + Send + 'static,
    ) -> std::io::Result<ServeProfiles> {
        let (queue, requests) = sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let thread = std::thread::Builder::new()
            .name("wobs-profiles".into())
            .spawn(move || rotate(&options, &requests, symbols, sink))?;
        Ok(ServeProfiles {
            queue,
            dropped,
            thread,
        })
    }

    /// A finished request's samples, labelled with its span; never waits.
    pub fn record(&self, span: SpanId, samples: Vec<Vec<RawFrame>>) {
        if samples.is_empty() {
            return;
        }
        match self.queue.try_send((span, samples)) {
            Ok(()) => {}
            Err(TrySendError::Full((_, samples)) | TrySendError::Disconnected((_, samples))) => {
                self.dropped
                    .fetch_add(samples.len() as u64, Ordering::Relaxed);
            }
        }
    }

    /// Writes the last profile; returns (samples profiled, samples dropped) over the server's life.
    pub fn finish(self) -> (u64, u64) {
        let ServeProfiles {
            queue,
            dropped,
            thread,
        } = self;
        drop(queue);
        let profiled = thread.join().unwrap_or(0);
        (profiled, dropped.load(Ordering::Relaxed))
    }
}

/// One period's samples, stacks interned.
#[derive(Default)]
struct Period {
    profile: RawProfile,
    ids: HashMap<Vec<RawFrame>, u32>,
}

impl Period {
    fn add(&mut self, span: SpanId, stacks: Vec<Vec<RawFrame>>) {
        for stack in stacks {
            let next = self.profile.stacks.len() as u32;
            let id = *self.ids.entry(stack).or_insert_with_key(|stack| {
                self.profile.stacks.push(stack.clone());
                next
            });
            self.profile.samples.push(RawSample {
                stack: id,
                time_ns: 0,
                span,
            });
        }
    }
}

fn unix_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The thread: gathers samples and emits a profile per period; returns the samples profiled.
fn rotate(
    options: &ProfileOptions,
    requests: &Receiver<(SpanId, Vec<Vec<RawFrame>>)>,
    symbols: impl FnOnce() -> Vec<Option<SharedSymbols>>,
    mut sink: impl FnMut(PeriodProfile),
) -> u64 {
    let mut symbols = Some(symbols);
    let mut shared: Vec<Option<SharedSymbols>> = Vec::new();
    let mut period = Period::default();
    let mut started = (Instant::now(), unix_ns());
    let mut profiled = 0;
    loop {
        let left = options.period.saturating_sub(started.0.elapsed());
        let open = match requests.recv_timeout(left) {
            Ok((span, stacks)) => {
                period.add(span, stacks);
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => false,
        };
        if open && started.0.elapsed() < options.period {
            continue;
        }
        let ended = std::mem::take(&mut period);
        let samples = ended.profile.samples.len() as u64;
        if samples > 0 {
            if let Some(symbols) = symbols.take() {
                shared = symbols();
            }
            let end = unix_ns();
            if let Some(pprof) = profile(options, &shared, &ended.profile, started.1, end) {
                sink(PeriodProfile {
                    pprof,
                    start_unix_ns: started.1,
                    end_unix_ns: end,
                    samples,
                });
            }
            profiled += samples;
        }
        started = (Instant::now(), unix_ns());
        if !open {
            return profiled;
        }
    }
}

/// A period's samples as a gzipped pprof, symbolized with each unit's symbols.
fn profile(
    options: &ProfileOptions,
    shared: &[Option<SharedSymbols>],
    raw: &RawProfile,
    start: u64,
    end: u64,
) -> Option<Vec<u8>> {
    let guards: Vec<_> = shared
        .iter()
        .map(|s| s.as_ref().and_then(|s| s.lock().ok()))
        .collect();
    let refs: Vec<Option<&ModuleSymbols>> = guards.iter().map(|g| g.as_deref()).collect();
    let recording = build_recording(
        RecordingInput {
            modules: &options.modules,
            args: &[],
            invoke: None,
            interval_ns: options.interval.as_nanos() as u64,
            cpu_clock: false,
            start_unix_ms: start / 1_000_000,
            duration_ns: end.saturating_sub(start),
            profile: raw,
            outcome: &RawOutcome::Exited(0),
            trace: None,
            original_offsets: &[],
        },
        &refs,
    );
    pprof_gz(&recording).ok()
}

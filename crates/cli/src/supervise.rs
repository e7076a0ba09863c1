//! The guest runs on a thread of its own, watched from the calling thread, so that Ctrl-C and
//! `--timeout` end every run: code without epoch checks (the exact sampler, or no sampling) cannot
//! stop itself, and code with them cannot stop while it is blocked in a host call (reading a
//! stdin that never closes, say). Such a run is ended from outside: the outputs are made from the
//! samples taken so far, and the process exits with the guest thread still running.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wobs_events::RawOutcome;
use wobs_runtime::{CompiledGuest, Engine, LiveSamples, RunOptions, RunResult};

/// How long a guest with epoch checks has, once told to stop, to reach its next check (and so
/// keep its exact call figures) before the run is ended from outside.
const GRACE: Duration = Duration::from_secs(1);

/// How often the watching thread looks at the stop conditions.
const POLL: Duration = Duration::from_millis(20);

/// Runs the guest (whose code has epoch `checks` or not) and returns how it ended.
pub(crate) fn supervise(
    engine: &Engine,
    compiled: &CompiledGuest,
    options: &RunOptions,
    checks: bool,
) -> RunResult {
    let live = LiveSamples::new();
    let mut guest_options = options.clone();
    guest_options.live_samples = Some(live.clone());
    let (guest_engine, program) = (engine.clone(), compiled.clone());
    let started = Instant::now();
    let start_unix_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let (done, result) = sync_channel(1);
    let guest = std::thread::Builder::new()
        .name("wobs-guest".into())
        .stack_size(8 << 20)
        .spawn(move || {
            let result = wobs_runtime::run(&guest_engine, &program, &guest_options);
            let _ = done.send(result);
        });
    if guest.is_err() {
        return wobs_runtime::run(engine, compiled, options);
    }
    let ended = |outcome, note: Option<String>| RunResult {
        outcome,
        profile: live.snapshot(),
        trace: None,
        duration: started.elapsed(),
        start_unix_ms: start_unix_ns / 1_000_000,
        start_unix_ns,
        spans: None,
        fuel: None,
        notes: note.into_iter().collect(),
    };
    let deadline = options.timeout.map(|t| started + t);
    // Why the guest was told to stop, and when.
    let mut stop: Option<(RawOutcome, Instant)> = None;
    loop {
        let wait = match (deadline, &stop) {
            (Some(d), None) => d.saturating_duration_since(Instant::now()).min(POLL),
            _ => POLL,
        };
        match result.recv_timeout(wait) {
            Ok(result) => return result,
            Err(RecvTimeoutError::Disconnected) => {
                let failed = RawOutcome::Failed("the guest thread panicked".to_string());
                return ended(failed, None);
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if stop.is_none() {
            if options.interrupt.load(Ordering::SeqCst) {
                stop = Some((RawOutcome::Interrupted, Instant::now()));
            } else if deadline.is_some_and(|d| Instant::now() >= d) {
                let limit_ms = options.timeout.unwrap_or_default().as_millis() as u64;
                stop = Some((RawOutcome::TimedOut(limit_ms), Instant::now()));
            }
        }
        match &stop {
            Some((outcome, _)) if !checks => return ended(outcome.clone(), None),
            Some((outcome, at)) if at.elapsed() >= GRACE => {
                let note = format!(
                    "the guest was still in a host call {} s after it was told to stop; \
                     the run was ended from outside, without exact call figures",
                    GRACE.as_secs()
                );
                return ended(outcome.clone(), Some(note));
            }
            _ => {}
        }
    }
}

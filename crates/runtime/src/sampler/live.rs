//! Samples of a run in progress that another thread can read: when the guest runs without epoch
//! checks it cannot be stopped, so on Ctrl-C the CLI finishes the recording from these.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::HostNames;

use wobs_events::{RawFrame, RawProfile, RawSample, SpanId};

/// One exact sample, mapped to wasm frames.
#[derive(Debug, Clone)]
pub(crate) struct ExactSample {
    /// Root first.
    pub stack: Vec<RawFrame>,
    /// ns since the sampler started.
    pub time_ns: u64,
    /// The guest was in a host call made by `stack`'s leaf.
    pub host: bool,
    /// The innermost open span (0: none).
    pub span: SpanId,
}

/// The exact sampler's samples so far. Cheap to clone; shared between threads.
#[derive(Debug, Clone, Default)]
pub struct LiveSamples {
    samples: Arc<Mutex<Vec<ExactSample>>>,
    /// Samples taken in a host call that has not returned yet (their wasm stack is captured when
    /// it returns).
    pending_host: Arc<AtomicU64>,
    /// Names host frames, once the run has its modules.
    host_names: Arc<OnceLock<HostNames>>,
}

impl LiveSamples {
    /// An empty set.
    pub fn new() -> LiveSamples {
        LiveSamples::default()
    }

    pub(crate) fn append(&self, batch: &mut Vec<ExactSample>) {
        if let Ok(mut samples) = self.samples.lock() {
            samples.append(batch);
        }
    }

    pub(crate) fn take(&self) -> Vec<ExactSample> {
        self.samples
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }

    pub(crate) fn name_hosts_with(&self, names: HostNames) {
        let _ = self.host_names.set(names);
    }

    pub(crate) fn pending_host(&self) -> Arc<AtomicU64> {
        self.pending_host.clone()
    }

    /// The samples so far as a profile. Samples in a host call that is still running have no
    /// wasm stack yet: they appear as a lone, unnamed host frame.
    pub fn snapshot(&self) -> RawProfile {
        let mut samples = self.samples.lock().map(|s| s.clone()).unwrap_or_default();
        let in_host_call = self.pending_host.load(Ordering::Relaxed);
        let time_ns = samples.last().map_or(0, |s| s.time_ns);
        samples.extend((0..in_host_call).map(|_| ExactSample {
            stack: Vec::new(),
            time_ns,
            host: true,
            span: SpanId::default(),
        }));
        samples.sort_by_key(|s| s.time_ns);
        let mut profile = RawProfile::default();
        let mut host_names = self.host_names.get().cloned().unwrap_or_default();
        let mut ids: HashMap<Vec<RawFrame>, u32> = HashMap::new();
        for mut sample in samples {
            if sample.host {
                let host =
                    host_names.frame(sample.stack.last().copied(), &mut profile.host_functions);
                sample.stack.push(host);
            }
            if sample.stack.is_empty() {
                profile.dropped += 1;
                continue;
            }
            let next = profile.stacks.len() as u32;
            let stack = *ids.entry(sample.stack.clone()).or_insert(next);
            if stack == next {
                profile.stacks.push(sample.stack);
            }
            profile.samples.push(RawSample {
                stack,
                time_ns: sample.time_ns,
                span: sample.span,
            });
        }
        profile
    }
}

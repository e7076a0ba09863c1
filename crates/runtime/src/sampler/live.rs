//! Samples of a run in progress that another thread can read: when the guest runs without epoch
//! checks it cannot be stopped, so on Ctrl-C the CLI finishes the recording from these.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
pub struct LiveSamples(Arc<Mutex<Vec<ExactSample>>>);

impl LiveSamples {
    /// An empty set.
    pub fn new() -> LiveSamples {
        LiveSamples::default()
    }

    pub(crate) fn append(&self, batch: &mut Vec<ExactSample>) {
        if let Ok(mut samples) = self.0.lock() {
            samples.append(batch);
        }
    }

    pub(crate) fn take(&self) -> Vec<ExactSample> {
        self.0
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }

    /// The samples so far as a profile (host frames unnamed).
    pub fn snapshot(&self) -> RawProfile {
        let samples = self.0.lock().map(|s| s.clone()).unwrap_or_default();
        let mut profile = RawProfile::default();
        let mut ids: HashMap<Vec<RawFrame>, u32> = HashMap::new();
        for mut sample in samples {
            if sample.host {
                sample.stack.push(RawFrame::host(u32::MAX));
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

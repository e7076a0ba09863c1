//! Span emission from the probes: which calls become spans, their ids, and the bounded queue
//! they leave the guest thread through.
//!
//! A call is kept when it lasted at least [`SpanOptions::min_duration`]. Every caller of a kept
//! call lasted at least as long, so it is kept too: a kept span's parent is always its direct
//! probed caller (or the root span), never a filtered one. Calls that are not kept are counted in
//! their caller's `filtered_calls`.

use std::sync::atomic::{compiler_fence, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use rustc_hash::FxHashMap;
use wobs_events::{MemoryGrow, RawSpan, SpanId};

/// Spans a call may carry `memory.grow` events for; further grows are counted only.
const MAX_MEMORY_EVENTS: usize = 64;

/// How a run emits spans. The receiving end gets each kept call as it returns.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SpanOptions {
    /// Calls shorter than this are not spans (they are counted in their caller's
    /// `filtered_calls`). `Duration::ZERO` keeps every call.
    pub min_duration: Duration,
    /// The run's own span: the parent of the outermost probed calls.
    pub root_span_id: SpanId,
    sink: SpanSink,
}

/// Where kept calls go.
#[derive(Debug, Clone)]
enum SpanSink {
    /// To a collector, each as it returns.
    Queue(SyncSender<RawSpan>),
    /// Kept with the tracer, at most this many: a served request's spans leave with its record
    /// ([`SpanTotals::spans`]).
    Kept(usize),
}

impl SpanOptions {
    /// Options and the queue's receiving end; the queue holds `capacity` spans, beyond which the
    /// guest thread drops (and counts) spans rather than wait.
    pub fn channel(
        min_duration: Duration,
        root_span_id: SpanId,
        capacity: usize,
    ) -> (SpanOptions, Receiver<RawSpan>) {
        let (sender, receiver) = sync_channel(capacity);
        let options = SpanOptions {
            min_duration,
            root_span_id,
            sink: SpanSink::Queue(sender),
        };
        (options, receiver)
    }

    /// Options whose spans stay with the tracer until it finishes, at most `capacity` of them
    /// (beyond, they are dropped and counted).
    pub(crate) fn kept(
        min_duration: Duration,
        root_span_id: SpanId,
        capacity: usize,
    ) -> SpanOptions {
        SpanOptions {
            min_duration,
            root_span_id,
            sink: SpanSink::Kept(capacity),
        }
    }
}

/// Span state of a call still open.
#[derive(Default)]
pub(crate) struct OpenSpan {
    pub id: SpanId,
    filtered: u64,
    /// A sample named this call; if it is not kept, the sample must be moved to its caller.
    sampled: bool,
    /// The exact sampler's sample count when the call was entered.
    samples_at_open: u64,
    memory: Vec<MemoryGrow>,
}

/// What the exact (signal) sampler's handler reads to give its samples a span: the innermost
/// open span, and how many samples it took.
///
/// # Who owns the label
///
/// The handler runs on the guest thread, between two of its instructions, and runs to the end
/// before the guest thread goes on; it reads `current` and counts the sample. A call's span id
/// can only be read while it is `current`, so the guest thread brackets that stretch with the
/// sample count: [`SpanBeacon::enter`] reads the count *before* publishing the id and
/// [`SpanBeacon::leave`] reads it *after* withdrawing it. A sample that read the id therefore
/// lies between the two reads and makes them differ; when they differ, the call's fate (kept,
/// folded into its caller, or dropped) is written down for its id, and every label is resolved
/// through it after the run. Compiler fences keep the three steps in this order (the handler is
/// on the same thread, so no CPU fence is needed); the count may only err on the safe side (a
/// sample in a child call also makes the reads differ).
#[derive(Default)]
pub(crate) struct SpanBeacon {
    current: AtomicU64,
    samples: AtomicU64,
}

impl SpanBeacon {
    /// Makes `id` the innermost span; returns the sample count to hand to [`SpanBeacon::leave`].
    pub fn enter(&self, id: SpanId) -> u64 {
        let before = self.samples.load(Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
        self.current.store(id.0, Ordering::Relaxed);
        before
    }

    /// Makes `parent` the innermost span again; whether a sample may have read the span entered
    /// when [`SpanBeacon::enter`] returned `entered_at`.
    pub fn leave(&self, parent: SpanId, entered_at: u64) -> bool {
        self.current.store(parent.0, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
        self.samples.load(Ordering::Relaxed) != entered_at
    }

    /// In the signal handler: counts a sample and returns the span it belongs to. The count goes
    /// first, so it is never behind a label handed out.
    pub fn label_sample(&self) -> u64 {
        self.samples.fetch_add(1, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
        self.current.load(Ordering::Relaxed)
    }
}

/// A call that just closed.
pub(crate) struct ClosedCall {
    pub module: u32,
    pub function: u32,
    pub start_unix_ns: u64,
    pub end_unix_ns: u64,
    /// Closed because the run ended; such calls are always kept (their callers were closed at
    /// the same moment, so they are kept too).
    pub at_end: bool,
    /// Calls inside this one that were counted but not timed, outside its timed children.
    pub untimed_calls: u64,
}

/// Span ids, span decisions and the queue, owned by the tracer on the guest thread.
pub(crate) struct SpanEmitter {
    options: SpanOptions,
    beacon: Option<Arc<SpanBeacon>>,
    min_ns: u64,
    ids: IdSequence,
    /// Calls at the outermost level that were not kept, and grows outside any kept call: the
    /// root span's.
    root: OpenSpan,
    /// Sampled calls that were not kept → their caller's span.
    moved_samples: FxHashMap<SpanId, SpanId>,
    /// Kept calls, when the options keep them here.
    kept: Vec<RawSpan>,
    pub emitted: u64,
    pub dropped: u64,
}

impl SpanEmitter {
    pub fn new(options: SpanOptions, beacon: Option<Arc<SpanBeacon>>) -> SpanEmitter {
        if let Some(beacon) = &beacon {
            beacon.enter(options.root_span_id);
        }
        SpanEmitter {
            beacon,
            min_ns: options.min_duration.as_nanos().min(u64::MAX as u128) as u64,
            root: OpenSpan {
                id: options.root_span_id,
                ..OpenSpan::default()
            },
            options,
            ids: IdSequence::new(),
            moved_samples: FxHashMap::default(),
            kept: Vec::new(),
            emitted: 0,
            dropped: 0,
        }
    }

    /// Span state for a call being entered.
    pub fn open(&mut self) -> OpenSpan {
        let id = self.ids.next();
        let samples_at_open = self.beacon.as_ref().map_or(0, |beacon| beacon.enter(id));
        OpenSpan {
            id,
            samples_at_open,
            ..OpenSpan::default()
        }
    }

    /// The span a sample taken now belongs to: the innermost open call's (`top`), else the root.
    pub fn sample(&mut self, top: Option<&mut OpenSpan>) -> SpanId {
        let span = top.unwrap_or(&mut self.root);
        span.sampled = true;
        span.id
    }

    /// A `memory.grow` of `pages` at `time_unix_ns` inside `top` (the root when `None`).
    pub fn memory_grow(&mut self, top: Option<&mut OpenSpan>, time_unix_ns: u64, pages: u32) {
        let span = top.unwrap_or(&mut self.root);
        if span.memory.len() < MAX_MEMORY_EVENTS {
            span.memory.push(MemoryGrow {
                time_unix_ns,
                pages,
            });
        }
    }

    /// Calls counted but not timed outside every timed call: the root span's.
    pub fn untimed_at_root(&mut self, calls: u64) {
        self.root.filtered += calls;
    }

    /// A call closed: emit it, or fold it into `parent` (the root when `None`).
    pub fn close(&mut self, mut span: OpenSpan, parent: Option<&mut OpenSpan>, call: ClosedCall) {
        span.filtered += call.untimed_calls;
        let parent = parent.unwrap_or(&mut self.root);
        let exact_sampled = self
            .beacon
            .as_ref()
            .is_some_and(|beacon| beacon.leave(parent.id, span.samples_at_open));
        let labelled = span.sampled || exact_sampled;
        if call.end_unix_ns - call.start_unix_ns >= self.min_ns || call.at_end {
            let raw = RawSpan {
                module: call.module,
                function: call.function,
                span_id: span.id,
                parent_span_id: parent.id,
                start_unix_ns: call.start_unix_ns,
                end_unix_ns: call.end_unix_ns,
                filtered_calls: span.filtered,
                unfinished: call.at_end,
                memory_grows: span.memory,
            };
            let sent = match &self.options.sink {
                SpanSink::Queue(sender) => match sender.try_send(raw) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
                },
                SpanSink::Kept(capacity) => {
                    let room = self.kept.len() < *capacity;
                    if room {
                        self.kept.push(raw);
                    }
                    room
                }
            };
            if sent {
                self.emitted += 1;
            } else {
                self.dropped += 1;
                if labelled {
                    // Its samples keep no span label rather than name one never exported.
                    self.moved_samples.insert(span.id, SpanId::default());
                }
            }
            return;
        }
        parent.filtered += 1 + span.filtered;
        let room = MAX_MEMORY_EVENTS.saturating_sub(parent.memory.len());
        parent.memory.extend(span.memory.into_iter().take(room));
        if labelled {
            self.moved_samples.insert(span.id, parent.id);
            parent.sampled = true;
        }
    }

    /// What the root span carries and how samples' spans map to kept spans.
    pub fn finish(self) -> SpanTotals {
        SpanTotals {
            root_filtered_calls: self.root.filtered,
            root_memory_grows: self.root.memory,
            moved_samples: self.moved_samples,
            spans: self.kept,
            emitted: self.emitted,
            dropped: self.dropped,
        }
    }
}

/// What is left when the run's spans are done.
pub(crate) struct SpanTotals {
    pub root_filtered_calls: u64,
    pub root_memory_grows: Vec<MemoryGrow>,
    moved_samples: FxHashMap<SpanId, SpanId>,
    /// The kept calls, when the options kept them with the tracer.
    pub spans: Vec<RawSpan>,
    pub emitted: u64,
    pub dropped: u64,
}

impl SpanTotals {
    /// The kept span a sample recorded under `span` belongs to.
    pub fn kept(&self, mut span: SpanId) -> SpanId {
        // Each step goes to a caller, so the chain ends; the bound guards against a bug looping.
        for _ in 0..=self.moved_samples.len() {
            match self.moved_samples.get(&span) {
                Some(&parent) => span = parent,
                None => break,
            }
        }
        span
    }
}

/// Distinct, unpredictable, non-zero span ids: a bijective mix (SplitMix64's finalizer) of a
/// counter offset by a per-run random seed.
struct IdSequence {
    next: u64,
}

impl IdSequence {
    fn new() -> IdSequence {
        use std::hash::BuildHasher;
        let seed = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        IdSequence { next: seed }
    }

    fn next(&mut self) -> SpanId {
        loop {
            let id = crate::determinism::splitmix64(&mut self.next);
            if id != 0 {
                return SpanId(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(function: u32, start_unix_ns: u64, end_unix_ns: u64) -> ClosedCall {
        ClosedCall {
            module: 0,
            function,
            start_unix_ns,
            end_unix_ns,
            at_end: false,
            untimed_calls: 0,
        }
    }

    fn emitter(min_ns: u64) -> (SpanEmitter, Receiver<RawSpan>) {
        let (options, receiver) = SpanOptions::channel(Duration::from_nanos(min_ns), SpanId(7), 2);
        (SpanEmitter::new(options, None), receiver)
    }

    #[test]
    fn short_calls_fold_into_the_caller_and_samples_follow() {
        let (mut e, rx) = emitter(100);
        let mut outer = e.open();
        let inner = e.open();
        let mut inner = inner;
        let sampled = e.sample(Some(&mut inner));
        e.close(inner, Some(&mut outer), call(2, 10, 20));
        let outer_id = outer.id;
        e.close(outer, None, call(1, 0, 500));
        let span = rx.try_recv().unwrap();
        assert_eq!(span.span_id, outer_id);
        assert_eq!(span.parent_span_id, SpanId(7));
        assert_eq!(span.filtered_calls, 1);
        assert!(rx.try_recv().is_err());
        let totals = e.finish();
        assert_eq!(totals.kept(sampled), outer_id);
        assert_eq!(totals.emitted, 1);
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let (mut e, _rx) = emitter(0);
        for _ in 0..5 {
            let s = e.open();
            e.close(s, None, call(1, 0, 1));
        }
        let totals = e.finish();
        assert_eq!((totals.emitted, totals.dropped), (2, 3));
    }

    #[test]
    fn a_dropped_span_takes_its_samples_labels_with_it() {
        let (mut e, _rx) = emitter(0);
        let mut kept = Vec::new();
        for _ in 0..2 {
            let s = e.open();
            kept.push(s.id);
            e.close(s, None, call(1, 0, 1));
        }
        let mut dropped = e.open();
        let label = e.sample(Some(&mut dropped));
        e.close(dropped, None, call(1, 0, 1));
        let totals = e.finish();
        assert_eq!(totals.dropped, 1);
        assert_eq!(totals.kept(label), SpanId::default());
        assert_eq!(totals.kept(kept[0]), kept[0]);
    }

    /// The exact sampler's handler may run between any two steps of the guest thread: whichever
    /// gap a sample falls in, the span it names is resolved to one that was emitted.
    #[test]
    fn a_sample_in_any_gap_of_a_filtered_call_resolves_to_a_kept_span() {
        for gap in 0..4 {
            let beacon = Arc::new(SpanBeacon::default());
            let (options, rx) = SpanOptions::channel(Duration::from_nanos(100), SpanId(7), 4);
            let mut e = SpanEmitter::new(options, Some(beacon.clone()));
            let mut label = None;
            let mut signal = |at: usize| {
                if at == gap {
                    label = Some(SpanId(beacon.label_sample()));
                }
            };
            signal(0);
            let mut outer = e.open();
            signal(1);
            let inner = e.open();
            signal(2);
            e.close(inner, Some(&mut outer), call(2, 10, 20));
            signal(3);
            let outer_id = outer.id;
            e.close(outer, None, call(1, 0, 500));
            let totals = e.finish();
            let emitted: Vec<SpanId> = rx.try_iter().map(|s| s.span_id).collect();
            assert_eq!(emitted, vec![outer_id]);
            let resolved = totals.kept(label.unwrap());
            assert!(
                resolved == outer_id || resolved == SpanId(7),
                "gap {gap}: {resolved:?}"
            );
        }
    }

    #[test]
    fn ids_are_distinct_and_non_zero() {
        let mut ids = IdSequence::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = ids.next();
            assert!(id.is_valid());
            assert!(seen.insert(id));
        }
    }
}

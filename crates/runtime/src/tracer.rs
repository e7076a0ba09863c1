//! The host side of the probe ABIs: an exact call tree from `enter`/`exit` probes.
//!
//! The hot path (one `enter` or `exit`) reads the clock, indexes a dense per-function array and
//! pushes or pops a preallocated stack: no allocation per event, except the first time a new
//! caller→callee edge is seen.
//!
//! # Counted probes and throttling
//!
//! A module instrumented with [`wobs_events::ProbeAbi::Counted`] counts every call itself and
//! calls the host only for calls of functions that are still *timed*. Its probes pass the
//! module's calls-so-far counter, so between two probes the host knows how many calls ran
//! unseen: a timed call's untimed descendants are `calls at exit − calls at entry − what its
//! timed children account for`, which keeps every span's `filtered_calls` exact. A function is
//! *throttled* (its calls are counted, no longer timed) once it has returned
//! [`Throttle::after_calls`] timed calls that lasted less than [`Throttle::below`] on average
//! (TAU's throttling rule); calls still open then are timed to their end, and their exits may
//! time it again. The exit probe's result is
//! the function's throttle flag. Exact call counts come from the module's counters after the
//! run; times, edges and call paths cover timed calls only.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use std::time::Instant;

use wobs_events::{
    CountedLayout, ProbeMap, RawTrace, SpanId, TracedEdge, TracedFunction, TracedPath,
};

use crate::spans::{ClosedCall, OpenSpan, SpanBeacon, SpanEmitter, SpanOptions, SpanTotals};

#[derive(Default, Clone, Copy)]
struct Stats {
    /// Timed calls (every call, for modules whose probes call the host for every call).
    calls: u64,
    self_ns: u64,
    total_ns: u64,
    /// Open activations (recursion depth), so total time counts the outermost one only.
    active: u32,
    /// Time of every timed call, recursive ones included.
    timed_ns: u64,
}

/// When a function of a module with counted probes stops being timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Throttle {
    /// Timed calls a function returns before it may be throttled. Default: 1,000.
    pub after_calls: u64,
    /// It is throttled if they lasted less than this on average (ns, or fuel in a fuel-counting
    /// run). Its later calls make no spans: use `--span-min` or more. Default: 10 µs.
    pub below: u64,
}

impl Throttle {
    /// Whether a function with these figures is throttled: enough timed calls, averaging under
    /// `below`.
    fn throttles(self, stats: &Stats) -> bool {
        stats.calls >= self.after_calls
            && u128::from(stats.timed_ns) < u128::from(self.below) * u128::from(stats.calls)
    }
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle {
            after_calls: 1_000,
            below: 10_000,
        }
    }
}

/// A probed function: (module index, probe id).
type FuncKey = (u32, u32);

/// Edge counts keyed by small integers: FxHash instead of SipHash, which would cost more than the
/// rest of a probe call. Keys come from our own probe ids, not from an adversary.
type EdgeMap = FxHashMap<(Option<FuncKey>, FuncKey), u64>;

struct Frame {
    module: u32,
    id: u32,
    start_ns: u64,
    child_ns: u64,
    /// [`Tracer::calls_seen`] when this call was entered (itself counted).
    calls_at_entry: u64,
    /// Calls inside this one that timed children account for (each child and its descendants).
    calls_in_children: u64,
    /// Empty (id 0, no allocation) when the run makes no spans.
    span: OpenSpan,
    /// This call's node in the call-path tree, when it is kept.
    node: u32,
}

/// Exact call statistics of one run.
pub(crate) struct Tracer {
    start: Instant,
    /// `start` on the wall clock, ns since the Unix epoch: span times are this plus monotonic
    /// deltas.
    start_unix_ns: u64,
    spans: Option<SpanEmitter>,
    maps: Vec<Option<Arc<ProbeMap>>>,
    stats: Vec<Vec<Stats>>,
    stack: Vec<Frame>,
    edges: EdgeMap,
    unbalanced: u64,
    closed_at_end: u64,
    memory_grows: u64,
    pages_requested: u64,
    paths: Option<PathTree>,
    throttle: Option<Throttle>,
    /// Calls of every module as far as the host has heard: each probe adds the calls its module
    /// counted since its last probe.
    calls_seen: u64,
    /// Calls that outermost timed calls account for (themselves and everything inside).
    calls_at_top: u64,
    /// Per module with counted probes: its calls-so-far counter at its last probe.
    last_count: Vec<u64>,
    /// Per module with counted probes: every function's call count, read after the run.
    counts: Vec<Option<Vec<u64>>>,
    /// Functions throttled by any tracer sharing it (a served component's requests).
    shared_throttle: Option<Arc<SharedThrottle>>,
    /// The functions timed at least once, in the order first timed: what a finished tracer adds
    /// to the shared throttle and what [`Tracer::reuse`] clears, without a pass over every probe.
    touched: Vec<FuncKey>,
}

/// Highest probe id + 1 of a module's probe map (0 without probes): a slot per id.
fn probe_slots(map: &Option<Arc<ProbeMap>>) -> usize {
    map.as_deref()
        .map_or(0, |map| CountedLayout::of(map).slots as usize)
}

/// Which functions are throttled, shared by tracers of the same code: a served component's
/// requests each have a tracer and an instance of their own, whose throttle bytes start open.
/// Each tracer adds its timed calls to the totals here when it finishes, and the throttle rule
/// is applied to the totals, so a function called a few times per request is throttled once
/// enough requests have timed it; later requests apply that at the function's first exit.
pub(crate) struct SharedThrottle {
    units: Vec<Vec<SharedStats>>,
}

/// One function's figures across tracers.
#[derive(Default)]
struct SharedStats {
    throttled: std::sync::atomic::AtomicBool,
    calls: std::sync::atomic::AtomicU64,
    timed_ns: std::sync::atomic::AtomicU64,
}

impl SharedThrottle {
    /// Nothing throttled yet, for modules with these probe maps.
    pub fn new(maps: &[Option<Arc<ProbeMap>>]) -> SharedThrottle {
        let units = maps
            .iter()
            .map(|map| (0..probe_slots(map)).map(|_| Default::default()).collect())
            .collect();
        SharedThrottle { units }
    }

    fn flag(&self, module: u32, id: u32) -> Option<&std::sync::atomic::AtomicBool> {
        Some(&self.units.get(module as usize)?.get(id as usize)?.throttled)
    }

    /// Adds a finished tracer's timed calls (of the functions `touched`) and throttles what
    /// `throttle` says of the totals.
    fn add(&self, stats: &[Vec<Stats>], touched: &[FuncKey], throttle: Throttle) {
        use std::sync::atomic::Ordering::Relaxed;
        for &(unit, id) in touched {
            let (Some(shared), Some(stats)) = (
                self.units
                    .get(unit as usize)
                    .and_then(|u| u.get(id as usize)),
                stats.get(unit as usize).and_then(|s| s.get(id as usize)),
            ) else {
                continue;
            };
            let total = Stats {
                calls: shared.calls.fetch_add(stats.calls, Relaxed) + stats.calls,
                timed_ns: shared.timed_ns.fetch_add(stats.timed_ns, Relaxed) + stats.timed_ns,
                ..Stats::default()
            };
            if throttle.throttles(&total) {
                shared.throttled.store(true, Relaxed);
            }
        }
    }
}

/// Exact figures per call path: a node per distinct (caller path, function).
#[derive(Default)]
struct PathTree {
    nodes: Vec<TracedPath>,
    index: FxHashMap<(u32, FuncKey), u32>,
    /// Per node (and, last, for the top level): the child entered last. Code calls the same
    /// callee again and again, so most entries skip the hash lookup.
    last_child: Vec<Option<(FuncKey, u32)>>,
}

/// Node index meaning "no node" (the root, or paths not kept).
const NO_NODE: u32 = u32::MAX;

impl PathTree {
    fn enter(&mut self, parent: u32, key: FuncKey) -> u32 {
        let slot = match parent {
            NO_NODE => 0,
            p => p as usize + 1,
        };
        if let Some(Some((last, node))) = self.last_child.get(slot) {
            if *last == key {
                let node = *node;
                if let Some(n) = self.nodes.get_mut(node as usize) {
                    n.calls += 1;
                }
                return node;
            }
        }
        let nodes = &mut self.nodes;
        let node = *self.index.entry((parent, key)).or_insert_with(|| {
            nodes.push(TracedPath {
                parent: (parent != NO_NODE).then_some(parent),
                module: key.0,
                id: key.1,
                calls: 0,
                self_units: 0,
                total_units: 0,
            });
            nodes.len() as u32 - 1
        });
        if self.last_child.len() <= self.nodes.len() {
            self.last_child.resize(self.nodes.len() + 1, None);
        }
        self.last_child[slot] = Some((key, node));
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.calls += 1;
        }
        node
    }

    /// Caller → callee call counts, from the paths.
    fn edges(&self) -> EdgeMap {
        let mut edges = EdgeMap::default();
        for node in &self.nodes {
            let caller = node
                .parent
                .and_then(|p| self.nodes.get(p as usize))
                .map(|p| (p.module, p.id));
            *edges.entry((caller, (node.module, node.id))).or_insert(0) += node.calls;
        }
        edges
    }

    fn close(&mut self, node: u32, elapsed: u64, child: u64) {
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.self_units += elapsed.saturating_sub(child);
            n.total_units += elapsed;
        }
    }
}

impl Tracer {
    /// A tracer for modules with these probe maps (`None`: not instrumented), emitting spans
    /// when `spans` says how, and keeping figures per call path when `call_paths`.
    pub fn new(
        maps: Vec<Option<Arc<ProbeMap>>>,
        spans: Option<SpanOptions>,
        call_paths: bool,
        beacon: Option<Arc<SpanBeacon>>,
        throttle: Option<Throttle>,
    ) -> Tracer {
        let stats = maps
            .iter()
            .map(|map| vec![Stats::default(); probe_slots(map)])
            .collect();
        let active = maps.iter().any(Option::is_some);
        let maps_len = maps.len();
        Tracer {
            start: Instant::now(),
            start_unix_ns: 0,
            spans: spans
                .filter(|_| active)
                .map(|s| SpanEmitter::new(s, beacon)),
            maps,
            stats,
            stack: Vec::with_capacity(1024),
            edges: EdgeMap::default(),
            unbalanced: 0,
            closed_at_end: 0,
            memory_grows: 0,
            pages_requested: 0,
            paths: call_paths.then(PathTree::default),
            throttle,
            calls_seen: 0,
            calls_at_top: 0,
            last_count: vec![0; maps_len],
            counts: vec![None; maps_len],
            shared_throttle: None,
            touched: Vec::new(),
        }
    }

    /// Makes a finished tracer (see [`Tracer::finish_spans`]) as good as new, for another run of
    /// the same code with `spans` and a clock starting at `start` (`start_unix_ns` on the wall
    /// clock): a served component's requests reuse tracers instead of allocating per-function
    /// figures for every probe per request.
    pub fn reuse(&mut self, spans: Option<SpanOptions>, start: Instant, start_unix_ns: u64) {
        for (module, id) in self.touched.drain(..) {
            if let Some(stats) = self
                .stats
                .get_mut(module as usize)
                .and_then(|s| s.get_mut(id as usize))
            {
                *stats = Stats::default();
            }
        }
        let active = self.active();
        self.spans = spans.filter(|_| active).map(|s| SpanEmitter::new(s, None));
        self.stack.clear();
        self.edges.clear();
        self.paths = self.paths.take().map(|_| PathTree::default());
        (self.unbalanced, self.closed_at_end) = (0, 0);
        (self.memory_grows, self.pages_requested) = (0, 0);
        (self.calls_seen, self.calls_at_top) = (0, 0);
        self.last_count.fill(0);
        self.counts.fill(None);
        self.start_clock(start, start_unix_ns);
    }

    /// Throttles what `shared` says was throttled elsewhere, and tells it what this one throttles.
    pub fn share_throttle(&mut self, shared: Arc<SharedThrottle>) {
        self.shared_throttle = Some(shared);
    }

    /// Whether any module is instrumented.
    pub fn active(&self) -> bool {
        self.maps.iter().any(Option::is_some)
    }

    /// Times count from `start`, which is `start_unix_ns` on the wall clock.
    pub fn start_clock(&mut self, start: Instant, start_unix_ns: u64) {
        self.start = start;
        self.start_unix_ns = start_unix_ns;
    }

    /// Nanoseconds since the clock started: the probes' clock unless they count fuel.
    pub fn elapsed(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// The span a sample taken now belongs to (0 when the run makes no spans).
    pub fn sample_span(&mut self) -> SpanId {
        match &mut self.spans {
            Some(spans) => spans.sample(self.stack.last_mut().map(|f| &mut f.span)),
            None => SpanId::default(),
        }
    }

    /// `enter(id)` from module `module` at `now` (ns from [`Tracer::elapsed`], or fuel): a
    /// probe called on every call.
    pub fn enter(&mut self, module: u32, id: u32, now: u64) {
        self.calls_seen += 1;
        self.enter_call(module, id, now);
    }

    /// `enter_counted(id, calls)` from module `module`, whose calls-so-far counter is `calls`.
    pub fn enter_counted(&mut self, module: u32, id: u32, calls: u64, now: u64) {
        self.hear_count(module, calls);
        self.enter_call(module, id, now);
    }

    /// `exit_counted(id, calls)`; returns the function's throttle flag (1: stop timing it).
    pub fn exit_counted(&mut self, module: u32, id: u32, calls: u64, now: u64) -> i32 {
        use std::sync::atomic::Ordering::Relaxed;
        self.hear_count(module, calls);
        self.exit(module, id, now);
        if self
            .shared_flag(module, id)
            .is_some_and(|f| f.load(Relaxed))
        {
            return 1;
        }
        let (Some(throttle), Some(stats)) = (self.throttle, self.stats_mut(module, id)) else {
            return 0;
        };
        let throttles = throttle.throttles(stats);
        if let (true, Some(flag)) = (throttles, self.shared_flag(module, id)) {
            flag.store(true, Relaxed);
        }
        i32::from(throttles)
    }

    /// The shared throttle flag of a function, when tracers share them.
    fn shared_flag(&self, module: u32, id: u32) -> Option<&std::sync::atomic::AtomicBool> {
        self.shared_throttle.as_deref()?.flag(module, id)
    }

    /// Module `module`'s counter says `calls`: what it counted since its last probe is seen now.
    fn hear_count(&mut self, module: u32, calls: u64) {
        if let Some(last) = self.last_count.get_mut(module as usize) {
            self.calls_seen += calls.saturating_sub(*last);
            *last = calls;
        }
    }

    /// Every function's call count in module `module` (counted probes), read after the run; the
    /// calls the host has not heard of yet happened inside the innermost open call.
    pub fn counted(&mut self, module: u32, counts: Vec<u64>, calls: u64) {
        self.hear_count(module, calls);
        if let Some(slot) = self.counts.get_mut(module as usize) {
            *slot = Some(counts);
        }
    }

    fn enter_call(&mut self, module: u32, id: u32, now: u64) {
        let Some(stats) = self.stats_mut(module, id) else {
            self.unbalanced += 1;
            return;
        };
        let first = stats.calls == 0;
        stats.calls += 1;
        stats.active += 1;
        if first {
            self.touched.push((module, id));
        }
        if self.paths.is_none() {
            // With call paths, edges are summed from them at the end instead.
            let caller = self.stack.last().map(|f| (f.module, f.id));
            *self.edges.entry((caller, (module, id))).or_insert(0) += 1;
        }
        let span = self
            .spans
            .as_mut()
            .map(SpanEmitter::open)
            .unwrap_or_default();
        let node = match &mut self.paths {
            Some(paths) => paths.enter(self.stack.last().map_or(NO_NODE, |f| f.node), (module, id)),
            None => NO_NODE,
        };
        self.stack.push(Frame {
            module,
            id,
            start_ns: now,
            child_ns: 0,
            calls_at_entry: self.calls_seen,
            calls_in_children: 0,
            span,
            node,
        });
    }

    /// `exit(id)` from module `module`. Frames above the matching one were left without an exit
    /// (an exception unwound them) and are closed now.
    pub fn exit(&mut self, module: u32, id: u32, now: u64) {
        let Some(depth) = self
            .stack
            .iter()
            .rposition(|f| f.module == module && f.id == id)
        else {
            self.unbalanced += 1;
            return;
        };
        let skipped = (self.stack.len() - depth - 1) as u64;
        self.unbalanced += skipped;
        while self.stack.len() > depth {
            self.close_top(now, false);
        }
    }

    /// `memory.grow` of `pages` at `now`.
    pub fn memory_grow(&mut self, pages: u32, now: u64) {
        self.memory_grows += 1;
        self.pages_requested += u64::from(pages);
        if let Some(spans) = &mut self.spans {
            let time = self.start_unix_ns + now;
            spans.memory_grow(self.stack.last_mut().map(|f| &mut f.span), time, pages);
        }
    }

    /// Closes the innermost open call at `now`; `at_end`: because the run ended.
    fn close_top(&mut self, now: u64, at_end: bool) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let inside = self.calls_seen.saturating_sub(frame.calls_at_entry);
        match self.stack.last_mut() {
            Some(parent) => parent.calls_in_children += 1 + inside,
            None => self.calls_at_top += 1 + inside,
        }
        if let Some(spans) = &mut self.spans {
            let call = ClosedCall {
                module: frame.module,
                function: frame.id,
                start_unix_ns: self.start_unix_ns + frame.start_ns,
                end_unix_ns: self.start_unix_ns + now.max(frame.start_ns),
                at_end,
                untimed_calls: inside.saturating_sub(frame.calls_in_children),
            };
            spans.close(frame.span, self.stack.last_mut().map(|f| &mut f.span), call);
        }
        let elapsed = now.saturating_sub(frame.start_ns);
        if let Some(parent) = self.stack.last_mut() {
            parent.child_ns += elapsed;
        }
        if let Some(paths) = &mut self.paths {
            paths.close(frame.node, elapsed, frame.child_ns);
        }
        if let Some(stats) = self.stats_mut(frame.module, frame.id) {
            stats.timed_ns = stats.timed_ns.saturating_add(elapsed);
            stats.self_ns += elapsed.saturating_sub(frame.child_ns);
            stats.active = stats.active.saturating_sub(1);
            if stats.active == 0 {
                stats.total_ns += elapsed;
            }
        }
    }

    fn stats_mut(&mut self, module: u32, id: u32) -> Option<&mut Stats> {
        self.stats.get_mut(module as usize)?.get_mut(id as usize)
    }

    /// Closes the calls still open at `now`, adds this tracer's timed calls to the shared
    /// throttle, and finishes the spans.
    fn close_spans(&mut self, now: u64) -> Option<SpanTotals> {
        self.closed_at_end = self.stack.len() as u64;
        while !self.stack.is_empty() {
            self.close_top(now, true);
        }
        if let (Some(shared), Some(throttle)) = (&self.shared_throttle, self.throttle) {
            shared.add(&self.stats, &self.touched, throttle);
        }
        if let Some(spans) = &mut self.spans {
            spans.untimed_at_root(self.calls_seen.saturating_sub(self.calls_at_top));
        }
        self.spans.take().map(SpanEmitter::finish)
    }

    /// [`Tracer::finish`] for a tracer kept for its spans only (a served request's): the
    /// per-function figures are not gathered.
    pub fn finish_spans(&mut self, now: u64) -> Option<SpanTotals> {
        self.close_spans(now)
    }

    /// Closes what is still open (a trap or exit in the middle of nested calls) and reports,
    /// with what the run's spans left for the root span (when it made spans).
    pub fn finish(mut self, now: u64) -> (RawTrace, Option<SpanTotals>) {
        let spans = self.close_spans(now);
        let mut functions = Vec::new();
        for (module, (stats, map)) in self.stats.iter().zip(&self.maps).enumerate() {
            let Some(map) = map else { continue };
            let counts = self.counts.get(module).and_then(Option::as_ref);
            for probe in &map.probes {
                let Some(s) = stats.get(probe.id as usize) else {
                    continue;
                };
                let calls = counts
                    .and_then(|c| c.get(probe.id as usize).copied())
                    .unwrap_or(s.calls)
                    .max(s.calls);
                if calls > 0 {
                    functions.push(TracedFunction {
                        module: module as u32,
                        id: probe.id,
                        name: probe.name.clone(),
                        calls,
                        untimed_calls: calls - s.calls,
                        throttled: self.throttle.is_some_and(|t| t.throttles(s)),
                        self_ns: s.self_ns,
                        total_ns: s.total_ns,
                    });
                }
            }
        }
        if let Some(paths) = &self.paths {
            self.edges = paths.edges();
        }
        let mut edges: Vec<TracedEdge> = self
            .edges
            .into_iter()
            .map(|((caller, callee), calls)| TracedEdge {
                caller,
                callee,
                calls,
            })
            .collect();
        edges.sort_by_key(|e| (e.caller, e.callee));
        let trace = RawTrace {
            functions,
            edges,
            unbalanced: self.unbalanced,
            closed_at_end: self.closed_at_end,
            memory_grows: self.memory_grows,
            pages_requested: self.pages_requested,
            spans_emitted: spans.as_ref().map_or(0, |s| s.emitted),
            spans_dropped: spans.as_ref().map_or(0, |s| s.dropped),
            paths: self.paths.map(|p| p.nodes).unwrap_or_default(),
        };
        (trace, spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wobs_events::Probe;

    fn tracer() -> Tracer {
        let probe = |id| Probe {
            id,
            name: format!("f{id}"),
            code: 0..0,
        };
        Tracer::new(
            vec![Some(Arc::new(ProbeMap {
                probes: vec![probe(1), probe(2)],
                ..ProbeMap::default()
            }))],
            None,
            false,
            None,
            None,
        )
    }

    /// What one tracer throttled, another sharing its flags throttles at the function's first
    /// exit; a function it did not throttle stays timed until the finished tracers' totals
    /// throttle it.
    #[test]
    fn throttling_is_shared_between_tracers() {
        let mut first = tracer();
        first.throttle = Some(Throttle {
            after_calls: 3,
            below: 100,
        });
        let shared = Arc::new(SharedThrottle::new(&first.maps));
        first.share_throttle(shared.clone());
        let mut verdicts = Vec::new();
        for call in 0..3u64 {
            first.enter_counted(0, 1, call + 1, call * 10);
            verdicts.push(first.exit_counted(0, 1, call + 1, call * 10 + 1));
        }
        assert_eq!(verdicts, [0, 0, 1]);
        let mut second = tracer();
        second.throttle = first.throttle;
        second.share_throttle(shared.clone());
        second.enter_counted(0, 1, 1, 0);
        assert_eq!(second.exit_counted(0, 1, 1, 1), 1);
        second.enter_counted(0, 2, 2, 0);
        assert_eq!(second.exit_counted(0, 2, 2, 1), 0);
        second.finish_spans(2);
        // Function 2 is timed once per tracer: the totals throttle it once three have finished.
        for finished in 2..=4 {
            let mut next = tracer();
            next.throttle = first.throttle;
            next.share_throttle(shared.clone());
            next.enter_counted(0, 2, 1, 0);
            assert_eq!(next.exit_counted(0, 2, 1, 1), i32::from(finished > 3));
            next.finish_spans(2);
        }
    }

    /// A reused tracer starts from nothing (its figures are the new run's only) and still adds
    /// what it timed to the shared throttle.
    #[test]
    fn a_reused_tracer_starts_afresh_and_keeps_sharing() {
        let mut t = tracer();
        t.throttle = Some(Throttle {
            after_calls: 3,
            below: 100,
        });
        t.share_throttle(Arc::new(SharedThrottle::new(&t.maps)));
        let mut lives = Vec::new();
        for _ in 0..3 {
            let mut verdicts = Vec::new();
            for call in 0..2u64 {
                t.enter_counted(0, 1, call + 1, call * 10);
                verdicts.push(t.exit_counted(0, 1, call + 1, call * 10 + 1));
            }
            t.finish_spans(100);
            t.reuse(None, Instant::now(), 0);
            lives.push(verdicts);
        }
        // Two calls a life never throttle on their own; the totals do once two lives finished.
        assert_eq!(lives, [[0, 0], [0, 0], [1, 1]]);
        t.enter_counted(0, 2, 1, 0);
        t.exit_counted(0, 2, 1, 5);
        let (trace, _) = t.finish(10);
        let calls: Vec<(u32, u64)> = trace.functions.iter().map(|f| (f.id, f.calls)).collect();
        assert_eq!(calls, [(2, 1)]);
        assert_eq!(trace.unbalanced, 0);
    }

    #[test]
    fn recursion_counts_every_call_and_total_once() {
        let mut t = tracer();
        t.enter(0, 1, 0);
        t.enter(0, 1, 0);
        t.enter(0, 2, 0);
        t.exit(0, 2, 0);
        t.exit(0, 1, 0);
        t.exit(0, 1, 0);
        let (trace, _) = t.finish(0);
        let f1 = trace.functions.iter().find(|f| f.id == 1).unwrap();
        assert_eq!(f1.calls, 2);
        assert!(f1.total_ns >= f1.self_ns);
        assert_eq!(trace.unbalanced, 0);
        assert_eq!(trace.closed_at_end, 0);
        let self_edge = trace
            .edges
            .iter()
            .find(|e| e.caller == Some((0, 1)) && e.callee == (0, 1));
        assert_eq!(self_edge.map(|e| e.calls), Some(1));
    }

    #[test]
    fn open_frames_close_at_the_end_and_lost_exits_are_counted() {
        let mut t = tracer();
        t.enter(0, 1, 0);
        t.enter(0, 2, 0);
        t.exit(0, 1, 0); // 2's exit was lost (exception)
        t.enter(0, 1, 0);
        t.enter(0, 2, 0); // trap here
        t.exit(0, 9, 0); // unknown id
        let (trace, _) = t.finish(0);
        assert_eq!(trace.unbalanced, 2);
        assert_eq!(trace.closed_at_end, 2);
        assert_eq!(trace.functions.iter().find(|f| f.id == 2).unwrap().calls, 2);
    }

    #[test]
    fn call_paths_count_per_path_and_give_the_same_edges() {
        let maps = tracer().maps;
        let mut with_paths = Tracer::new(maps.clone(), None, true, None, None);
        let mut without = Tracer::new(maps, None, false, None, None);
        for t in [&mut with_paths, &mut without] {
            // 1 → 2 twice, then 2 at the top, then 1 → 1 → 2.
            t.enter(0, 1, 0);
            t.enter(0, 2, 10);
            t.exit(0, 2, 15);
            t.enter(0, 2, 20);
            t.exit(0, 2, 30);
            t.exit(0, 1, 40);
            t.enter(0, 2, 50);
            t.exit(0, 2, 51);
            t.enter(0, 1, 60);
            t.enter(0, 1, 61);
            t.enter(0, 2, 62);
            t.exit(0, 2, 63);
            t.exit(0, 1, 64);
            t.exit(0, 1, 70);
        }
        let (paths, _) = with_paths.finish(100);
        let (plain, _) = without.finish(100);
        assert_eq!(paths.edges, plain.edges);
        let node = |parent: Option<u32>, id: u32| {
            paths
                .paths
                .iter()
                .find(|n| n.parent == parent && n.id == id)
                .unwrap()
                .clone()
        };
        let top = node(None, 1);
        assert_eq!(
            (top.calls, top.self_units, top.total_units),
            (2, (40 - 15) + (10 - 3), 50)
        );
        let under_top = paths.paths.iter().position(|n| n == &top).unwrap() as u32;
        let child = node(Some(under_top), 2);
        assert_eq!((child.calls, child.self_units), (2, 15));
        assert_eq!(paths.paths.len(), 5, "{:?}", paths.paths);
    }
}

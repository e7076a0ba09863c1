//! The span collector: a thread that takes each kept call from the runtime's span queue as it
//! ends, names it, keeps it for the recording and streams it to OTLP.
//!
//! Naming waits for the modules' symbols (read on another thread while the guest runs); spans
//! queue meanwhile, up to the runtime queue's capacity, beyond which the runtime counts drops.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use wobs_events::{ProbeMap, RawSpan, SpanFunction, SpanRecord, SpanSet};
use wobs_symbolize::SharedSymbols;

use crate::export::otlp::OtlpExporter;
use crate::trace_context::TraceContext;

/// Spans a recording keeps at most (~100 bytes each in memory); later ones are still exported
/// and counted in [`SpanSet::not_recorded`].
pub const MAX_RECORDED_SPANS: usize = 1_000_000;

/// What names the spans of one module.
pub struct SpanNaming {
    /// The module's probes (names and original code ranges).
    pub probes: Option<Arc<ProbeMap>>,
    /// Its symbols, for the source position of each function's entry.
    pub symbols: Option<SharedSymbols>,
    /// The symbols were read from the instrumented module itself (a module instrumented ahead of
    /// time), not from the original: code offsets must be translated through the probe map.
    pub symbols_of_instrumented: bool,
}

/// A running span collector.
pub struct SpanCollector {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(SpanSet, Option<OtlpExporter>)>,
}

impl SpanCollector {
    /// Starts collecting from `receiver`, keeping at most `max_recorded` spans in memory for the
    /// recording (0 when nothing will read them: memory then stays bounded by the queues alone).
    /// `naming` is called once, on the collector thread, and may block until symbols are ready.
    pub fn start(
        receiver: Receiver<RawSpan>,
        context: &TraceContext,
        min_duration: Duration,
        max_recorded: usize,
        naming: impl FnOnce() -> Vec<SpanNaming> + Send + 'static,
        mut exporter: Option<OtlpExporter>,
    ) -> std::io::Result<SpanCollector> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let set = SpanSet {
            trace_id: context.trace_id,
            root_span_id: context.root_span_id,
            remote_parent: context.remote_parent,
            trace_state: context.trace_state.clone(),
            min_duration_ns: min_duration.as_nanos().min(u128::from(u64::MAX)) as u64,
            ..SpanSet::default()
        };
        let thread = std::thread::Builder::new()
            .name("wobs-spans".into())
            .spawn(move || {
                let mut intake = Intake {
                    names: FunctionTable::new(naming()),
                    set,
                    exporter: exporter.take(),
                    max_recorded,
                };
                loop {
                    match receiver.recv_timeout(Duration::from_millis(25)) {
                        Ok(raw) => intake.take(raw),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                    if let Some(exporter) = &mut intake.exporter {
                        exporter.tick();
                    }
                    // The run is over: everything it emitted is already queued.
                    if thread_stop.load(Ordering::SeqCst) {
                        while let Ok(raw) = receiver.try_recv() {
                            intake.take(raw);
                        }
                        break;
                    }
                }
                intake.set.functions = intake.names.functions;
                (intake.set, intake.exporter)
            })?;
        Ok(SpanCollector { stop, thread })
    }

    /// Call once the run has returned: takes what is left in the queue and hands over the spans
    /// and the exporter (to send the root span).
    pub fn finish(self) -> (SpanSet, Option<OtlpExporter>) {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .join()
            .unwrap_or_else(|_| (SpanSet::default(), None))
    }
}

/// The collector thread's state.
struct Intake {
    names: FunctionTable,
    set: SpanSet,
    exporter: Option<OtlpExporter>,
    max_recorded: usize,
}

impl Intake {
    fn take(&mut self, raw: RawSpan) {
        let record = self.names.record(raw);
        if let Some(exporter) = &mut self.exporter {
            exporter.push(&record, &self.names.functions[record.function as usize]);
        }
        if self.set.spans.len() < self.max_recorded {
            self.set.spans.push(record);
        } else {
            self.set.not_recorded += 1;
        }
    }
}

/// Functions named once each.
pub(crate) struct FunctionTable {
    naming: Vec<SpanNaming>,
    ids: HashMap<(u32, u32), u32>,
    /// Every function named so far; a [`SpanRecord::function`] indexes it.
    pub functions: Vec<SpanFunction>,
}

impl FunctionTable {
    pub(crate) fn new(naming: Vec<SpanNaming>) -> FunctionTable {
        FunctionTable {
            naming,
            ids: HashMap::new(),
            functions: Vec::new(),
        }
    }

    /// A kept call as a recording keeps it, its function named here.
    pub(crate) fn record(&mut self, raw: RawSpan) -> SpanRecord {
        SpanRecord {
            function: self.index(raw.module, raw.function),
            span_id: raw.span_id,
            parent_span_id: raw.parent_span_id,
            start_unix_ns: raw.start_unix_ns,
            end_unix_ns: raw.end_unix_ns,
            filtered_calls: raw.filtered_calls,
            unfinished: raw.unfinished,
            memory_grows: raw.memory_grows,
        }
    }

    fn index(&mut self, module: u32, function: u32) -> u32 {
        if let Some(&id) = self.ids.get(&(module, function)) {
            return id;
        }
        let id = self.functions.len() as u32;
        self.functions.push(self.describe(module, function));
        self.ids.insert((module, function), id);
        id
    }

    fn describe(&self, module: u32, index: u32) -> SpanFunction {
        let naming = self.naming.get(module as usize);
        let probe = naming
            .and_then(|n| n.probes.as_ref())
            .and_then(|map| Some((map, map.probes.iter().find(|p| p.id == index)?)));
        let mut function = SpanFunction {
            module,
            index,
            name: probe.map_or_else(
                || format!("wasm-function[{index}]"),
                |(_, p)| p.name.clone(),
            ),
            file: None,
            line: None,
        };
        let (Some(naming), Some((map, probe))) = (naming, probe) else {
            return function;
        };
        let offset = match naming.symbols_of_instrumented {
            false => Some(probe.code.start),
            true => map
                .functions
                .iter()
                .find(|f| f.old.start == probe.code.start)
                .map(|f| f.new.start),
        };
        let entry = offset
            .zip(naming.symbols.as_ref())
            .and_then(|(offset, symbols)| symbols.lock().ok()?.entry_line(offset));
        if let Some((file, line)) = entry {
            function.file = Some(file);
            function.line = Some(line);
        }
        function
    }
}

//! Raw samples + module symbols → a [`Recording`].

use std::collections::HashMap;

use wobs_events::{
    Frame, ModuleInfo, Outcome, ProbeMap, RawFrame, RawOutcome, RawProfile, RawTrace, Recording,
    RunInfo, Sample, Stack, TraceFrame,
};
use wobs_symbolize::ModuleSymbols;

use crate::summary::{summarize, EntryLines};

/// Everything [`build_recording`] needs besides symbols.
#[derive(Debug, Clone, Copy)]
pub struct RecordingInput<'a> {
    /// The modules, main first.
    pub modules: &'a [ModuleInfo],
    /// `argv` as the guest saw it.
    pub args: &'a [String],
    /// Export called instead of `_start`.
    pub invoke: Option<&'a str>,
    /// Sampling interval in ns (0 when off).
    pub interval_ns: u64,
    /// The interval is of the guest thread's CPU time, not wall-clock time.
    pub cpu_clock: bool,
    /// Start time, ms since the Unix epoch.
    pub start_unix_ms: u64,
    /// Guest run time in ns.
    pub duration_ns: u64,
    /// The samples.
    pub profile: &'a RawProfile,
    /// How the run ended.
    pub outcome: &'a RawOutcome,
    /// Exact figures from probes, for instrumented runs.
    pub trace: Option<&'a RawTrace>,
    /// Per module: the `wobs.map` of a module instrumented in memory whose symbols were built
    /// from the *original* bytes; sampled offsets are translated through it. Empty: none.
    pub original_offsets: &'a [Option<&'a ProbeMap>],
}

/// Symbolizes and aggregates one run. `symbols[i]` belongs to `input.modules[i]`; `None` (module
/// unreadable by the symbolizer) gives `module+0xOFFSET` frames.
pub fn build_recording(input: RecordingInput<'_>, symbols: &[Option<&ModuleSymbols>]) -> Recording {
    let mut frames = FrameTable::new(
        symbols,
        input.original_offsets,
        &input.profile.host_functions,
    );
    let stacks: Vec<Stack> = input
        .profile
        .stacks
        .iter()
        .map(|raw| Stack {
            frames: raw.iter().flat_map(|f| frames.outer_first(*f)).collect(),
        })
        .collect();
    let outcome = match input.outcome {
        RawOutcome::Exited(code) => Outcome::Exited { code: *code },
        RawOutcome::Returned(values) => Outcome::Returned {
            values: values.clone(),
        },
        RawOutcome::Trapped { message, backtrace } => Outcome::Trapped {
            message: message.clone(),
            backtrace: frames.backtrace(backtrace),
        },
        RawOutcome::TimedOut(limit_ms) => Outcome::TimedOut {
            limit_ms: *limit_ms,
        },
        RawOutcome::Interrupted => Outcome::Interrupted,
        RawOutcome::Failed(message) => Outcome::Failed {
            message: message.clone(),
        },
    };
    let run = RunInfo {
        args: input.args.to_vec(),
        invoke: input.invoke.map(str::to_string),
        start_unix_ms: input.start_unix_ms,
        duration_ns: input.duration_ns,
        interval_ns: input.interval_ns,
        cpu_clock: input.cpu_clock,
        samples_taken: input.profile.samples.len() as u64,
        samples_dropped: input.profile.dropped,
        samples_at_probes: input.profile.at_probes,
        guest_cpu_ns: input.profile.guest_cpu_ns,
        outcome,
    };
    let mut recording = Recording::new(input.modules.to_vec(), run);
    recording.frames = std::mem::take(&mut frames.frames);
    recording.stacks = stacks;
    recording.samples = input
        .profile
        .samples
        .iter()
        .map(|s| Sample {
            stack: s.stack,
            time_ns: s.time_ns,
            span_id: s.span.is_valid().then_some(s.span),
        })
        .collect();
    recording.trace = input.trace.cloned();
    recording.functions = summarize(&recording, &frames.entry_lines);
    recording
}

/// Symbolizes a trap's physical frames (a served request's, say) as a recording's are.
/// `symbols[i]` belongs to code unit `i`.
pub fn symbolize_backtrace(
    backtrace: &[RawFrame],
    symbols: &[Option<&ModuleSymbols>],
) -> Vec<TraceFrame> {
    FrameTable::new(symbols, &[], &[]).backtrace(backtrace)
}

/// The name of frames standing for time in host calls (`[host] poll_oneoff`, or `[host]` when the
/// function is not known).
pub const HOST_FRAME: &str = "[host]";

/// Interned symbolized frames, with a cache per raw frame.
struct FrameTable<'a> {
    symbols: &'a [Option<&'a ModuleSymbols>],
    /// Names of host functions, for host frames.
    host_functions: &'a [String],
    original_offsets: &'a [Option<&'a ProbeMap>],
    frames: Vec<Frame>,
    ids: HashMap<Frame, u32>,
    /// Raw frame → its source frames' ids, outermost first.
    expanded: HashMap<RawFrame, Vec<u32>>,
    /// Opening line of each physical function seen, for the summary.
    entry_lines: EntryLines,
}

impl<'a> FrameTable<'a> {
    fn new(
        symbols: &'a [Option<&'a ModuleSymbols>],
        original_offsets: &'a [Option<&'a ProbeMap>],
        host_functions: &'a [String],
    ) -> Self {
        FrameTable {
            symbols,
            host_functions,
            original_offsets,
            frames: Vec::new(),
            ids: HashMap::new(),
            expanded: HashMap::new(),
            entry_lines: HashMap::new(),
        }
    }

    /// A trap's physical frames with their source frames.
    fn backtrace(&self, raw: &[RawFrame]) -> Vec<TraceFrame> {
        raw.iter()
            .map(|raw| TraceFrame {
                module: raw.module,
                offset: raw.offset,
                frames: self.symbolize(*raw),
            })
            .collect()
    }

    /// Source frames at `raw`, innermost first.
    fn symbolize(&self, raw: RawFrame) -> Vec<Frame> {
        if raw.is_host() {
            let function = match self.host_functions.get(raw.offset as usize) {
                Some(name) => format!("{HOST_FRAME} {name}"),
                None => HOST_FRAME.to_string(),
            };
            return vec![Frame {
                function,
                module: raw.module,
                file: None,
                line: None,
                column: None,
                inlined: false,
            }];
        }
        let Some(Some(symbols)) = self.symbols.get(raw.module as usize) else {
            return vec![Frame {
                function: format!("module{}+{:#x}", raw.module, raw.offset),
                module: raw.module,
                file: None,
                line: None,
                column: None,
                inlined: false,
            }];
        };
        symbols
            .lookup(self.lookup_offset(raw))
            .into_iter()
            .map(|loc| Frame {
                function: loc.function,
                module: raw.module,
                file: loc.file,
                line: loc.line,
                column: loc.column,
                inlined: loc.inlined,
            })
            .collect()
    }

    /// The offset to look `raw` up at: translated to the original module when its symbols are the
    /// original's.
    fn lookup_offset(&self, raw: RawFrame) -> u32 {
        match self.original_offsets.get(raw.module as usize) {
            Some(Some(map)) => map.original_offset(raw.offset).unwrap_or(raw.offset),
            _ => raw.offset,
        }
    }

    /// Ids of the source frames at `raw`, outermost first (the order stacks use).
    fn outer_first(&mut self, raw: RawFrame) -> Vec<u32> {
        if let Some(ids) = self.expanded.get(&raw) {
            return ids.clone();
        }
        let frames = self.symbolize(raw);
        if let (Some(physical), Some(Some(symbols))) =
            (frames.last(), self.symbols.get(raw.module as usize))
        {
            let key = (raw.module, physical.function.clone());
            let offset = self.lookup_offset(raw);
            if let std::collections::hash_map::Entry::Vacant(slot) = self.entry_lines.entry(key) {
                if let Some(line) = symbols.entry_line(offset) {
                    slot.insert(line);
                }
            }
        }
        let ids: Vec<u32> = frames
            .into_iter()
            .rev()
            .map(|frame| self.intern(frame))
            .collect();
        self.expanded.insert(raw, ids.clone());
        ids
    }

    fn intern(&mut self, frame: Frame) -> u32 {
        if let Some(&id) = self.ids.get(&frame) {
            return id;
        }
        let id = self.frames.len() as u32;
        self.frames.push(frame.clone());
        self.ids.insert(frame, id);
        id
    }
}

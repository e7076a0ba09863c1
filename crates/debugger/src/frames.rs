//! Frames: which one is selected (`frame N`, `up`, `down`, counting inlined calls as
//! `backtrace` numbers them), how each is described (`#1  0x… in f (a=1) at file.c:3`), its
//! arguments and locals.

use std::fmt::Write as _;
use std::io::Write as _;

use wobs_events::CodeLocation;
use wobs_symbolize::Location;

use crate::{at, value_text, without_pointer_type, Debugger, Flow, FrameId};

impl Debugger {
    /// Where to look up frame `index`'s source line: a caller's location is the instruction
    /// after its call, so the call itself is one byte before (variables: see `in_frame`).
    pub(crate) fn lookup_location(&self, index: usize) -> Option<CodeLocation> {
        let frame = self.stop.as_ref()?.frames.get(index)?;
        let mut location = frame.location;
        let before = CodeLocation {
            offset: location.offset.saturating_sub(1),
            ..location
        };
        // A caller is inside its call; so is a stop on code the compiler gave no line (line 0:
        // clang's wasm code after a call, where `finish` lands), which takes the call's line.
        if index > 0 || self.source_of(location).is_none() && self.source_of(before).is_some() {
            location = before;
        }
        Some(location)
    }

    pub(crate) fn current(&self) -> Result<&wobs_events::DebugFrame, String> {
        let stop = self.stop.as_ref().ok_or("No stack.")?;
        stop.frames
            .get(self.selected)
            .ok_or_else(|| "No stack.".to_string())
    }

    /// `backtrace [full] [N|-N]`: every frame, or the innermost (outermost) N, with each frame's
    /// locals under it for `full`, as gdb prints them.
    pub(crate) fn backtrace(&self, rest: &str) -> Result<Flow, String> {
        self.stop.as_ref().ok_or("No stack.")?;
        let mut full = false;
        let mut limit: Option<i64> = None;
        for word in rest.split_whitespace() {
            match word {
                "full" | "-full" => full = true,
                _ => {
                    let count = word
                        .parse()
                        .map_err(|_| format!("No symbol \"{word}\" in current context."))?;
                    limit = Some(count);
                }
            }
        }
        // (physical index, inline depth, frame line), innermost first.
        let mut frames = Vec::new();
        for index in 0..self.shown_frames() {
            for (depth, line) in self
                .describe_physical(index, frames.len())
                .into_iter()
                .enumerate()
            {
                frames.push((index, depth, line));
            }
        }
        let total = frames.len();
        let shown = match limit {
            Some(n) if n >= 0 => 0..total.min(n as usize),
            Some(n) => total.saturating_sub(n.unsigned_abs() as usize)..total,
            None => 0..total,
        };
        let more = shown.end < total;
        for (index, depth, line) in &frames[shown] {
            say!(self, "{line}");
            if full {
                let locals = self.frame_variables(*index, *depth, false)?;
                if locals.is_empty() {
                    say!(self, "No locals.");
                }
                for local in locals {
                    say!(self, "        {local}");
                }
            }
        }
        // gdb says so only to a person at a terminal, not in a script.
        if more && !self.batch {
            say!(self, "(More stack frames follow...)");
        }
        Ok(Flow::Next)
    }

    /// `0x… in ` before a frame whose location is inside a source line rather than at its start
    /// (a caller's return address, a stop after `finish` or `stepi`), as gdb prints it.
    pub(crate) fn address_prefix(&self, index: usize, location: CodeLocation) -> String {
        // A breakpoint's own address with a line starts a line-table row gdb chose (past a
        // one-line function's prologue, that row is on the line the function opened).
        let line_start = index == 0
            && self.source_of(location).is_some()
            && (self
                .symbols(location.module)
                .and_then(|s| s.is_line_start(location.offset))
                == Some(true)
                || self.source_of(location).is_some()
                    && self
                        .breakpoints
                        .iter()
                        .any(|b| b.locations.contains(&location)));
        match line_start {
            true => String::new(),
            false => format!("{:#010x} in ", location.offset),
        }
    }

    /// How many physical frames a backtrace shows: up to `main`'s, as gdb's (`backtrace
    /// past-main` off: the C runtime's `__main_void`, `_start` and the component's adapter are
    /// not the user's); all of them when no frame is `main`.
    pub(crate) fn shown_frames(&self) -> usize {
        let Some(stop) = &self.stop else {
            return 0;
        };
        if self.past_main {
            return stop.frames.len();
        }
        (0..stop.frames.len())
            .find(|&index| {
                let location = self
                    .lookup_location(index)
                    .unwrap_or(stop.frames[index].location);
                self.source_frames(location)
                    .last()
                    .is_some_and(|source| source.function == "main")
            })
            .map_or(stop.frames.len(), |main| main + 1)
    }

    /// `#N` lines for the source frames of physical frame `index` (inlined ones marked).
    pub(crate) fn describe_physical(&self, index: usize, first_number: usize) -> Vec<String> {
        let Some(frame) = self.stop.as_ref().and_then(|s| s.frames.get(index)) else {
            return Vec::new();
        };
        let sources = self.source_frames(self.lookup_location(index).unwrap_or(frame.location));
        sources
            .into_iter()
            .enumerate()
            .map(|(depth, source)| {
                let number = first_number + depth;
                // gdb shows a frame's address on the innermost of its inlined frames.
                let address = if depth == 0 {
                    self.address_prefix(index, frame.location)
                } else {
                    String::new()
                };
                let args = self.inlined_args_text(index, depth);
                // gdb does not mark inlined frames.
                format!(
                    "#{number:<2} {address}{} ({args}){}{}",
                    source.function,
                    at(&source),
                    self.library_suffix(frame.location.module, !at(&source).is_empty())
                )
            })
            .collect()
    }

    /// `function (args) at file:line` for frame `index`.
    pub(crate) fn describe_frame(&self, index: usize, _short: bool) -> String {
        let Some(frame) = self.stop.as_ref().and_then(|s| s.frames.get(index)) else {
            return String::new();
        };
        let source = self
            .source_frames(self.lookup_location(index).unwrap_or(frame.location))
            .into_iter()
            .next();
        match source {
            Some(source) => format!(
                "{}{} ({}){}{}",
                self.address_prefix(index, frame.location),
                source.function,
                self.args_text(index),
                at(&source),
                self.library_suffix(frame.location.module, !at(&source).is_empty())
            ),
            None => format!(
                "{:#x} in ?? (){}",
                frame.location.offset,
                self.library_suffix(frame.location.module, false)
            ),
        }
    }

    /// ` from UNIT` for a frame without a source line in a code unit other than `main`'s, as gdb
    /// names the shared library of a frame without debug information (and not the executable).
    pub(crate) fn library_suffix(&self, module: u32, with_line: bool) -> String {
        let main = self.main_location().map_or(0, |main| main.module);
        if with_line || module == main {
            return String::new();
        }
        self.unit_names
            .get(module as usize)
            .map_or_else(String::new, |name| format!(" from {name}"))
    }

    /// The source frames at `location`, innermost first, each function named as gdb names a
    /// frame's ([`wobs_symbolize::frame_name`]: no parameter list).
    /// Which frame the guest is stopped in, inlined calls counted as frames.
    pub(crate) fn innermost_frame(&self) -> Option<FrameId> {
        let stop = self.stop.as_ref()?;
        let frame = stop.frames.first()?;
        let sources = self.source_frames(frame.location);
        Some(FrameId {
            depth: stop.frames.len() + sources.len(),
            function: frame.function,
            source_function: sources.into_iter().next().map(|f| f.function),
        })
    }

    pub(crate) fn source_frames(&self, location: CodeLocation) -> Vec<Location> {
        let mut frames = self
            .symbols(location.module)
            .map(|s| s.lookup(location.offset))
            .unwrap_or_default();
        for frame in &mut frames {
            let name = wobs_symbolize::frame_name(&frame.function);
            if name.len() != frame.function.len() {
                frame.function = name.to_string();
            }
        }
        frames
    }

    pub(crate) fn source_of(&self, location: CodeLocation) -> Option<(String, u32)> {
        let frame = self.source_frames(location).into_iter().next()?;
        Some((frame.file?, frame.line.filter(|&l| l > 0)?))
    }

    /// `a=1, b=0x10` for the parameters of frame `index`.
    pub(crate) fn args_text(&self, index: usize) -> String {
        self.inlined_args_text(index, 0)
    }

    /// The same for the source frame `depth` inlined calls out from the innermost one at frame
    /// `index` (0: the innermost; the last: the wasm function's own).
    pub(crate) fn inlined_args_text(&self, index: usize, depth: usize) -> String {
        self.in_frame(index, |symbols, pc, state| {
            symbols
                .variables_at_depth(pc, depth)
                .iter()
                .filter(|v| v.is_parameter)
                .map(|v| {
                    // gdb's `print frame-arguments scalars`: aggregates show as `...`.
                    if v.is_aggregate {
                        return format!("{}=...", v.name);
                    }
                    let value = symbols.format_variable(pc, v, state);
                    format!("{}={}", v.name, without_pointer_type(&value))
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
    }

    pub(crate) fn variables(&self, parameters: bool) -> Result<Flow, String> {
        let inline_depth = self.selected_inline;
        let lines = self.frame_variables(self.selected, inline_depth, parameters)?;
        if lines.is_empty() {
            say!(
                self,
                "{}",
                if parameters {
                    "No arguments."
                } else {
                    "No locals."
                }
            );
        }
        for line in lines {
            say!(self, "{line}");
        }
        Ok(Flow::Next)
    }

    /// `name = value` of the parameters (or the locals) of an inlined frame of physical frame
    /// `index`.
    fn frame_variables(
        &self,
        index: usize,
        inline_depth: usize,
        parameters: bool,
    ) -> Result<Vec<String>, String> {
        self.in_inlined_frame(index, inline_depth, |symbols, pc, state| {
            symbols
                .variables_at_depth(pc, state.inline_depth)
                .into_iter()
                .filter(|v| v.is_parameter == parameters)
                .map(|v| {
                    let value = symbols.format_variable(pc, &v, state);
                    format!("{} = {}", v.name, without_pointer_type(&value))
                })
                .collect()
        })
    }

    pub(crate) fn info_frame(&self) -> Result<Flow, String> {
        let frame = self.current()?;
        let mut out = format!(
            "Stack level {}, pc = {:#x} in wasm function {} of module {}\n",
            self.selected, frame.location.offset, frame.function, frame.location.module
        );
        for (i, value) in frame.locals.iter().enumerate() {
            let _ = writeln!(out, " local[{i}] = {}", value_text(value));
        }
        for (i, value) in frame.stack.iter().enumerate() {
            let _ = writeln!(out, " stack[{i}] = {}", value_text(value));
        }
        let _ = write!(self.out.borrow_mut(), "{out}");
        Ok(Flow::Next)
    }

    /// `frame N`, `up`, `down`: N counts frames as `backtrace` numbers them, inlined calls
    /// included.
    pub(crate) fn select_frame(&mut self, number: Option<usize>) -> Result<Flow, String> {
        self.stop.as_ref().ok_or("No stack.")?;
        let number = number.unwrap_or_else(|| self.frame_number());
        let (index, depth) = self
            .frame_of_number(number)
            .ok_or_else(|| format!("No frame at level {number}."))?;
        self.selected = index;
        self.selected_inline = depth;
        let line = self
            .describe_physical(index, number - depth)
            .into_iter()
            .nth(depth)
            .unwrap_or_default();
        say!(self, "{line}");
        let location = self.lookup_location(index);
        if let Some(source) = location.and_then(|l| self.source_frames(l).into_iter().nth(depth)) {
            if let (Some(file), Some(line)) = (source.file, source.line.filter(|&l| l > 0)) {
                match self.sources.line(&self.source_path(&file), line) {
                    Some(text) => say!(self, "{line}\t{text}"),
                    None => say!(self, "{line}\tin {file}"),
                }
            }
        }
        Ok(Flow::Next)
    }

    /// The selected frame's number in `backtrace`'s count.
    pub(crate) fn frame_number(&self) -> usize {
        (0..self.selected)
            .map(|i| self.source_frame_count(i))
            .sum::<usize>()
            + self.selected_inline
    }

    /// The wasm frame and inlined depth `backtrace`'s frame `number` is.
    pub(crate) fn frame_of_number(&self, number: usize) -> Option<(usize, usize)> {
        let mut first = 0;
        for index in 0..self.shown_frames() {
            let count = self.source_frame_count(index);
            if number < first + count {
                return Some((index, number - first));
            }
            first += count;
        }
        None
    }

    /// How many frames `backtrace` shows for wasm frame `index` (its inlined calls and itself).
    pub(crate) fn source_frame_count(&self, index: usize) -> usize {
        self.lookup_location(index)
            .map_or(1, |location| self.source_frames(location).len().max(1))
    }
}

//! gdb's command language over a wobs debug session: parses commands, drives the session, and
//! writes what gdb prints. Batch mode (`-ex`, `-x`), the `(wobs)` prompt and the terminal UI all
//! feed it one command at a time.
//!
//! The session is anything that implements [`Session`] (wobs-runtime's `DebugSession` does): this
//! crate depends on the event types and symbols only, never on the runtime.

mod disasm;
mod frame_state;
mod source;
mod view;

pub use view::{BreakpointView, FrameView, RunState, View};

use std::io::Write as _;

use wobs_events::{
    CodeLocation, DebugCommand, DebugEvent, DebugStop, RawOutcome, Resume, StopReason,
};
use wobs_symbolize::{Location, SharedSymbols};

use frame_state::StoppedFrame;
use source::Sources;

/// The `help` text: every command, gdb's names.
const HELP: &str = "\
break|b LOCATION      breakpoint at FILE:LINE, LINE, FUNCTION or *OFFSET (tbreak: once)
delete [N...]         delete breakpoints (all without N)
info breakpoints|locals|args|frame
run|r                 start the program
continue|c            run to the next breakpoint
next|n, step|s        next source line, over / into calls
nexti|ni, stepi|si    next wasm instruction, over / into calls
finish                run until the selected frame returns
until|advance LOCATION  run to LOCATION
backtrace|bt, frame N, up [N], down [N]
print|p EXPR          a variable, a.b, p->x, a[i], *p, &x, $N
x/NFU ADDR            examine memory (N units, F in x d u c, U in b h w g)
list                  source around the selected line
directory PATH        look for source files in PATH too
memory EXPR           64 bytes at EXPR, kept in the UI's memory pane (memory: hide)
disassemble           the selected frame's function, => at its instruction
layout asm|src        the UI shows instructions or source
follow EXPR           the UI shows what pointer EXPR points to in the variables tree
kill, quit            end the session
";

/// A debug session as the command layer drives it.
pub trait Session {
    /// Sends a command; false when the session is gone.
    fn send(&self, command: DebugCommand) -> bool;
    /// The next event, waiting for it; `None` once the session has ended.
    fn next_event(&self) -> Option<DebugEvent>;
}

/// Writes one line of output (gdb's `printf` is this layer's only side effect).
macro_rules! say {
    ($self:expr) => {{
        let _ = writeln!($self.out.borrow_mut());
    }};
    ($self:expr, $($arg:tt)*) => {{
        let _ = writeln!($self.out.borrow_mut(), $($arg)*);
    }};
}

// After `say!`, which they use.
mod breakpoints;
mod condition;
mod display;
mod frames;
mod info_symbol;
mod inspect;
mod watch;

/// What to do after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Next,
    /// Stop reading commands (`quit`, `kill`).
    Quit,
}

struct Breakpoint {
    id: u32,
    spec: String,
    locations: Vec<CodeLocation>,
    temporary: bool,
    /// Stops counted (a stop whose condition is false is not one).
    hits: u32,
    /// `break … if COND`, `condition N COND`: stop only where COND is true.
    condition: Option<String>,
    /// A watchpoint (`watch EXPR`, the expression in `spec`), which has no code locations.
    watch: Option<watch::Watch>,
}

/// The debugger's state between commands.
pub struct Debugger {
    session: Box<dyn Session + Send>,
    out: std::cell::RefCell<Box<dyn std::io::Write + Send>>,
    symbols: Vec<Option<SharedSymbols>>,
    /// The entry function (`main`, or the invoked export), for `run`'s first stop and `list`.
    breakpoints: Vec<Breakpoint>,
    next_breakpoint: u32,
    stop: Option<DebugStop>,
    selected: usize,
    started: bool,
    outcome: Option<RawOutcome>,
    history: Vec<String>,
    sources: Sources,
    /// `--source-map FROM=TO` prefixes, tried in order.
    source_maps: Vec<(String, String)>,
    /// `directory PATH`s where source files are looked for, newest first.
    directories: Vec<String>,
    /// `memory EXPR`: what the memory pane shows.
    memory_watch: Option<String>,
    /// The error the last command ended with, for a front end to show beside its command line.
    last_error: Option<String>,
    /// `follow EXPR`: pointers whose targets the variables tree shows.
    followed: std::collections::BTreeSet<String>,
    /// Module bytes, for `disassemble` (index = module).
    module_bytes: Vec<Option<std::sync::Arc<Vec<u8>>>>,
    /// The code units' names (a component's core modules), for `UNIT!LOCATION` and for frames
    /// without source.
    unit_names: Vec<String>,
    /// `layout asm`: the UI shows instructions instead of source.
    layout_asm: bool,
    /// The entry function's source position, once looked up.
    entry: std::sync::OnceLock<Option<(String, u32)>>,
    /// Where `main` starts, once looked up.
    main: std::sync::OnceLock<Option<CodeLocation>>,
    /// `set backtrace past-main on`: backtraces go on past `main` into the C runtime.
    past_main: bool,
    /// `display` expressions, shown at every stop.
    displays: display::Displays,
    /// What changed at the watchpoint stop being reported.
    watch_report: Vec<watch::Changed>,
    /// Which inlined source frame of the selected wasm frame is selected (0: the innermost), so
    /// that `up`, `down` and `frame N` count frames as `backtrace` numbers them.
    selected_inline: usize,
    /// Commands come from a script in batch mode (gdb's `from_tty` is false): the messages gdb
    /// prints only for a person at a terminal (`Run till exit from …`) are left out.
    batch: bool,
    /// Set while a command steps several times and prints only the end.
    quiet: bool,
    /// Where `until`/`advance LOCATION` runs to: breakpoints of its own, never listed.
    advance_to: Vec<CodeLocation>,
}

impl Debugger {
    /// A debugger over `session`; `symbols[i]` are module i's; output goes to `out`.
    pub fn new(
        session: Box<dyn Session + Send>,
        symbols: Vec<Option<SharedSymbols>>,
        out: Box<dyn std::io::Write + Send>,
    ) -> Debugger {
        Debugger {
            session,
            out: std::cell::RefCell::new(out),
            symbols,
            breakpoints: Vec::new(),
            next_breakpoint: 1,
            stop: None,
            selected: 0,
            started: false,
            outcome: None,
            history: Vec::new(),
            sources: Sources::default(),
            source_maps: Vec::new(),
            directories: Vec::new(),
            memory_watch: None,
            followed: std::collections::BTreeSet::new(),
            last_error: None,
            module_bytes: Vec::new(),
            unit_names: Vec::new(),
            layout_asm: false,
            entry: std::sync::OnceLock::new(),
            main: std::sync::OnceLock::new(),
            batch: false,
            past_main: false,
            displays: display::Displays::default(),
            watch_report: Vec::new(),
            selected_inline: 0,
            quiet: false,
            advance_to: Vec::new(),
        }
    }

    /// Reads source files whose DWARF path starts with `from` under `to` instead (e.g. Rust's
    /// `/rustc/<hash>/` or a build machine's checkout).
    pub fn add_source_map(&mut self, from: &str, to: &str) {
        self.source_maps.push((from.to_string(), to.to_string()));
    }

    /// Where to read the source file DWARF calls `file`: mapped by `--source-map`, else as is
    /// when it exists, else found in a `directory` (by its path, then its name).
    pub fn source_path(&self, file: &str) -> String {
        for (from, to) in &self.source_maps {
            if let Some(rest) = file.strip_prefix(from.as_str()) {
                return format!("{to}{rest}");
            }
        }
        if std::path::Path::new(file).exists() {
            return file.to_string();
        }
        let name = file.rsplit('/').next().unwrap_or(file);
        for directory in &self.directories {
            for candidate in [
                format!("{directory}/{}", file.trim_start_matches('/')),
                format!("{directory}/{name}"),
            ] {
                if std::path::Path::new(&candidate).exists() {
                    return candidate;
                }
            }
        }
        file.to_string()
    }

    /// `directory PATH`: look for source files there too (`directory` alone forgets them).
    fn directory(&mut self, path: &str) -> Result<Flow, String> {
        if path.is_empty() {
            self.directories.clear();
            say!(self, "Source directories searched: $cwd");
        } else {
            self.directories.insert(0, path.to_string());
            self.sources = Sources::default();
            say!(self, "Source directories searched: {path}:$cwd");
        }
        Ok(Flow::Next)
    }

    /// Gives `disassemble` and the assembly layout module `module`'s bytes.
    pub fn set_module_bytes(&mut self, module: u32, bytes: std::sync::Arc<Vec<u8>>) {
        let index = module as usize;
        if self.module_bytes.len() <= index {
            self.module_bytes.resize(index + 1, None);
        }
        self.module_bytes[index] = Some(bytes);
    }

    /// Batch mode (`--batch`): commands come from a script, not a person at a terminal.
    pub fn set_batch(&mut self, batch: bool) {
        self.batch = batch;
    }

    /// Names the code units (index = module), for `break UNIT!LOCATION` and for frames without
    /// source (`from UNIT`, as gdb names a shared library).
    pub fn set_unit_names(&mut self, names: Vec<String>) {
        self.unit_names = names;
    }

    /// Where `main` starts: in the first code unit that has one (a component's main module need
    /// not be its first). Looked up once: it scans DWARF (tens of ms on a 50 MB module).
    fn main_location(&self) -> Option<CodeLocation> {
        *self.main.get_or_init(|| {
            (0..self.symbols.len() as u32).find_map(|module| {
                let offset = *self.symbols(module)?.function_offsets("main").first()?;
                Some(CodeLocation { module, offset })
            })
        })
    }

    /// The selected frame's function as (offset, instruction), and the offset it is at.
    fn disassembly(&self) -> Result<(Vec<(u32, String)>, u32), String> {
        let frame = self.current()?;
        let location = frame.location;
        let bytes = self
            .module_bytes
            .get(location.module as usize)
            .and_then(Option::as_ref)
            .ok_or("No module bytes to disassemble.")?;
        let lines = disasm::function_at(bytes, location.offset)
            .ok_or_else(|| format!("No function contains address {:#x}.", location.offset))?;
        Ok((lines, location.offset))
    }

    /// `disassemble`: the selected frame's function, `=>` at its instruction, as gdb prints.
    fn disassemble(&self) -> Result<Flow, String> {
        let (lines, at) = self.disassembly()?;
        let name = self
            .source_frames(self.current()?.location)
            .last()
            .map_or_else(|| "??".to_string(), |f| f.function.clone());
        say!(self, "Dump of assembler code for function {name}:");
        for (offset, text) in lines {
            let marker = if offset == at { "=> " } else { "   " };
            say!(self, "{marker}{offset:#010x}:\t{text}");
        }
        say!(self, "End of assembler dump.");
        Ok(Flow::Next)
    }

    /// How the guest ended, once it has.
    pub fn outcome(&self) -> Option<&RawOutcome> {
        self.outcome.as_ref()
    }

    /// Runs one command line, printing its output; errors are printed gdb-style, never fatal.
    pub fn execute(&mut self, line: &str) -> Flow {
        self.last_error = None;
        let line = line.trim();
        let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let result = match verb {
            "" => Ok(Flow::Next),
            "break" | "b" | "br" => self.set_breakpoint(rest, false),
            "tbreak" => self.set_breakpoint(rest, true),
            "condition" => self.condition(rest),
            "watch" => self.watch(rest),
            "delete" | "d" => self.delete(rest),
            "info" | "i" => self.info(rest),
            "run" | "r" | "start" => self.run(),
            "continue" | "c" => self.resume(Resume::Continue),
            "next" | "n" => self.resume(Resume::StepLine { into: false }),
            "step" | "s" => self.resume(Resume::StepLine { into: true }),
            "stepi" | "si" => self.resume(Resume::StepInstruction),
            "nexti" | "ni" => self.resume(Resume::NextInstruction),
            "finish" | "fin" => self.finish(),
            "until" | "u" | "advance" if !rest.is_empty() => self.advance(rest),
            "until" | "u" => self.until(),
            "backtrace" | "bt" | "where" => self.backtrace(rest),
            "frame" | "f" => self.select_frame(rest.parse().ok()),
            "up" => self.select_frame(Some(
                self.frame_number()
                    .saturating_add(rest.parse().unwrap_or(1)),
            )),
            "down" => self.select_frame(self.frame_number().checked_sub(rest.parse().unwrap_or(1))),
            "print" | "p" => self.print(rest, None),
            "whatis" => self.whatis(rest),
            "ptype" => self.ptype(rest),
            "set" => self.set(rest),
            _ if verb.starts_with("print/") || verb.starts_with("p/") => {
                output_format(verb).and_then(|format| self.print(rest, format))
            }
            "output" => self.output(rest, None),
            _ if verb.starts_with("output/") => {
                output_format(verb).and_then(|format| self.output(rest, format))
            }
            "display" => self.display(rest, None),
            _ if verb.starts_with("display/") => {
                output_format(verb).and_then(|format| self.display(rest, format))
            }
            "undisplay" => self.undisplay(rest),
            "list" | "l" => self.list(),
            "directory" | "dir" => self.directory(rest),
            "memory" => self.memory(rest),
            "follow" => self.follow(rest),
            "disassemble" | "disas" => self.disassemble(),
            "layout" => match rest {
                "asm" => {
                    self.layout_asm = true;
                    Ok(Flow::Next)
                }
                "src" => {
                    self.layout_asm = false;
                    Ok(Flow::Next)
                }
                _ => Err("Usage: layout src|asm".to_string()),
            },
            "kill" | "k" | "quit" | "q" => Ok(Flow::Quit),
            "help" | "h" => {
                let _ = write!(self.out.borrow_mut(), "{HELP}");
                Ok(Flow::Next)
            }
            x if x.starts_with("x/") || x == "x" => self.examine(x, rest),
            _ => Err(format!("Undefined command: \"{verb}\".  Try \"help\".")),
        };
        match result {
            Ok(flow) => flow,
            Err(message) => {
                say!(self, "{message}");
                self.last_error = Some(message);
                Flow::Next
            }
        }
    }

    fn symbols(
        &self,
        module: u32,
    ) -> Option<std::sync::MutexGuard<'_, wobs_symbolize::ModuleSymbols>> {
        self.symbols.get(module as usize)?.as_ref()?.lock().ok()
    }

    fn info(&mut self, rest: &str) -> Result<Flow, String> {
        match rest.split_whitespace().next().unwrap_or("") {
            "display" => {
                self.info_display();
                Ok(Flow::Next)
            }
            verb @ ("breakpoints" | "b" | "break" | "watchpoints") => {
                let only_watchpoints = verb == "watchpoints";
                let listed: Vec<&Breakpoint> = self
                    .breakpoints
                    .iter()
                    .filter(|b| !only_watchpoints || b.watch.is_some())
                    .collect();
                if listed.is_empty() {
                    match only_watchpoints {
                        true => say!(self, "No watchpoints."),
                        false => say!(self, "No breakpoints or watchpoints."),
                    }
                    return Ok(Flow::Next);
                }
                say!(self, "Num     Type           Disp Enb Address    What");
                for b in listed {
                    let disp = if b.temporary { "del " } else { "keep" };
                    if b.watch.is_some() {
                        say!(
                            self,
                            "{:<7} watchpoint     keep y              {}",
                            b.id,
                            b.spec
                        );
                    } else if let [location] = b.locations[..] {
                        let what = self.location_text(location, &b.spec);
                        let (id, offset) = (b.id, location.offset);
                        say!(
                            self,
                            "{id:<7} breakpoint     {disp} y   {offset:#010x} {what}"
                        );
                    } else {
                        say!(self, "{:<7} breakpoint     {disp} y   <MULTIPLE> ", b.id);
                    }
                    if let Some(condition) = &b.condition {
                        say!(self, "\tstop only if {condition}");
                    }
                    if b.hits > 0 {
                        say!(
                            self,
                            "\tbreakpoint already hit {} time{}",
                            b.hits,
                            if b.hits == 1 { "" } else { "s" }
                        );
                    }
                    if b.locations.len() > 1 {
                        for (number, &location) in b.locations.iter().enumerate() {
                            let what = self.location_text(location, &b.spec);
                            let id = format!("{}.{}", b.id, number + 1);
                            let offset = location.offset;
                            say!(self, "{id:<27} y   {offset:#010x} {what}");
                        }
                    }
                }
                Ok(Flow::Next)
            }
            "line" => self.info_line(
                rest.split_once(char::is_whitespace)
                    .map_or("", |(_, r)| r.trim()),
            ),
            "symbol" => self.info_symbol(
                rest.split_once(char::is_whitespace)
                    .map_or("", |(_, r)| r.trim()),
            ),
            "locals" => self.variables(false),
            "args" => self.variables(true),
            "frame" => self.info_frame(),
            other => Err(format!(
                "Undefined info command: \"{other}\".  Try \"help info\"."
            )),
        }
    }

    fn run(&mut self) -> Result<Flow, String> {
        if self.started {
            return Err("The program being debugged has been started already.".to_string());
        }
        self.resume(Resume::Continue)
    }

    /// Resumes without printing where a step ends (breakpoints, traps and exits still print).
    fn resume_quietly(&mut self, resume: Resume) -> Result<Flow, String> {
        self.quiet = true;
        let result = self.resume(resume);
        self.quiet = false;
        result
    }

    fn resume(&mut self, resume: Resume) -> Result<Flow, String> {
        if self.outcome.is_some() {
            return Err("The program is not being run.".to_string());
        }
        if !self.started && resume != Resume::Continue {
            return Err("The program is not being run.".to_string());
        }
        let previous = self.innermost_frame();
        self.started = true;
        self.selected = 0;
        self.selected_inline = 0;
        self.stop = None;
        if !self.session.send(DebugCommand::Resume(resume)) {
            return Err("The program is not being run.".to_string());
        }
        self.wait(previous, matches!(resume, Resume::Continue));
        Ok(Flow::Next)
    }

    /// Waits for the next stop or the end, and prints it.
    fn wait(&mut self, previous_frame: Option<FrameId>, continuing: bool) {
        let _ = self.out.borrow_mut().flush();
        match self.next_event_meeting_conditions() {
            Some(DebugEvent::Stopped(stop)) => {
                let location = stop.frames.first().map(|f| f.location);
                match &stop.reason {
                    StopReason::Breakpoint => {
                        // wasmtime slips a breakpoint between instructions forward to the next one:
                        // the nearest location at or before the stop is the one that was hit.
                        let hit = location.and_then(|l| self.breakpoint_hit(l));
                        let advanced =
                            location.and_then(|l| slip(&self.advance_to, l).map(|(d, _)| d));
                        let label = match (hit, advanced) {
                            (Some(hit), Some(arrived)) if arrived < hit.distance => None,
                            (Some(hit), _) => {
                                let (index, b) =
                                    (hit.location, &mut self.breakpoints[hit.breakpoint]);
                                b.hits += 1;
                                // gdb numbers the location hit when there are several.
                                let number = match b.locations.len() {
                                    1 => b.id.to_string(),
                                    _ => format!("{}.{}", b.id, index + 1),
                                };
                                Some((b.id, number, b.temporary))
                            }
                            (None, _) => None,
                        };
                        self.stop = Some(stop);
                        if label.is_none() && advanced.is_some() {
                            // `advance` arrived: report it like a finished step.
                            say!(self, "{}", self.describe_frame(0, false));
                        } else if let Some((id, number, temporary)) = label {
                            let kind = if temporary {
                                "Temporary breakpoint"
                            } else {
                                "Breakpoint"
                            };
                            say!(self, "\n{kind} {number}, {}", self.describe_frame(0, false));
                            if temporary {
                                self.breakpoints.retain(|b| b.id != id);
                                self.sync_breakpoints();
                            }
                        } else {
                            say!(self, "{}", self.describe_frame(0, false));
                        }
                    }
                    StopReason::Step => {
                        self.stop = Some(stop);
                        if self.quiet {
                            return;
                        }
                        let has_line = location.and_then(|l| self.source_of(l)).is_some();
                        // gdb names the frame when a step lands in another one (a call, a
                        // return, an inlined call entered or left) — except a return into the
                        // same function (recursion), where its step frame moved along with it.
                        let now = self.innermost_frame();
                        let returned_into_itself = matches!(
                            (&now, &previous_frame),
                            (Some(now), Some(before)) if now.depth < before.depth
                                && now.function == before.function
                                && now.source_function == before.source_function
                        );
                        if continuing || (now != previous_frame && !returned_into_itself) {
                            say!(self, "{}", self.describe_frame(0, false));
                        } else if !has_line {
                            // No line to show: say where, as gdb does for code without lines.
                            let name = self
                                .source_frames(location.unwrap_or_default())
                                .into_iter()
                                .next()
                                .map_or_else(|| "??".to_string(), |f| f.function);
                            let offset = location.map_or(0, |l| l.offset);
                            say!(self, "{offset:#010x} in {name} ()");
                        }
                    }
                    StopReason::Watchpoint => {
                        self.stop = Some(stop);
                        let changed = std::mem::take(&mut self.watch_report);
                        self.report_watchpoints(&changed);
                        say!(self, "{}", self.describe_frame(0, false));
                    }
                    StopReason::Interrupted => {
                        self.stop = Some(stop);
                        say!(self, "\nProgram received signal SIGINT, Interrupt.");
                        say!(self, "{}", self.describe_frame(0, false));
                    }
                    StopReason::Trap(message) => {
                        let message = message.clone();
                        self.stop = Some(stop);
                        say!(self, "\nProgram received a wasm trap: {message}");
                        say!(self, "{}", self.describe_frame(0, false));
                    }
                }
                self.print_source_line(0);
                self.show_displays();
            }
            Some(DebugEvent::Finished(outcome)) => {
                match &outcome {
                    RawOutcome::Exited(0) | RawOutcome::Returned(_) => {
                        say!(self, "[Inferior 1 (wasm) exited normally]")
                    }
                    RawOutcome::Exited(code) => {
                        say!(self, "[Inferior 1 (wasm) exited with code {code:02o}]")
                    }
                    RawOutcome::Trapped { message, .. } => {
                        say!(self, "\nProgram terminated with a wasm trap: {message}")
                    }
                    RawOutcome::Failed(message) => say!(self, "error: {message}"),
                    RawOutcome::Interrupted => say!(self, "[Inferior 1 (wasm) stopped]"),
                    RawOutcome::TimedOut(ms) => {
                        say!(self, "\nProgram stopped: time limit of {ms} ms reached.")
                    }
                }
                if let RawOutcome::Returned(values) = &outcome {
                    for value in values {
                        say!(self, "{value}");
                    }
                }
                self.outcome = Some(outcome);
            }
            Some(DebugEvent::Memory(_) | DebugEvent::Wrote(_)) | None => {
                self.outcome = Some(RawOutcome::Failed("the guest thread ended".to_string()));
            }
        }
    }

    /// `until LOCATION` / `advance LOCATION`: run to LOCATION (an internal one-time breakpoint).
    fn advance(&mut self, spec: &str) -> Result<Flow, String> {
        if self.stop.is_none() {
            return Err("The program is not being run.".to_string());
        }
        self.advance_to = self.resolve(spec)?;
        self.sync_breakpoints();
        let result = self.resume(Resume::Continue);
        self.advance_to.clear();
        self.sync_breakpoints();
        result
    }

    fn finish(&mut self) -> Result<Flow, String> {
        let stop = self.stop.as_ref().ok_or("The program is not being run.")?;
        if self.selected + 1 >= stop.frames.len() {
            return Err("\"finish\" not meaningful in the outermost frame.".to_string());
        }
        let frame = &stop.frames[self.selected];
        let (location, function) = (frame.location, frame.function);
        // A C function that returns an aggregate writes it where its first parameter points (the
        // wasm32 ABI's hidden result pointer): read there once it has returned.
        let result_pointer = frame.locals.first().copied();
        if !self.batch {
            say!(
                self,
                "Run till exit from #{}  {}",
                self.selected,
                self.describe_frame(self.selected, true)
            );
        }
        let sources = self.source_frames(location);
        if self.selected == 0 && sources.first().is_some_and(|s| s.inlined) {
            return self.finish_inlined(&sources[0].function);
        }
        let returns = self
            .symbols(location.module)
            .and_then(|s| s.result_count(function))
            .unwrap_or(0);
        self.resume(Resume::Finish {
            frame: self.selected,
        })?;
        // The callee's result is the top of the caller's operand stack right after the call,
        // printed with the callee's DWARF return type when it has one; without a wasm result, an
        // aggregate is where the hidden result pointer points.
        let raw = match returns {
            1 => self
                .stop
                .as_ref()
                .and_then(|s| s.frames.first())
                .and_then(|f| f.stack.last())
                .copied(),
            _ => result_pointer,
        };
        let Some(raw) = raw else {
            return Ok(Flow::Next);
        };
        let text = self
            .in_frame(0, |symbols, _, state| {
                let value = frame_state::wasm_value(raw)?;
                symbols.format_return_value(location.offset, value, state)
            })
            .ok()
            .flatten()
            .or_else(|| frame_state::wasm_value(raw).map(raw_text));
        if let Some(text) = text {
            self.history.push(text.clone());
            say!(self, "Value returned is ${} = {text}", self.history.len());
        }
        Ok(Flow::Next)
    }

    /// `until` alone: like `next`, but a jump back to an earlier line (a loop's back edge) does
    /// not stop it: it runs until a line after the current one, or the frame returns.
    fn until(&mut self) -> Result<Flow, String> {
        const MAX_STEPS: usize = 100_000;
        let here = |d: &Debugger| -> Option<(usize, Option<(String, u32)>)> {
            let stop = d.stop.as_ref()?;
            let frame = stop.frames.first()?;
            Some((stop.frames.len(), d.source_of(frame.location)))
        };
        let Some((depth, Some((file, line)))) = here(self) else {
            return self.resume(Resume::StepLine { into: false });
        };
        for _ in 0..MAX_STEPS {
            self.resume_quietly(Resume::StepLine { into: false })?;
            let Some((now_depth, now)) = here(self) else {
                return Ok(Flow::Next); // finished: the exit was printed
            };
            let past = match &now {
                Some((now_file, now_line)) => now_file != &file || *now_line > line,
                None => true,
            };
            if now_depth != depth || past {
                if now_depth != depth {
                    say!(self, "{}", self.describe_frame(0, false));
                }
                self.print_source_line(0);
                self.show_displays();
                return Ok(Flow::Next);
            }
        }
        Err(format!("no line after {line} in {MAX_STEPS} steps"))
    }

    /// `finish` out of an inlined call: step over lines until the innermost source function is no
    /// longer `function` (an inlined call has no frame of its own to return from).
    fn finish_inlined(&mut self, function: &str) -> Result<Flow, String> {
        const MAX_STEPS: usize = 10_000;
        for _ in 0..MAX_STEPS {
            self.resume_quietly(Resume::StepLine { into: false })?;
            let Some(frame) = self.stop.as_ref().and_then(|s| s.frames.first()) else {
                return Ok(Flow::Next);
            };
            let inner = self.source_frames(frame.location).into_iter().next();
            if inner.is_none_or(|f| f.function != function) {
                say!(self, "{}", self.describe_frame(0, false));
                self.print_source_line(0);
                self.show_displays();
                return Ok(Flow::Next);
            }
        }
        Err(format!("{function} did not finish in {MAX_STEPS} lines"))
    }

    /// Runs `f` with frame `index`'s symbols, the pc to evaluate at, and its state.
    fn in_frame<R>(
        &self,
        index: usize,
        f: impl FnOnce(&wobs_symbolize::ModuleSymbols, u32, &StoppedFrame<'_>) -> R,
    ) -> Result<R, String> {
        let inline_depth = match index == self.selected {
            true => self.selected_inline,
            false => 0,
        };
        self.in_inlined_frame(index, inline_depth, f)
    }

    /// [`Self::in_frame`] in the inlined frame `inline_depth` (0: the innermost) of physical
    /// frame `index`.
    fn in_inlined_frame<R>(
        &self,
        index: usize,
        inline_depth: usize,
        f: impl FnOnce(&wobs_symbolize::ModuleSymbols, u32, &StoppedFrame<'_>) -> R,
    ) -> Result<R, String> {
        let stop = self.stop.as_ref().ok_or("No frame selected.")?;
        let frame = stop.frames.get(index).ok_or("No frame selected.")?;
        // Variables are read where the frame is (a caller: inside its call); only the source
        // position of a stop on a line-0 instruction borrows the line before it.
        let pc = match index {
            0 => frame.location.offset,
            _ => frame.location.offset.saturating_sub(1),
        };
        let symbols = self
            .symbols(frame.location.module)
            .ok_or("No symbol table info available.")?;
        let state = StoppedFrame {
            frame,
            globals: &stop.globals,
            session: &*self.session,
            inline_depth,
        };
        Ok(f(&symbols, pc, &state))
    }

    /// `set backtrace past-main on|off` (other settings are not known yet).
    fn set(&mut self, rest: &str) -> Result<Flow, String> {
        let words: Vec<&str> = rest.split_whitespace().collect();
        match words.as_slice() {
            ["backtrace", "past-main", value] | ["backtrace", "past-main", value, ..] => {
                self.past_main = match *value {
                    "on" | "1" | "yes" | "enable" => true,
                    "off" | "0" | "no" | "disable" => false,
                    other => return Err(format!("\"on\" or \"off\" expected, not \"{other}\".")),
                };
                Ok(Flow::Next)
            }
            ["backtrace", "past-main"] => {
                self.past_main = true;
                Ok(Flow::Next)
            }
            // `set var EXPR`, and `set EXPR` for an assignment, as gdb takes them: the value is
            // computed (written) and not printed.
            [first, ..] if rest.contains('=') || matches!(*first, "var" | "variable") => {
                let expression = match *first {
                    "var" | "variable" => &rest.trim_start()[first.len()..],
                    _ => rest,
                };
                self.expression_value(expression.trim(), None)?;
                Ok(Flow::Next)
            }
            _ => Err(format!(
                "Undefined set command: \"{rest}\".  Try \"help set\"."
            )),
        }
    }

    /// `memory EXPR`: show 64 bytes at EXPR (a pointer's target, an object's storage) in the
    /// terminal UI's memory pane after every stop; `memory` alone hides it. In batch mode it
    /// prints them once, like `x/64xb EXPR`.
    fn memory(&mut self, expression: &str) -> Result<Flow, String> {
        if expression.is_empty() {
            self.memory_watch = None;
            return Ok(Flow::Next);
        }
        let lines = self.examine_lines("x/64xb", expression)?;
        for line in &lines {
            say!(self, "{line}");
        }
        self.memory_watch = Some(expression.to_string());
        Ok(Flow::Next)
    }

    /// `follow EXPR`: the UI shows what the pointer EXPR points to under it in the variables tree
    /// (again: stop showing it).
    fn follow(&mut self, expression: &str) -> Result<Flow, String> {
        if expression.is_empty() {
            return Err("Argument required (pointer expression).".to_string());
        }
        if !self.followed.remove(expression) {
            self.followed.insert(expression.to_string());
        }
        Ok(Flow::Next)
    }

    /// What each followed pointer points to now (or why it cannot be read).
    pub(crate) fn followed_view(&self) -> std::collections::BTreeMap<String, String> {
        self.followed
            .iter()
            .map(|expression| {
                let value = self
                    .in_frame(self.selected, |symbols, pc, state| {
                        symbols.evaluate(pc, &format!("*{expression}"), state)
                    })
                    .and_then(|result| result)
                    .map_or_else(|message| format!("<{message}>"), |(_, value)| value);
                (expression.clone(), value)
            })
            .collect()
    }

    /// The memory pane: the watched expression and its bytes now (or why they cannot be read).
    pub(crate) fn memory_view(&self) -> Option<(String, Vec<String>)> {
        let expression = self.memory_watch.clone()?;
        let lines = self
            .examine_lines("x/64xb", &expression)
            .unwrap_or_else(|message| vec![message]);
        Some((expression, lines))
    }

    fn list(&mut self) -> Result<Flow, String> {
        let location = match self.current() {
            Ok(frame) => frame.location,
            Err(_) => self.main_location().ok_or("No symbol table is loaded.")?,
        };
        let (file, line) = self
            .source_of(location)
            .ok_or("No line number information available.")?;
        let first = line.saturating_sub(5).max(1);
        for number in first..first + 10 {
            if let Some(text) = self.sources.line(&self.source_path(&file), number) {
                say!(self, "{number}\t{text}");
            }
        }
        Ok(Flow::Next)
    }

    fn print_source_line(&mut self, index: usize) {
        let Some(location) = self.stop.as_ref().and(self.lookup_location(index)) else {
            return;
        };
        if let Some((file, line)) = self.source_of(location) {
            match self.sources.line(&self.source_path(&file), line) {
                Some(text) => say!(self, "{line}\t{text}"),
                None => say!(self, "{line}\tin {file}"),
            }
        }
    }
}

/// gdb shows a pointer's type in `print` (`(struct Rect *) 0x10f0`) but not in frame lines and
/// `info locals`/`info args` (`r = 0x10f0`).
fn without_pointer_type(value: &str) -> &str {
    // `(struct Node *) 0x…` → `0x…`; a C++ reference's `(T &) @0x…: …` → `@0x…: …`.
    for separator in [") 0x", ") @0x"] {
        if let Some((prefix, _)) = value.split_once(separator) {
            if value.starts_with('(') && !prefix.contains(['{', '"']) {
                return &value[prefix.len() + 2..];
            }
        }
    }
    value
}

fn at(source: &Location) -> String {
    match (&source.file, source.line) {
        (Some(file), Some(line)) if line > 0 => format!(" at {file}:{line}"),
        _ => String::new(),
    }
}

/// A frame as gdb's frame id tells frames apart: a step that lands in another prints its name.
#[derive(PartialEq, Eq)]
struct FrameId {
    /// Wasm frames plus the inlined calls of the innermost one.
    depth: usize,
    /// The wasm function.
    function: u32,
    /// The innermost source function (an inlined one, or the wasm function's own).
    source_function: Option<String>,
}

/// `LOCATION if CONDITION` → (`LOCATION`, the condition), as gdb splits a `break` argument.
fn split_condition(spec: &str) -> (&str, Option<String>) {
    let spec = spec.trim();
    if let Some(condition) = spec.strip_prefix("if ") {
        return ("", Some(condition.trim().to_string()));
    }
    match spec.split_once(" if ") {
        Some((location, condition)) => (location.trim(), Some(condition.trim().to_string())),
        None => (spec, None),
    }
}

/// The letter of `print/FMT` and its kin (`x z o t d u c a`).
fn output_format(verb: &str) -> Result<Option<char>, String> {
    let letter = verb.split_once('/').map_or("", |(_, f)| f);
    match letter.chars().collect::<Vec<_>>().as_slice() {
        [f] if "xzotduca".contains(*f) => Ok(Some(*f)),
        _ => Err(format!("Undefined output format \"{letter}\".")),
    }
}

/// How far `stop` is past the nearest of `locations` at or before it in the same module, and
/// which location that is.
fn slip(locations: &[CodeLocation], stop: CodeLocation) -> Option<(u32, usize)> {
    locations
        .iter()
        .enumerate()
        .filter(|(_, l)| l.module == stop.module && l.offset <= stop.offset)
        .map(|(index, l)| (stop.offset - l.offset, index))
        .min()
}

/// A wasm value as a number, for values without a DWARF type.
fn raw_text(value: wobs_symbolize::WasmValue) -> String {
    match value {
        wobs_symbolize::WasmValue::I32(v) => v.to_string(),
        wobs_symbolize::WasmValue::I64(v) => v.to_string(),
        wobs_symbolize::WasmValue::F32(v) => v.to_string(),
        wobs_symbolize::WasmValue::F64(v) => v.to_string(),
    }
}

fn value_text(value: &wobs_events::DebugValue) -> String {
    match value {
        wobs_events::DebugValue::I32(v) => format!("i32 {v}"),
        wobs_events::DebugValue::I64(v) => format!("i64 {v}"),
        wobs_events::DebugValue::F32(b) => format!("f32 {}", f32::from_bits(*b)),
        wobs_events::DebugValue::F64(b) => format!("f64 {}", f64::from_bits(*b)),
        wobs_events::DebugValue::Other => "<reference or vector>".to_string(),
    }
}

/// A byte as gdb shows a `char`: itself when printable, else a C escape (`\n`, `\020`).
fn gdb_char(byte: u8) -> String {
    match byte {
        b'\n' => "\\n".to_string(),
        b'\t' => "\\t".to_string(),
        b'\\' => "\\\\".to_string(),
        b'\'' => "\\'".to_string(),
        0x20..=0x7e => char::from(byte).to_string(),
        _ => format!("\\{byte:03o}"),
    }
}

fn sign_extend(value: u64, size: usize) -> i64 {
    let shift = 64 - size * 8;
    ((value << shift) as i64) >> shift
}

fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

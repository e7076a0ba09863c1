//! A debug session: the guest runs on its own thread under wasmtime's guest-debug API, stops at
//! breakpoints, steps and traps, and talks to a front end only through `wobs-events` types.
//!
//! # Shape
//!
//! [`DebugSession::start`] spawns the guest thread and returns at once. The front end sends
//! [`DebugCommand`]s: breakpoints first, then [`DebugCommand::Resume`] to start. Each stop arrives as
//! [`DebugEvent::Stopped`]; while stopped the session answers memory reads and breakpoint edits,
//! and the next `Resume` lets the guest go. The run ends with [`DebugEvent::Finished`].
//!
//! Stepping (`next`, `step`, `finish`, `nexti`) is decided inside wasmtime's debug handler on the
//! guest thread, with the module's line table: no round trip per instruction.
//!
//! # Code units
//!
//! Locations name a code unit and an offset in it, for modules (the main one, then the preloads)
//! and components (each nested core module) alike; wasmtime names the same place by a compiled
//! module and a module-relative pc ([`Shared::target`], [`register`]).
//!
//! # Cost
//!
//! Guest-debug code is compiled with instrumentation (slower to compile and to run; it has its own
//! engine and so its own compile-cache entries). Line stepping single-steps; calls stepped over are
//! single-stepped too (a temporary return breakpoint is future work).
//!
//! # Time limit
//!
//! [`RunOptions::timeout`] bounds the time the guest *runs* (time stopped at a prompt does not
//! count): a watchdog thread advances the epoch when it is spent, and the guest's next epoch check
//! ends the run with [`RawOutcome::TimedOut`]. A guest blocked in a host call reaches no check:
//! [`DebugSession::next_event`] then reports the time-out itself after a grace second.

mod handler;
mod snapshot;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wasmtime::{AsContextMut, Linker, ModulePC, Store};
use wasmtime_wasi::I32Exit;
use wobs_events::{CodeLocation, DebugCommand, DebugEvent, RawOutcome, WatchRange};

use crate::guest::GuestCode;
use crate::invoke::{self, Entry};
use crate::{CompiledGuest, Engine, RunOptions};
use handler::{Handler, Mode};

pub use wobs_symbolize::SharedSymbols;

/// A running debug session. Dropping it lets the guest thread finish on its own once it next
/// waits for a command (it then runs to completion).
pub struct DebugSession {
    commands: Sender<DebugCommand>,
    events: Receiver<DebugEvent>,
    thread: Option<JoinHandle<()>>,
    interrupter: Interrupter,
    limit: Option<Arc<TimeLimit>>,
}

/// How long a guest told to stop by the time limit has to reach an epoch check before the session
/// reports the time-out without it (it is blocked in a host call).
const GRACE: Duration = Duration::from_secs(1);
/// How often the watchdog and a waiting front end look at the time limit.
const POLL: Duration = Duration::from_millis(10);

/// `--timeout` in a debug session: the guest's running time, paused while it is stopped.
pub(crate) struct TimeLimit {
    limit: Duration,
    clock: Mutex<RunClock>,
    /// When the limit was reached (the guest was told to stop).
    expired: Mutex<Option<Instant>>,
    /// Set once the guest thread is done (the watchdog then ends).
    done: AtomicBool,
}

#[derive(Default)]
struct RunClock {
    /// Running time before `since`.
    used: Duration,
    /// Running since then; `None` while stopped.
    since: Option<Instant>,
}

impl TimeLimit {
    fn new(limit: Duration) -> TimeLimit {
        TimeLimit {
            limit,
            clock: Mutex::new(RunClock::default()),
            expired: Mutex::new(None),
            done: AtomicBool::new(false),
        }
    }

    /// The guest runs (again).
    pub(crate) fn start(&self) {
        if let Ok(mut clock) = self.clock.lock() {
            clock.since.get_or_insert_with(Instant::now);
        }
    }

    /// The guest stopped: its time does not run while a front end looks at it.
    pub(crate) fn pause(&self) {
        if let Ok(mut clock) = self.clock.lock() {
            if let Some(since) = clock.since.take() {
                clock.used += since.elapsed();
            }
        }
    }

    fn spent(&self) -> bool {
        self.clock.lock().is_ok_and(|clock| {
            clock.used + clock.since.map_or(Duration::ZERO, |s| s.elapsed()) >= self.limit
        })
    }

    /// Whether the limit was reached.
    pub(crate) fn expired(&self) -> bool {
        self.expired.lock().is_ok_and(|e| e.is_some())
    }

    /// Whether the guest was told to stop more than [`GRACE`] ago (and has not).
    fn overdue(&self) -> bool {
        self.expired
            .lock()
            .is_ok_and(|e| e.is_some_and(|at| at.elapsed() >= GRACE))
    }

    fn millis(&self) -> u64 {
        self.limit.as_millis() as u64
    }

    /// Waits for the running time to reach the limit (or the guest to finish), then has the
    /// guest's next epoch check end the run.
    fn watch(self: Arc<Self>, engine: wasmtime::Engine) {
        // Without a watchdog thread (none could be spawned) the limit is not enforced: no worse
        // than a run without one.
        let _ = std::thread::Builder::new()
            .name("wobs-debug-timeout".into())
            .spawn(move || {
                while !self.done.load(Ordering::SeqCst) {
                    if self.spent() {
                        if let Ok(mut expired) = self.expired.lock() {
                            *expired = Some(Instant::now());
                        }
                        engine.increment_epoch();
                        return;
                    }
                    std::thread::sleep(POLL);
                }
            });
    }
}

/// Stops a running guest at its next function entry or loop back-edge (for a Ctrl-C handler);
/// cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct Interrupter {
    flag: Arc<AtomicBool>,
    engine: wasmtime::Engine,
}

impl Interrupter {
    /// Asks the guest to stop; it reports [`wobs_events::StopReason::Interrupted`]. A guest blocked
    /// in a host call stops when the call returns.
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.engine.increment_epoch();
    }

    /// Whether an interrupt was asked for and the guest has not stopped for it yet (it may be
    /// blocked in a host call).
    pub fn pending(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// The store's data in a debug session: the guest's WASI, nothing else.
pub(crate) type DebugHost = crate::run::GuestWasi;

/// State shared by the guest thread's handler and the session thread.
pub(crate) struct Shared {
    pub commands: Mutex<Receiver<DebugCommand>>,
    pub events: Sender<DebugEvent>,
    /// Set by [`Interrupter::interrupt`]; the next epoch event stops the guest.
    pub interrupt: Arc<AtomicBool>,
    /// Per code unit, its compiled module (a component's modules that are never instantiated
    /// may have none).
    pub modules: Vec<Option<wasmtime::Module>>,
    /// Function imports per code unit: defined function indices start after them.
    pub imported_functions: Vec<u32>,
    /// The guest's code, to name the frames of a trap's backtrace.
    pub code: GuestCode,
    pub symbols: Vec<Option<SharedSymbols>>,
    pub control: Mutex<Control>,
    /// `--timeout`: the guest's running time.
    pub limit: Option<Arc<TimeLimit>>,
}

/// What the front end asked for: breakpoints and how to run.
pub(crate) struct Control {
    /// The front end's breakpoints.
    pub breakpoints: Vec<CodeLocation>,
    /// Breakpoints currently set in wasmtime (as requested; wasmtime may slip them forward).
    pub installed: Vec<CodeLocation>,
    pub mode: Mode,
    /// While a step runs a call at full speed: the temporary breakpoint where it returns.
    pub returning: Option<CodeLocation>,
    /// Instructions of called code the current step has single-stepped through.
    pub skipped_steps: u64,
    /// Watched memory and the bytes it held at the last instruction (read at the first one).
    pub watches: Vec<(WatchRange, Option<Vec<u8>>)>,
    /// While a `next` or `step` runs without single-stepping: its temporary breakpoints (every
    /// line start of the stepping function, its return address, a `step`'s callees), possibly
    /// none (a step out of the outermost function runs to a user breakpoint or the end).
    pub line_stops: Option<Vec<CodeLocation>>,
    /// Which of the line stops are `call_indirect`s of the stepping function (a `step`'s): where
    /// the callee is read from the operand stack.
    pub indirect_calls: Vec<CodeLocation>,
}

impl Control {
    /// Whether wasmtime must raise an event at every instruction: a step (unless it runs from
    /// line stop to line stop), or watched memory.
    pub fn single_steps(&self) -> bool {
        (self.mode.single_steps() && self.line_stops.is_none()) || !self.watches.is_empty()
    }

    /// The breakpoints wasmtime must have: the front end's and the line stops.
    pub fn wanted(&self) -> Vec<CodeLocation> {
        let mut wanted = self.breakpoints.clone();
        wanted.extend(
            self.line_stops
                .iter()
                .flatten()
                .filter(|l| !self.breakpoints.contains(l)),
        );
        wanted
    }
}

impl Shared {
    /// The code unit `module` is.
    pub fn unit_of(&self, module: &wasmtime::Module) -> Option<usize> {
        self.modules.iter().position(|m| {
            m.as_ref()
                .is_some_and(|m| wasmtime::Module::same(m, module))
        })
    }

    /// The module and program counter wasmtime names `location` by (for breakpoints): offsets
    /// in a component's core module are relative to the module, as the unit's own are.
    pub fn target(&self, location: CodeLocation) -> Option<(&wasmtime::Module, ModulePC)> {
        let module = self.modules.get(location.module as usize)?.as_ref()?;
        Some((module, ModulePC::new(location.offset)))
    }
}

impl DebugSession {
    /// Starts a session for `guest` on an engine built with [`crate::EngineOptions::guest_debug`].
    /// `symbols[i]` are code unit i's symbols, used to step by source line. The guest does not
    /// run until the first [`DebugCommand::Resume`].
    pub fn start(
        engine: &Engine,
        guest: &CompiledGuest,
        options: &RunOptions,
        symbols: Vec<Option<SharedSymbols>>,
    ) -> DebugSession {
        let (command_tx, command_rx) = mpsc::channel();
        let (event_tx, event_rx) = mpsc::channel();
        let interrupter = Interrupter {
            flag: Arc::new(AtomicBool::new(false)),
            engine: engine.inner.clone(),
        };
        let interrupt = interrupter.flag.clone();
        let limit = options.timeout.map(|t| Arc::new(TimeLimit::new(t)));
        let guest_limit = limit.clone();
        let engine = engine.clone();
        let guest = guest.clone();
        let options = options.clone();
        let thread = std::thread::Builder::new()
            .name("wobs-guest".into())
            .spawn(move || {
                let events = event_tx.clone();
                let channels = Channels {
                    commands: command_rx,
                    events: event_tx,
                    interrupt,
                    limit: guest_limit.clone(),
                };
                let outcome = guest_thread(&engine, &guest, &options, symbols, channels);
                if let Some(limit) = &guest_limit {
                    limit.done.store(true, Ordering::SeqCst);
                }
                let _ = events.send(DebugEvent::Finished(outcome));
            })
            .ok();
        DebugSession {
            commands: command_tx,
            events: event_rx,
            thread,
            interrupter,
            limit,
        }
    }

    /// A handle that interrupts the running guest.
    pub fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    /// Sends a command; false when the guest thread is gone.
    pub fn send(&self, command: DebugCommand) -> bool {
        if matches!(command, DebugCommand::Resume(_)) {
            // An interrupt asked for while the guest was stopped (Ctrl-C at the prompt) is moot.
            self.interrupter.flag.store(false, Ordering::SeqCst);
        }
        self.commands.send(command).is_ok()
    }

    /// The next event, waiting for it; `None` once the session has ended. With a time limit, a
    /// guest that cannot be stopped (blocked in a host call) is reported as timed out a grace
    /// second after the limit; it is left running.
    pub fn next_event(&self) -> Option<DebugEvent> {
        let Some(limit) = &self.limit else {
            return self.events.recv().ok();
        };
        loop {
            match self.events.recv_timeout(POLL) {
                Ok(event) => return Some(event),
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
                Err(mpsc::RecvTimeoutError::Timeout) if limit.overdue() => {
                    return Some(DebugEvent::Finished(RawOutcome::TimedOut(limit.millis())));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

impl Drop for DebugSession {
    fn drop(&mut self) {
        // Closing the command channel makes a waiting guest run to completion.
        let (closed, _) = mpsc::channel();
        self.commands = closed;
        if let Some(thread) = self.thread.take() {
            // Never block the front end on a guest that loops forever.
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// The guest thread's ends of the session's channels.
struct Channels {
    commands: Receiver<DebugCommand>,
    events: Sender<DebugEvent>,
    interrupt: Arc<AtomicBool>,
    limit: Option<Arc<TimeLimit>>,
}

/// Waits for the first resume (collecting breakpoints), then runs the guest to the end.
fn guest_thread(
    engine: &Engine,
    guest: &CompiledGuest,
    options: &RunOptions,
    symbols: Vec<Option<SharedSymbols>>,
    channels: Channels,
) -> RawOutcome {
    let Channels {
        commands,
        events,
        interrupt,
        limit,
    } = channels;
    let mut breakpoints = Vec::new();
    let first = loop {
        match commands.recv() {
            Ok(DebugCommand::SetBreakpoints(set)) => breakpoints = set,
            Ok(DebugCommand::Resume(resume)) => break resume,
            Ok(DebugCommand::ReadMemory { .. }) => {
                let _ = events.send(DebugEvent::Memory(None));
            }
            Ok(DebugCommand::WriteMemory { .. }) => {
                let _ = events.send(DebugEvent::Wrote(false));
            }
            // The front end watches only values it has read, so only while stopped.
            Ok(DebugCommand::SetWatchpoints(_)) => {}
            // The front end went away before starting: nothing to run.
            Err(_) => return RawOutcome::Interrupted,
        }
    };
    let wasi = match crate::run::wasi_context(options) {
        Ok(wasi) => wasi,
        Err(err) => return RawOutcome::Failed(crate::one_line(&format!("{err:#}"))),
    };
    let mut store = Store::new(&engine.inner, wasi);
    let modules = match register(&mut store, guest) {
        Ok(units) => units,
        Err(err) => return RawOutcome::Failed(crate::one_line(&format!("{err:#}"))),
    };
    let imported_functions = modules
        .iter()
        .map(|module| {
            module.as_ref().map_or(0, |module| {
                module
                    .imports()
                    .filter(|import| matches!(import.ty(), wasmtime::ExternType::Func(_)))
                    .count() as u32
            })
        })
        .collect();
    let shared = Arc::new(Shared {
        commands: Mutex::new(commands),
        events,
        interrupt,
        modules,
        imported_functions,
        code: guest.code(),
        symbols,
        limit,
        control: Mutex::new(Control {
            breakpoints,
            installed: Vec::new(),
            mode: Mode::Continue,
            returning: None,
            skipped_steps: 0,
            watches: Vec::new(),
            line_stops: None,
            indirect_calls: Vec::new(),
        }),
    });
    // Only an interrupt or the time limit advances the epoch; each advance raises one debug
    // event. An expired limit ends the run at the check (the error is classified below).
    store.set_epoch_deadline(1);
    let limit = shared.limit.clone();
    store.epoch_deadline_callback(move |_| match &limit {
        Some(limit) if limit.expired() => Err(wasmtime::Error::msg("time limit reached")),
        _ => Ok(wasmtime::UpdateDeadline::Continue(1)),
    });
    store.set_debug_handler(Handler::new(shared.clone()));
    let resume = handler::apply(&shared, &mut store.as_context_mut(), first, None);
    if let Err(err) = resume {
        return RawOutcome::Failed(crate::one_line(&format!("{err:#}")));
    }
    if let Some(limit) = &shared.limit {
        limit.start();
        limit.clone().watch(engine.inner.clone());
    }
    let result = wasmtime_wasi::runtime::in_tokio(execute(&mut store, engine, guest, options));
    match result {
        Ok(outcome) => outcome,
        Err(err) => classify(&err, &shared),
    }
}

/// Registers `guest`'s code with `store` so breakpoints can be set before it runs, and finds each
/// code unit's module ([`Shared::modules`]).
fn register(
    store: &mut Store<DebugHost>,
    guest: &CompiledGuest,
) -> wasmtime::Result<Vec<Option<wasmtime::Module>>> {
    match guest {
        CompiledGuest::Modules(modules) => {
            for module in modules {
                store.debug_register_module(&module.module)?;
            }
            Ok(modules.iter().map(|m| Some(m.module.clone())).collect())
        }
        CompiledGuest::Component(component) => {
            store.debug_register_component(&component.component)?;
            // wasmtime keeps a component's core modules to itself, and their texts and address
            // maps are the whole component's: a module is known by where the wasm offsets of
            // its first function's code fall in the component's bytes.
            let ranges = &component.ranges;
            let mut units = vec![None; ranges.len()];
            for module in store.debug_all_modules() {
                let offset = module.functions().next().and_then(|function| {
                    let code = function.offset..function.offset + function.len;
                    module
                        .address_map()?
                        .find_map(|(at, offset)| offset.filter(|_| code.contains(&at)))
                });
                let unit = offset.and_then(|offset| {
                    ranges
                        .iter()
                        .position(|range| range.contains(&(offset as usize)))
                });
                if let Some(unit) = unit {
                    units[unit] = Some(module);
                }
            }
            Ok(units)
        }
    }
}

async fn execute(
    store: &mut Store<DebugHost>,
    engine: &Engine,
    guest: &CompiledGuest,
    options: &RunOptions,
) -> wasmtime::Result<RawOutcome> {
    let modules = match guest {
        CompiledGuest::Modules(modules) => modules,
        CompiledGuest::Component(component) => {
            return crate::guest::component::execute_async(store, engine, component, options).await
        }
    };
    let Some((main, preloads)) = modules.split_first() else {
        wasmtime::bail!("no module to run");
    };
    let mut linker = Linker::new(&engine.inner);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |host: &mut DebugHost| &mut host.p1)?;
    for preload in preloads {
        let instance = linker
            .instantiate_async(&mut *store, &preload.module)
            .await
            .map_err(|e| e.context(format!("cannot preload `{}`", preload.name)))?;
        linker.instance(&mut *store, &preload.name, instance)?;
    }
    if options.trap_unknown_imports {
        linker.define_unknown_imports_as_traps(&main.module)?;
    }
    let instance = linker.instantiate_async(&mut *store, &main.module).await?;
    match invoke::entry(store, &instance, options.invoke.as_deref())? {
        Entry::Start(start) => {
            start.call_async(&mut *store, ()).await?;
            Ok(RawOutcome::Exited(0))
        }
        Entry::Invoke {
            initialize,
            name,
            func,
        } => {
            if let Some(initialize) = initialize {
                initialize.call_async(&mut *store, ()).await?;
            }
            let args = options.args.get(1..).unwrap_or_default();
            let (params, mut results) = invoke::arguments(store, &name, func, args)?;
            func.call_async(&mut *store, &params, &mut results).await?;
            Ok(RawOutcome::Returned(
                results.iter().map(invoke::render).collect(),
            ))
        }
    }
}

/// How a run that ended in an error finished.
fn classify(err: &wasmtime::Error, shared: &Shared) -> RawOutcome {
    if let Some(exit) = err.downcast_ref::<I32Exit>() {
        return RawOutcome::Exited(exit.0);
    }
    if let Some(limit) = shared.limit.as_ref().filter(|l| l.expired()) {
        return RawOutcome::TimedOut(limit.millis());
    }
    if let Some(trap) = err.downcast_ref::<wasmtime::Trap>() {
        let backtrace = err
            .downcast_ref::<wasmtime::WasmBacktrace>()
            .map(|trace| {
                trace
                    .frames()
                    .iter()
                    .filter_map(|frame| shared.code.raw_frame(frame))
                    .collect()
            })
            .unwrap_or_default();
        return RawOutcome::Trapped {
            message: trap.to_string(),
            backtrace,
        };
    }
    RawOutcome::Failed(crate::one_line(&format!("{err:#}")))
}

//! `wobs debug`: a source-level debugger with gdb's commands, in batch mode (`--batch -ex CMD`,
//! `-x FILE`) or at a `(wobs)` prompt on stdin.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use clap::Args;
use wobs_runtime::{CapturedOutput, DebugSession, Engine, EngineOptions, SharedSymbols};
use wobs_symbolize::ModuleSymbols;

use crate::flags::GuestFlags;
use crate::guest::{run_options, Loaded, LoadedGuest};
use wobs_debugger::{Debugger, Flow, Session};

/// Debug a WASI program: breakpoints, stepping, backtraces, variables (gdb's commands).
#[derive(Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct DebugCommand {
    #[command(flatten)]
    guest: GuestFlags,

    /// Run the commands given with `-ex` and `-x`, then exit (like `gdb -batch`).
    #[arg(long)]
    batch: bool,

    /// A command to run (repeatable, in order); gdb's `-ex` works too.
    #[arg(long = "ex", value_name = "COMMAND", allow_hyphen_values = true)]
    commands: Vec<String>,

    /// Read source files whose path starts with FROM under TO instead (repeatable), e.g.
    /// `--source-map /rustc/HASH=/usr/src/rustc-1.63.0`.
    #[arg(long = "source-map", value_name = "FROM=TO")]
    source_maps: Vec<String>,

    /// A file of commands, one per line (`#` starts a comment).
    #[arg(short = 'x', value_name = "FILE")]
    script: Option<PathBuf>,

    /// The WebAssembly module or component to debug, then its arguments.
    #[arg(value_name = "WASM [ARGS]...", required = true, num_args = 1.., allow_hyphen_values = true)]
    module_and_args: Vec<String>,
}

impl DebugCommand {
    /// Runs the session; returns the guest's exit code (0 when it was killed or never ran).
    pub fn execute(self) -> anyhow::Result<i32> {
        let wasm = PathBuf::from(&self.module_and_args[0]);
        let guest = LoadedGuest::load(&self.guest, &wasm)?;
        let all = guest.units();
        let mut engine_options = EngineOptions::default();
        engine_options.cache_dir = self.guest.cache_dir();
        engine_options.guest_debug = true;
        let engine = Engine::new(&engine_options)?;
        // Symbols are read while the code compiles (from the cache, decompression on one core),
        // and each module's index of inlined names builds in the background from then on: the
        // first `break NAME` on a large debug build finds it ready.
        let (compiled, read) = std::thread::scope(|scope| {
            let reading = scope.spawn(|| {
                all.iter()
                    .map(|m| {
                        let mut symbols = ModuleSymbols::new(m.bytes());
                        if let Ok(symbols) = &mut symbols {
                            symbols.keep_module_bytes(m.bytes.clone());
                            symbols.index_in_background();
                        }
                        symbols
                    })
                    .collect::<Vec<_>>()
            });
            let compiled = guest.compile(&engine);
            (compiled, reading.join())
        });
        // After compiling: a module wasmtime rejects gets exactly one message.
        let compiled = compiled?;
        let read = read.map_err(|_| anyhow::anyhow!("reading the symbols failed"))?;
        let symbols: Vec<Option<SharedSymbols>> = all
            .iter()
            .zip(read)
            .map(|(m, symbols)| match symbols {
                Ok(symbols) => {
                    if let Some(problem) = symbols.dwarf_problem() {
                        eprintln!(
                            "wobs: warning: {}: {problem}; using names only",
                            unit_path(m)
                        );
                    }
                    Some(Arc::new(Mutex::new(symbols)))
                }
                Err(err) => {
                    let err = wobs_runtime::one_line(&err.to_string());
                    eprintln!("wobs: warning: {}: {err}", unit_path(m));
                    None
                }
            })
            .collect();
        let mut options = run_options(&self.guest, guest.file(), &self.module_and_args[1..])?;
        options.interval = None;
        // Without --batch on a terminal: the terminal UI, with the guest's output captured so it
        // never draws over the screen.
        let tui = !self.batch && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        let captured = tui.then(CapturedOutput::new);
        options.capture_output = captured.clone();
        let session = DebugSession::start(&engine, &compiled, &options, symbols.clone());
        let interrupter = session.interrupter();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let sink: Box<dyn std::io::Write + Send> = if tui {
            Box::new(SharedSink(messages.clone()))
        } else {
            // Ctrl-C stops a running guest (gdb's SIGINT); a second one before it stops exits.
            // (The terminal UI reads Ctrl-C as a key instead.)
            let interrupter = interrupter.clone();
            let _ = ctrlc::set_handler(move || {
                if interrupter.pending() {
                    std::process::exit(130);
                }
                interrupter.interrupt();
            });
            Box::new(std::io::stdout())
        };
        let mut debugger = Debugger::new(Box::new(RuntimeSession(session)), symbols, sink);
        for (index, module) in all.iter().enumerate() {
            debugger.set_module_bytes(index as u32, module.bytes.clone());
        }
        debugger.set_unit_names(all.iter().map(|m| m.info.name.clone()).collect());
        debugger.set_batch(self.batch);
        for map in &self.source_maps {
            let (from, to) = map
                .split_once('=')
                .with_context(|| format!("--source-map {map:?}: expected FROM=TO"))?;
            debugger.add_source_map(from, to);
        }

        let mut script = self.commands.clone();
        if let Some(path) = &self.script {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            script.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string),
            );
        }
        // `WOBS_DEBUG_TIMING=1` reports each command's latency on stderr (bench/debug-latency.sh).
        let timing = std::env::var_os("WOBS_DEBUG_TIMING").is_some();
        for command in &script {
            let started = std::time::Instant::now();
            let flow = debugger.execute(command);
            if timing {
                eprintln!(
                    "wobs: timing: {command}: {:.2} ms",
                    started.elapsed().as_secs_f64() * 1e3
                );
            }
            if flow == Flow::Quit {
                return Ok(exit_code(&debugger));
            }
        }
        if let Some(captured) = captured {
            // SIGTERM or SIGHUP while the UI runs: give the terminal back before dying.
            let _ = ctrlc::set_handler(|| {
                wobs_tui::restore_terminal();
                std::process::exit(143);
            });
            let code = wobs_tui::run(
                debugger,
                wobs_tui::Options {
                    guest_output: Box::new(move || captured.contents()),
                    interrupt: Box::new(move || interrupter.interrupt()),
                    messages,
                },
            )
            .context("terminal UI")?;
            return Ok(code.unwrap_or(0));
        }
        if !self.batch {
            let stdin = std::io::stdin();
            loop {
                print!("(wobs) ");
                use std::io::Write;
                let _ = std::io::stdout().flush();
                let mut line = String::new();
                if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if debugger.execute(&line) == Flow::Quit {
                    break;
                }
            }
        }
        Ok(exit_code(&debugger))
    }
}

/// A code unit as warnings name it: its file, and for a component's module its name too.
fn unit_path(unit: &Loaded) -> String {
    if unit
        .info
        .path
        .ends_with(&format!("{}.wasm", unit.info.name))
    {
        unit.info.path.clone()
    } else {
        format!("{} ({})", unit.info.path, unit.info.name)
    }
}

/// The guest's exit code when it finished; 0 when the session ended with the guest still alive.
fn exit_code(debugger: &Debugger) -> i32 {
    debugger.outcome().map_or(0, |outcome| outcome.exit_code())
}

/// The debugger's output, kept for the terminal UI's output pane.
struct SharedSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The runtime's session as the command layer drives it.
struct RuntimeSession(DebugSession);

impl Session for RuntimeSession {
    fn send(&self, command: wobs_events::DebugCommand) -> bool {
        self.0.send(command)
    }

    fn next_event(&self) -> Option<wobs_events::DebugEvent> {
        self.0.next_event()
    }
}

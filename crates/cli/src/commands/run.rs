//! `wobs run`: run a WASI program and profile it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use wobs_collector::{build_recording, RecordingInput};
use wobs_events::{ModuleInfo, ProbeMap};
use wobs_runtime::{Engine, EngineOptions, RunOptions};
use wobs_symbolize::ModuleSymbols;

use crate::flags::{parse_duration, GuestFlags, InstrumentFlags};
use crate::guest::{compile, flush_guest_stdout, load_modules, run_options, Loaded};
use crate::outputs::OutputFlags;
use crate::write::write_atomic;

/// Run a WASI program under wasmtime, sampling its stack, and report where time went.
#[derive(Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct RunCommand {
    #[command(flatten)]
    guest: GuestFlags,

    /// Sampling interval (`0` turns sampling off).
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_duration)]
    interval: Duration,

    /// Save the recording (JSON) for `wobs report`.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,

    #[command(flatten)]
    outputs: OutputFlags,

    /// Instrument the modules in memory and report exact calls and times (filters below).
    #[arg(long)]
    trace: bool,

    #[command(flatten)]
    filters: InstrumentFlags,

    /// The WebAssembly module to run, then its arguments. Everything after the module belongs to
    /// the guest, flags included (`wobs run -q app.wasm -q` passes the second `-q` to the guest).
    #[arg(value_name = "WASM [ARGS]...", required = true, num_args = 1.., allow_hyphen_values = true)]
    module_and_args: Vec<String>,
}

impl RunCommand {
    /// Runs the guest; returns the exit code wasmtime would give.
    pub fn execute(self) -> anyhow::Result<i32> {
        let wasm = PathBuf::from(&self.module_and_args[0]);
        let (main, preloads) = load_modules(&self.guest, &wasm)?;
        let (main, preloads) = if self.trace {
            let options = self.filters.options();
            let main = main.instrumented(&options)?;
            let preloads = preloads
                .into_iter()
                .map(|p| p.instrumented(&options))
                .collect::<anyhow::Result<Vec<_>>>()?;
            (main, preloads)
        } else {
            (main, preloads)
        };
        let all: Vec<&Loaded> = std::iter::once(&main).chain(&preloads).collect();

        // Symbols are read off the guest thread while wasmtime compiles and the guest runs.
        let symbol_inputs: Vec<(String, Arc<Vec<u8>>)> = all
            .iter()
            .map(|m| {
                let bytes = m
                    .original
                    .as_ref()
                    .map_or(&m.bytes, |(original, _)| original);
                (m.info.path.clone(), bytes.clone())
            })
            .collect();
        // Warnings are printed after the run, so a module wasmtime rejects gets exactly one message.
        let symbols = std::thread::spawn(move || {
            symbol_inputs
                .into_iter()
                .map(|(path, bytes)| match ModuleSymbols::new(&bytes) {
                    Ok(symbols) => {
                        let warning = symbols
                            .dwarf_problem()
                            .map(|problem| format!("{path}: {problem}; using names only"));
                        (Some(symbols), warning)
                    }
                    Err(err) => (None, Some(format!("{path}: {err}; frames will be unnamed"))),
                })
                .collect::<Vec<_>>()
        });

        let mut engine_options = EngineOptions::default();
        engine_options.cache_dir = self.guest.cache_dir();
        let engine = Engine::new(&engine_options)?;
        let compiled = all
            .iter()
            .map(|m| compile(&engine, m))
            .collect::<anyhow::Result<Vec<_>>>()?;

        let options = self.run_options(&main)?;
        let interrupt = options.interrupt.clone();
        install_interrupt_handler(interrupt);
        let result = wobs_runtime::run(&engine, &compiled[0], &compiled[1..], &options);
        flush_guest_stdout();

        let symbols = symbols
            .join()
            .map_err(|_| anyhow::anyhow!("symbolizer thread panicked"))?;
        for warning in symbols.iter().filter_map(|(_, warning)| warning.as_ref()) {
            eprintln!("wobs: warning: {warning}");
        }
        let symbol_refs: Vec<Option<&ModuleSymbols>> = symbols
            .iter()
            .map(|(symbols, _)| symbols.as_ref())
            .collect();
        let infos: Vec<ModuleInfo> = all.iter().map(|m| m.info.clone()).collect();
        let original_offsets: Vec<Option<&ProbeMap>> = all
            .iter()
            .map(|m| m.original.as_ref().map(|(_, map)| map))
            .collect();
        let recording = build_recording(
            RecordingInput {
                modules: &infos,
                args: &options.args,
                invoke: options.invoke.as_deref(),
                interval_ns: options.interval.map_or(0, |i| i.as_nanos() as u64),
                start_unix_ms: result.start_unix_ms,
                duration_ns: result.duration.as_nanos() as u64,
                profile: &result.profile,
                outcome: &result.outcome,
                trace: result.trace.as_ref(),
                original_offsets: &original_offsets,
            },
            &symbol_refs,
        );
        if let wobs_events::RawOutcome::Returned(values) = &result.outcome {
            for value in values {
                println!("{value}");
            }
        }
        let title = format!("wobs run {}", wasm.display());
        let mut written = self.outputs.emit(&recording, &title);
        if let Some(path) = &self.output {
            let saved = serde_json::to_vec(&recording)
                .context("cannot serialize the recording")
                .and_then(|json| write_atomic(path, &json));
            if let Err(err) = saved {
                eprintln!("error: {err:#}");
                written = written.and(Err(err));
            }
        }
        let code = recording.run.outcome.exit_code();
        // A guest that succeeded but whose outputs could not be written is a failure of wobs.
        match written {
            Err(_) if code == 0 => Ok(1),
            _ => Ok(code),
        }
    }

    fn run_options(&self, main: &Loaded) -> anyhow::Result<RunOptions> {
        let mut options = run_options(&self.guest, main, &self.module_and_args[1..])?;
        options.interval = (!self.interval.is_zero()).then_some(self.interval);
        Ok(options)
    }
}

/// First Ctrl-C: stop the guest at its next check and write the outputs. Second: exit now (the
/// guest may be blocked in a host call that never reaches a check).
fn install_interrupt_handler(flag: Arc<AtomicBool>) {
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

//! `wobs`: observe WebAssembly programs.
//!
//! Each subcommand lives in `commands/<verb>.rs` with an `execute` that returns the process exit
//! code; this file only parses flags and reports errors as one line.

mod commands;
mod deferred;
mod flags;
mod guest;
mod instrument_cache;
mod learned;
mod outputs;
mod progress;
mod spans;
mod supervise;
mod write;

use std::process::ExitCode;

use clap::Parser;

/// Observe and debug WebAssembly programs.
#[derive(Parser)]
#[command(name = "wobs", version, about, long_about = None)]
enum Cli {
    /// Run a WASI program under wasmtime and profile it.
    Run(Box<commands::run::RunCommand>),
    /// Rewrite a module with tracing probes.
    Instrument(commands::instrument::InstrumentCommand),
    /// Print or re-export a saved recording.
    Report(commands::report::ReportCommand),
    /// Debug a WASI program with gdb's commands (batch mode or a prompt).
    Debug(Box<commands::debug::DebugCommand>),
    /// Gate performance in CI on fuel (wasm operators executed: exact run to run).
    Bench(Box<commands::bench::BenchCommand>),
    /// Serve a wasi:http/proxy component (as `wasmtime serve`), with a trace per request.
    Serve(Box<commands::serve::ServeCommand>),
}

fn main() -> ExitCode {
    let result = match Cli::parse_from(gdb_style_flags(std::env::args_os())) {
        Cli::Run(command) => command.execute(),
        Cli::Report(command) => command.execute(),
        Cli::Instrument(command) => command.execute(),
        Cli::Debug(command) => command.execute(),
        Cli::Bench(command) => command.execute(),
        Cli::Serve(command) => command.execute(),
    };
    match result {
        Ok(code) => exit_code(code),
        Err(err) => {
            eprintln!("error: {}", wobs_runtime::one_line(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}

/// `wobs debug` takes gdb's single-dash `-ex CMD`; clap knows it as `--ex`. Only flags before the
/// module (the first argument ending in `.wasm`) are wobs's, so later ones go to the guest as given.
fn gdb_style_flags(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    // Flags of `wobs debug` that take a value (which may itself end in `.wasm`).
    const WITH_VALUE: [&str; 8] = [
        "--dir",
        "--env",
        "--invoke",
        "--preload",
        "--timeout",
        "--source-map",
        "--ex",
        "-x",
    ];
    let mut args: Vec<_> = args.collect();
    if args.get(1).is_some_and(|verb| verb == "debug") {
        let mut value_next = false;
        for arg in args.iter_mut().skip(2) {
            if arg == "-ex" {
                *arg = "--ex".into();
            }
            let text = arg.to_string_lossy();
            if !value_next && text.ends_with(".wasm") {
                break;
            }
            value_next = !value_next && WITH_VALUE.contains(&text.as_ref());
        }
    }
    args
}

/// Process exit codes are a byte; wasm exit statuses outside it wrap as the OS would.
fn exit_code(code: i32) -> ExitCode {
    ExitCode::from((code & 0xff) as u8)
}

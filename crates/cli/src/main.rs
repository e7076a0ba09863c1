//! `wobs`: observe WebAssembly programs.
//!
//! Each subcommand lives in `commands/<verb>.rs` with an `execute` that returns the process exit
//! code; this file only parses flags and reports errors as one line.

mod commands;
mod flags;
mod outputs;
mod progress;
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
}

fn main() -> ExitCode {
    let result = match Cli::parse() {
        Cli::Run(command) => command.execute(),
        Cli::Report(command) => command.execute(),
        Cli::Instrument(command) => command.execute(),
    };
    match result {
        Ok(code) => exit_code(code),
        Err(err) => {
            eprintln!("error: {}", wobs_runtime::one_line(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}

/// Process exit codes are a byte; wasm exit statuses outside it wrap as the OS would.
fn exit_code(code: i32) -> ExitCode {
    ExitCode::from((code & 0xff) as u8)
}

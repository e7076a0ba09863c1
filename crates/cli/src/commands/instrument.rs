//! `wobs instrument`: write an instrumented copy of a module.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use wobs_instrument::DwarfHandling;

use crate::flags::InstrumentFlags;
use crate::write::write_atomic;

/// Rewrite a module, or every top-level core module of a component, with tracing probes (function
/// entry/exit, optionally memory growth).
#[derive(Args, Debug)]
pub struct InstrumentCommand {
    /// The module to instrument.
    #[arg(value_name = "IN.wasm")]
    input: PathBuf,

    /// Where to write the instrumented module.
    #[arg(short, long, value_name = "OUT.wasm")]
    output: PathBuf,

    #[command(flatten)]
    filters: InstrumentFlags,
}

impl InstrumentCommand {
    /// Instruments, validates and writes; prints what was done.
    pub fn execute(self) -> anyhow::Result<i32> {
        let path = self.input.display();
        let wasm = std::fs::read(&self.input).with_context(|| format!("cannot read {path}"))?;
        let started = std::time::Instant::now();
        let options = self.filters.options();
        // A component: each top-level core module, reported on its own line.
        let (output, reports) = match wobs_symbolize::component::is_component(&wasm) {
            true => {
                let out = wobs_instrument::component::instrument_component(&wasm, &options)
                    .with_context(|| format!("{path}"))?;
                let units = wobs_symbolize::component::code_units(&wasm)
                    .with_context(|| format!("{path}"))?;
                let reports = units
                    .into_iter()
                    .zip(out.units)
                    .filter_map(|(unit, report)| Some((format!("{path} [{}]", unit.name), report?)))
                    .collect();
                (out.wasm, reports)
            }
            false => {
                let out = wobs_instrument::instrument(&wasm, &options)
                    .with_context(|| format!("{path}"))?;
                (out.wasm, vec![(path.to_string(), out.report)])
            }
        };
        write_atomic(&self.output, &output)?;
        for (what, r) in &reports {
            if let Some(message) = dwarf_message(&r.dwarf) {
                eprintln!("wobs: {what}: {message}");
            }
            eprintln!(
                "wobs: {what}: instrumented {} of {} functions ({} returns, {} tail calls, {} \
                 memory.grow)",
                r.instrumented, r.functions, r.returns, r.tail_calls, r.memory_grows,
            );
        }
        eprintln!(
            "wobs: instrumented in {:.2} s; {} → {} bytes",
            started.elapsed().as_secs_f64(),
            wasm.len(),
            output.len()
        );
        Ok(0)
    }
}

/// What the user should know about the DWARF of an instrumented module, if anything.
fn dwarf_message(handling: &DwarfHandling) -> Option<String> {
    match handling {
        DwarfHandling::Absent | DwarfHandling::Rewritten => None,
        DwarfHandling::Resequenced(splits) => Some(format!(
            "note: re-encoded the DWARF line programs (one sequence per function, {splits} split) \
             so they could be rewritten"
        )),
        DwarfHandling::Carried(reason) => Some(format!(
            "warning: DWARF could not be rewritten ({reason}); it is carried in wobs.debug_* \
             sections: wobs still shows source lines, other tools see no DWARF"
        )),
    }
}

//! Components: linked with WASI 0.2 (wasmtime-wasi's preview 2 host) and entered through
//! `wasi:cli/run`, as `wasmtime run` runs a `wasi:cli/command`.

use wasmtime::component::Linker;
use wasmtime::Store;
use wasmtime_wasi::p2::bindings::sync::Command;
use wobs_events::RawOutcome;

use crate::run::Host;
use crate::{CompiledComponent, Engine, RunOptions};

/// The interface a `wasi:http/proxy` component exports instead of `wasi:cli/run`.
const HTTP_HANDLER: &str = "wasi:http/incoming-handler";
/// The interface a `wasi:cli/command` component exports.
const CLI_RUN: &str = "wasi:cli/run";

/// Links `component` with WASI 0.2, instantiates it and calls `wasi:cli/run#run`: exit 0 when it
/// returns `ok`, 1 when `err`, the status of `wasi:cli/exit#exit`.
pub(crate) fn execute(
    store: &mut Store<Host>,
    engine: &Engine,
    component: &CompiledComponent,
    options: &RunOptions,
) -> wasmtime::Result<RawOutcome> {
    if options.invoke.is_some() {
        wasmtime::bail!("--invoke on a component is not supported yet; run it as a command");
    }
    check_is_command(engine, component)?;
    let mut linker = Linker::<Host>::new(&engine.inner);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    if options.trap_unknown_imports {
        linker.define_unknown_imports_as_traps(&component.component)?;
    }
    let command = Command::instantiate(&mut *store, &component.component, &linker)?;
    Host::instantiated(store);
    match command.wasi_cli_run().call_run(&mut *store)? {
        Ok(()) => Ok(RawOutcome::Exited(0)),
        Err(()) => Ok(RawOutcome::Exited(1)),
    }
}

/// A one-line error for a component that is not a `wasi:cli/command`, naming what it is.
fn check_is_command(engine: &Engine, component: &CompiledComponent) -> wasmtime::Result<()> {
    let ty = component.component.component_type();
    let exports: Vec<&str> = ty.exports(&engine.inner).map(|(name, _)| name).collect();
    let exports_interface = |interface: &str| {
        exports
            .iter()
            .any(|name| name.split('@').next() == Some(interface))
    };
    if exports_interface(CLI_RUN) {
        return Ok(());
    }
    if exports_interface(HTTP_HANDLER) {
        wasmtime::bail!(
            "this is a wasi:http/proxy component (it exports {HTTP_HANDLER}): it serves HTTP \
             requests, it does not run as a command (`wobs serve` is not built yet; `wasmtime \
             serve` runs it)"
        );
    }
    let exports = match exports.is_empty() {
        true => "nothing".to_string(),
        false => exports.join(", "),
    };
    wasmtime::bail!("this component exports no {CLI_RUN} to run (it exports {exports})")
}

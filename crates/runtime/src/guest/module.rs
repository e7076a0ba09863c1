//! Core modules: linked with WASI preview 1, each preload under its name, and entered through
//! `_start` or an `--invoke`d export with plain values.

use wasmtime::{Linker, Store};
use wobs_events::{CountedLayout, ProbeAbi, RawOutcome};

use crate::guest::{probe_now, sample_if_due};
use crate::invoke::{self, Entry};
use crate::run::Host;
use crate::{CompiledModule, Engine, RunOptions};

/// Links `modules` (the main one first, then the preloads under their names) with WASI preview 1
/// and the probes' imports, instantiates the main one and calls `_start` or the `--invoke`d
/// export.
pub(crate) fn execute(
    store: &mut Store<Host>,
    engine: &Engine,
    modules: &[CompiledModule],
    options: &RunOptions,
) -> wasmtime::Result<RawOutcome> {
    let Some((main, preloads)) = modules.split_first() else {
        wasmtime::bail!("no module to run");
    };
    let mut linker = Linker::new(&engine.inner);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |host: &mut Host| &mut host.wasi.p1)?;
    // Probe imports are defined anew before each module is linked so each knows its module index.
    linker.allow_shadowing(true);
    for (index, preload) in preloads.iter().enumerate() {
        define_probes(&mut linker, index as u32 + 1)?;
        linker
            .module(&mut *store, &preload.name, &preload.module)
            .map_err(|e| e.context(format!("cannot preload `{}`", preload.name)))?;
    }
    if options.trap_unknown_imports {
        linker.define_unknown_imports_as_traps(&main.module)?;
    }
    define_probes(&mut linker, 0)?;
    let instance = linker.instantiate(&mut *store, &main.module)?;
    let result = enter(store, &instance, options);
    // Counted probes keep their counts in the instances, readable whatever way the run ended.
    read_counts(store, 0, main, |store, name| {
        instance.get_export(store, name)
    });
    for (index, preload) in preloads.iter().enumerate() {
        read_counts(store, index as u32 + 1, preload, |store, name| {
            linker.get(store, &preload.name, name).ok()
        });
    }
    result
}

/// Hands the tracer the call counts of `module` (code unit `unit`) when its probes count calls;
/// `export` finds one of the instance's exports.
fn read_counts(
    store: &mut Store<Host>,
    unit: u32,
    module: &CompiledModule,
    export: impl Fn(&mut Store<Host>, &str) -> Option<wasmtime::Extern>,
) {
    let Some(map) = module
        .probes
        .as_ref()
        .filter(|m| m.abi == ProbeAbi::Counted)
    else {
        return;
    };
    let memory = export(store, CountedLayout::MEMORY).and_then(wasmtime::Extern::into_memory);
    let calls = export(store, CountedLayout::CALLS).and_then(wasmtime::Extern::into_global);
    let (Some(memory), Some(calls)) = (memory, calls) else {
        return;
    };
    let counts = CountedLayout::of(map).counts(memory.data(&*store));
    let calls = calls.get(&mut *store).i64().unwrap_or(0) as u64;
    store.data_mut().tracer.counted(unit, counts, calls);
}

/// Calls `_start` or the `--invoke`d export of `instance`.
fn enter(
    store: &mut Store<Host>,
    instance: &wasmtime::Instance,
    options: &RunOptions,
) -> wasmtime::Result<RawOutcome> {
    match invoke::entry(store, instance, options.invoke.as_deref())? {
        Entry::Start(start) => {
            Host::instantiated(store);
            start.call(&mut *store, ())?;
            Ok(RawOutcome::Exited(0))
        }
        Entry::Invoke {
            initialize,
            name,
            func,
        } => {
            if let Some(initialize) = initialize {
                initialize.call(&mut *store, ())?;
            }
            Host::instantiated(store);
            let params = options.args.get(1..).unwrap_or_default();
            Ok(RawOutcome::Returned(invoke::call(
                store, &name, func, params,
            )?))
        }
    }
}

/// Defines both probe ABIs' imports for module `module`.
fn define_probes(linker: &mut Linker<Host>, module: u32) -> wasmtime::Result<()> {
    use wasmtime::Caller;
    for abi in [ProbeAbi::Wobs, ProbeAbi::Observe] {
        let names = abi.names();
        linker.func_wrap(
            names.module,
            names.enter,
            move |mut cx: Caller<'_, Host>, id: i32| {
                let now = probe_now(&cx);
                cx.data_mut().tracer.enter(module, id as u32, now);
                sample_if_due(&mut cx);
            },
        )?;
        linker.func_wrap(
            names.module,
            names.exit,
            move |mut cx: Caller<'_, Host>, id: i32| {
                sample_if_due(&mut cx);
                let now = probe_now(&cx);
                cx.data_mut().tracer.exit(module, id as u32, now);
            },
        )?;
    }
    let counted = ProbeAbi::Counted.names();
    linker.func_wrap(
        counted.module,
        counted.enter,
        move |mut cx: Caller<'_, Host>, id: i32, calls: i64| {
            let now = probe_now(&cx);
            cx.data_mut()
                .tracer
                .enter_counted(module, id as u32, calls as u64, now);
            sample_if_due(&mut cx);
        },
    )?;
    linker.func_wrap(
        counted.module,
        counted.exit,
        move |mut cx: Caller<'_, Host>, id: i32, calls: i64| -> i32 {
            sample_if_due(&mut cx);
            let now = probe_now(&cx);
            cx.data_mut()
                .tracer
                .exit_counted(module, id as u32, calls as u64, now)
        },
    )?;
    let (wobs, observe) = (ProbeAbi::Wobs.names(), ProbeAbi::Observe.names());
    linker.func_wrap(
        wobs.module,
        wobs.memory_grow,
        |mut cx: Caller<'_, Host>, pages: i32, _result: i32| {
            let now = probe_now(&cx);
            cx.data_mut().tracer.memory_grow(pages as u32, now)
        },
    )?;
    linker.func_wrap(
        observe.module,
        observe.memory_grow,
        |mut cx: Caller<'_, Host>, pages: i32| {
            let now = probe_now(&cx);
            cx.data_mut().tracer.memory_grow(pages as u32, now)
        },
    )?;
    Ok(())
}

//! Components: linked with WASI 0.2 (wasmtime-wasi's preview 2 host) and entered through
//! `wasi:cli/run`, as `wasmtime run` runs a `wasi:cli/command`, or through the export an
//! `--invoke 'name(args)'` names, its arguments and results in WAVE, as `wasmtime run --invoke`.

use wasmtime::component::types::{ComponentExtern, ComponentFunc, ComponentItem};
use wasmtime::component::wasm_wave::untyped::UntypedFuncCall;
use wasmtime::component::wasm_wave::wasm::{DisplayFuncResults, WasmFunc};
use wasmtime::component::{Instance, Linker, Val};
use wasmtime::Store;
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::bindings::Command as AsyncCommand;
use wasmtime_wasi::WasiView;
use wasmtime_wasi_http::WasiHttpView;
use wobs_events::{CountedLayout, ProbeAbi, RawOutcome};

use crate::guest::ProbeHost;
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
    let mut linker = link(engine, component, options, Calls::Sync)?;
    define_probes(engine, component, &mut linker)?;
    if let Some(call) = &options.invoke {
        let (path, params, results) = invoked(engine, component, call)?;
        let instance = linker.instantiate(&mut *store, &component.component)?;
        Host::instantiated(store);
        let func = exported_func(&mut *store, &instance, &path)?;
        let mut results = vec![Val::Bool(false); results];
        let called = func.call(&mut *store, &params, &mut results);
        read_counts(store, component, &instance);
        called?;
        return Ok(rendered(&results));
    }
    check_is_command(engine, component)?;
    let instance = linker.instantiate(&mut *store, &component.component)?;
    let command = Command::new(&mut *store, &instance)?;
    Host::instantiated(store);
    let ran = command.wasi_cli_run().call_run(&mut *store);
    read_counts(store, component, &instance);
    Ok(exit_status(ran?))
}

/// [`execute`] for a store whose host calls may suspend (a debug session's: its debug handler
/// waits for the front end), without probes.
pub(crate) async fn execute_async<T: WasiView + WasiHttpView + Send + 'static>(
    store: &mut Store<T>,
    engine: &Engine,
    component: &CompiledComponent,
    options: &RunOptions,
) -> wasmtime::Result<RawOutcome> {
    let linker = link(engine, component, options, Calls::Async)?;
    if let Some(call) = &options.invoke {
        let (path, params, results) = invoked(engine, component, call)?;
        let instance = linker
            .instantiate_async(&mut *store, &component.component)
            .await?;
        let func = exported_func(&mut *store, &instance, &path)?;
        let mut results = vec![Val::Bool(false); results];
        func.call_async(&mut *store, &params, &mut results).await?;
        return Ok(rendered(&results));
    }
    check_is_command(engine, component)?;
    let command =
        AsyncCommand::instantiate_async(&mut *store, &component.component, &linker).await?;
    Ok(exit_status(
        command.wasi_cli_run().call_run(&mut *store).await?,
    ))
}

/// `wasi:cli/run#run`'s result as an exit status.
fn exit_status(result: Result<(), ()>) -> RawOutcome {
    match result {
        Ok(()) => RawOutcome::Exited(0),
        Err(()) => RawOutcome::Exited(1),
    }
}

/// How the guest's host calls are made: straight, or as futures on an async store.
#[derive(Clone, Copy)]
pub(crate) enum Calls {
    /// A synchronous store (`wobs run`).
    Sync,
    /// An async store (a debug session, `wobs serve`).
    Async,
}

/// A linker with WASI 0.2, wasi:http with `-S http`, and with `--trap-unknown-imports` stubs for
/// what else the component imports; a one-line error for wasi:http imports without `-S http`.
pub(crate) fn link<T: WasiView + WasiHttpView + 'static>(
    engine: &Engine,
    component: &CompiledComponent,
    options: &RunOptions,
    calls: Calls,
) -> wasmtime::Result<Linker<T>> {
    let mut linker = Linker::<T>::new(&engine.inner);
    match calls {
        Calls::Sync => wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?,
        Calls::Async => wasmtime_wasi::p2::add_to_linker_async(&mut linker)?,
    }
    if options.http {
        match calls {
            Calls::Sync => wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?,
            Calls::Async => wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?,
        }
    } else if let Some(http) =
        imported_http(engine, component).filter(|_| !options.trap_unknown_imports)
    {
        wasmtime::bail!(
            "this component imports {http}: run it with -S http to allow outgoing HTTP requests"
        );
    }
    if options.trap_unknown_imports {
        stub_unknown_imports(engine, component, &mut linker, options.http)?;
    }
    Ok(linker)
}

/// The interfaces the linker provides: WASI 0.2's command interfaces, wasi:http with `-S http`,
/// and the probes.
fn provided(import: &str, http: bool) -> bool {
    const WASI: [&str; 6] = [
        "wasi:cli/",
        "wasi:clocks/",
        "wasi:filesystem/",
        "wasi:io/",
        "wasi:random/",
        "wasi:sockets/",
    ];
    WASI.iter().any(|package| import.starts_with(package))
        || (http && import.starts_with("wasi:http/"))
        || import.starts_with(wobs_events::COMPONENT_PROBE_PREFIX)
}

/// The host type of the resources of stubbed imports: one type for all, so an interface that
/// `use`s a resource of another stubbed interface sees the same type.
struct UnknownResource;

/// `--trap-unknown-imports`: every import the linker does not provide becomes functions that trap
/// when called and resources nobody can make. (wasmtime's `define_unknown_imports_as_traps` also
/// re-defines resources of interfaces WASI already provides, which then fails to link.)
fn stub_unknown_imports<T: 'static>(
    engine: &Engine,
    component: &CompiledComponent,
    linker: &mut Linker<T>,
    http: bool,
) -> wasmtime::Result<()> {
    use wasmtime::component::ResourceType;
    let trap = |name: String| {
        move |_: wasmtime::StoreContextMut<'_, T>, _: ComponentFunc, _: &[Val], _: &mut [Val]| {
            Err(wasmtime::format_err!(
                "unknown import: `{name}` has not been defined"
            ))
        }
    };
    let ty = component.component.component_type();
    for (name, import) in ty.imports(&engine.inner) {
        if provided(name, http) {
            continue;
        }
        match import.ty {
            ComponentItem::ComponentFunc(_) => linker.root().func_new(name, trap(name.into()))?,
            ComponentItem::Resource(_) => {
                linker
                    .root()
                    .resource(name, ResourceType::host::<UnknownResource>(), |_, _| Ok(()))?
            }
            ComponentItem::ComponentInstance(instance) => {
                let mut stub = linker.instance(name)?;
                for (item, export) in instance.exports(&engine.inner) {
                    match export.ty {
                        ComponentItem::ComponentFunc(_) => {
                            stub.func_new(item, trap(format!("{name}#{item}")))?
                        }
                        ComponentItem::Resource(_) => {
                            stub.resource(item, ResourceType::host::<UnknownResource>(), |_, _| {
                                Ok(())
                            })?
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The first wasi:http interface the component imports, if any.
fn imported_http(engine: &Engine, component: &CompiledComponent) -> Option<String> {
    let ty = component.component.component_type();
    let name = ty
        .imports(&engine.inner)
        .map(|(name, _)| name)
        .find(|name| name.starts_with("wasi:http/"))?
        .to_string();
    Some(name)
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
             requests, it does not run as a command: serve it with `wobs serve`"
        );
    }
    let exports = match exports.is_empty() {
        true => "nothing".to_string(),
        false => exports.join(", "),
    };
    wasmtime::bail!("this component exports no {CLI_RUN} to run (it exports {exports})")
}

/// What `--invoke` calls: the export `call` names (`name(arg, ...)` in WAVE) as its export path,
/// its arguments, and how many results it returns.
fn invoked(
    engine: &Engine,
    component: &CompiledComponent,
    call: &str,
) -> wasmtime::Result<(Vec<String>, Vec<Val>, usize)> {
    let call = UntypedFuncCall::parse(call)
        .map_err(|e| wasmtime::format_err!("--invoke `{call}`: {e}"))?;
    let name = call.name();
    let mut found = Vec::new();
    let ty = component.component.component_type();
    exported_funcs(
        engine,
        ty.exports(&engine.inner),
        &mut Vec::new(),
        name,
        &mut found,
    );
    let (path, func_ty) = match found.len() {
        0 => wasmtime::bail!("the component exports no function `{name}`"),
        1 => found.remove(0),
        _ => {
            let paths: Vec<String> = found.iter().map(|(path, _)| path.join("#")).collect();
            wasmtime::bail!("several exports are named `{name}`: {}", paths.join(", "))
        }
    };
    let params_ty: Vec<_> = WasmFunc::params(&func_ty).collect();
    let params: Vec<Val> = call
        .to_wasm_params(&params_ty)
        .map_err(|e| wasmtime::format_err!("arguments of `{name}`: {e}"))?;
    let results = func_ty.results().len();
    Ok((path, params, results))
}

/// The function `instance` exports at `path` (found by [`invoked`]).
fn exported_func<T>(
    store: &mut Store<T>,
    instance: &wasmtime::component::Instance,
    path: &[String],
) -> wasmtime::Result<wasmtime::component::Func> {
    let name = path.last().map_or("", String::as_str);
    let export = path
        .iter()
        .try_fold(None, |within, name| {
            instance
                .get_export_index(&mut *store, within.as_ref(), name)
                .map(Some)
        })
        .flatten()
        .ok_or_else(|| wasmtime::format_err!("the component exports no function `{name}`"))?;
    instance
        .get_func(&mut *store, export)
        .ok_or_else(|| wasmtime::format_err!("export `{name}` is not a function"))
}

/// An invoked function's results, in WAVE.
fn rendered(results: &[Val]) -> RawOutcome {
    RawOutcome::Returned(vec![DisplayFuncResults(results).to_string()])
}

/// Collects into `found` the functions named `name` among `exports`, searching exported instances
/// too, each with its export path (`["wasi:cli/run@0.2.0", "run"]`).
fn exported_funcs<'a>(
    engine: &Engine,
    exports: impl Iterator<Item = (&'a str, ComponentExtern<'a>)>,
    path: &mut Vec<String>,
    name: &str,
    found: &mut Vec<(Vec<String>, ComponentFunc)>,
) {
    for (export, item) in exports {
        path.push(export.to_string());
        match item.ty {
            ComponentItem::ComponentFunc(func) if export == name => {
                found.push((path.clone(), func));
            }
            ComponentItem::ComponentInstance(instance) => {
                exported_funcs(engine, instance.exports(&engine.inner), path, name, found);
            }
            _ => {}
        }
        path.pop();
    }
}

/// Defines the probe instance each instrumented code unit imports (`wobs-probes-uN`, see
/// [`wobs_events::COMPONENT_PROBE_PREFIX`]): the unit is the instance's, the id the probe's; the
/// unit's `wobs.map` says which ABI its probes speak.
pub(crate) fn define_probes<T: ProbeHost>(
    engine: &Engine,
    component: &CompiledComponent,
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use wasmtime::StoreContextMut;
    let ty = component.component.component_type();
    for (name, _) in ty.imports(&engine.inner) {
        let Some(unit) = name
            .strip_prefix(wobs_events::COMPONENT_PROBE_PREFIX)
            .and_then(|unit| unit.parse::<u32>().ok())
        else {
            continue;
        };
        let counted = component
            .probes
            .get(unit as usize)
            .and_then(Option::as_ref)
            .is_some_and(|map| map.abi == ProbeAbi::Counted);
        let mut probes = linker.instance(name)?;
        match counted {
            true => {
                probes.func_wrap(
                    "enter-counted",
                    move |mut cx: StoreContextMut<'_, T>, (id, calls): (u32, u64)| {
                        let now = T::probe_now(&cx);
                        if let Some(tracer) = cx.data_mut().tracer() {
                            tracer.enter_counted(unit, id, calls, now);
                        }
                        T::sample_if_due(&mut cx);
                        Ok(())
                    },
                )?;
                probes.func_wrap(
                    "exit-counted",
                    move |mut cx: StoreContextMut<'_, T>, (id, calls): (u32, u64)| {
                        T::sample_if_due(&mut cx);
                        let now = T::probe_now(&cx);
                        let throttle = cx
                            .data_mut()
                            .tracer()
                            .map_or(0, |tracer| tracer.exit_counted(unit, id, calls, now));
                        Ok((throttle as u32,))
                    },
                )?;
            }
            false => {
                probes.func_wrap(
                    "enter",
                    move |mut cx: StoreContextMut<'_, T>, (id,): (u32,)| {
                        let now = T::probe_now(&cx);
                        if let Some(tracer) = cx.data_mut().tracer() {
                            tracer.enter(unit, id, now);
                        }
                        T::sample_if_due(&mut cx);
                        Ok(())
                    },
                )?;
                probes.func_wrap(
                    "exit",
                    move |mut cx: StoreContextMut<'_, T>, (id,): (u32,)| {
                        T::sample_if_due(&mut cx);
                        let now = T::probe_now(&cx);
                        if let Some(tracer) = cx.data_mut().tracer() {
                            tracer.exit(unit, id, now);
                        }
                        Ok(())
                    },
                )?;
            }
        }
        probes.func_wrap(
            "memory-grow",
            |mut cx: StoreContextMut<'_, T>, (pages, _result): (u32, u32)| {
                let now = T::probe_now(&cx);
                if let Some(tracer) = cx.data_mut().tracer() {
                    tracer.memory_grow(pages, now);
                }
                Ok(())
            },
        )?;
    }
    Ok(())
}

/// Hands the tracer the call counts of every counted unit, read through the component's
/// `wobs-counts-uN` exports (see [`wobs_events::COMPONENT_COUNTS_PREFIX`]). After a trap the
/// instance cannot be entered: the counts then stay those of the timed calls.
fn read_counts(store: &mut Store<Host>, component: &CompiledComponent, instance: &Instance) {
    for (unit, map) in component.probes.iter().enumerate() {
        let Some(map) = map.as_ref().filter(|m| m.abi == ProbeAbi::Counted) else {
            continue;
        };
        let name = format!("{}{unit}", wobs_events::COMPONENT_COUNTS_PREFIX);
        let Some(counts) = instance.get_export_index(&mut *store, None, &name) else {
            continue;
        };
        let Some(count) = instance
            .get_export_index(&mut *store, Some(&counts), "count")
            .and_then(|func| {
                instance
                    .get_typed_func::<(u32,), (u64,)>(&mut *store, func)
                    .ok()
            })
        else {
            continue;
        };
        let slots = CountedLayout::of(map).slots;
        let mut counts = Vec::with_capacity(slots as usize);
        for id in 0..slots {
            match count.call(&mut *store, (id,)) {
                Ok((calls,)) => counts.push(calls),
                Err(_) => return,
            }
        }
        let calls = counts.iter().sum();
        store.data_mut().tracer.counted(unit as u32, counts, calls);
    }
}

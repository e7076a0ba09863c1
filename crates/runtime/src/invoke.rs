//! Calling an arbitrary export from the command line, as `wasmtime run --invoke` does.

use wasmtime::{Func, Instance, Store, TypedFunc, Val, ValType};
use wobs_events::RawFrame;

/// What a run calls in the main instance.
pub(crate) enum Entry {
    /// A command's `_start`.
    Start(TypedFunc<(), ()>),
    /// `--invoke NAME`: the reactor's `_initialize` first (when exported), then the export.
    Invoke {
        initialize: Option<TypedFunc<(), ()>>,
        name: String,
        func: Func,
    },
}

/// Finds what `invoke` (None: `_start`) asks to call, with a one-line error when it is missing.
pub(crate) fn entry<T>(
    store: &mut Store<T>,
    instance: &Instance,
    invoke: Option<&str>,
) -> wasmtime::Result<Entry> {
    let Some(name) = invoke else {
        let start = instance
            .get_typed_func::<(), ()>(&mut *store, "_start")
            .map_err(|_| {
                wasmtime::format_err!(
                    "module has no `_start` export (a reactor?); use --invoke NAME to call an export"
                )
            })?;
        return Ok(Entry::Start(start));
    };
    let initialize = instance
        .get_typed_func::<(), ()>(&mut *store, "_initialize")
        .ok();
    let func = instance
        .get_func(&mut *store, name)
        .ok_or_else(|| wasmtime::format_err!("module has no exported function `{name}`"))?;
    Ok(Entry::Invoke {
        initialize,
        name: name.to_string(),
        func,
    })
}

/// A wasmtime frame as (module index in `modules`, module offset); `None` for frames of other
/// modules or without an address.
pub(crate) fn raw_frame(
    modules: &[wasmtime::Module],
    frame: &wasmtime::FrameInfo,
) -> Option<RawFrame> {
    let module = modules
        .iter()
        .position(|m| wasmtime::Module::same(m, frame.module()))?;
    Some(RawFrame {
        module: module as u32,
        offset: u32::try_from(frame.module_offset()?).ok()?,
    })
}

/// Parses `args` as the parameters of `func`, calls it, and renders the results.
pub(crate) fn call<T>(
    store: &mut Store<T>,
    name: &str,
    func: Func,
    args: &[String],
) -> wasmtime::Result<Vec<String>> {
    let (params, mut results) = arguments(&*store, name, func, args)?;
    func.call(&mut *store, &params, &mut results)?;
    Ok(results.iter().map(render).collect())
}

/// The parameters parsed from `args` and a buffer for the results of calling `func`.
pub(crate) fn arguments<T>(
    store: &Store<T>,
    name: &str,
    func: Func,
    args: &[String],
) -> wasmtime::Result<(Vec<Val>, Vec<Val>)> {
    let ty = func.ty(store);
    if ty.params().len() != args.len() {
        wasmtime::bail!(
            "export `{name}` takes {} argument(s), {} given",
            ty.params().len(),
            args.len()
        );
    }
    let params = ty
        .params()
        .zip(args)
        .map(|(ty, arg)| parse(name, &ty, arg))
        .collect::<wasmtime::Result<Vec<_>>>()?;
    let results = vec![Val::I32(0); ty.results().len()];
    Ok((params, results))
}

fn parse(name: &str, ty: &ValType, arg: &str) -> wasmtime::Result<Val> {
    let bad = || wasmtime::format_err!("argument `{arg}` of `{name}` is not a valid {ty}");
    Ok(match ty {
        ValType::I32 => Val::I32(parse_i32(arg).ok_or_else(bad)?),
        ValType::I64 => Val::I64(parse_i64(arg).ok_or_else(bad)?),
        ValType::F32 => Val::F32(arg.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Val::F64(arg.parse::<f64>().map_err(|_| bad())?.to_bits()),
        other => wasmtime::bail!(
            "`{name}` takes a {other} parameter, which cannot be given on the command line"
        ),
    })
}

/// Accepts signed decimals and also values that only fit the unsigned range (`4294967295` for an
/// i32), as the wasmtime CLI does.
fn parse_i32(arg: &str) -> Option<i32> {
    (arg.parse::<i32>().ok()).or_else(|| arg.parse::<u32>().ok().map(|v| v as i32))
}

/// [`parse_i32`] for 64 bits.
fn parse_i64(arg: &str) -> Option<i64> {
    (arg.parse::<i64>().ok()).or_else(|| arg.parse::<u64>().ok().map(|v| v as i64))
}

pub(crate) fn render(value: &Val) -> String {
    match value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::V128(v) => format!("{:#034x}", v.as_u128()),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) => "null".to_string(),
        _ => "<reference>".to_string(),
    }
}

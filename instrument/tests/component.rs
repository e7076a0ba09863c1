//! Instrumenting a component keeps what it computes: the probe instance goes in front, every
//! index of the original component moves with it (imports, lowered and lifted functions, core
//! instances, a nested component), the probes are called, balanced, with the unit's ids, under
//! either probe ABI, and counted probes' counts are exported at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::{Arc, Mutex};

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};
use wobs_events::ProbeAbi;
use wobs_instrument::component::instrument_component;
use wobs_instrument::Options;

/// A component whose core module calls a lowered import, lifted back as `run`, beside a nested
/// component with a module of its own (left as it is).
const COMPONENT: &str = r#"(component
  (import "host-add" (func $host-add (param "a" u32) (param "b" u32) (result u32)))
  (core module $m
    (import "host" "add" (func $add (param i32 i32) (result i32)))
    (func $double (param i32) (result i32) local.get 0 local.get 0 call $add)
    (func (export "run") (param i32) (result i32) local.get 0 call $double i32.const 1 i32.add))
  (core func $add-lowered (canon lower (func $host-add)))
  (core instance $host (export "add" (func $add-lowered)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (component $inner
    (core module $n (func (export "f") (result i32) i32.const 7))
    (core instance $ni (instantiate $n))
    (func (export "seven") (result u32) (canon lift (core func $ni "f"))))
  (instance $inner-i (instantiate $inner))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $i "run")))
  (export "seven" (func $inner-i "seven"))
)"#;

/// Probe calls seen by the host: (entered ids, exited ids).
type Calls = Arc<Mutex<(Vec<u32>, Vec<u32>)>>;

/// Defines unit 0's probe instance (`wobs-probes-u0`) for both probe ABIs (a component takes
/// what it imports), recording the probes' calls in `calls`; counted probes are never throttled.
fn link_probes(linker: &mut Linker<()>, calls: &Calls) {
    let mut probes = linker.instance("wobs-probes-u0").unwrap();
    let entered = calls.clone();
    probes
        .func_wrap("enter", move |_, (id,): (u32,)| {
            entered.lock().unwrap().0.push(id);
            Ok(())
        })
        .unwrap();
    let exited = calls.clone();
    probes
        .func_wrap("exit", move |_, (id,): (u32,)| {
            exited.lock().unwrap().1.push(id);
            Ok(())
        })
        .unwrap();
    let entered = calls.clone();
    probes
        .func_wrap("enter-counted", move |_, (id, _calls): (u32, u64)| {
            entered.lock().unwrap().0.push(id);
            Ok(())
        })
        .unwrap();
    let exited = calls.clone();
    probes
        .func_wrap("exit-counted", move |_, (id, _calls): (u32, u64)| {
            exited.lock().unwrap().1.push(id);
            Ok((0u32,))
        })
        .unwrap();
    probes
        .func_wrap("memory-grow", |_, (_, _): (u32, u32)| Ok(()))
        .unwrap();
}

/// Calls `run(5)` and `seven()` of `wasm`, linking the probe instance when it is imported; then
/// the counts of functions 1 and 2 when unit 0's counts are exported.
fn call(wasm: &[u8], calls: &Calls) -> (u32, u32, Option<[u64; 2]>) {
    let engine = Engine::new(&Config::new()).unwrap();
    let component = Component::from_binary(&engine, wasm).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_wrap("host-add", |_, (a, b): (u32, u32)| Ok((a + b,)))
        .unwrap();
    link_probes(&mut linker, calls);
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let run = instance
        .get_typed_func::<(u32,), (u32,)>(&mut store, "run")
        .unwrap();
    let (ran,) = run.call(&mut store, (5,)).unwrap();
    let seven = instance
        .get_typed_func::<(), (u32,)>(&mut store, "seven")
        .unwrap();
    let (seven,) = seven.call(&mut store, ()).unwrap();
    let counts = instance
        .get_export_index(&mut store, None, "wobs-counts-u0")
        .map(|counts| {
            let count = instance
                .get_export_index(&mut store, Some(&counts), "count")
                .unwrap();
            let count = instance
                .get_typed_func::<(u32,), (u64,)>(&mut store, count)
                .unwrap();
            [1, 2].map(|id| count.call(&mut store, (id,)).unwrap().0)
        });
    (ran, seven, counts)
}

#[test]
fn an_instrumented_component_computes_the_same_and_calls_its_probes() {
    let original = wat::parse_str(COMPONENT).unwrap();
    for abi in [ProbeAbi::Counted, ProbeAbi::Wobs] {
        let mut options = Options::default();
        options.min_size = 0;
        options.abi = abi;
        let out = instrument_component(&original, &options).unwrap();
        // Unit 0 (the top-level module) is instrumented; unit 1, inside the nested component, not.
        assert_eq!(out.units.len(), 2);
        assert_eq!(out.units[0].as_ref().unwrap().instrumented, 2);
        assert!(out.units[1].is_none());

        let none = Calls::default();
        let probed = Calls::default();
        assert_eq!(call(&original, &none), (11, 7, None));
        let (ran, seven, counts) = call(&out.wasm, &probed);
        assert_eq!((ran, seven), (11, 7), "{abi:?}");
        let (entered, exited) = probed.lock().unwrap().clone();
        // `run` (function 2: the import is function 0) calls `double` (function 1); both make
        // calls, so both are timed under counted probes too.
        assert_eq!(entered, [2, 1], "{abi:?}");
        assert_eq!(exited, [1, 2], "{abi:?}");
        assert!(none.lock().unwrap().0.is_empty());
        // Counted probes export each function's count; the host-call probes have nothing to.
        let expected = (abi == ProbeAbi::Counted).then_some([1, 1]);
        assert_eq!(counts, expected, "{abi:?}");
    }
}

/// Modules generated by wasm-smith, each wrapped as a component that lifts its exported functions
/// of plain number types, run original and instrumented: every call returns the same or traps the
/// same, and the probes balance on calls that return. (The module-level differential test covers
/// the rewrite itself; this one covers the component splice around it.)
#[test]
fn generated_modules_wrapped_as_components_compute_the_same_instrumented() {
    let mut state = 0x0c0f_fee5_eed5_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut options = Options::default();
    options.min_size = 0;
    // Counted probes (the default ABI), timing leaves too: every call reaches the host.
    options.time_leaves = true;
    let (mut compared, mut returned, mut components, mut probes) = (0, 0, 0, 0);
    for case in 0..200 {
        let data: Vec<u8> = (0..4096).map(|_| next() as u8).collect();
        let mut u = arbitrary::Unstructured::new(&data);
        let Ok(module) = wasm_smith::Module::new(smith_config(case % 2 == 1), &mut u) else {
            continue;
        };
        let Some((wasm, exports)) = wrap(&module.to_bytes()) else {
            continue;
        };
        let out = instrument_component(&wasm, &options)
            .unwrap_or_else(|e| panic!("case {case}: instrumenting failed: {e}"));
        components += 1;
        let probed = Calls::default();
        let before = call_exports(&wasm, &exports, &Calls::default());
        let after = call_exports(&out.wasm, &exports, &probed);
        assert_eq!(before.len(), after.len());
        let out_of_fuel = Err(OUT_OF_FUEL.to_string());
        for (b, a) in before.iter().zip(&after) {
            // The instrumented code spends more fuel: where either ran out, nothing compares.
            if *b != out_of_fuel && *a != out_of_fuel {
                assert_eq!(b, a, "case {case}: {exports:?}");
                compared += 1;
                returned += usize::from(b.is_ok());
            }
        }
        let (entered, exited) = probed.lock().unwrap().clone();
        if after.iter().all(Result::is_ok) {
            assert_eq!(
                entered.len(),
                exited.len(),
                "case {case}: probes unbalanced"
            );
        }
        probes += entered.len();
    }
    eprintln!(
        "{components} components, {compared} calls compared, {returned} returned, {probes} probes"
    );
    // Every function is probed (`min_size` 0): every call that returned entered one at least.
    assert!(probes >= returned, "{probes} {returned}");
    // Not vacuous: many components, many calls, many returning normally.
    assert!(components >= 40, "{components}");
    assert!(compared >= 100 && returned >= 50, "{compared} {returned}");
}

/// Small modules of number-typed functions, no imports, everything exported; with
/// `disallow_traps`, calls mostly return (else they mostly trap).
fn smith_config(disallow_traps: bool) -> wasm_smith::Config {
    wasm_smith::Config {
        max_imports: 0,
        min_funcs: 1,
        max_funcs: 8,
        max_instructions: 60,
        max_exports: 12,
        export_everything: true,
        allow_start_export: false,
        canonicalize_nans: true,
        disallow_traps,
        max_memories: 1,
        max_memory32_bytes: 2 * 65536,
        memory_max_size_required: true,
        max_tables: 1,
        table_max_size_required: true,
        multi_value_enabled: false,
        reference_types_enabled: false,
        simd_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        threads_enabled: false,
        tail_call_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        generate_custom_sections: false,
        ..wasm_smith::Config::default()
    }
}

/// The component value type of a core number type.
fn lifted(ty: wasmparser::ValType) -> Option<wasm_encoder::PrimitiveValType> {
    use wasm_encoder::PrimitiveValType as P;
    match ty {
        wasmparser::ValType::I32 => Some(P::S32),
        wasmparser::ValType::I64 => Some(P::S64),
        wasmparser::ValType::F32 => Some(P::F32),
        wasmparser::ValType::F64 => Some(P::F64),
        _ => None,
    }
}

/// `module` as a component that instantiates it and lifts each exported function whose parameters
/// and result are numbers, as `f0`, `f1`, …; with each export's parameter types. `None` when
/// nothing can be lifted.
fn wrap(module: &[u8]) -> Option<(Vec<u8>, Vec<Vec<wasm_encoder::PrimitiveValType>>)> {
    use wasm_encoder::{
        Alias, CanonicalFunctionSection, ComponentAliasSection, ComponentExportKind,
        ComponentExportSection, ComponentSectionId, ComponentTypeSection, ComponentValType,
        ExportKind, InstanceSection, RawSection,
    };
    let mut types = Vec::new();
    let mut functions = Vec::new(); // type index per function
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        match payload.ok()? {
            wasmparser::Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.ok()?.into_types() {
                        types.push(sub.unwrap_func().clone());
                    }
                }
            }
            wasmparser::Payload::FunctionSection(reader) => {
                for ty in reader {
                    functions.push(ty.ok()?);
                }
            }
            wasmparser::Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.ok()?;
                    if export.kind == wasmparser::ExternalKind::Func {
                        exports.push((export.name.to_string(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    let mut component = wasm_encoder::Component::new();
    component.section(&RawSection {
        id: ComponentSectionId::CoreModule as u8,
        data: module,
    });
    let mut instances = InstanceSection::new();
    instances.instantiate(0, Vec::<(&str, wasm_encoder::ModuleArg)>::new());
    component.section(&instances);
    let mut lifted_params = Vec::new();
    for (name, index) in exports {
        let ty = &types[*functions.get(index as usize)? as usize];
        let params: Option<Vec<_>> = ty.params().iter().map(|&p| lifted(p)).collect();
        let results: Option<Vec<_>> = ty.results().iter().map(|&r| lifted(r)).collect();
        let (Some(params), Some(results)) = (params, results) else {
            continue;
        };
        if results.len() > 1 {
            continue;
        }
        let n = lifted_params.len() as u32;
        let mut section = ComponentTypeSection::new();
        section
            .function()
            .params(
                params
                    .iter()
                    .enumerate()
                    .map(|(i, &p)| (format!("p{i}"), ComponentValType::Primitive(p)))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(|(name, ty)| (name.as_str(), *ty)),
            )
            .result(results.first().map(|&r| ComponentValType::Primitive(r)));
        component.section(&section);
        let mut alias = ComponentAliasSection::new();
        alias.alias(Alias::CoreInstanceExport {
            instance: 0,
            kind: ExportKind::Func,
            name: &name,
        });
        component.section(&alias);
        let mut canon = CanonicalFunctionSection::new();
        canon.lift(n, n, []);
        component.section(&canon);
        let mut export = ComponentExportSection::new();
        export.export(format!("f{n}"), ComponentExportKind::Func, n, None);
        component.section(&export);
        lifted_params.push(params);
    }
    if lifted_params.is_empty() {
        return None;
    }
    Some((component.finish(), lifted_params))
}

/// How [`call_exports`] reports a call that ran out of fuel.
const OUT_OF_FUEL: &str = "out of fuel";

/// What one call did: its result, or the trap that ended it.
type Called = Result<Vec<String>, String>;

/// Calls every `fN` of `wasm` once with small arguments, each in a fresh instance, with a fuel
/// budget: a call that runs out is left out (the instrumented code spends more).
fn call_exports(
    wasm: &[u8],
    exports: &[Vec<wasm_encoder::PrimitiveValType>],
    calls: &Calls,
) -> Vec<Called> {
    use wasm_encoder::PrimitiveValType as P;
    use wasmtime::component::Val;
    let mut config = Config::new();
    config.consume_fuel(true);
    let engine = Engine::new(&config).unwrap();
    let component = Component::from_binary(&engine, wasm).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    // The original imports nothing: linking an instance it does not import is harmless.
    link_probes(&mut linker, calls);
    let mut out = Vec::new();
    for (n, params) in exports.iter().enumerate() {
        let mut store = Store::new(&engine, ());
        store.set_fuel(200_000).unwrap();
        let args: Vec<Val> = params
            .iter()
            .enumerate()
            .map(|(i, p)| match p {
                P::S32 => Val::S32(i as i32 + 1),
                P::S64 => Val::S64(i as i64 - 1),
                P::F32 => Val::Float32(1.5),
                _ => Val::Float64(-2.25),
            })
            .collect();
        let called = (|| {
            let instance = linker.instantiate(&mut store, &component)?;
            let func = instance
                .get_func(&mut store, format!("f{n}"))
                .ok_or_else(|| wasmtime::format_err!("no f{n}"))?;
            let mut results = vec![Val::Bool(false); func.ty(&store).results().len()];
            func.call(&mut store, &args, &mut results)?;
            Ok::<_, wasmtime::Error>(results.iter().map(|v| format!("{v:?}")).collect())
        })();
        match called {
            Ok(results) => out.push(Ok(results)),
            Err(err) => match err.downcast_ref::<wasmtime::Trap>() {
                Some(wasmtime::Trap::OutOfFuel) => out.push(Err(OUT_OF_FUEL.into())),
                Some(trap) => out.push(Err(trap.to_string())),
                None => out.push(Err(format!("{err:#}"))),
            },
        }
    }
    out
}

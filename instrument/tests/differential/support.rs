//! The differential check, shared by `tests/differential.rs` and the cargo-fuzz target
//! `fuzz/fuzz_targets/instrument_differential.rs` (which includes this file with `#[path]`).
//!
//! [`differential`] instruments a module (every function, memory probes on), instantiates the
//! original and the instrumented module in separate stores, calls every exported function of both
//! with the same arguments under fuel, and compares what can be observed: results (bit for bit),
//! trap codes, and after every call the exported memories, globals and tables. The instrumented
//! module's probes go to host functions that check that every activation calls `enter` and `exit`
//! once each, properly nested, starting with the called function's id.
//!
//! Uses only `wasmtime`, `wasm_smith`, `wasmparser` and `wobs_instrument`.

#![allow(dead_code)] // each includer uses its own part

use wasmtime::{
    Caller, Config, Engine, Extern, Instance, Linker, Module, Ref, Store, Trap, Val, ValType,
};
use wobs_instrument::{instrument, Error, Options};

/// Fuel for one call (or the start function) of the original module.
pub const FUEL: u64 = 20_000;
/// Fuel for the same call of the instrumented module. A probe pair costs 4 fuel per activation and a
/// `memory.grow` probe 5 per grow, while the cheapest activation costs 1, so 20× is plenty.
pub const INSTRUMENTED_FUEL: u64 = FUEL * 20 + 1_000;
/// At most this many calls per module (3 argument sets per exported function).
pub const MAX_CALLS: usize = 60;

/// What kind of modules to generate.
#[derive(Debug, Clone, Copy)]
pub struct Flavor {
    /// Also exceptions (`try_table`, `throw`) and GC types/instructions (`br_on_cast`, …).
    /// Probes are then checked leniently: an exception that unwinds a frame skips its `exit`.
    pub exceptions_and_gc: bool,
    /// wasm-smith's `disallow_traps` (runs go further before a trap ends them).
    pub disallow_traps: bool,
}

/// A wasm-smith configuration whose modules wasmtime (as [`engine`] sets it up) runs: no imports,
/// everything exported, small memories and tables, NaNs canonicalized (so results compare bit for
/// bit), tail calls on.
pub fn smith_config(flavor: Flavor) -> wasm_smith::Config {
    wasm_smith::Config {
        max_imports: 0,
        min_funcs: 1,
        max_funcs: 8,
        min_types: 3, // functions need a function type
        max_types: 12,
        max_instructions: 80,
        max_nesting_depth: 6,
        max_globals: 6,
        max_exports: 30,
        export_everything: true,
        allow_start_export: false, // mostly loops that run out of fuel; a hand-written case has one
        canonicalize_nans: true,
        disallow_traps: flavor.disallow_traps,
        max_memories: 2,
        max_memory32_bytes: 4 * 65536,
        max_memory64_bytes: 4 * 65536,
        memory_max_size_required: true,
        memory64_enabled: true,
        max_tables: 2,
        max_table_elements: 64,
        table_max_size_required: true,
        max_data_segments: 4,
        max_element_segments: 4,
        max_elements: 16,
        max_tags: 4,
        tail_call_enabled: true,
        multi_value_enabled: true,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        simd_enabled: true,
        relaxed_simd_enabled: false, // implementation-defined results
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        extended_const_enabled: true,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        generate_custom_sections: false,
        exceptions_enabled: flavor.exceptions_and_gc,
        gc_enabled: flavor.exceptions_and_gc,
        ..wasm_smith::Config::default()
    }
}

/// The engine both modules run on: fuel, and the proposals [`smith_config`] may use.
pub fn engine() -> Engine {
    let mut config = Config::new();
    config
        .consume_fuel(true)
        .wasm_tail_call(true)
        .wasm_multi_value(true)
        .wasm_multi_memory(true)
        .wasm_memory64(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        .wasm_simd(true)
        .wasm_extended_const(true)
        .wasm_function_references(true)
        .wasm_gc(true)
        .wasm_exceptions(true);
    Engine::new(&config).expect("engine config")
}

/// Counts over one or more modules.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Modules given to [`differential`].
    pub modules: u32,
    /// Modules the instrumenter refused as invalid input (`Error::Invalid`).
    pub rejected: u32,
    /// Modules wasmtime would not compile (before instrumentation).
    pub unsupported: u32,
    /// Modules instrumented and run.
    pub instrumented: u32,
    /// Calls (and start functions) whose outcome and state were compared.
    pub compared: u32,
    /// Of those, calls that returned normally in both.
    pub returned: u32,
    /// Of those, calls that trapped (or threw) in both.
    pub trapped: u32,
    /// Calls not compared: the original ran out of fuel (the function's other calls are skipped).
    pub out_of_fuel: u32,
    /// Calls not compared: a stack overflow on one side only (frames differ in size), or on both
    /// (state after an overflow depends on the depth reached). The function's other calls are
    /// skipped.
    pub stack_overflow: u32,
    /// Modules whose instantiation trapped (segments out of bounds, start function; nothing else
    /// of them runs).
    pub start_trapped: u32,
    /// Exported functions called.
    pub functions: u32,
    /// Exported functions not called: a parameter we cannot make a value for.
    pub uncallable: u32,
    /// `return`s the instrumenter rewrote (its report).
    pub returns: u32,
    /// Tail calls given an exit probe (its report).
    pub tail_calls: u32,
    /// Branches in the input that leave the function by its body label (`br`, `br_if`, `br_table`,
    /// `br_on_*`, `try_table` catches), which the instrumenter retargets.
    pub body_branches: u32,
    /// Probe calls (`enter`) seen.
    pub enters: u64,
    /// `memory_grow` probe calls seen.
    pub grows: u64,
}

impl Stats {
    fn count(&mut self, why: Stop) {
        match why {
            Stop::OutOfFuel => self.out_of_fuel += 1,
            Stop::StackOverflow => self.stack_overflow += 1,
        }
    }

    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Stats) {
        self.modules += other.modules;
        self.rejected += other.rejected;
        self.unsupported += other.unsupported;
        self.instrumented += other.instrumented;
        self.compared += other.compared;
        self.returned += other.returned;
        self.trapped += other.trapped;
        self.out_of_fuel += other.out_of_fuel;
        self.stack_overflow += other.stack_overflow;
        self.start_trapped += other.start_trapped;
        self.returns += other.returns;
        self.tail_calls += other.tail_calls;
        self.body_branches += other.body_branches;
        self.functions += other.functions;
        self.uncallable += other.uncallable;
        self.enters += other.enters;
        self.grows += other.grows;
    }
}

/// What the probe host functions saw during one call.
#[derive(Debug, Default)]
struct Probes {
    /// Open activations (probe ids), innermost last.
    stack: Vec<i32>,
    /// The first `enter` of the call.
    first: Option<i32>,
    enters: u64,
    grows: u64,
    /// Exits that did not match (empty if all is well).
    errors: Vec<String>,
    /// An `exit` may close frames above its own (exceptions unwind without calling `exit`).
    lenient: bool,
}

impl Probes {
    fn enter(&mut self, id: i32) {
        self.enters += 1;
        self.first.get_or_insert(id);
        self.stack.push(id);
    }

    fn exit(&mut self, id: i32) {
        match self.stack.last() {
            Some(&top) if top == id => {
                self.stack.pop();
            }
            _ if self.lenient && self.stack.contains(&id) => while self.stack.pop() != Some(id) {},
            _ if self.errors.len() < 8 => self
                .errors
                .push(format!("exit({id}) with open frames {:?}", self.stack)),
            _ => {}
        }
    }

    fn reset(&mut self) {
        self.stack.clear();
        self.first = None;
    }
}

/// A value as compared: floats and vectors by bits, references by null-ness (identity differs
/// between stores).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    Ref { null: bool },
}

fn value(v: &Val) -> Value {
    match v {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(x) => Value::F32(*x),
        Val::F64(x) => Value::F64(*x),
        Val::V128(x) => Value::V128(x.as_u128()),
        other => Value::Ref {
            null: other.ref_().is_none_or(|r| r.is_null()),
        },
    }
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Returned(Vec<Value>),
    Trapped(Trap),
    Threw,
    Failed(String),
}

fn outcome(result: wasmtime::Result<Vec<Val>>) -> Outcome {
    match result {
        Ok(values) => Outcome::Returned(values.iter().map(value).collect()),
        Err(e) => {
            if let Some(trap) = e.downcast_ref::<Trap>() {
                Outcome::Trapped(*trap)
            } else if e.downcast_ref::<wasmtime::ThrownException>().is_some() {
                Outcome::Threw
            } else {
                Outcome::Failed(e.root_cause().to_string())
            }
        }
    }
}

/// The exported state of an instance, by export name.
#[derive(Debug, PartialEq, Eq)]
enum Snapshot {
    Memory(Vec<u8>),
    Global(Value),
    Table(Vec<bool>),
}

fn snapshot<T: 'static>(
    store: &mut Store<T>,
    instance: &Instance,
    names: &[String],
) -> Vec<(String, Snapshot)> {
    let mut out = Vec::new();
    for name in names {
        let shot = match instance.get_export(&mut *store, name) {
            Some(Extern::Memory(m)) => Snapshot::Memory(m.data(&*store).to_vec()),
            Some(Extern::Global(g)) => Snapshot::Global(value(&g.get(&mut *store))),
            Some(Extern::Table(t)) => {
                let size = t.size(&*store);
                Snapshot::Table(
                    (0..size)
                        .map(|i| t.get(&mut *store, i).is_none_or(|r: Ref| r.is_null()))
                        .collect(),
                )
            }
            _ => continue,
        };
        out.push((name.clone(), shot));
    }
    out
}

/// First difference between two snapshots, for the message.
fn snapshot_diff(a: &[(String, Snapshot)], b: &[(String, Snapshot)]) -> String {
    for ((name, x), (_, y)) in a.iter().zip(b) {
        if x == y {
            continue;
        }
        return match (x, y) {
            (Snapshot::Memory(x), Snapshot::Memory(y)) if x.len() == y.len() => {
                let at = x.iter().zip(y).position(|(p, q)| p != q).unwrap_or(0);
                format!(
                    "memory `{name}` differs first at byte {at}: {} vs {}",
                    x[at], y[at]
                )
            }
            (Snapshot::Memory(x), Snapshot::Memory(y)) => {
                format!("memory `{name}` size {} vs {}", x.len(), y.len())
            }
            _ => format!("`{name}`: {x:?} vs {y:?}"),
        };
    }
    format!("export sets differ: {} vs {}", a.len(), b.len())
}

/// Argument sets for a signature; `None` if a parameter has no value we can make (non-null refs).
fn arguments(params: &[ValType]) -> Option<Vec<Vec<Val>>> {
    let mut sets = vec![Vec::new(), Vec::new(), Vec::new()];
    for ty in params {
        let zero = Val::default_for_ty(ty)?;
        let (one, big) = match ty {
            ValType::I32 => (Val::I32(1), Val::I32(65530)),
            ValType::I64 => (Val::I64(1), Val::I64(-1)),
            ValType::F32 => (Val::F32(1.5f32.to_bits()), Val::F32((-0.0f32).to_bits())),
            ValType::F64 => (Val::F64((-2.25f64).to_bits()), Val::F64(1e300f64.to_bits())),
            ValType::V128 => (Val::V128(1u128.into()), Val::V128(u128::MAX.into())),
            ValType::Ref(_) => (zero, zero),
        };
        sets[0].push(zero);
        sets[1].push(one);
        sets[2].push(big);
    }
    Some(sets)
}

/// Function index of each exported function, by export name.
fn export_indices(wasm: &[u8]) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ExportSection(exports)) = payload {
            for export in exports.into_iter().flatten() {
                if export.kind == wasmparser::ExternalKind::Func {
                    out.push((export.name.to_string(), export.index));
                }
            }
        }
    }
    out
}

/// How many branches in `wasm`'s function bodies target the function's own label.
fn body_branches(wasm: &[u8]) -> u32 {
    use wasmparser::Operator as O;
    let mut count = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload else {
            continue;
        };
        let Ok(mut ops) = body.get_operators_reader() else {
            continue;
        };
        let mut depth = 0u32; // open blocks inside the body
        while !ops.eof() {
            let Ok(op) = ops.read() else { break };
            let d = depth;
            let out = |label: u32| u32::from(label == d);
            count += match op {
                O::Block { .. } | O::Loop { .. } | O::If { .. } | O::TryTable { .. } => {
                    depth += 1;
                    // A try_table's catch labels count from outside the try_table.
                    if let O::TryTable { try_table } = &op {
                        try_table
                            .catches
                            .iter()
                            .map(|c| match c {
                                wasmparser::Catch::One { label, .. }
                                | wasmparser::Catch::OneRef { label, .. }
                                | wasmparser::Catch::All { label }
                                | wasmparser::Catch::AllRef { label } => out(*label),
                            })
                            .sum()
                    } else {
                        0
                    }
                }
                O::End => {
                    depth = depth.saturating_sub(1);
                    0
                }
                O::Br { relative_depth }
                | O::BrIf { relative_depth }
                | O::BrOnNull { relative_depth }
                | O::BrOnNonNull { relative_depth }
                | O::BrOnCast { relative_depth, .. }
                | O::BrOnCastFail { relative_depth, .. } => out(relative_depth),
                O::BrTable { targets } => {
                    let hit = targets.targets().flatten().any(|t| t == d) || targets.default() == d;
                    u32::from(hit)
                }
                _ => 0,
            };
        }
    }
    count
}

/// One side of the comparison.
struct Side {
    store: Store<Probes>,
    instance: Option<Instance>,
}

impl Side {
    fn new(
        engine: &Engine,
        module: &Module,
        fuel: u64,
        probed: bool,
        lenient: bool,
    ) -> (Side, Outcome) {
        let mut store = Store::new(
            engine,
            Probes {
                lenient,
                ..Probes::default()
            },
        );
        let mut linker: Linker<Probes> = Linker::new(engine);
        if probed {
            linker
                .func_wrap("wobs", "enter", |mut c: Caller<'_, Probes>, id: i32| {
                    c.data_mut().enter(id)
                })
                .and_then(|l| {
                    l.func_wrap("wobs", "exit", |mut c: Caller<'_, Probes>, id: i32| {
                        c.data_mut().exit(id)
                    })
                })
                .and_then(|l| {
                    l.func_wrap(
                        "wobs",
                        "memory_grow",
                        |mut c: Caller<'_, Probes>, _pages: i32, _result: i32| {
                            c.data_mut().grows += 1
                        },
                    )
                })
                .expect("defines probes");
        }
        store.set_fuel(fuel).expect("fuel is on");
        let result = linker.instantiate(&mut store, module);
        let (instance, outcome) = match result {
            Ok(i) => (Some(i), Outcome::Returned(Vec::new())),
            Err(e) => (None, outcome(Err(e))),
        };
        (Side { store, instance }, outcome)
    }

    fn call(&mut self, name: &str, args: &[Val], fuel: u64) -> Outcome {
        let Some(instance) = self.instance else {
            return Outcome::Failed("no instance".into());
        };
        let Some(func) = instance.get_func(&mut self.store, name) else {
            return Outcome::Failed(format!("no function export `{name}`"));
        };
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty
            .results()
            .map(|t| Val::default_for_ty(&t).unwrap_or(Val::I32(0)))
            .collect();
        self.store.data_mut().reset();
        self.store.set_fuel(fuel).expect("fuel is on");
        if self.store.has_pending_exception() {
            let _ = self.store.take_pending_exception();
        }
        let result = func.call(&mut self.store, args, &mut results);
        let out = outcome(result.map(|()| results));
        if self.store.has_pending_exception() {
            let _ = self.store.take_pending_exception();
        }
        out
    }
}

/// Whether an outcome ends the comparison of a module, and how it is counted.
enum Stop {
    OutOfFuel,
    StackOverflow,
}

fn stop(original: &Outcome, instrumented: &Outcome) -> Option<Stop> {
    match (original, instrumented) {
        (Outcome::Trapped(Trap::OutOfFuel), _) => Some(Stop::OutOfFuel),
        (Outcome::Trapped(Trap::StackOverflow), _) | (_, Outcome::Trapped(Trap::StackOverflow)) => {
            Some(Stop::StackOverflow)
        }
        _ => None,
    }
}

/// Checks the probes of one finished call of the instrumented module.
fn check_probes(
    probes: &Probes,
    expected_first: Option<u32>,
    returned: bool,
) -> Result<(), String> {
    if let Some(e) = probes.errors.first() {
        return Err(format!(
            "unbalanced probes: {e} ({} errors)",
            probes.errors.len()
        ));
    }
    if returned && !probes.stack.is_empty() {
        return Err(format!(
            "returned with frames still open (missing exit): {:?}",
            probes.stack
        ));
    }
    if let (Some(expected), Some(first)) = (expected_first, probes.first) {
        if first as u32 != expected {
            return Err(format!(
                "first enter was {first}, expected the callee's id {expected}"
            ));
        }
    }
    if returned && expected_first.is_some() && probes.first.is_none() {
        return Err("returned without calling enter".into());
    }
    Ok(())
}

/// Instruments `wasm` and compares the original with the result. `Ok` with what was counted (an
/// input the instrumenter rejects as invalid or wasmtime cannot compile counts and is `Ok`); `Err`
/// describes a divergence or an instrumenter failure.
pub fn differential(engine: &Engine, wasm: &[u8], lenient: bool) -> Result<Stats, String> {
    let mut stats = Stats {
        modules: 1,
        ..Stats::default()
    };
    let original = match Module::new(engine, wasm) {
        Ok(m) => m,
        Err(_) => {
            stats.unsupported += 1;
            return Ok(stats);
        }
    };
    let mut options = Options::default();
    options.min_size = 0;
    options.memory = true;
    let out = match instrument(wasm, &options) {
        Ok(out) => out,
        Err(Error::Invalid(_)) => {
            stats.rejected += 1;
            return Ok(stats);
        }
        Err(e) => return Err(format!("instrument failed: {e}")),
    };
    stats.instrumented += 1;
    stats.returns += out.report.returns;
    stats.tail_calls += out.report.tail_calls;
    stats.body_branches += body_branches(wasm);
    let probed = Module::new(engine, &out.wasm)
        .map_err(|e| format!("wasmtime rejects the instrumented module: {e:#}"))?;

    let mut names: Vec<String> = original.exports().map(|e| e.name().to_string()).collect();
    names.sort();
    let probed_names: Vec<String> = {
        let mut n: Vec<String> = probed.exports().map(|e| e.name().to_string()).collect();
        n.sort();
        n
    };
    if names != probed_names {
        return Err(format!("exports differ: {names:?} vs {probed_names:?}"));
    }
    let indices = export_indices(wasm);

    // Each exported function gets fresh instances (a call that runs out of fuel or overflows the
    // stack leaves the two sides in different states); the calls of one function share them.
    let mut calls = 0;
    let mut first = true;
    for name in &names {
        if calls >= MAX_CALLS {
            break;
        }
        let Some(func) = original.get_export(name).and_then(|e| e.func().cloned()) else {
            continue;
        };
        let params: Vec<ValType> = func.params().collect();
        let Some(sets) = arguments(&params) else {
            stats.uncallable += 1;
            continue;
        };
        stats.functions += 1;
        let index = indices.iter().find(|(n, _)| n == name).map(|&(_, i)| i);

        // Instantiation runs the start function, if any.
        let (mut a, a_start) = Side::new(engine, &original, FUEL, false, lenient);
        let (mut b, b_start) = Side::new(engine, &probed, INSTRUMENTED_FUEL, true, lenient);
        if let Some(why) = stop(&a_start, &b_start) {
            stats.count(why);
            return Ok(stats);
        }
        if a_start != b_start {
            return Err(format!("instantiation: {a_start:?} vs {b_start:?}"));
        }
        check_probes(
            b.store.data(),
            None,
            matches!(b_start, Outcome::Returned(_)),
        )
        .map_err(|e| format!("start function: {e}"))?;
        if first {
            first = false;
            stats.compared += 1;
            if a.instance.is_none() {
                stats.trapped += 1;
                stats.start_trapped += 1;
                return Ok(stats);
            }
            stats.returned += 1;
        }

        for args in sets {
            calls += 1;
            let x = a.call(name, &args, FUEL);
            let y = b.call(name, &args, INSTRUMENTED_FUEL);
            let what = || format!("call {name}{args:?}");
            if let Some(why) = stop(&x, &y) {
                stats.count(why);
                break;
            }
            if x != y {
                return Err(format!("{}: original {x:?}, instrumented {y:?}", what()));
            }
            check_probes(b.store.data(), index, matches!(y, Outcome::Returned(_)))
                .map_err(|e| format!("{}: {e}", what()))?;
            let (sa, sb) = (
                snapshot(&mut a.store, a.instance.as_ref().expect("instance"), &names),
                snapshot(&mut b.store, b.instance.as_ref().expect("instance"), &names),
            );
            if sa != sb {
                return Err(format!(
                    "{} ({x:?}): state differs: {}",
                    what(),
                    snapshot_diff(&sa, &sb)
                ));
            }
            stats.compared += 1;
            if matches!(x, Outcome::Returned(_)) {
                stats.returned += 1;
            } else {
                stats.trapped += 1;
            }
        }
        stats.enters += b.store.data().enters;
        stats.grows += b.store.data().grows;
    }
    Ok(stats)
}

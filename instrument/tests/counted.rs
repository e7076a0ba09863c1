//! Counted probes (ABI v2) run: the calls-so-far global counts every call of every instrumented
//! function, the counters memory each function's calls — or, with `per_function_counts` off (what
//! `wobs serve` instruments with), nothing, so a function that is only counted touches no memory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

use wasmtime::{Engine, Instance, Linker, Module, Store};
use wobs_events::{CountedLayout, ProbeAbi, ProbeMap};
use wobs_instrument::{instrument, Options};

/// `run(n)` calls the leaf `step` n times from the loop of `walk`: n + 2 calls in all.
const PROGRAM: &str = r#"
(module
  (func $step (param i32) (result i32)
    local.get 0 i32.const 3 i32.mul i32.const 1 i32.add)
  (func $walk (param i32) (result i32) (local i32)
    (block (loop
      local.get 0 i32.eqz br_if 1
      local.get 1 call $step local.set 1
      local.get 0 i32.const 1 i32.sub local.set 0
      br 0))
    local.get 1)
  (func (export "run") (param i32) (result i32)
    local.get 0 call $walk))
"#;

/// Runs `run(n)` of `PROGRAM` instrumented with `per_function_counts`, the host's probes answering
/// "keep timing"; the result, the calls-so-far global, and each probe's counter.
fn run(n: i32, per_function_counts: bool) -> (i32, i64, Vec<u64>) {
    let wasm = wat::parse_str(PROGRAM).unwrap();
    let mut options = Options::default();
    options.abi = ProbeAbi::Counted;
    options.min_size = 0;
    options.per_function_counts = per_function_counts;
    let out = instrument(&wasm, &options).unwrap();
    let map = ProbeMap::from_module(&out.wasm).unwrap();
    let engine = Engine::default();
    let module = Module::new(&engine, &out.wasm).unwrap();
    let mut linker = Linker::new(&engine);
    let names = ProbeAbi::Counted.names();
    linker
        .func_wrap(names.module, names.enter, |_: i32, _: i64| {})
        .unwrap();
    linker
        .func_wrap(names.module, names.exit, |_: i32, _: i64| 0i32)
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance: Instance = linker.instantiate(&mut store, &module).unwrap();
    let result = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .unwrap()
        .call(&mut store, n)
        .unwrap();
    let calls = instance
        .get_global(&mut store, CountedLayout::CALLS)
        .unwrap()
        .get(&mut store)
        .i64()
        .unwrap();
    let memory = instance
        .get_memory(&mut store, CountedLayout::MEMORY)
        .unwrap();
    let counts = CountedLayout::of(&map).counts(memory.data(&store));
    (result, calls, counts)
}

#[test]
fn the_calls_global_counts_every_call_with_or_without_per_function_counters() {
    let (plain_result, _, _) = run(0, true);
    assert_eq!(plain_result, 0);
    let (with, calls_with, counts_with) = run(10, true);
    let (without, calls_without, counts_without) = run(10, false);
    // The same result, and every call counted in the global either way: run, walk, 10 × step.
    assert_eq!(with, without);
    assert_eq!(calls_with, 12);
    assert_eq!(calls_without, 12);
    // Per function: the counters add up to the global with them, and stay 0 without.
    let mut sorted = counts_with.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted.iter().rev().take(3).copied().collect::<Vec<_>>(),
        [10, 1, 1]
    );
    assert_eq!(counts_with.iter().sum::<u64>(), 12);
    assert!(
        counts_without.iter().all(|&count| count == 0),
        "{counts_without:?}"
    );
}

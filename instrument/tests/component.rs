//! Instrumenting a component keeps what it computes: the probe instance goes in front, every
//! index of the original component moves with it (imports, lowered and lifted functions, core
//! instances, a nested component), and the probes are called, balanced, with the unit's ids.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::{Arc, Mutex};

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};
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

/// Calls `run(5)` and `seven()` of `wasm`, linking the probe instance when it is imported.
fn call(wasm: &[u8], calls: &Calls) -> (u32, u32) {
    let engine = Engine::new(&Config::new()).unwrap();
    let component = Component::from_binary(&engine, wasm).unwrap();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .root()
        .func_wrap("host-add", |_, (a, b): (u32, u32)| Ok((a + b,)))
        .unwrap();
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
    probes
        .func_wrap("memory-grow", |_, (_, _): (u32, u32)| Ok(()))
        .unwrap();
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
    (ran, seven)
}

#[test]
fn an_instrumented_component_computes_the_same_and_calls_its_probes() {
    let original = wat::parse_str(COMPONENT).unwrap();
    let mut options = Options::default();
    options.min_size = 0;
    let out = instrument_component(&original, &options).unwrap();
    // Unit 0 (the top-level module) is instrumented; unit 1, inside the nested component, not.
    assert_eq!(out.units.len(), 2);
    assert_eq!(out.units[0].as_ref().unwrap().instrumented, 2);
    assert!(out.units[1].is_none());

    let none = Calls::default();
    let probed = Calls::default();
    assert_eq!(call(&original, &none), (11, 7));
    assert_eq!(call(&out.wasm, &probed), (11, 7));
    let (entered, exited) = probed.lock().unwrap().clone();
    // `run` (function 2: the import is function 0) calls `double` (function 1).
    assert_eq!(entered, [2, 1]);
    assert_eq!(exited, [1, 2]);
    assert!(none.lock().unwrap().0.is_empty());
}

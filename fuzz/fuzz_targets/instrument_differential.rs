//! Instrumenting must not change what a module does: a wasm-smith module and its instrumented copy
//! run side by side under wasmtime (see `instrument/tests/differential/support.rs`, shared with the
//! fixed-seed test `cargo test -p wobs-instrument --test differential`).
//!
//! `cargo +nightly fuzz run instrument_differential` (from `fuzz/`). A failure panics with what
//! differed; libFuzzer keeps the input in `artifacts/`, and `cargo fuzz fmt` or rerunning the
//! target on it reproduces the module.

#![no_main]

#[path = "../../instrument/tests/differential/support.rs"]
mod support;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use support::{differential, engine, smith_config, Flavor};

fuzz_target!(|data: &[u8]| {
    static ENGINE: OnceLock<wasmtime::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(engine);

    let mut u = arbitrary::Unstructured::new(data);
    let Ok(choice) = u.arbitrary::<u8>() else {
        return;
    };
    let flavor = Flavor {
        exceptions_and_gc: choice & 1 == 1,
        disallow_traps: choice & 2 == 2,
    };
    let Ok(module) = wasm_smith::Module::new(smith_config(flavor), &mut u) else {
        return;
    };
    let wasm = module.to_bytes();
    if let Err(why) = differential(engine, &wasm, flavor.exceptions_and_gc) {
        panic!(
            "instrumentation changed behaviour: {why}\nmodule ({} bytes): {wasm:?}",
            wasm.len()
        );
    }
});

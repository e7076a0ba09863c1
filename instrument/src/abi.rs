//! The probe ABIs: what an instrumented module imports.
//!
//! # wobs ABI, version 1 (import module `wobs`; `--abi wobs-v1`, and what `wobs bench` uses)
//!
//! | import | signature | called |
//! |---|---|---|
//! | `enter` | `(param i32 id)` | first thing in an instrumented function |
//! | `exit` | `(param i32 id)` | on every way out: end, `return`, branches to the body label, before tail calls |
//! | `memory_grow` | `(param i32 pages) (param i32 result)` | after `memory.grow` (with `--memory`) |
//!
//! `id` is the function's index in the original module; the `wobs.map` custom section names it.
//!
//! # wobs ABI, version 2: counted probes (import module `wobs`, the default)
//!
//! | import | signature | called |
//! |---|---|---|
//! | `enter_counted` | `(param i32 id) (param i64 calls)` | at entry, while the function is timed |
//! | `exit_counted` | `(param i32 id) (param i64 calls) (result i32 throttle)` | on every way out of a call that was timed at entry |
//! | `memory_grow` | as in version 1 | |
//!
//! Every call is counted in the module, without a host call: the module gets a memory exported as
//! `wobs.counts` (a `u64` count per probe id, then a throttle byte per id) and an `i64` global
//! exported as `wobs.calls` (calls of every instrumented function so far), which the probes pass
//! to the host. `exit_counted`'s result becomes the function's throttle byte: 1 stops timing it.
//! Leaf functions are counted and never call the host. Layout:
//! [`wobs_events::CountedLayout`]; the host side: `wobs_runtime`'s tracer. Components still get
//! version 1 (the host cannot read a component's core instances' exports).
//!
//! # observe ABI (import module `dylibso:observe/instrument`)
//!
//! `enter (param i32 func_index)`, `exit (param i32 func_index)`, `memory-grow (param i32 pages)`, as
//! the Dylibso Observe SDK's hosts expect.

pub use wobs_events::AbiNames;
use wobs_events::ProbeAbi;

/// Import module of the wobs ABI.
pub const WOBS_MODULE: &str = "wobs";
/// Import module of the observe ABI.
pub const OBSERVE_MODULE: &str = "dylibso:observe/instrument";

/// The import names of `abi`.
pub fn names(abi: ProbeAbi) -> AbiNames {
    abi.names()
}

//! The probe ABIs: what an instrumented module imports.
//!
//! # wobs ABI, version 1 (import module `wobs`)
//!
//! | import | signature | called |
//! |---|---|---|
//! | `enter` | `(param i32 id)` | first thing in an instrumented function |
//! | `exit` | `(param i32 id)` | on every way out: end, `return`, branches to the body label, before tail calls |
//! | `memory_grow` | `(param i32 pages) (param i32 result)` | after `memory.grow` (with `--memory`) |
//!
//! `id` is the function's index in the original module; the `wobs.map` custom section names it.
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

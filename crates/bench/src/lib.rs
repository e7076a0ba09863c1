//! `wobs bench`: a CI performance gate on wasmtime fuel — wasm operators executed, exact and
//! identical run to run — instead of time, which drowns in noise on shared runners.
//!
//! * [`fuel`]: per-function and per-path fuel from a fuel-counting instrumented run, with the
//!   probes' own fuel subtracted exactly;
//! * [`results`]: the versioned results file and the fingerprint that decides comparability;
//! * [`compare`]: head against a baseline with thresholds;
//! * [`report`]: table, JSON and pull-request markdown; [`flamegraph`]: differential flamegraphs;
//! * [`config`]: the `wobs-bench.toml` file.
//!
//! # Cost
//!
//! Everything here is linear in functions and call paths; the run itself (fuel counting plus
//! probes) is the cost.

pub mod compare;
pub mod config;
pub mod flamegraph;
pub mod fuel;
pub mod report;
pub mod results;

pub use compare::{Comparison, Status, Thresholds};
pub use results::{BenchResults, CaseConfig, CaseResult, Fingerprint};

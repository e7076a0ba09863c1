//! Running WASI modules under wasmtime, observed.
//!
//! [`Engine`] compiles modules (with wasmtime's on-disk cache when asked); [`run`] links a main
//! module with WASI and any preloaded modules, calls `_start` (or an `--invoke`d export), and
//! returns how the guest finished together with every stack sample taken on the way.
//!
//! # Sampling and its cost
//!
//! A ticker thread bumps the engine's epoch every interval; the guest notices at its next epoch
//! check and runs a callback that captures the whole wasm stack (every frame's module and offset).
//! Nothing is symbolized on the guest thread; stacks are interned so a sample costs one stack walk
//! and a hash lookup.
//!
//! # Accuracy
//!
//! wasmtime places epoch checks at function entries and loop back-edges only. A sample is therefore
//! taken at the next such point after the tick: function attribution is unbiased for code that loops
//! or calls, but the *leaf line* is always a loop header or a function's first line, and a long
//! straight-line stretch is charged to wherever the next check is. Caller frames are exact (the call
//! instruction). Time the guest spends inside host calls (WASI I/O) produces no samples; those ticks
//! are counted as dropped.

mod debug;
pub mod determinism;
mod engine;
mod guest;
mod invoke;
mod options;
mod run;
mod sampler;
mod serve;
mod spans;
mod tracer;

pub use debug::{DebugSession, Interrupter, SharedSymbols};
pub use engine::{CompiledComponent, CompiledModule, Engine};
pub use guest::CompiledGuest;
pub use options::{CapturedOutput, EngineOptions, RunOptions, SampleClock, SamplerKind};
pub use run::{run, FuelCount, RunResult, RunSpans};
pub use sampler::live::LiveSamples;
pub use serve::{serve, RequestObserver, ServeError, ServeOptions, ServeReport};
pub use spans::SpanOptions;
pub use tracer::Throttle;

/// Collapses a (possibly multi-line, pretty-printed) error into one line for terminal output.
pub fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Why a module could not be prepared to run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// wasmtime rejected the module (malformed, invalid, or uses an unsupported feature).
    #[error("{0}")]
    Compile(String),
    /// The engine could not be configured (for example the cache directory is unusable).
    #[error("cannot set up wasmtime: {0}")]
    Engine(String),
}

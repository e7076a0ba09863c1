//! Turns what the runtime observed into what people read.
//!
//! * [`build_recording`] symbolizes raw samples once per distinct `(module, offset)` and produces the
//!   [`Recording`](wobs_events::Recording) — the one saved artefact every export is made from, so
//!   `wobs run` and `wobs report` print and write exactly the same things.
//! * [`export`]: the top-functions table, trap backtraces, folded stacks, flamegraph SVG (inferno)
//!   and speedscope JSON.
//!
//! # Cost
//!
//! Symbolization is proportional to the number of distinct stack frames, not samples; aggregation
//! and every export are linear in samples × stack depth.

mod build;
pub mod export;
mod label;
pub mod serve;
pub mod spans;
mod summary;
mod trace_context;

pub use build::{build_recording, symbolize_backtrace, RecordingInput, HOST_FRAME};
pub use label::LabelOptions;
pub use summary::{summarize, EntryLines};
pub use trace_context::TraceContext;

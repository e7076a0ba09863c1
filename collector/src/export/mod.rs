//! Everything made from a [`Recording`](wobs_events::Recording).
//!
//! Each exporter is a pure function from the recording to text or bytes; writing files (atomically)
//! is the caller's job.

mod backtrace;
mod chrome_trace;
mod flamegraph;
mod folded;
pub mod otlp;
pub mod pprof;
mod speedscope;
mod table;

pub use backtrace::render_backtrace;
pub use chrome_trace::chrome_trace_json;
pub use flamegraph::flamegraph_svg;
pub use folded::folded_stacks;
pub use pprof::pprof_gz;
pub use speedscope::speedscope_json;
pub use table::{render_summary, render_table};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// inferno could not render the flamegraph.
    #[error("flamegraph: {0}")]
    Flamegraph(String),
    /// serialization failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// compressing the pprof profile failed.
    #[error("pprof: {0}")]
    Pprof(String),
}

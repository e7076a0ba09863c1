//! Profile outputs shared by `run` and `report`: the table and the files.

use std::path::PathBuf;

use clap::Args;
use wobs_collector::{export, LabelOptions};
use wobs_events::{Outcome, Recording};

use crate::write::write_atomic;

/// What to print and write from a recording.
#[derive(Args, Debug, Clone)]
pub struct OutputFlags {
    /// Write a flamegraph SVG.
    #[arg(long, value_name = "PATH")]
    pub flamegraph: Option<PathBuf>,

    /// Write folded stacks (`a;b;c count`), for inferno or flamegraph.pl.
    #[arg(long, value_name = "PATH")]
    pub folded: Option<PathBuf>,

    /// Write a speedscope profile (open it at speedscope.app).
    #[arg(long, value_name = "PATH")]
    pub speedscope: Option<PathBuf>,

    /// Write the spans as Chrome trace-event JSON (open it in ui.perfetto.dev); implies `--trace`
    /// for a module without probes.
    #[arg(long, value_name = "PATH")]
    pub chrome_trace: Option<PathBuf>,

    /// Write a gzipped pprof profile (`go tool pprof`, Grafana Pyroscope); samples inside a span
    /// carry a `span_id` label.
    #[arg(long, value_name = "PATH")]
    pub pprof: Option<PathBuf>,

    /// Label frames with `file:line` as well as the function name.
    #[arg(long)]
    pub lines: bool,

    /// Rows in the top-functions table.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,

    /// Do not print the table.
    #[arg(long, short)]
    pub quiet: bool,
}

impl OutputFlags {
    /// Prints the trap backtrace (always) and the table (unless `--quiet`) to stderr, and writes
    /// every requested file. Tries every file even if one fails; returns the first failure.
    pub fn emit(&self, recording: &Recording, title: &str) -> anyhow::Result<()> {
        match &recording.run.outcome {
            Outcome::Trapped { message, backtrace } => {
                eprintln!("wobs: guest {message}");
                eprint!(
                    "{}",
                    export::render_backtrace(backtrace, &recording.modules)
                );
            }
            Outcome::Failed { message } => eprintln!("error: {message}"),
            Outcome::TimedOut { limit_ms } => {
                eprintln!("wobs: guest stopped: time limit of {limit_ms} ms reached")
            }
            Outcome::Interrupted => eprintln!("wobs: guest interrupted"),
            Outcome::Exited { .. } | Outcome::Returned { .. } => {}
        }
        if !self.quiet {
            eprint!("{}", export::render_table(recording, self.top));
        }
        let labels = LabelOptions::with_lines(self.lines);
        let mut first_error = None;
        let mut keep = |result: anyhow::Result<()>| {
            if let Err(err) = result {
                eprintln!("error: {err:#}");
                first_error.get_or_insert(err);
            }
        };
        if let Some(path) = &self.folded {
            keep(write_atomic(
                path,
                export::folded_stacks(recording, labels).as_bytes(),
            ));
        }
        if let Some(path) = &self.flamegraph {
            keep(
                export::flamegraph_svg(recording, labels, title)
                    .map_err(anyhow::Error::from)
                    .and_then(|svg| write_atomic(path, &svg)),
            );
        }
        if let Some(path) = &self.speedscope {
            keep(
                export::speedscope_json(recording, labels, title)
                    .map_err(anyhow::Error::from)
                    .and_then(|json| write_atomic(path, json.as_bytes())),
            );
        }
        if let Some(path) = &self.chrome_trace {
            keep(
                export::chrome_trace_json(recording)
                    .map_err(anyhow::Error::from)
                    .and_then(|json| write_atomic(path, json.as_bytes())),
            );
        }
        if let Some(path) = &self.pprof {
            keep(
                export::pprof_gz(recording)
                    .map_err(anyhow::Error::from)
                    .and_then(|bytes| write_atomic(path, &bytes)),
            );
        }
        match first_error {
            Some(err) => Err(err.context("some outputs were not written")),
            None => Ok(()),
        }
    }
}

//! `wobs report`: print or re-export a saved recording.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use wobs_collector::TraceContext;
use wobs_events::Recording;

use crate::outputs::OutputFlags;
use crate::spans::{finish_export, OtlpFlags};

/// Print a saved recording's table or per-function JSON, and re-export its profile files.
#[derive(Args, Debug)]
pub struct ReportCommand {
    /// A recording written by `wobs run -o`.
    #[arg(value_name = "RECORDING")]
    recording: PathBuf,

    /// `table` (stderr, like `wobs run`) or `json` (the per-function summary on stdout).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    #[command(flatten)]
    outputs: OutputFlags,

    #[command(flatten)]
    otlp: OtlpFlags,
}

/// Report formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Json,
}

impl ReportCommand {
    /// Reads the recording and emits what was asked for.
    pub fn execute(self) -> anyhow::Result<i32> {
        let path = self.recording.display();
        let text = std::fs::read(&self.recording).with_context(|| format!("cannot read {path}"))?;
        let recording: Recording = serde_json::from_slice(&text)
            .with_context(|| format!("{path} is not a wobs recording"))?;
        if let Some(problem) = recording.incompatibility() {
            bail!("{path}: {problem}");
        }
        let mut outputs = self.outputs.clone();
        if matches!(self.format, Format::Json) {
            outputs.quiet = true;
            println!("{}", serde_json::to_string_pretty(&recording.functions)?);
        }
        let title = format!("wobs report {path}");
        let written = outputs.emit(&recording, &title);
        self.export_spans(&recording)?;
        written?;
        Ok(0)
    }

    /// Re-exports the recording's spans over OTLP, waiting for room rather than dropping.
    fn export_spans(&self, recording: &Recording) -> anyhow::Result<()> {
        let context = recording
            .spans
            .as_ref()
            .map_or_else(TraceContext::new, TraceContext::of);
        let names: Vec<String> = recording.modules.iter().map(|m| m.name.clone()).collect();
        let service = names.first().cloned().unwrap_or_else(|| "wobs".to_string());
        let Some(mut exporter) = self.otlp.exporter(&context, &service, names, true)? else {
            return Ok(());
        };
        if let Some(spans) = &recording.spans {
            for span in &spans.spans {
                if let Some(function) = spans.functions.get(span.function as usize) {
                    exporter.push(span, function);
                }
            }
        }
        finish_export(exporter, recording, self.outputs.pprof.is_some());
        Ok(())
    }
}

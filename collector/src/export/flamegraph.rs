//! Flamegraph SVG via inferno.

use wobs_events::Recording;

use super::folded::folded_with;
use super::ExportError;
use crate::LabelOptions;

/// An interactive flamegraph SVG. Inlined frames carry inferno's `_[i]` annotation, which colours
/// them differently (and is not shown in the label).
pub fn flamegraph_svg(
    recording: &Recording,
    labels: LabelOptions,
    title: &str,
) -> Result<Vec<u8>, ExportError> {
    let folded = folded_with(recording, |frame| {
        let label = labels.label(frame);
        if frame.inlined {
            format!("{label}_[i]")
        } else {
            label
        }
    });
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    options.count_name = "samples".to_string();
    let mut svg = Vec::new();
    if folded.is_empty() {
        // inferno refuses empty input; an empty profile is still a valid (empty) flamegraph.
        options.subtitle = Some("no samples".to_string());
        inferno::flamegraph::from_lines(&mut options, ["no-samples 0"], &mut svg)
    } else {
        inferno::flamegraph::from_lines(&mut options, folded.lines(), &mut svg)
    }
    .map_err(|e| ExportError::Flamegraph(e.to_string()))?;
    Ok(svg)
}

//! Flamegraph SVG via inferno.

use wobs_events::Recording;

use super::folded::folded_with;
use super::ExportError;
use crate::LabelOptions;

/// What an empty profile renders as.
const EMPTY_SVG: &str = r#"<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="1200" height="60" xmlns="http://www.w3.org/2000/svg"><text x="600" y="35" text-anchor="middle" font-family="Verdana" font-size="17">No samples: the run ended before the first sample</text></svg>
"#;

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
    if folded.is_empty() {
        // inferno refuses empty input, but the user asked for a file: say why it is empty.
        return Ok(EMPTY_SVG.as_bytes().to_vec());
    }
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut options, folded.lines(), &mut svg)
        .map_err(|e| ExportError::Flamegraph(e.to_string()))?;
    Ok(svg)
}

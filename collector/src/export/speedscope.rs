//! speedscope's file format (https://www.speedscope.app/file-format-schema.json), a sampled profile.

use std::collections::HashMap;

use serde_json::{json, Value};
use wobs_events::Recording;

use super::ExportError;
use crate::LabelOptions;

/// A speedscope document with one sampled profile; weights are nanoseconds (the sampling interval
/// per sample).
pub fn speedscope_json(
    recording: &Recording,
    labels: LabelOptions,
    name: &str,
) -> Result<String, ExportError> {
    // speedscope frames are what its views merge on: one per label.
    let mut frame_ids: HashMap<String, usize> = HashMap::new();
    let mut frames: Vec<Value> = Vec::new();
    let mut frame_of = |frame: &wobs_events::Frame| -> usize {
        let label = labels.label(frame);
        *frame_ids.entry(label.clone()).or_insert_with(|| {
            let mut entry = json!({ "name": label });
            if let Some(file) = &frame.file {
                entry["file"] = json!(file);
            }
            if let (true, Some(line)) = (labels.lines, frame.line) {
                entry["line"] = json!(line);
            }
            frames.push(entry);
            frames.len() - 1
        })
    };
    let stacks: Vec<Vec<usize>> = recording
        .stacks
        .iter()
        .map(|stack| {
            stack
                .frames
                .iter()
                .filter_map(|&id| recording.frames.get(id as usize))
                .map(&mut frame_of)
                .collect()
        })
        .collect();
    let weight = recording.run.interval_ns.max(1);
    let samples: Vec<&Vec<usize>> = recording
        .samples
        .iter()
        .filter_map(|s| stacks.get(s.stack as usize))
        .collect();
    let weights = vec![weight; samples.len()];
    let end = weight * samples.len() as u64;
    let doc = json!({
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "exporter": concat!("wobs ", env!("CARGO_PKG_VERSION")),
        "name": name,
        "activeProfileIndex": 0,
        "shared": { "frames": frames },
        "profiles": [{
            "type": "sampled",
            "name": name,
            "unit": "nanoseconds",
            "startValue": 0,
            "endValue": end,
            "samples": samples,
            "weights": weights,
        }],
    });
    Ok(serde_json::to_string(&doc)?)
}

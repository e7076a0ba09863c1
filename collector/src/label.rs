//! How a frame is named in stack-based exports.

use wobs_events::Frame;

/// Options for frame labels.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct LabelOptions {
    /// Add `file:line` to each frame, so one function splits by call site and line.
    /// Default: false (a function is one node wherever it is called from).
    pub lines: bool,
}

impl LabelOptions {
    /// Labels with or without `file:line`.
    pub fn with_lines(lines: bool) -> Self {
        LabelOptions { lines }
    }

    /// The label of `frame`: its function name, plus ` (file:line)` with `lines`. Never contains
    /// `;` or a newline, so it is safe in folded stacks.
    pub fn label(&self, frame: &Frame) -> String {
        let mut label = frame.function.clone();
        if self.lines {
            if let Some(source) = frame.source() {
                label = format!("{label} ({source})");
            }
        }
        if label.contains([';', '\n', '\r']) {
            label = label.replace([';', '\n', '\r'], ",");
        }
        label
    }
}

//! Folded stacks (`a;b;c 42`), the input format of flamegraph.pl and inferno.

use std::collections::BTreeMap;

use wobs_events::Recording;

use crate::LabelOptions;

/// One line per distinct labelled stack, root first, with its sample count; sorted, so the output
/// is deterministic.
pub fn folded_stacks(recording: &Recording, labels: LabelOptions) -> String {
    folded_with(recording, |frame| labels.label(frame))
}

/// Folded stacks with a custom frame label.
pub(crate) fn folded_with(
    recording: &Recording,
    label: impl Fn(&wobs_events::Frame) -> String,
) -> String {
    let mut per_stack = vec![0u64; recording.stacks.len()];
    for sample in &recording.samples {
        if let Some(count) = per_stack.get_mut(sample.stack as usize) {
            *count += 1;
        }
    }
    let mut lines: BTreeMap<String, u64> = BTreeMap::new();
    for (stack, count) in recording.stacks.iter().zip(per_stack) {
        if count == 0 || stack.frames.is_empty() {
            continue;
        }
        let path = stack
            .frames
            .iter()
            .filter_map(|&id| recording.frames.get(id as usize))
            .map(&label)
            .collect::<Vec<_>>()
            .join(";");
        *lines.entry(path).or_default() += count;
    }
    let mut out = String::new();
    for (path, count) in lines {
        out.push_str(&path);
        out.push(' ');
        out.push_str(&count.to_string());
        out.push('\n');
    }
    out
}

//! Differential flamegraphs of self fuel by call path (inferno): head's shape, red where head
//! spends more fuel than the baseline, blue where less — and the negated view, drawn in the
//! baseline's shape, so code that head no longer runs is visible too (same colours).

use crate::results::CaseResult;

/// Both views of `head` against `base`, as SVG: (head's shape, the baseline's shape).
pub fn differential(
    base: &CaseResult,
    head: &CaseResult,
    title: &str,
) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let base_folded = folded(base);
    let head_folded = folded(head);
    let grown = render(&base_folded, &head_folded, title, false)?;
    let removed = render(
        &head_folded,
        &base_folded,
        &format!("{title} (baseline's shape)"),
        true,
    )?;
    Ok((grown, removed))
}

fn folded(case: &CaseResult) -> String {
    case.paths
        .iter()
        .filter(|p| p.self_fuel > 0)
        .map(|p| format!("{} {}\n", p.stack, p.self_fuel))
        .collect()
}

fn render(before: &str, after: &str, title: &str, negate: bool) -> std::io::Result<Vec<u8>> {
    let mut lines = Vec::new();
    inferno::differential::from_readers(
        inferno::differential::Options::default(),
        before.as_bytes(),
        after.as_bytes(),
        &mut lines,
    )?;
    let mut options = inferno::flamegraph::Options::default();
    options.title = title.to_string();
    options.count_name = "fuel".to_string();
    options.negate_differentials = negate;
    options.deterministic = true;
    let text = String::from_utf8_lossy(&lines);
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut options, text.lines(), &mut svg)?;
    Ok(svg)
}

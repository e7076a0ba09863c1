//! What a bench run prints and writes: the terminal table, the JSON report and the markdown for
//! a pull request.

use std::fmt::Write;

use serde::Serialize;

use crate::compare::{CaseComparison, Comparison, Metric, Status};
use crate::results::BenchResults;

/// The first line of the markdown: a bot finds its previous comment by it and edits it in place.
pub const MARKDOWN_MARKER: &str = "<!-- wobs-bench-report -->";
/// GitHub refuses comments over 65,536 characters.
const MARKDOWN_LIMIT: usize = 60_000;
/// Function rows per case in the markdown and the table.
const FUNCTION_ROWS: usize = 15;

/// `--json`: the results and, with a baseline, the comparison.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    /// This run's results (the same as `--save-baseline` writes).
    pub results: &'a BenchResults,
    /// Against the baseline, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<&'a Comparison>,
}

/// The table printed on stderr.
pub fn table(results: &BenchResults, comparison: Option<&Comparison>) -> String {
    let mut out = String::new();
    for case in &results.cases {
        let compared = comparison.and_then(|c| c.cases.iter().find(|x| x.name == case.name));
        let _ = write!(
            out,
            "wobs bench: {}: {} fuel ({} in instantiation), exit {}",
            case.name,
            group(case.fuel.total),
            group(case.fuel.instantiation),
            case.exit_code
        );
        match compared {
            Some(c) => {
                let _ = writeln!(out, "; {}", verdict(c));
            }
            None => out.push('\n'),
        }
        match compared.filter(|c| !c.functions.is_empty()) {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "  {:>14} {:>14} {:>12} {:>8} {:>10} {:>10}  function",
                    "base self", "head self", "Δ", "Δ%", "calls base", "calls head"
                );
                for f in c.functions.iter().take(FUNCTION_ROWS) {
                    let _ = writeln!(
                        out,
                        "  {:>14} {:>14} {:>12} {:>8} {:>10} {:>10}  {}",
                        opt(f.self_fuel.base),
                        opt(f.self_fuel.head),
                        signed(f.self_fuel.diff),
                        pct(&f.self_fuel),
                        opt(f.calls_base),
                        opt(f.calls_head),
                        f.name
                    );
                }
            }
            None if compared.is_none() => {
                let _ = writeln!(
                    out,
                    "  {:>14} {:>14} {:>10}  function (unprobed callees charged to their caller)",
                    "self fuel", "inclusive", "calls"
                );
                for f in case.functions.iter().take(FUNCTION_ROWS) {
                    let _ = writeln!(
                        out,
                        "  {:>14} {:>14} {:>10}  {}",
                        group(f.self_fuel),
                        group(f.inclusive_fuel),
                        f.calls,
                        f.name
                    );
                }
            }
            None => {}
        }
    }
    if let Some(comparison) = comparison {
        let _ = writeln!(out, "wobs bench: {}", headline(comparison));
    }
    out
}

fn verdict(case: &CaseComparison) -> String {
    match case.status {
        Status::NotComparable => format!(
            "not comparable: {}",
            case.reason.as_deref().unwrap_or("configuration differs")
        ),
        Status::New => "new case (no baseline)".to_string(),
        Status::Missing => "missing (in the baseline only)".to_string(),
        status => format!(
            "{} {} ({}) vs baseline",
            status_word(status),
            signed(case.fuel_total.diff),
            pct(&case.fuel_total)
        ),
    }
}

/// One line: how many cases regressed, improved, …
pub fn headline(comparison: &Comparison) -> String {
    let n = comparison.cases.len();
    let regressed = comparison.regressions();
    let improved = comparison.count(Status::Improved);
    let incomparable = comparison.count(Status::NotComparable);
    let mut text = match regressed {
        0 => format!("no regression in {n} case{}", plural(n)),
        r => format!("{r} regression{} in {n} case{}", plural(r), plural(n)),
    };
    if improved > 0 {
        let _ = write!(text, ", {improved} improved");
    }
    if incomparable > 0 {
        let _ = write!(text, ", {incomparable} not comparable");
    }
    let _ = write!(text, " (threshold {}%)", comparison.threshold_pct);
    text
}

/// Markdown for `$GITHUB_STEP_SUMMARY` or a pull-request comment, under 64 KB.
pub fn markdown(results: &BenchResults, comparison: Option<&Comparison>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}");
    match comparison {
        Some(c) => {
            let _ = writeln!(out, "## wobs bench: {}\n", headline(c));
            if let Some(reason) = &c.not_comparable {
                let _ = writeln!(
                    out,
                    "> **Baseline not comparable:** {reason}. Fuel counts from different \
                     runtimes or configurations are not compared.\n"
                );
            }
            out.push_str(
                "| Case | Base | Head | Δ | Δ% | Status |\n|---|---:|---:|---:|---:|---|\n",
            );
            for case in &c.cases {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    case.name,
                    opt(case.fuel_total.base),
                    opt(case.fuel_total.head),
                    signed(case.fuel_total.diff),
                    pct(&case.fuel_total),
                    status_badge(case.status)
                );
            }
            out.push('\n');
            for case in c.cases.iter().filter(|c| !c.functions.is_empty()) {
                if out.len() > MARKDOWN_LIMIT {
                    out.push_str("\n_(more cases left out to stay under GitHub's size limit)_\n");
                    break;
                }
                let _ = writeln!(
                    out,
                    "<details><summary><b>{}</b>: top function changes by Δ self fuel</summary>\n",
                    case.name
                );
                out.push_str(
                    "| Function | Calls base | Calls head | Self base | Self head | Δ | Δ% |\n\
                     |---|---:|---:|---:|---:|---:|---:|\n",
                );
                for f in case.functions.iter().take(FUNCTION_ROWS) {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} | {} | {} | {} |",
                        f.name.replace('|', "\\|"),
                        opt(f.calls_base),
                        opt(f.calls_head),
                        opt(f.self_fuel.base),
                        opt(f.self_fuel.head),
                        signed(f.self_fuel.diff),
                        pct(&f.self_fuel)
                    );
                }
                out.push_str("\n</details>\n\n");
            }
        }
        None => {
            let _ = writeln!(
                out,
                "## wobs bench: {} case{}\n",
                results.cases.len(),
                plural(results.cases.len())
            );
            out.push_str("| Case | Fuel | Instantiation |\n|---|---:|---:|\n");
            for case in &results.cases {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    case.name,
                    group(case.fuel.total),
                    group(case.fuel.instantiation)
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n<sub>Fuel = wasm operators executed (wasmtime {}, deterministic WASI); exact and identical \
         run to run. Functions not probed are charged to their callers.</sub>",
        results.fingerprint.wasmtime
    );
    out
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Regressed => "regressed",
        Status::Improved => "improved",
        Status::Unchanged => "unchanged",
        Status::New => "new",
        Status::Missing => "missing",
        Status::NotComparable => "not comparable",
    }
}

fn status_badge(status: Status) -> String {
    let icon = match status {
        Status::Regressed => "🔴",
        Status::Improved => "🟢",
        Status::Unchanged => "⚪",
        Status::New | Status::Missing => "🆕",
        Status::NotComparable => "⚠️",
    };
    format!("{icon} {}", status_word(status))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// 1234567 → "1,234,567".
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn opt(n: Option<u64>) -> String {
    n.map_or_else(|| "—".to_string(), group)
}

fn signed(n: Option<i64>) -> String {
    match n {
        Some(d) if d > 0 => format!("+{}", group(d as u64)),
        Some(d) if d < 0 => format!("-{}", group(d.unsigned_abs())),
        Some(_) => "0".to_string(),
        None => "—".to_string(),
    }
}

fn pct(metric: &Metric) -> String {
    metric
        .diff_pct
        .map_or_else(|| "—".to_string(), |p| format!("{p:+.2}%"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(group(0), "0");
        assert_eq!(group(1234), "1,234");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(signed(Some(-1500)), "-1,500");
        assert_eq!(signed(Some(7)), "+7");
    }
}

//! The top-functions table printed after a run and by `wobs report`.

use std::fmt::Write;

use wobs_events::{Outcome, Recording};

/// One line describing the run: samples, interval, duration, drops and how it ended.
pub fn render_summary(recording: &Recording) -> String {
    let run = &recording.run;
    let mut line = format!(
        "wobs: {} samples over {:.2} s",
        run.samples_taken,
        run.duration_ns as f64 / 1e9
    );
    if run.interval_ns > 0 {
        let clock = if run.cpu_clock { " of CPU time" } else { "" };
        let _ = write!(line, " (every {}{clock})", human_interval(run.interval_ns));
    } else {
        line.push_str(" (sampling off)");
    }
    if run.samples_at_probes > 0 {
        let _ = write!(line, " ({} inside probe calls)", run.samples_at_probes);
    }
    if run.samples_dropped > 0 {
        let _ = write!(
            line,
            ", {} tick(s) without a sample (guest in host calls)",
            run.samples_dropped
        );
    }
    let _ = write!(line, "; {}", describe(&run.outcome));
    line
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Exited { code } => format!("exited with {code}"),
        Outcome::Returned { values } if values.is_empty() => "returned".to_string(),
        Outcome::Returned { values } => format!("returned {}", values.join(", ")),
        Outcome::Trapped { message, .. } => format!("trapped: {message}"),
        Outcome::TimedOut { limit_ms } => format!("timed out after {limit_ms} ms"),
        Outcome::Interrupted => "interrupted".to_string(),
        Outcome::Failed { message } => format!("failed: {message}"),
    }
}

fn human_interval(ns: u64) -> String {
    if ns.is_multiple_of(1_000_000) {
        format!("{} ms", ns / 1_000_000)
    } else if ns.is_multiple_of(1_000) {
        format!("{} µs", ns / 1_000)
    } else {
        format!("{ns} ns")
    }
}

/// The summary line and the `top` hottest functions by self samples.
pub fn render_table(recording: &Recording, top: usize) -> String {
    let mut out = render_summary(recording);
    out.push('\n');
    let total = recording.run.samples_taken.max(1) as f64;
    let rows: Vec<_> = recording.functions.iter().take(top).collect();
    if rows.is_empty() {
        return out;
    }
    let multi_module = recording.modules.len() > 1;
    let names: Vec<String> = rows
        .iter()
        .map(
            |f| match (multi_module, recording.modules.get(f.module as usize)) {
                (true, Some(module)) => format!("{}!{}", module.name, f.name),
                _ => f.name.clone(),
            },
        )
        .collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 60);
    let traced = recording.trace.is_some();
    // A throttled function's times cover its timed calls: say how many, when any was throttled.
    let throttled = rows.iter().any(|f| f.untimed_calls.is_some());
    let _ = write!(
        out,
        "{:>7} {:>7} {:>8} {:>8}",
        "self%", "total%", "self", "total"
    );
    if traced {
        let _ = write!(out, " {:>12}", "calls");
        if throttled {
            let _ = write!(out, " {:>10}", "timed");
        }
        let _ = write!(out, " {:>10} {:>10}", "self ms", "total ms");
    }
    let _ = writeln!(out, "  {:<width$}  source", "function");
    for (f, name) in rows.iter().zip(names) {
        let source = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "{:>6.1}% {:>6.1}% {:>8} {:>8}",
            f.self_samples as f64 * 100.0 / total,
            f.total_samples as f64 * 100.0 / total,
            f.self_samples,
            f.total_samples,
        );
        if traced {
            let ms = |ns: Option<u64>| {
                ns.map_or("-".to_string(), |ns| format!("{:.3}", ns as f64 / 1e6))
            };
            let calls = f.calls.map_or("-".to_string(), |c| c.to_string());
            let _ = write!(out, " {calls:>12}");
            if throttled {
                let timed = f.calls.map_or("-".to_string(), |c| {
                    c.saturating_sub(f.untimed_calls.unwrap_or(0)).to_string()
                });
                let _ = write!(out, " {timed:>10}");
            }
            // A function none of whose calls was timed has no time to show.
            let untimed = f.calls.is_some() && f.calls == f.untimed_calls;
            let (self_ns, total_ns) = match untimed {
                true => (None, None),
                false => (f.self_ns, f.total_ns),
            };
            let _ = write!(out, " {:>10} {:>10}", ms(self_ns), ms(total_ns));
        }
        let _ = writeln!(out, "  {:<width$}  {source}", truncate(&name, width));
    }
    out
}

/// Cuts a long (C++) name to `width` characters, marking the cut.
fn truncate(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_string();
    }
    let mut cut: String = name.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

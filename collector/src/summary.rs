//! Per-function totals.

use std::collections::{HashMap, HashSet};

use wobs_events::{FunctionSummary, Recording};

/// A function is identified by module and name: call sites and inlined copies merge.
type Key = (u32, String);
/// A source line inside a function.
type Line = (Option<String>, Option<u32>);

/// A function's opening `(file, line)`, used when none of its sampled lines is a real line.
pub type EntryLines = HashMap<(u32, String), (String, u32)>;

#[derive(Default)]
struct Totals {
    self_samples: u64,
    total_samples: u64,
    self_lines: HashMap<Line, u64>,
    total_lines: HashMap<Line, u64>,
}

/// Self and total samples per function, hottest self first. Each function's `file:line` is its
/// line with the most self samples (else the most total samples); when every sampled line is line 0
/// (compiler-generated code, common at -O1 and above) it is the function's opening line from
/// `entry_lines`.
pub fn summarize(recording: &Recording, entry_lines: &EntryLines) -> Vec<FunctionSummary> {
    let mut per_stack = vec![0u64; recording.stacks.len()];
    for sample in &recording.samples {
        if let Some(count) = per_stack.get_mut(sample.stack as usize) {
            *count += 1;
        }
    }
    let mut totals: HashMap<Key, Totals> = HashMap::new();
    let mut seen: HashSet<Key> = HashSet::new();
    for (stack, &count) in recording.stacks.iter().zip(&per_stack) {
        if count == 0 {
            continue;
        }
        seen.clear();
        let mut frames = stack
            .frames
            .iter()
            .filter_map(|&id| recording.frames.get(id as usize));
        for frame in frames.clone() {
            let key = (frame.module, frame.function.clone());
            let entry = totals.entry(key.clone()).or_default();
            *entry
                .total_lines
                .entry((frame.file.clone(), frame.line))
                .or_default() += count;
            if seen.insert(key) {
                entry.total_samples += count;
            }
        }
        if let Some(leaf) = frames.next_back() {
            let entry = totals
                .entry((leaf.module, leaf.function.clone()))
                .or_default();
            entry.self_samples += count;
            *entry
                .self_lines
                .entry((leaf.file.clone(), leaf.line))
                .or_default() += count;
        }
    }
    let mut out: Vec<FunctionSummary> = totals
        .into_iter()
        .map(|((module, name), t)| {
            let real = |line: &Line| line.1.is_some_and(|n| n > 0);
            let (file, line) = hottest(&t.self_lines)
                .filter(real)
                .or_else(|| hottest(&t.total_lines).filter(real))
                .or_else(|| {
                    let (file, line) = entry_lines.get(&(module, name.clone()))?;
                    Some((Some(file.clone()), Some(*line)))
                })
                .or_else(|| hottest(&t.total_lines))
                .unwrap_or_default();
            FunctionSummary {
                file,
                line,
                self_samples: t.self_samples,
                total_samples: t.total_samples,
                ..FunctionSummary::new(name, module)
            }
        })
        .collect();
    if let Some(trace) = &recording.trace {
        merge_trace(&mut out, trace);
    }
    out.sort_by(|a, b| {
        (b.self_samples, b.self_ns, b.total_samples, &a.name).cmp(&(
            a.self_samples,
            a.self_ns,
            a.total_samples,
            &b.name,
        ))
    });
    out
}

/// The line with the most samples, preferring real lines over line 0 and ties by line number.
fn hottest(lines: &HashMap<Line, u64>) -> Option<Line> {
    lines
        .iter()
        .max_by(|(a, ca), (b, cb)| {
            let real = |l: &Line| l.1.is_some_and(|n| n > 0);
            (real(a), **ca, std::cmp::Reverse(&a.1)).cmp(&(real(b), **cb, std::cmp::Reverse(&b.1)))
        })
        .map(|(line, _)| line.clone())
}

/// Adds exact figures to the sampled rows (matched by module and name) and rows for probed
/// functions no sample saw.
fn merge_trace(rows: &mut Vec<FunctionSummary>, trace: &wobs_events::RawTrace) {
    let mut index: HashMap<(u32, String), usize> = rows
        .iter()
        .enumerate()
        .map(|(i, f)| ((f.module, f.name.clone()), i))
        .collect();
    for traced in &trace.functions {
        let key = (traced.module, traced.name.clone());
        let at = *index.entry(key).or_insert_with(|| {
            rows.push(FunctionSummary::new(traced.name.clone(), traced.module));
            rows.len() - 1
        });
        let row = &mut rows[at];
        // Two probe ids can share a name (e.g. static functions in different files): add up.
        row.calls = Some(row.calls.unwrap_or(0) + traced.calls);
        row.self_ns = Some(row.self_ns.unwrap_or(0) + traced.self_ns);
        row.total_ns = Some(row.total_ns.unwrap_or(0).max(traced.total_ns));
        if traced.untimed_calls > 0 {
            row.untimed_calls = Some(row.untimed_calls.unwrap_or(0) + traced.untimed_calls);
        }
    }
}

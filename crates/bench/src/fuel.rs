//! Exact fuel per function and per call path from a fuel-counting instrumented run, with the
//! probes' own fuel taken out so the figures are those of the uninstrumented program.
//!
//! Each probe is `i32.const id; call $probe`: 2 fuel (1 per operator; measured: instrumented
//! totals minus 2 × 2 fuel per call equal the uninstrumented module's, to the unit). The entry probe of a call runs before the callee's entry reading, so it is
//! charged to the caller; the exit probe runs before the exit reading, so it is charged to the
//! callee. Hence, per call path node: self − exit·calls − entry·(calls of its children).

use std::collections::HashMap;

use wobs_events::{RawTrace, TracedPath};

use crate::results::{FuelTotals, FunctionFuel, PathFuel, OUTSIDE_PROBES};

/// Fuel of one probe call, `i32.const` + `call`, charged where it runs.
pub const PROBE_FUEL: u64 = 2;

/// Per-function and per-path fuel of one run, probes subtracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuelFigures {
    /// The program's totals.
    pub totals: FuelTotals,
    /// Per function, largest self fuel first; the last row may be [`OUTSIDE_PROBES`].
    pub functions: Vec<FunctionFuel>,
    /// Per call path.
    pub paths: Vec<PathFuel>,
}

/// Figures from a run that consumed `total` fuel (`instantiation` of it before the entry point
/// ran), whose probes saw `trace` (fuel units, with call paths). `name(module, id)` names a
/// probed function.
pub fn figures(
    total: u64,
    instantiation: u64,
    trace: &RawTrace,
    name: impl Fn(u32, u32) -> String,
) -> FuelFigures {
    let nodes = &trace.paths;
    let mut child_calls = vec![0u64; nodes.len()];
    for node in nodes {
        if let Some(parent) = node.parent {
            if let Some(slot) = child_calls.get_mut(parent as usize) {
                *slot += node.calls;
            }
        }
    }
    let self_fuel: Vec<u64> = nodes
        .iter()
        .zip(&child_calls)
        .map(|(node, children)| {
            node.self_units
                .saturating_sub(PROBE_FUEL * node.calls)
                .saturating_sub(PROBE_FUEL * children)
        })
        .collect();
    // Children come after their parents (a node is made when first entered), so one backward
    // pass sums subtrees.
    let mut subtree = self_fuel.clone();
    for index in (0..nodes.len()).rev() {
        if let Some(parent) = nodes[index].parent {
            let add = subtree[index];
            if let Some(slot) = subtree.get_mut(parent as usize) {
                *slot += add;
            }
        }
    }
    let names: Vec<String> = nodes.iter().map(|n| name(n.module, n.id)).collect();

    let calls: u64 = nodes.iter().map(|n| n.calls).sum();
    // Every call ran its entry probe; every call that returned ran its exit probe.
    let probes = PROBE_FUEL * (2 * calls).saturating_sub(trace.closed_at_end);
    let program_total = total.saturating_sub(probes);

    let mut rows: HashMap<&str, FunctionFuel> = HashMap::new();
    for (index, node) in nodes.iter().enumerate() {
        let row = rows
            .entry(names[index].as_str())
            .or_insert_with(|| FunctionFuel {
                name: names[index].clone(),
                calls: 0,
                self_fuel: 0,
                inclusive_fuel: 0,
            });
        row.calls += node.calls;
        row.self_fuel += self_fuel[index];
        if !has_ancestor_named(nodes, &names, index) {
            row.inclusive_fuel += subtree[index];
        }
    }
    let mut functions: Vec<FunctionFuel> = rows.into_values().collect();
    functions.sort_by(|a, b| b.self_fuel.cmp(&a.self_fuel).then(a.name.cmp(&b.name)));
    let probed: u64 = self_fuel.iter().sum();
    if program_total > probed {
        functions.push(FunctionFuel {
            name: OUTSIDE_PROBES.to_string(),
            calls: 0,
            self_fuel: program_total - probed,
            inclusive_fuel: program_total - probed,
        });
    }

    let mut stacks: HashMap<String, u64> = HashMap::new();
    for (index, fuel) in self_fuel.iter().enumerate() {
        *stacks.entry(stack(nodes, &names, index)).or_default() += fuel;
    }
    if program_total > probed {
        stacks.insert(OUTSIDE_PROBES.to_string(), program_total - probed);
    }
    let mut paths: Vec<PathFuel> = stacks
        .into_iter()
        .map(|(stack, self_fuel)| PathFuel { stack, self_fuel })
        .collect();
    paths.sort_by(|a, b| a.stack.cmp(&b.stack));

    FuelFigures {
        totals: FuelTotals {
            total: program_total,
            instantiation,
        },
        functions,
        paths,
    }
}

fn has_ancestor_named(nodes: &[TracedPath], names: &[String], index: usize) -> bool {
    let mut at = nodes[index].parent;
    while let Some(parent) = at {
        if names.get(parent as usize) == names.get(index) {
            return true;
        }
        at = nodes.get(parent as usize).and_then(|n| n.parent);
    }
    false
}

/// `root;…;node` (`;` in names would split frames, so it becomes `:`).
fn stack(nodes: &[TracedPath], names: &[String], index: usize) -> String {
    let mut frames = vec![names[index].replace(';', ":")];
    let mut at = nodes[index].parent;
    while let Some(parent) = at {
        frames.push(names[parent as usize].replace(';', ":"));
        at = nodes.get(parent as usize).and_then(|n| n.parent);
    }
    frames.reverse();
    frames.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(parent: Option<u32>, id: u32, calls: u64, self_units: u64) -> TracedPath {
        TracedPath {
            parent,
            module: 0,
            id,
            calls,
            self_units,
            total_units: 0,
        }
    }

    #[test]
    fn probe_fuel_is_taken_out_and_recursion_counted_once() {
        // main (1 call) → f (2 calls) → f (2 calls): f's self includes its exit probe per call,
        // and each caller the entry probes of its callees.
        let p = PROBE_FUEL;
        let trace = RawTrace {
            paths: vec![
                node(None, 0, 1, 100 + p + 2 * p),
                node(Some(0), 1, 2, 2 * (10 + p) + 2 * p),
                node(Some(1), 1, 2, 2 * (10 + p)),
            ],
            ..RawTrace::default()
        };
        let probes = p * 2 * 5;
        let figures = figures(140 + probes + 7, 0, &trace, |_, id| format!("f{id}"));
        assert_eq!(figures.totals.total, 147);
        let f1 = figures.functions.iter().find(|f| f.name == "f1").unwrap();
        assert_eq!((f1.calls, f1.self_fuel, f1.inclusive_fuel), (4, 40, 40));
        let f0 = figures.functions.iter().find(|f| f.name == "f0").unwrap();
        assert_eq!((f0.self_fuel, f0.inclusive_fuel), (100, 140));
        let outside = figures.functions.last().unwrap();
        assert_eq!(
            (outside.name.as_str(), outside.self_fuel),
            (OUTSIDE_PROBES, 7)
        );
        let sum: u64 = figures.functions.iter().map(|f| f.self_fuel).sum();
        assert_eq!(sum, figures.totals.total);
        assert!(figures
            .paths
            .iter()
            .any(|p| p.stack == "f0;f1;f1" && p.self_fuel == 20));
    }
}

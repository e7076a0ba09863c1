//! Head results against a baseline: per case and per function, with thresholds.

use std::collections::HashMap;

use serde::Serialize;

use crate::results::{BenchResults, CaseResult};

/// Thresholds, in percent of the baseline.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Thresholds {
    /// A case regresses when its total grows by more than this. Default 0.5.
    pub case_pct: f64,
    /// Cases with their own threshold (by name), instead of `case_pct`. Default: none.
    pub per_case: HashMap<String, f64>,
    /// A function row is marked when its self fuel changes by more than this. Default 2.
    pub function_pct: f64,
    /// Function rows gate too (inlining moves cost between functions, so off by default).
    pub gate_functions: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            case_pct: 0.5,
            per_case: HashMap::new(),
            function_pct: 2.0,
            gate_functions: false,
        }
    }
}

/// What a change amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Grew beyond the threshold.
    Regressed,
    /// Shrank beyond the threshold.
    Improved,
    /// Within the threshold.
    Unchanged,
    /// Only in head.
    New,
    /// Only in the baseline.
    Missing,
    /// Ran in another configuration: not compared.
    NotComparable,
}

/// One metric, base vs head (gungraun's summary shape).
#[derive(Debug, Clone, Serialize)]
pub struct Metric {
    /// Baseline value.
    pub base: Option<u64>,
    /// Head value.
    pub head: Option<u64>,
    /// head − base.
    pub diff: Option<i64>,
    /// (head − base) / base × 100.
    pub diff_pct: Option<f64>,
    /// Against the threshold.
    pub status: Status,
}

impl Metric {
    fn new(base: Option<u64>, head: Option<u64>, threshold_pct: f64) -> Metric {
        let (diff, diff_pct, status) = match (base, head) {
            (Some(b), Some(h)) => {
                let diff = h as i64 - b as i64;
                let pct = match b {
                    0 if h == 0 => 0.0,
                    0 => f64::INFINITY,
                    _ => diff as f64 * 100.0 / b as f64,
                };
                let status = if pct > threshold_pct {
                    Status::Regressed
                } else if pct < -threshold_pct {
                    Status::Improved
                } else {
                    Status::Unchanged
                };
                (Some(diff), Some(pct).filter(|p| p.is_finite()), status)
            }
            (None, Some(_)) => (None, None, Status::New),
            (_, None) => (None, None, Status::Missing),
        };
        Metric {
            base,
            head,
            diff,
            diff_pct,
            status,
        }
    }
}

/// One function row of a case comparison.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionChange {
    /// Function.
    pub name: String,
    /// Calls in the baseline.
    pub calls_base: Option<u64>,
    /// Calls in head.
    pub calls_head: Option<u64>,
    /// Self fuel.
    pub self_fuel: Metric,
}

/// One case, compared.
#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    /// Case name.
    pub name: String,
    /// The case's verdict (its total, and its functions with `--gate-functions`).
    pub status: Status,
    /// Why it was not compared, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Total fuel.
    pub fuel_total: Metric,
    /// Instantiation fuel.
    pub fuel_instantiation: Metric,
    /// Functions whose self fuel or calls changed, largest |Δ self| first.
    pub functions: Vec<FunctionChange>,
}

/// Head against a baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Thresholds used, percent.
    pub threshold_pct: f64,
    /// Function threshold, percent.
    pub function_threshold_pct: f64,
    /// Why the whole baseline is not comparable, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_comparable: Option<String>,
    /// Per case.
    pub cases: Vec<CaseComparison>,
}

impl Comparison {
    /// Compares `head` with `base`.
    pub fn new(base: &BenchResults, head: &BenchResults, thresholds: Thresholds) -> Comparison {
        let not_comparable = head.fingerprint.incompatibility(&base.fingerprint);
        let mut cases: Vec<CaseComparison> = head
            .cases
            .iter()
            .map(|case| {
                let old = base.cases.iter().find(|c| c.name == case.name);
                compare_case(old, Some(case), not_comparable.as_deref(), &thresholds)
            })
            .collect();
        for old in &base.cases {
            if !head.cases.iter().any(|c| c.name == old.name) {
                cases.push(compare_case(Some(old), None, None, &thresholds));
            }
        }
        Comparison {
            threshold_pct: thresholds.case_pct,
            function_threshold_pct: thresholds.function_pct,
            not_comparable,
            cases,
        }
    }

    /// Cases that regressed.
    pub fn regressions(&self) -> usize {
        self.count(Status::Regressed)
    }

    /// Cases with a given verdict.
    pub fn count(&self, status: Status) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }

    /// Whether any case could not be compared.
    pub fn has_incomparable(&self) -> bool {
        self.count(Status::NotComparable) > 0
    }
}

/// A comparable case's status: its total, or a function regression when those gate.
fn verdict(total: &Metric, functions: &[FunctionChange], gate_functions: bool) -> Status {
    let function_regressed = functions
        .iter()
        .any(|f| f.self_fuel.status == Status::Regressed);
    if gate_functions && function_regressed && total.status != Status::Improved {
        Status::Regressed
    } else {
        total.status
    }
}

fn compare_case(
    base: Option<&CaseResult>,
    head: Option<&CaseResult>,
    fingerprint_problem: Option<&str>,
    thresholds: &Thresholds,
) -> CaseComparison {
    let name = head.or(base).map_or_else(String::new, |c| c.name.clone());
    let case_pct = thresholds
        .per_case
        .get(&name)
        .copied()
        .unwrap_or(thresholds.case_pct);
    let reason = match (base, head) {
        _ if fingerprint_problem.is_some() => fingerprint_problem.map(str::to_string),
        (Some(b), Some(h)) if b.config_id != h.config_id => Some(format!(
            "case configuration differs (arguments, environment, directories, stdin or probe \
             filters): {} in the baseline, {} now",
            b.config_id, h.config_id
        )),
        _ => None,
    };
    let fuel_total = Metric::new(
        base.map(|c| c.fuel.total),
        head.map(|c| c.fuel.total),
        case_pct,
    );
    let fuel_instantiation = Metric::new(
        base.map(|c| c.fuel.instantiation),
        head.map(|c| c.fuel.instantiation),
        case_pct,
    );
    let functions = function_changes(base, head, thresholds.function_pct);
    let status = match &reason {
        Some(_) => Status::NotComparable,
        None => verdict(&fuel_total, &functions, thresholds.gate_functions),
    };
    CaseComparison {
        name,
        status,
        reason,
        fuel_total,
        fuel_instantiation,
        functions,
    }
}

fn function_changes(
    base: Option<&CaseResult>,
    head: Option<&CaseResult>,
    threshold_pct: f64,
) -> Vec<FunctionChange> {
    let (Some(base), Some(head)) = (base, head) else {
        return Vec::new();
    };
    let mut names: Vec<&str> = head.functions.iter().map(|f| f.name.as_str()).collect();
    for f in &base.functions {
        if !names.contains(&f.name.as_str()) {
            names.push(&f.name);
        }
    }
    let mut changes: Vec<FunctionChange> = names
        .into_iter()
        .filter_map(|name| {
            let old = base.functions.iter().find(|f| f.name == name);
            let new = head.functions.iter().find(|f| f.name == name);
            let unchanged = matches!((old, new), (Some(a), Some(b))
                if a.self_fuel == b.self_fuel && a.calls == b.calls);
            (!unchanged).then(|| FunctionChange {
                name: name.to_string(),
                calls_base: old.map(|f| f.calls),
                calls_head: new.map(|f| f.calls),
                self_fuel: Metric::new(
                    old.map(|f| f.self_fuel),
                    new.map(|f| f.self_fuel),
                    threshold_pct,
                ),
            })
        })
        .collect();
    changes.sort_by_key(|c| std::cmp::Reverse(c.self_fuel.diff.map_or(i64::MAX, i64::abs)));
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{CaseConfig, Fingerprint, FuelTotals};

    fn results(total: u64) -> BenchResults {
        let config = CaseConfig {
            args: vec![],
            env: vec![],
            dirs: vec![],
            invoke: None,
            stdin_sha256: None,
            probes: String::new(),
        };
        let mut results = BenchResults::new(Fingerprint {
            wobs: String::new(),
            wasmtime: String::new(),
            compiler: String::new(),
            probe_abi: 1,
            fuel_costs: String::new(),
            wasi: String::new(),
        });
        results.cases.push(CaseResult {
            name: "a".into(),
            module: String::new(),
            module_sha256: String::new(),
            config_id: config.id(),
            config,
            fuel: FuelTotals {
                total,
                instantiation: 0,
            },
            exit_code: 0,
            functions: vec![],
            paths: vec![],
            time: None,
        });
        results
    }

    #[test]
    fn a_case_threshold_overrides_the_default() {
        let (base, head) = (results(1000), results(1008));
        let default = Comparison::new(&base, &head, Thresholds::default());
        assert_eq!(default.cases[0].status, Status::Regressed);
        let mut lenient = Thresholds::default();
        lenient.per_case.insert("a".into(), 1.0);
        let compared = Comparison::new(&base, &head, lenient);
        assert_eq!(compared.cases[0].status, Status::Unchanged);
        assert_eq!(compared.cases[0].fuel_total.diff, Some(8));
    }
}

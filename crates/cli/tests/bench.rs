//! `wobs bench`: fuel figures that are exact and repeatable, and a gate that names what changed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::{example, scratch, wobs, Run};
use serde_json::Value;

fn bench(args: &[&str]) -> Run {
    let mut full = vec!["bench"];
    full.extend_from_slice(args);
    wobs(&full)
}

/// `wobs bench --json PATH ARGS` → (run, the JSON report).
fn bench_json(dir: &Path, args: &[&str]) -> (Run, Value) {
    let json = dir.join(format!("report-{}.json", rand_suffix()));
    let mut full = vec!["--json", json.to_str().unwrap()];
    full.extend_from_slice(args);
    let run = bench(&full);
    let text = std::fs::read(&json).unwrap_or_else(|e| panic!("no JSON ({e}): {}", run.stderr));
    (run, serde_json::from_slice(&text).unwrap())
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn case(report: &Value) -> &Value {
    &report["results"]["cases"][0]
}

fn self_fuel(case: &Value, name: &str) -> u64 {
    case["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))["self_fuel"]
        .as_u64()
        .unwrap()
}

/// A guest whose work depends on the clock and on random bytes gives the same figures every run.
#[test]
fn figures_are_identical_run_to_run_even_with_clocks_and_random() {
    let dir = scratch();
    let (first, a) = bench_json(dir.path(), &[&example("clock_random")]);
    let (second, b) = bench_json(dir.path(), &[&example("clock_random")]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(
        first.stdout, second.stdout,
        "the guest saw the same time and random bytes"
    );
    assert_eq!(a["results"], b["results"]);
    assert!(case(&a)["fuel"]["total"].as_u64().unwrap() > 100_000);
    // Outside bench mode the same guest sees real clocks: its output differs between runs.
    let plain: Vec<String> = (0..3)
        .map(|_| wobs(&["run", "-q", &example("clock_random")]).stdout)
        .collect();
    assert!(plain.iter().any(|s| *s != plain[0]), "{plain:?}");
}

/// With the probes' own fuel taken out, per-function self fuel adds up to the fuel of the
/// uninstrumented module, to the unit; and a 2:1 split by construction shows as 2:1.
#[test]
fn self_fuel_adds_up_to_the_uninstrumented_total() {
    let dir = scratch();
    for (module, args) in [
        ("fib", vec!["22"]),
        ("malloc_heavy", vec![]),
        ("pipeline", vec!["20000"]),
    ] {
        let mut probed = vec![example(module)];
        probed.extend(args.iter().map(|a| a.to_string()));
        let probed: Vec<&str> = probed.iter().map(String::as_str).collect();
        let (run, report) = bench_json(dir.path(), &probed);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut plain = vec!["--no-probes"];
        plain.extend_from_slice(&probed);
        let (_, uninstrumented) = bench_json(dir.path(), &plain);
        let total = case(&report)["fuel"]["total"].as_u64().unwrap();
        assert_eq!(
            total,
            case(&uninstrumented)["fuel"]["total"].as_u64().unwrap(),
            "{module}: probes subtracted exactly"
        );
        let sum: u64 = case(&report)["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["self_fuel"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, total, "{module}: self fuel adds up");
    }
    let (_, pipeline) = bench_json(dir.path(), &[&example("pipeline"), "20000"]);
    let (decode, transform, encode) = (
        self_fuel(case(&pipeline), "decode") as f64,
        self_fuel(case(&pipeline), "transform") as f64,
        self_fuel(case(&pipeline), "encode") as f64,
    );
    assert!(
        (transform / decode - 2.0).abs() < 1e-4,
        "{transform} / {decode}"
    );
    assert!((encode / decode - 3.0).abs() < 1e-4, "{encode} / {decode}");
    let fib = case(&bench_json(dir.path(), &[&example("fib"), "22"]).1).clone();
    let calls = fib["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "fib")
        .unwrap()["calls"]
        .as_u64()
        .unwrap();
    assert_eq!(calls, 57_313, "calls(22) = 2·fib(23) − 1");
}

/// One function doing 10 % more work: exit 3, and exactly that function is named.
#[test]
fn a_regression_exits_3_and_names_the_function() {
    let dir = scratch();
    let base = dir.path().join("base.json");
    let saved = bench(&[
        "--save-baseline",
        base.to_str().unwrap(),
        "--name",
        "pipeline",
        &example("pipeline"),
    ]);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    let markdown = dir.path().join("bench.md");
    let flamegraph = dir.path().join("diff.svg");
    let (run, report) = bench_json(
        dir.path(),
        &[
            "--baseline",
            base.to_str().unwrap(),
            "--markdown",
            markdown.to_str().unwrap(),
            "--diff-flamegraph",
            flamegraph.to_str().unwrap(),
            "--name",
            "pipeline",
            &example("pipeline_regressed"),
        ],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let compared = &report["comparison"]["cases"][0];
    assert_eq!(compared["status"], "regressed");
    assert_eq!(compared["fuel_total"]["status"], "regressed");
    let changed: Vec<&str> = compared["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        ["transform"],
        "every other function is unchanged to the unit"
    );
    let pct = compared["functions"][0]["self_fuel"]["diff_pct"]
        .as_f64()
        .unwrap();
    assert!((pct - 10.0).abs() < 0.01, "{pct}");
    assert_eq!(compared["functions"][0]["calls_base"], 10);

    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.starts_with("<!-- wobs-bench-report -->"));
    assert!(md.contains("1 regression in 1 case"), "{md}");
    assert!(md.contains("| `transform` | 10 | 10 |"), "{md}");
    assert!(!md.contains("`decode`") && !md.contains("`encode`"), "{md}");

    // Grown code is red in head's shape; the baseline's shape is drawn too.
    let svg = std::fs::read_to_string(&flamegraph).unwrap();
    let doc = common::parse_svg(&svg);
    let fill = |name: &str| -> String {
        let title = doc
            .descendants()
            .find(|n| n.has_tag_name("title") && n.text().unwrap_or("").starts_with(name))
            .unwrap_or_else(|| panic!("no {name} frame"));
        let rect = title
            .parent()
            .unwrap()
            .children()
            .find(|n| n.has_tag_name("rect"))
            .unwrap();
        rect.attribute("fill").unwrap().to_string()
    };
    let red = |fill: &str| {
        let rgb: Vec<u32> = fill
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .map(|c| c.trim().parse().unwrap())
            .collect();
        rgb[0] > rgb[2] + 50
    };
    assert!(
        red(&fill("transform ")),
        "transform is {}",
        fill("transform ")
    );
    assert!(!red(&fill("decode ")), "decode is {}", fill("decode "));
    let baseline_view = std::fs::read_to_string(dir.path().join("diff-baseline.svg")).unwrap();
    common::parse_svg(&baseline_view);
}

/// Less work exits 0 and says "improved".
#[test]
fn an_improvement_passes_and_says_so() {
    let dir = scratch();
    let base = dir.path().join("base.json");
    bench(&[
        "--save-baseline",
        base.to_str().unwrap(),
        "--name",
        "p",
        &example("pipeline"),
    ]);
    let run = bench(&[
        "--baseline",
        base.to_str().unwrap(),
        "--name",
        "p",
        &example("pipeline_improved"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("improved"), "{}", run.stderr);
    assert!(run.stderr.contains("encode"), "{}", run.stderr);
}

/// A baseline from another configuration (arguments, or another runtime) is not compared: exit 4.
#[test]
fn another_configuration_is_not_comparable() {
    let dir = scratch();
    let base = dir.path().join("base.json");
    let base_arg = base.to_str().unwrap();
    bench(&["--save-baseline", base_arg, &example("pipeline"), "20000"]);
    let other_args = bench(&["--baseline", base_arg, &example("pipeline"), "30000"]);
    assert_eq!(other_args.code, 4, "{}", other_args.stderr);
    assert!(
        other_args.stderr.contains("not comparable"),
        "{}",
        other_args.stderr
    );

    let mut results: Value = serde_json::from_slice(&std::fs::read(&base).unwrap()).unwrap();
    results["fingerprint"]["wasmtime"] = "47.0.0".into();
    std::fs::write(&base, serde_json::to_vec(&results).unwrap()).unwrap();
    let other_runtime = bench(&["--baseline", base_arg, &example("pipeline"), "20000"]);
    assert_eq!(other_runtime.code, 4, "{}", other_runtime.stderr);
    assert!(
        other_runtime.stderr.contains("wasmtime differs"),
        "{}",
        other_runtime.stderr
    );

    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, b"{\"format\": \"other\"}").unwrap();
    let bad = bench(&[
        "--baseline",
        garbage.to_str().unwrap(),
        &example("pipeline"),
    ]);
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    let negative = bench(&["--threshold", "-1", &example("pipeline")]);
    assert_eq!(negative.code, 1, "{}", negative.stderr);
    assert!(
        negative.stderr.contains("expected a percentage"),
        "{}",
        negative.stderr
    );
}

/// The GitHub Actions example's `wobs bench` commands, run as written (the repository's own
/// modules stand in for the base and head builds).
#[test]
fn the_ci_example_runs_as_written() {
    let dir = scratch();
    let workflow =
        std::fs::read_to_string(common::root().join("examples/ci/wobs-bench.yml")).unwrap();
    let commands: Vec<Vec<String>> = workflow
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("wobs bench "))
        .map(|l| {
            let l = l.replace("$RUNNER_TEMP", dir.path().to_str().unwrap());
            l.split_whitespace()
                .skip(1)
                .map(|w| w.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    for (step, command) in commands.iter().enumerate() {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let run = wobs(&args);
        assert_eq!(run.code, 0, "step {step}: {args:?}: {}", run.stderr);
    }
    let md = std::fs::read_to_string(dir.path().join("bench.md")).unwrap();
    assert!(md.contains("no regression in 3 cases"), "{md}");
    assert!(dir.path().join("bench.json").exists());
    assert!(dir.path().join("diff-pipeline.svg").exists());
}

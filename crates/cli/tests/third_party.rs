//! wobs on real programs we did not write: CPython 3.12 (DWARF whose addresses are all zero, no name
//! section) and QuickJS (name section). `bench/fetch-third-party.sh python quickjs` downloads them
//! (CI does); without them these tests say so and pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::{record, scratch, third_party};

/// Runs `module` with its job directory (`jobs/JOB`, from the fetch script) as `/work`, on `script`.
fn run_job(module: &Path, job: &str, script: &str) -> (common::Run, wobs_events::Recording) {
    let jobs = module.parent().unwrap().join("jobs").join(job);
    let dir = scratch();
    let work = format!("{}::/work", jobs.display());
    record(
        dir.path(),
        &["--dir", &work, module.to_str().unwrap(), script],
    )
}

#[test]
fn cpython_with_broken_dwarf_profiles_by_function_index() {
    let Some(python) = third_party("python") else {
        return;
    };
    let (run, rec) = run_job(&python, "python", "/work/bench.py");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "832040 1206799 30308474678824");
    // Its DWARF says every function starts at 0: detected, reported once, not used.
    assert_eq!(
        run.stderr.matches("do not match the code").count(),
        1,
        "{}",
        run.stderr
    );
    // Time in WASI calls is on `[host] NAME` frames; every wasm frame is nameless.
    assert!(rec
        .functions
        .iter()
        .filter(|f| !f.name.starts_with(wobs_collector::HOST_FRAME))
        .all(|f| f.name.starts_with("wasm-function[") && f.file.is_none()));
    assert!(rec.run.samples_taken > 300, "{}", rec.run.samples_taken);
    // The interpreter loop is on nearly every stack.
    assert!(rec
        .functions
        .iter()
        .any(|f| f.total_samples * 10 >= rec.run.samples_taken * 8));
}

#[test]
fn quickjs_names_come_from_the_name_section() {
    let Some(quickjs) = third_party("quickjs") else {
        return;
    };
    let (run, rec) = run_job(&quickjs, "js", "/work/bench.js");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "832040 333 [0,0,0,1,1]");
    assert!(
        rec.functions.iter().any(|f| f.name == "JS_CallInternal"),
        "{:?}",
        &rec.functions[..5]
    );
    assert!(!rec
        .functions
        .iter()
        .any(|f| f.name.starts_with("wasm-function[")));
}

/// `wobs bench` on a real interpreter: the same figures twice, to the unit, and per-function self
/// fuel that adds up to the total.
#[test]
fn quickjs_bench_figures_are_identical_twice() {
    let Some(quickjs) = third_party("quickjs") else {
        return;
    };
    let jobs = quickjs.parent().unwrap().join("jobs").join("js");
    let work = format!("{}::/work", jobs.display());
    let dir = scratch();
    let results: Vec<serde_json::Value> = (0..2)
        .map(|i| {
            let path = dir.path().join(format!("{i}.json"));
            let run = common::wobs(&[
                "bench",
                "--save-baseline",
                path.to_str().unwrap(),
                "--dir",
                &work,
                quickjs.to_str().unwrap(),
                "/work/bench.js",
            ]);
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert_eq!(run.stdout.trim(), "832040 333 [0,0,0,1,1]");
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
        })
        .collect();
    assert_eq!(results[0]["cases"], results[1]["cases"]);
    let case = &results[0]["cases"][0];
    let total = case["fuel"]["total"].as_u64().unwrap();
    let sum: u64 = case["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["self_fuel"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, total);
    assert!(case["functions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "JS_CallInternal"));
}

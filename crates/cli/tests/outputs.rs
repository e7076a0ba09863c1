//! Every output file is valid for its consumer, and a recording re-exports identically.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{example, record, scratch, wobs};

#[test]
fn outputs_are_valid_and_report_reproduces_them() {
    let dir = scratch();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (run, rec) = record(
        dir.path(),
        &[
            "--flamegraph",
            &path("fg.svg"),
            "--folded",
            &path("run.folded"),
            "--speedscope",
            &path("ss.json"),
            &example("twice"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let taken = rec.run.samples_taken;
    assert!(taken > 100);

    // Folded: `frame;frame;... count`, counts summing to the samples taken.
    let folded = std::fs::read_to_string(path("run.folded")).unwrap();
    let (mut sum, mut outside_main) = (0, 0);
    for line in folded.lines() {
        let (stack, count) = line.rsplit_once(' ').expect("stack and count");
        let count = count.parse::<u64>().expect("count");
        assert!(stack.starts_with("_start.command_export"), "{line}");
        // A tick can land in start-up code before main (seen in CI): rare, never the profile.
        if !stack.starts_with("_start.command_export;_start;") {
            outside_main += count;
        }
        sum += count;
    }
    assert_eq!(sum, taken);
    assert!(
        outside_main * 100 <= taken,
        "{outside_main} of {taken} outside main"
    );
    assert!(folded.contains(";main;work_two "));

    // SVG: well-formed XML naming the hot function.
    let svg = std::fs::read_to_string(path("fg.svg")).unwrap();
    let doc = common::parse_svg(&svg);
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(doc
        .descendants()
        .any(|n| n.text().is_some_and(|t| t.contains("work_two"))));

    // speedscope: the fields its schema requires, indices in range, one sample per sample.
    let ss: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("ss.json")).unwrap()).unwrap();
    assert_eq!(
        ss["$schema"],
        "https://www.speedscope.app/file-format-schema.json"
    );
    let frames = ss["shared"]["frames"].as_array().unwrap();
    assert!(frames.iter().all(|f| f["name"].is_string()));
    let profile = &ss["profiles"][0];
    assert_eq!(profile["type"], "sampled");
    assert_eq!(profile["unit"], "nanoseconds");
    let samples = profile["samples"].as_array().unwrap();
    let weights = profile["weights"].as_array().unwrap();
    assert_eq!(samples.len() as u64, taken);
    assert_eq!(weights.len(), samples.len());
    assert!(samples
        .iter()
        .flat_map(|s| s.as_array().unwrap())
        .all(|i| (i.as_u64().unwrap() as usize) < frames.len()));
    let total: u64 = weights.iter().map(|w| w.as_u64().unwrap()).sum();
    assert_eq!(profile["endValue"].as_u64().unwrap(), total);

    // The recording re-exports the same folded stacks and the same summary.
    let rec_path = path("rec.json");
    let again = wobs(&[
        "report",
        &rec_path,
        "--folded",
        &path("report.folded"),
        "--format",
        "json",
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(path("report.folded")).unwrap(),
        folded
    );
    let functions: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    let first = &functions[0];
    for key in ["name", "file", "line", "self_samples", "total_samples"] {
        assert!(first.get(key).is_some(), "missing {key} in {first}");
    }
    assert_eq!(first["name"], "work_two");
    assert_eq!(functions.as_array().unwrap().len(), rec.functions.len());
}

#[test]
fn lines_flag_splits_frames_by_source_line() {
    let dir = scratch();
    let folded = dir.path().join("l.folded");
    let (_, _) = record(
        dir.path(),
        &[
            "--lines",
            "--folded",
            folded.to_str().unwrap(),
            &example("lines"),
        ],
    );
    let text = std::fs::read_to_string(&folded).unwrap();
    for marker in ["// LINE A", "// LINE B"] {
        let line = common::marked_line("lines.c", marker);
        assert!(
            text.contains(&format!("two_loops (examples/c/lines.c:{line})")),
            "{text}"
        );
    }
}

#[test]
fn report_rejects_files_that_are_not_recordings() {
    let dir = scratch();
    let bogus = dir.path().join("x.json");
    std::fs::write(&bogus, r#"{"format":"other"}"#).unwrap();
    let run = wobs(&["report", bogus.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("is not a wobs recording"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
}

#[test]
fn an_unwritable_output_fails_but_the_others_are_written() {
    let dir = scratch();
    let good = dir.path().join("ok.folded");
    let run = wobs(&[
        "run",
        "-q",
        "--flamegraph",
        "/nonexistent-dir/fg.svg",
        "--folded",
        good.to_str().unwrap(),
        &example("exit_code"),
    ]);
    assert_eq!(run.code, 3, "guest status wins: {}", run.stderr);
    assert!(run.stderr.contains("/nonexistent-dir/fg.svg"));
    assert!(good.exists());
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

//! A profile sample's span label always names a span that went out: the exact sampler's signal
//! handler, the probes and the span filter agree on it in every run, not just in most.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::collections::HashSet;

use common::{example, scratch};
use wobs_events::SpanId;

/// Runs in a row: the race this guards against (a sample taken while a call was being entered
/// kept the id of a call that was later filtered out) showed in about 1 run in 10, so 40 runs
/// miss it with probability 0.9⁴⁰ ≈ 1.5 %, and each run takes thousands of samples.
const RUNS: usize = 40;

/// fib(22) makes 57,313 calls; with `--span-min 1ms` a handful become spans and every other one
/// is opened and filtered out (`--throttle off`: every call goes through the probes), while the
/// handler labels a sample every 100 µs.
#[test]
fn every_sample_label_names_a_recorded_span_in_every_run() {
    let dir = scratch();
    let chrome = dir.path().join("trace.json");
    let mut labelled_total = 0;
    for run_index in 0..RUNS {
        let (run, rec) = common::record(
            dir.path(),
            &[
                "--sampler",
                "exact",
                "--interval",
                "100us",
                "--trace",
                "--span-min",
                "1ms",
                "--throttle",
                "off",
                "--chrome-trace",
                chrome.to_str().unwrap(),
                &example("fib"),
                "22",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let spans = rec.spans.as_ref().expect("the recording keeps the spans");
        assert_eq!(
            (spans.dropped, spans.not_recorded, spans.unlabelled_samples),
            (0, 0, 0)
        );
        let mut ids: HashSet<SpanId> = spans.spans.iter().map(|s| s.span_id).collect();
        ids.insert(spans.root_span_id);
        for sample in &rec.samples {
            let label = sample
                .span_id
                .expect("every sample is in a span or the root");
            assert!(
                ids.contains(&label),
                "run {run_index}: a sample is labelled with span {label:?}, which was never kept \
                 ({} spans kept)",
                spans.spans.len()
            );
            labelled_total += 1;
        }
    }
    assert!(
        labelled_total > RUNS * 20,
        "{labelled_total} labelled samples"
    );
}

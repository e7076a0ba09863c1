//! Trace export: `wobs run --otlp` against an in-process OTLP receiver (gRPC and HTTP), decoded
//! from the protobuf wobs sends; Chrome trace and pprof outputs linked to the spans.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;
mod otlp_support;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{example, scratch, wobs, wobs_env, Run};
use otlp_support::{Received, Receiver};
use prost::Message;

/// calls(15) = 2·fib(16) − 1.
const FIB_15_CALLS: usize = 1973;

fn run_to(receiver: &Receiver, protocol: &str, args: &[&str]) -> (Run, Vec<Received>) {
    run_to_env(receiver, protocol, args, &[])
}

fn run_to_env(
    receiver: &Receiver,
    protocol: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Run, Vec<Received>) {
    let mut full = vec![
        "run",
        "-q",
        "--otlp-endpoint",
        &receiver.endpoint,
        "--otlp-protocol",
        protocol,
    ];
    full.extend_from_slice(args);
    let run = wobs_env(&full, env);
    // wobs waits for the receiver's answers before it exits, so everything has arrived.
    (run, receiver.inbox.spans())
}

fn exported(run: &Run) -> usize {
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("wobs: exported "))
        .unwrap_or_else(|| panic!("no export line in {}", run.stderr));
    line["wobs: exported ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn root(spans: &[Received]) -> &Received {
    let roots: Vec<_> = spans
        .iter()
        .filter(|s| s.span.name.starts_with("wobs run "))
        .collect();
    assert_eq!(roots.len(), 1, "one root span");
    roots[0]
}

/// Every span with `--span-min 0`, the structure of the tree, names, attributes, times and the
/// resource — over both protocols.
#[test]
fn every_call_is_a_span_in_one_well_formed_tree() {
    for (protocol, receiver) in [
        ("grpc", otlp_support::grpc()),
        ("http/protobuf", otlp_support::http()),
    ] {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let (run, spans) = run_to(
            &receiver,
            protocol,
            &["--trace", "--span-min", "0", &example("fib"), "15"],
        );
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.trim(), "fib(15) = 610");
        assert_eq!(exported(&run), spans.len(), "{protocol}: {}", run.stderr);
        assert!(run.stderr.contains("0 dropped"), "{}", run.stderr);
        assert!(run.stderr.contains("0 failed"), "{}", run.stderr);

        let fib: Vec<_> = spans.iter().filter(|s| s.span.name == "fib").collect();
        assert_eq!(fib.len(), FIB_15_CALLS, "{protocol}");
        assert_eq!(spans.iter().filter(|s| s.span.name == "main").count(), 1);

        let root = root(&spans);
        assert_eq!(root.span.name, format!("wobs run {}", example("fib")));
        assert!(
            root.span.parent_span_id.is_empty(),
            "a new trace's root has no parent"
        );
        assert_eq!(root.attr("process.exit.code").as_deref(), Some("0"));
        assert_eq!(root.attr("wobs.wasm.module").as_deref(), Some("fib"));
        assert_eq!(root.attr("wobs.filtered_calls").as_deref(), Some("0"));

        // One trace; distinct ids; every parent is a span that was sent; times nest.
        let by_id: HashMap<String, &Received> = spans.iter().map(|s| (s.span_id(), s)).collect();
        assert_eq!(by_id.len(), spans.len(), "span ids are unique");
        for span in &spans {
            assert_eq!(span.trace_id(), root.trace_id());
            assert!(span.span.start_time_unix_nano <= span.span.end_time_unix_nano);
            assert!(span.span.start_time_unix_nano >= before);
            assert!(span.span.end_time_unix_nano <= after);
            if span.span_id() == root.span_id() {
                continue;
            }
            let parent = by_id
                .get(&span.parent_id())
                .unwrap_or_else(|| panic!("{} has a dangling parent", span.span.name));
            assert!(parent.span.start_time_unix_nano <= span.span.start_time_unix_nano);
            assert!(parent.span.end_time_unix_nano >= span.span.end_time_unix_nano);
            assert_eq!(span.attr("wobs.filtered_calls").as_deref(), Some("0"));
        }
        // fib's recursion: every fib but the outermost has a fib parent, and that one has main.
        let fib_parents = fib
            .iter()
            .filter(|s| by_id[&s.parent_id()].span.name == "fib")
            .count();
        assert_eq!(fib_parents, FIB_15_CALLS - 1);

        // Semantic-convention attributes from DWARF and the name section.
        let one = fib[0];
        assert_eq!(one.attr("code.function.name").as_deref(), Some("fib"));
        assert!(
            one.attr("code.file.path").unwrap().ends_with("fib.c"),
            "{:?}",
            one.attr("code.file.path")
        );
        // fib.c line 6 opens fib.
        assert_eq!(one.attr("code.line.number").as_deref(), Some("6"));
        assert_eq!(one.attr("wobs.wasm.module").as_deref(), Some("fib"));
        assert!(one
            .attr("wobs.wasm.function_index")
            .unwrap()
            .parse::<u32>()
            .is_ok());
        // The resource: the module's name as the service, the runtime, the SDK.
        assert_eq!(one.resource_attr("service.name").as_deref(), Some("fib"));
        assert_eq!(
            one.resource_attr("process.runtime.name").as_deref(),
            Some("wasmtime")
        );
        assert_eq!(
            one.resource_attr("process.runtime.version").as_deref(),
            Some("48.0.8")
        );
        assert_eq!(
            one.resource_attr("telemetry.sdk.language").as_deref(),
            Some("rust")
        );
    }
}

/// A span threshold keeps long calls only, never orphans one, and counts every call it drops.
#[test]
fn filtered_calls_are_counted_and_kept_spans_keep_their_parents() {
    let receiver = otlp_support::http();
    let (run, all) = run_to(
        &receiver,
        "http/protobuf",
        &["--trace", "--span-min", "0", &example("fib"), "20"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let calls = all.len() - 1; // every call, without the root

    for min in ["20us", "1h"] {
        let receiver = otlp_support::grpc();
        let (run, spans) = run_to(
            &receiver,
            "grpc",
            &["--trace", "--span-min", min, &example("fib"), "20"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let ids: HashSet<String> = spans.iter().map(Received::span_id).collect();
        let root = root(&spans);
        let mut accounted = root
            .attr("wobs.filtered_calls")
            .unwrap()
            .parse::<usize>()
            .unwrap();
        for span in spans.iter().filter(|s| s.span_id() != root.span_id()) {
            assert!(
                ids.contains(&span.parent_id()),
                "{min}: orphan {}",
                span.span.name
            );
            let length = span.span.end_time_unix_nano - span.span.start_time_unix_nano;
            if min == "20us" {
                assert!(length >= 20_000, "{min}: a {length} ns span was kept");
            }
            accounted += 1 + span
                .attr("wobs.filtered_calls")
                .unwrap()
                .parse::<usize>()
                .unwrap();
        }
        assert_eq!(
            accounted, calls,
            "{min}: every call is a span or counted in one"
        );
        if min == "1h" {
            assert_eq!(spans.len(), 1, "only the root is that long");
        }
    }
}

/// `TRACEPARENT` makes the run's root span a child of the pipeline's span.
#[test]
fn traceparent_nests_the_run_in_an_outer_trace() {
    let receiver = otlp_support::grpc();
    let (run, spans) = run_to_env(
        &receiver,
        "grpc",
        &[&example("fib"), "10"],
        &[
            (
                "TRACEPARENT",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
            ("TRACESTATE", "ci=build42"),
            ("OTEL_SERVICE_NAME", "pipeline"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let root = root(&spans);
    assert_eq!(root.parent_id(), "00f067aa0ba902b7");
    assert!(
        root.span.flags & 0x200 != 0,
        "parent marked remote: {:#x}",
        root.span.flags
    );
    for span in &spans {
        assert_eq!(span.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(span.span.trace_state, "ci=build42");
        assert_eq!(
            span.resource_attr("service.name").as_deref(),
            Some("pipeline")
        );
    }
    // --otlp on a module without probes instrumented it: main and fib calls are there.
    assert!(
        spans.iter().any(|s| s.span.name == "main"),
        "{}",
        run.stderr
    );
}

/// A caller that does not record its trace (sampled flag `00`) gets no spans from the run, as
/// the default `parentbased_always_on` sampler says; `OTEL_TRACES_SAMPLER=always_on` overrides it.
#[test]
fn an_unsampled_traceparent_exports_nothing() {
    const UNSAMPLED: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let receiver = otlp_support::http();
    let (run, spans) = run_to_env(
        &receiver,
        "http/protobuf",
        &[&example("fib"), "10"],
        &[("TRACEPARENT", UNSAMPLED)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(spans.is_empty(), "{} spans", spans.len());
    assert!(
        run.stderr.contains("the trace is not sampled"),
        "{}",
        run.stderr
    );
    let (run, spans) = run_to_env(
        &receiver,
        "http/protobuf",
        &[&example("fib"), "10"],
        &[
            ("TRACEPARENT", UNSAMPLED),
            ("OTEL_TRACES_SAMPLER", "always_on"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(root(&spans).parent_id(), "00f067aa0ba902b7");
}

/// `OTEL_EXPORTER_OTLP_HEADERS` (e.g. a hosted backend's API key) reaches the collector, and
/// `OTEL_RESOURCE_ATTRIBUTES` the resource.
#[test]
fn headers_and_resource_attributes_come_from_the_environment() {
    let receiver = otlp_support::http();
    let (run, spans) = run_to_env(
        &receiver,
        "http/protobuf",
        &[&example("fib"), "5"],
        &[
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=s3cret,x-team=wasm"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=ci"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let headers = receiver.inbox.headers();
    assert!(
        headers.contains(&("x-api-key".into(), "s3cret".into())),
        "{headers:?}"
    );
    assert!(
        headers.contains(&("x-team".into(), "wasm".into())),
        "{headers:?}"
    );
    let root = root(&spans);
    assert_eq!(
        root.resource_attr("deployment.environment").as_deref(),
        Some("ci")
    );
    assert_eq!(root.resource_attr("service.name").as_deref(), Some("fib"));
}

/// A trap: the root span is an error with the symbolized backtrace; open calls are marked.
#[test]
fn a_trap_is_an_error_span_with_the_backtrace() {
    let receiver = otlp_support::http();
    let (run, spans) = run_to(
        &receiver,
        "http/protobuf",
        &[
            "--trace",
            "--min-size",
            "0",
            "--span-min",
            "0",
            &example("trap"),
        ],
    );
    assert_eq!(
        run.code, 134,
        "the guest's exit code is kept: {}",
        run.stderr
    );
    let root = root(&spans);
    let status = root.span.status.as_ref().unwrap();
    assert_eq!(status.code, 2, "STATUS_CODE_ERROR");
    assert!(status.message.contains("trap"), "{status:?}");
    let exception = root
        .span
        .events
        .iter()
        .find(|e| e.name == "exception")
        .expect("exception event");
    let trace = otlp_support::attr(&exception.attributes, "exception.stacktrace").unwrap();
    assert!(trace.contains("divide"), "{trace}");
    let unfinished: Vec<_> = spans
        .iter()
        .filter(|s| s.attr("wobs.unfinished").as_deref() == Some("true"))
        .map(|s| s.span.name.as_str())
        .collect();
    assert!(unfinished.contains(&"divide"), "{unfinished:?}");
    assert!(unfinished.contains(&"main"), "{unfinished:?}");
}

/// A collector that is down or hangs changes neither the guest's output nor its exit code; the
/// line says what failed, and wobs does not wait past the export timeout.
#[test]
fn an_unreachable_or_silent_collector_is_reported_not_waited_for() {
    let plain = wobs(&["run", "-q", &example("fib"), "15"]);
    for (endpoint, what) in [
        (otlp_support::dead_endpoint(), "down"),
        (otlp_support::silent_endpoint(), "silent"),
    ] {
        for protocol in ["grpc", "http/protobuf"] {
            let started = Instant::now();
            let run = wobs_env(
                &[
                    "run",
                    "-q",
                    "--otlp-endpoint",
                    &endpoint,
                    "--otlp-protocol",
                    protocol,
                    &example("fib"),
                    "15",
                ],
                &[("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")],
            );
            let took = started.elapsed();
            assert_eq!(run.code, 0, "{what} {protocol}: {}", run.stderr);
            assert_eq!(run.stdout, plain.stdout);
            assert_eq!(exported(&run), 0, "{what} {protocol}: {}", run.stderr);
            let line = run.stderr.lines().find(|l| l.contains("exported")).unwrap();
            assert!(
                line.contains("failed:") || line.contains("unsent"),
                "{what} {protocol}: {line}"
            );
            // The timeout is 1 s; compilation and the run are well under the rest.
            assert!(
                took < Duration::from_secs(20),
                "{what} {protocol}: {took:?}"
            );
        }
    }
}

/// Samples carry the span they were taken in — in the recording and as pprof `span_id` labels —
/// and the root span names the profile.
#[test]
fn pprof_samples_are_labelled_with_exported_span_ids() {
    pprof_labels("epoch");
}

/// The same with the exact (signal) sampler, whose handler reads the tracer's innermost span.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn exact_samples_are_labelled_with_exported_span_ids_too() {
    pprof_labels("exact");
}

fn pprof_labels(sampler: &str) {
    let dir = scratch();
    let pprof = dir.path().join("out.pb.gz");
    let rec = dir.path().join("rec.json");
    let receiver = otlp_support::grpc();
    let (run, spans) = run_to(
        &receiver,
        "grpc",
        &[
            "--sampler",
            sampler,
            "--trace",
            "--span-min",
            "1ms",
            "--interval",
            "200us",
            "--pprof",
            pprof.to_str().unwrap(),
            "-o",
            rec.to_str().unwrap(),
            // fib 27 (~10 ms) ended before a single tick under two CPU hogs: "0 of 0".
            &example("fib"),
            "30",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let root = root(&spans);
    assert_eq!(root.attr("pyroscope.profile.id"), Some(root.span_id()));
    let ids: HashSet<String> = spans.iter().map(Received::span_id).collect();

    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&pprof).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let profile = wobs_collector::export::pprof::Profile::decode(bytes.as_slice()).unwrap();
    let key = profile
        .string_table
        .iter()
        .position(|s| s == "span_id")
        .unwrap() as i64;
    let labelled: Vec<&str> = profile
        .sample
        .iter()
        .flat_map(|s| &s.label)
        .filter(|l| l.key == key)
        .map(|l| profile.string_table[l.str as usize].as_str())
        .collect();
    // Enough samples for the shares below to mean something (fib 30 lasts ~100 ms at 200 µs).
    assert!(
        profile.sample.len() >= 10,
        "{} pprof samples: too few to judge their labels",
        profile.sample.len()
    );
    assert!(
        labelled.len() * 10 >= profile.sample.len() * 9,
        "{} of {} samples labelled",
        labelled.len(),
        profile.sample.len()
    );
    for id in &labelled {
        assert!(
            ids.contains(*id),
            "sample labelled with unexported span {id}"
        );
    }
    // Most samples are inside fib spans, not just the root.
    let in_calls = labelled.iter().filter(|id| **id != root.span_id()).count();
    assert!(
        in_calls * 2 > labelled.len(),
        "{in_calls} of {}",
        labelled.len()
    );

    // The recording keeps the same spans, and `wobs report --otlp` sends them again.
    let recording: wobs_events::Recording =
        serde_json::from_slice(&std::fs::read(&rec).unwrap()).unwrap();
    let set = recording.spans.as_ref().unwrap();
    assert_eq!(set.spans.len() + 1, spans.len());
    let again = otlp_support::http();
    let report = wobs_env(
        &[
            "report",
            "-q",
            rec.to_str().unwrap(),
            "--otlp-endpoint",
            &again.endpoint,
            "--otlp-protocol",
            "http/protobuf",
        ],
        &[],
    );
    assert_eq!(report.code, 0, "{}", report.stderr);
    let resent: HashSet<String> = again.inbox.spans().iter().map(Received::span_id).collect();
    assert_eq!(resent, ids, "report re-exports the same spans");
}

/// The Chrome trace has one complete event per span, nested in the run.
#[test]
fn chrome_trace_holds_every_span() {
    let dir = scratch();
    let path = dir.path().join("trace.json");
    let run = wobs(&[
        "run",
        "-q",
        "--span-min",
        "0",
        "--chrome-trace",
        path.to_str().unwrap(),
        &example("fib"),
        "15",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let complete: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
    let fib = complete.iter().filter(|e| e["name"] == "fib").count();
    assert_eq!(
        fib, FIB_15_CALLS,
        "--chrome-trace instruments a module without probes"
    );
    let run_event = complete.iter().find(|e| e["cat"] == "run").unwrap();
    let run_end = run_event["ts"].as_f64().unwrap() + run_event["dur"].as_f64().unwrap();
    for event in &complete {
        let ts = event["ts"].as_f64().unwrap();
        assert!(ts >= 0.0 && ts + event["dur"].as_f64().unwrap() <= run_end + 0.001);
    }
}

/// `--memory` turns `memory.grow` into span events.
#[test]
fn memory_growth_becomes_span_events() {
    let receiver = otlp_support::http();
    let (run, spans) = run_to(
        &receiver,
        "http/protobuf",
        &[
            "--trace",
            "--memory",
            "--span-min",
            "0",
            &example("malloc_heavy"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let grows: Vec<_> = spans
        .iter()
        .flat_map(|s| &s.span.events)
        .filter(|e| e.name == "memory.grow")
        .collect();
    assert!(!grows.is_empty(), "no memory.grow events");
    for grow in grows {
        let pages = otlp_support::attr(&grow.attributes, "wobs.wasm.memory.grow.pages").unwrap();
        assert!(pages.parse::<u32>().unwrap() >= 1);
    }
}

/// Spans stream while the guest runs: a long-running guest's finished requests reach the
/// collector before it exits, not only at the end.
#[test]
fn spans_arrive_while_the_guest_still_runs() {
    let receiver = otlp_support::http();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wobs"))
        .args([
            "run",
            "-q",
            "--otlp-endpoint",
            &receiver.endpoint,
            &example("server"),
            "100", // 100 requests of 50 ms: about 5 s
        ])
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env(
            "WOBS_CACHE_DIR",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"),
        )
        .current_dir(common::root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut live = 0;
    while child.try_wait().unwrap().is_none() {
        live = receiver
            .inbox
            .spans()
            .iter()
            .filter(|s| s.span.name == "handle_request")
            .count();
        if live > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let still_running = child.try_wait().unwrap().is_none();
    let status = child.wait().unwrap();
    assert!(status.success());
    assert!(
        live > 0 && still_running,
        "no request span arrived before the guest ended"
    );
    let requests = receiver
        .inbox
        .spans()
        .iter()
        .filter(|s| s.span.name == "handle_request")
        .count();
    assert_eq!(requests, 100, "every request is a span in the end");
}

//! `wobs instrument` and `wobs run --trace`: exact calls and times, on our examples.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{example, function, record, record_env, scratch, wobs};

/// calls(n) = 2·fib(n+1) − 1.
const FIB_20_CALLS: u64 = 21_891;

#[test]
fn fib_reports_exactly_the_calls_the_recurrence_gives() {
    let dir = scratch();
    // Every call timed, so the edges are complete too.
    let (run, rec) = record(
        dir.path(),
        &["--trace", "--throttle", "off", &example("fib"), "20"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "fib(20) = 6765");
    let fib = function(&rec, "fib");
    assert_eq!(fib.calls, Some(FIB_20_CALLS));
    assert_eq!(function(&rec, "main").calls, Some(1));
    // Inclusive time of main covers fib's; fib's self time is all of its (recursive) total.
    let main = function(&rec, "main");
    assert!(main.total_ns.unwrap() >= fib.total_ns.unwrap());
    assert!(fib.self_ns.unwrap() <= fib.total_ns.unwrap() + 1000);
    let trace = rec.trace.as_ref().unwrap();
    assert_eq!(trace.unbalanced, 0);
    assert_eq!(trace.closed_at_end, 0);
    // fib calls itself 2·(calls − 1) / 2 … every call but the first comes from fib.
    let fib_id = trace.functions.iter().find(|f| f.name == "fib").unwrap().id;
    let self_calls: u64 = trace
        .edges
        .iter()
        .filter(|e| e.caller == Some((0, fib_id)) && e.callee == (0, fib_id))
        .map(|e| e.calls)
        .sum();
    assert_eq!(self_calls, FIB_20_CALLS - 1);
}

/// Throttled functions are counted in the module: their counts are exact, and only the calls
/// before the throttle are timed.
#[test]
fn throttled_functions_keep_exact_counts() {
    let dir = scratch();
    let (run, rec) = record(
        dir.path(),
        &["--trace", "--throttle", "100:1h", &example("fib"), "20"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "fib(20) = 6765");
    let trace = rec.trace.as_ref().unwrap();
    let fib = trace.functions.iter().find(|f| f.name == "fib").unwrap();
    assert_eq!(fib.calls, FIB_20_CALLS);
    // Throttled at its 100th return; the calls open then (at most fib's depth, 20) still
    // return through the host.
    let timed = fib.calls - fib.untimed_calls;
    assert!((100..=120).contains(&timed), "{timed} timed calls");
    assert_eq!(trace.unbalanced, 0);
    assert_eq!(trace.closed_at_end, 0);
}

/// A span run remembers the functions it throttled; the next span run of the same module counts
/// them without timing them from the first call, and every call is still a span or counted in one.
#[test]
fn span_runs_learn_which_functions_are_short() {
    let dir = scratch();
    let cache = dir.path().join("cache");
    let env = [("WOBS_CACHE_DIR", cache.to_str().unwrap())];
    let chrome = dir.path().join("trace.json");
    let args = [
        "--chrome-trace",
        chrome.to_str().unwrap(),
        &example("fib"),
        "20",
    ];
    let fib_of = |rec: &wobs_events::Recording| {
        let trace = rec.trace.as_ref().unwrap();
        trace
            .functions
            .iter()
            .find(|f| f.name == "fib")
            .unwrap()
            .clone()
    };
    // Every call is a kept span or counted in the kept span (or root) it happened in.
    let accounted = |rec: &wobs_events::Recording| {
        let spans = rec.spans.as_ref().unwrap();
        spans.root_filtered_calls
            + spans
                .spans
                .iter()
                .map(|s| 1 + s.filtered_calls)
                .sum::<u64>()
    };
    let all_calls = |rec: &wobs_events::Recording| {
        rec.trace
            .as_ref()
            .unwrap()
            .functions
            .iter()
            .map(|f| f.calls)
            .sum::<u64>()
    };

    let (first, rec) = record_env(dir.path(), &args, &env);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(!first.stderr.contains("earlier run"), "{}", first.stderr);
    let fib = fib_of(&rec);
    assert_eq!(fib.calls, FIB_20_CALLS);
    assert!(fib.throttled && fib.untimed_calls > 0, "{fib:?}");
    assert_eq!(accounted(&rec), all_calls(&rec));

    let (second, rec) = record_env(dir.path(), &args, &env);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.stdout, first.stdout);
    assert!(
        second.stderr.contains("counted, not timed"),
        "{}",
        second.stderr
    );
    let fib = fib_of(&rec);
    assert_eq!((fib.calls, fib.untimed_calls), (FIB_20_CALLS, FIB_20_CALLS));
    assert_eq!(accounted(&rec), all_calls(&rec));

    // `--throttle off` times every call again.
    let mut off = vec!["--throttle", "off"];
    off.extend_from_slice(&args);
    let (third, rec) = record_env(dir.path(), &off, &env);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(fib_of(&rec).untimed_calls, 0);
}

/// The counted probes (ABI v2) and the every-call probes (v1) count the same calls for every
/// function of a C program (libc's allocator) and a Rust one (std, generics, closures).
#[test]
fn counted_and_every_call_probes_count_the_same() {
    for (program, args) in [("demo", vec!["1"]), ("malloc_heavy", vec!["1"])] {
        let counts = |abi: &str| {
            let dir = scratch();
            let mut full = vec!["--trace", "--min-size", "0", "--abi", abi];
            let path = example(program);
            full.push(&path);
            full.extend(args.iter().copied());
            let (run, rec) = record(dir.path(), &full);
            assert_eq!(run.code, 0, "{program} {abi}: {}", run.stderr);
            let mut counts: Vec<(String, u64)> = rec
                .trace
                .unwrap()
                .functions
                .into_iter()
                .map(|f| (f.name, f.calls))
                .collect();
            counts.sort();
            (counts, run.stdout)
        };
        let (v2, out2) = counts("wobs");
        let (v1, out1) = counts("wobs-v1");
        assert_eq!(out1, out2, "{program}");
        assert!(v1.len() > 10, "{program}: {v1:?}");
        assert_eq!(v1, v2, "{program}");
    }
}

#[test]
fn instrumented_file_runs_and_prints_the_same() {
    let dir = scratch();
    let out = dir.path().join("fib.instr.wasm");
    let out_arg = out.to_str().unwrap();
    let made = wobs(&["instrument", &example("fib"), "-o", out_arg]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(made.stderr.contains("instrumented"), "{}", made.stderr);
    let plain = wobs(&["run", "-q", &example("fib"), "20"]);
    let (run, rec) = record(dir.path(), &[out_arg, "20"]);
    assert_eq!(run.stdout, plain.stdout);
    assert_eq!(function(&rec, "fib").calls, Some(FIB_20_CALLS));
    // The report's JSON carries the exact figures.
    let rec_path = dir.path().join("rec.json");
    let json = wobs(&["report", rec_path.to_str().unwrap(), "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let fib = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "fib")
        .unwrap();
    assert_eq!(fib["calls"], FIB_20_CALLS);
    assert!(fib["self_ns"].as_u64().unwrap() > 0 && fib["total_ns"].as_u64().unwrap() > 0);

    // Instrumenting twice is refused with a clear message.
    let again = wobs(&[
        "instrument",
        out_arg,
        "-o",
        dir.path().join("x.wasm").to_str().unwrap(),
    ]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already instrumented"),
        "{}",
        again.stderr
    );
}

#[test]
fn observe_abi_modules_run_too() {
    let dir = scratch();
    let out = dir.path().join("fib.observe.wasm");
    let made = wobs(&[
        "instrument",
        "--abi",
        "observe",
        &example("fib"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes
        .windows(26)
        .any(|w| w == b"dylibso:observe/instrument"));
    let (run, rec) = record(dir.path(), &[out.to_str().unwrap(), "20"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(function(&rec, "fib").calls, Some(FIB_20_CALLS));
}

#[test]
fn trap_in_nested_calls_closes_every_open_frame() {
    let dir = scratch();
    let (run, rec) = record(
        dir.path(),
        &["--trace", "--min-size", "0", &example("trap")],
    );
    assert_eq!(run.code, 134);
    // Backtrace still resolves to the original source line through the rewritten DWARF.
    assert!(
        run.stderr.contains("at examples/c/trap.c:24:14"),
        "{}",
        run.stderr
    );
    let trace = rec.trace.as_ref().unwrap();
    assert_eq!(trace.unbalanced, 0);
    // _start … main → compute → divide were open when it trapped.
    assert!(trace.closed_at_end >= 3, "{}", trace.closed_at_end);
    assert_eq!(function(&rec, "divide").calls, Some(1));
    let compute = function(&rec, "compute");
    assert!(compute.total_ns.unwrap() >= function(&rec, "divide").total_ns.unwrap());
}

#[test]
fn instrumented_preload_is_traced_as_its_own_module() {
    let dir = scratch();
    let lib = dir.path().join("lib.instr.wasm");
    let made = wobs(&["instrument", &example("lib"), "-o", lib.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let preload = format!("lib={}", lib.display());
    let (run, rec) = record(dir.path(), &["--preload", &preload, &example("driver")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lib_work = function(&rec, "lib_work");
    assert_eq!(lib_work.module, 1);
    // driver.c's 100 rounds call it once each.
    assert_eq!(lib_work.calls, Some(100));
    assert!(
        lib_work.self_samples > 0,
        "samples in an instrumented preload are symbolized"
    );
}

#[test]
fn memory_growth_is_counted() {
    let dir = scratch();
    let (run, rec) = record(
        dir.path(),
        &[
            "--trace",
            "--memory",
            "--include",
            "sbrk",
            &example("malloc_heavy"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let trace = rec.trace.as_ref().unwrap();
    assert!(trace.memory_grows >= 1, "{trace:?}");
    assert!(trace.pages_requested >= trace.memory_grows);
}

//! Exit codes, traps, timeouts and bad input behave like `wasmtime run`, and outputs are still written.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{example, record, scratch, wobs};
use wobs_events::Outcome;

#[test]
fn trap_exits_like_wasmtime_with_a_symbolized_backtrace_and_writes_outputs() {
    let dir = scratch();
    let folded = dir.path().join("trap.folded");
    let (run, rec) = record(
        dir.path(),
        &["--folded", folded.to_str().unwrap(), &example("trap")],
    );
    assert_eq!(run.code, 134, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "trap: about to divide by zero");
    assert!(
        run.stderr.contains("integer divide by zero"),
        "{}",
        run.stderr
    );
    // The trapping statement, then its callers, each with file:line:col.
    let divide = run.stderr.find("trap!divide").expect("divide frame");
    let compute = run.stderr.find("trap!compute").expect("compute frame");
    assert!(divide < compute);
    assert!(
        run.stderr.contains("at examples/c/trap.c:24:14"),
        "{}",
        run.stderr
    );
    let Outcome::Trapped { backtrace, .. } = &rec.run.outcome else {
        panic!("outcome {:?}", rec.run.outcome)
    };
    assert_eq!(backtrace[0].frames[0].function, "divide");
    assert_eq!(backtrace[0].frames[0].line, Some(24));
    // Samples taken before the trap are kept and exported.
    assert!(rec.run.samples_taken > 10);
    let text = std::fs::read_to_string(&folded).unwrap();
    assert!(text.contains(";warm_up "), "{text}");
}

#[test]
fn proc_exit_status_is_the_exit_code() {
    let run = wobs(&["run", "-q", &example("exit_code")]);
    assert_eq!(run.code, 3);
    assert_eq!(run.stdout.trim(), "exit_code: exiting with status 3");
}

#[test]
fn timeout_stops_the_guest_exits_134_and_keeps_the_profile() {
    let dir = scratch();
    // Scale 100 would run ~40 s.
    let (run, rec) = record(
        dir.path(),
        &["--timeout", "300ms", &example("twice"), "100"],
    );
    assert_eq!(run.code, 134, "{}", run.stderr);
    assert_eq!(rec.run.outcome, Outcome::TimedOut { limit_ms: 300 });
    assert!(
        rec.run.duration_ns < 5_000_000_000,
        "{}",
        rec.run.duration_ns
    );
    assert!(rec.run.samples_taken > 50);
    // The rounds run before the limit: work_two's twice the work leads.
    assert_eq!(rec.functions[0].name, "work_two");
    assert_eq!(rec.functions[1].name, "work_one");
}

/// A guest blocked in a host call (reading a stdin that stays open) never reaches an epoch check;
/// the timeout still ends the run, from outside, with exit 134 and the outputs written — at once
/// for code without checks (the exact sampler's), after a grace second for code with them.
#[test]
fn timeout_ends_a_guest_blocked_in_a_host_call() {
    for sampler in ["exact", "epoch"] {
        let dir = scratch();
        let rec = dir.path().join("rec.json");
        let folded = dir.path().join("stacks.folded");
        let args = [
            "run",
            "-q",
            "-o",
            rec.to_str().unwrap(),
            "--folded",
            folded.to_str().unwrap(),
            "--sampler",
            sampler,
            "--timeout",
            "500ms",
            &example("wait_input"),
        ];
        let mut child = common::wobs_command(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let _input = child.stdin.take(); // held open: the guest waits for input forever
        let status = common::wait_at_most(&mut child, std::time::Duration::from_secs(30));
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(134), "{sampler}: {stderr}");
        let rec: wobs_events::Recording =
            serde_json::from_slice(&std::fs::read(&rec).unwrap()).unwrap();
        assert_eq!(rec.run.outcome, Outcome::TimedOut { limit_ms: 500 });
        assert!(folded.exists(), "{sampler}");
        let ended_outside = stderr.contains("ended from outside");
        assert_eq!(ended_outside, sampler == "epoch", "{sampler}: {stderr}");
        if sampler == "exact" {
            // The call never returns, so no call hook attaches a stack: the handler walks from the
            // host code (built with frame pointers) up to the wasm frames that made the call.
            let taken = rec.run.samples_taken;
            let in_read = common::function(&rec, "[host] fd_read").self_samples;
            let under_getchar = common::function(&rec, "getchar").total_samples;
            assert!(taken >= 300, "{taken} samples in 500 ms at 1 ms");
            assert!(in_read * 100 >= taken * 95, "fd_read: {in_read} of {taken}");
            assert!(
                under_getchar >= in_read,
                "getchar: {under_getchar} of {taken}"
            );
        }
    }
}

/// A timeout in probed code keeps what probes measured: the exact call figures of the calls it
/// cut short (that needs epoch checks, so such a run has them).
#[test]
fn timeout_in_traced_code_keeps_the_exact_call_figures() {
    let dir = scratch();
    let (run, rec) = record(
        dir.path(),
        &["--trace", "--timeout", "300ms", &example("twice"), "100"],
    );
    assert_eq!(run.code, 134, "{}", run.stderr);
    assert_eq!(rec.run.outcome, Outcome::TimedOut { limit_ms: 300 });
    assert!(rec.trace.is_some(), "no call figures");
    // main's one call never returned: it is counted all the same, and so is the round's call
    // that was cut (work_one and work_two alternate, work_one first).
    let calls = |name: &str| common::function(&rec, name).calls.unwrap_or(0);
    assert_eq!(calls("main"), 1, "the cut call is counted");
    let (one, two) = (calls("work_one"), calls("work_two"));
    assert!(one >= 1 && (one == two || one == two + 1), "{one} {two}");
}

#[test]
fn malformed_module_is_one_line_error_and_exit_1() {
    let dir = scratch();
    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0f garbage").unwrap();
    let run = wobs(&["run", bad.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: ") && run.stderr.contains("bad.wasm"),
        "{}",
        run.stderr
    );

    let run = wobs(&["run", "no/such/file.wasm"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot read no/such/file.wasm"),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_import_fails_to_link_or_traps_when_asked() {
    let dir = scratch();
    let (run, rec) = record(dir.path(), &[&example("driver")]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("lib::lib_work"), "{}", run.stderr);
    assert!(matches!(rec.run.outcome, Outcome::Failed { .. }));

    let run = wobs(&["run", "-q", "--trap-unknown-imports", &example("driver")]);
    assert_eq!(run.code, 134, "{}", run.stderr);
}

#[test]
fn invoke_calls_a_reactor_export_and_prints_its_result() {
    let compute = |arg: &str| wobs(&["run", "-q", "--invoke", "compute", &example("reactor"), arg]);
    let run = compute("1000");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "-1634778991");

    let run = compute("ten");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("`ten`"), "{}", run.stderr);

    let run = wobs(&["run", "-q", &example("reactor")]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--invoke"), "{}", run.stderr);
}

#[test]
fn guest_arguments_pass_through_including_dashes() {
    // twice.c reads argv[1] as its scale; scale 2 has a known checksum.
    let run = wobs(&["run", "-q", &example("twice"), "2"]);
    assert_eq!(run.stdout.trim(), "twice: checksum df592f00");
}

#[test]
fn sampling_off_still_runs_and_reports_no_samples() {
    let dir = scratch();
    let (run, rec) = record(dir.path(), &["--interval", "0", &example("twice")]);
    assert_eq!(run.code, 0);
    assert_eq!(rec.run.samples_taken, 0);
    assert_eq!(rec.run.interval_ns, 0);
}

#[test]
fn flags_after_the_module_belong_to_the_guest() {
    // `-q` after the module is the guest's: wobs must still print its table.
    let run = wobs(&["run", &example("twice"), "1", "-q"]);
    assert!(run.stderr.contains("work_two"), "{}", run.stderr);
}

#[test]
fn ctrl_c_stops_the_guest_exits_130_and_writes_outputs() {
    let dir = scratch();
    let rec = dir.path().join("rec.json");
    let folded = dir.path().join("int.folded");
    let args = [
        "run",
        "-q",
        "-o",
        rec.to_str().unwrap(),
        "--folded",
        folded.to_str().unwrap(),
        &example("twice"),
        "100",
    ];
    let child = common::wobs_command(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let recording: wobs_events::Recording =
        serde_json::from_slice(&std::fs::read(&rec).unwrap()).unwrap();
    assert_eq!(recording.run.outcome, Outcome::Interrupted);
    assert!(recording.run.samples_taken > 50);
    assert!(std::fs::read_to_string(&folded)
        .unwrap()
        .contains("work_one"));
}

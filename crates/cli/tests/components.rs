//! Components run, profile and symbolize like modules: every nested core module is a code unit
//! with its own name and DWARF, and stacks cross from one to another. The components are our C
//! examples wrapped by `wit-component` with wasmtime's preview-1 adapter, built by the test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{component, function, marked_line, record, scratch, wobs};
use wobs_events::{Outcome, Recording};

/// The code units of an example wrapped as a command component, in binary order.
const UNITS: [&str; 4] = [
    "main",
    "wit-component:adapter:wasi_snapshot_preview1",
    "wit-component-shim-module",
    "wit-component-fixup",
];

/// The name of the unit a frame is in (`[host]` for a host frame).
fn unit(rec: &Recording, frame: u32) -> &str {
    let module = rec.frames[frame as usize].module as usize;
    rec.modules
        .get(module)
        .map_or("[host]", |m| m.name.as_str())
}

#[test]
fn a_component_splits_two_to_one_with_its_modules_own_dwarf() {
    let dir = scratch();
    let twice = component(dir.path(), "twice", "command");
    let (run, rec) = record(
        dir.path(),
        &["--interval", "200us", "--clock", "cpu", &twice],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "twice: checksum 3446e358");
    let names: Vec<&str> = rec.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, UNITS);
    let (one, two) = (function(&rec, "work_one"), function(&rec, "work_two"));
    common::assert_recorded_share(
        &rec,
        "work_two:work_one in a component",
        two.self_samples,
        one.self_samples + two.self_samples,
        2.0 / 3.0,
        0.0,
        800,
    );
    assert_eq!(two.file.as_deref(), Some("examples/c/twice.c"));
    assert_eq!(two.line, Some(marked_line("twice.c", "HOT LOOP work_two")));
    // One stack crosses units: the adapter's `wasi:cli/run#run` calls main's `_start`.
    let hot = rec
        .samples
        .iter()
        .map(|s| &rec.stacks[s.stack as usize].frames)
        .find(|frames| rec.frames[*frames.last().unwrap() as usize].function == "work_two")
        .expect("a work_two sample");
    assert_eq!(unit(&rec, hot[0]), UNITS[1]);
    assert!(
        rec.frames[hot[0] as usize]
            .function
            .starts_with("wasi:cli/run@"),
        "{:?}",
        rec.frames[hot[0] as usize]
    );
    assert_eq!(unit(&rec, *hot.last().unwrap()), "main");
}

#[test]
fn the_epoch_sampler_resolves_component_frames_too() {
    let dir = scratch();
    let twice = component(dir.path(), "twice", "command");
    let (run, rec) = record(dir.path(), &["--sampler", "epoch", &twice]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(rec.functions[0].name, "work_two");
    assert_eq!(
        rec.functions[0].line,
        Some(marked_line("twice.c", "uint32_t work_two("))
    );
    assert_eq!(unit(&rec, rec.stacks[0].frames[0]), UNITS[1]);
}

/// Time blocked in a WASI 0.2 call is on a host frame named after the WIT function, under the
/// adapter and shim frames that made the call.
#[test]
fn host_calls_of_a_component_name_the_wit_function() {
    let dir = scratch();
    let sleepy = component(dir.path(), "sleepy", "command");
    let (run, rec) = record(dir.path(), &["--interval", "1ms", &sleepy]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let poll = function(&rec, "[host] wasi:io/poll#poll");
    // The guest measures its own split (busy loop : nanosleep) and prints it.
    let sleep_share: f64 = run
        .stdout
        .split("sleep share ")
        .nth(1)
        .and_then(|rest| rest.trim().strip_suffix('%'))
        .and_then(|share| share.parse().ok())
        .unwrap_or_else(|| panic!("no sleep share in {:?}", run.stdout));
    // 3 points for what the guest's own clock readings leave out (start-up, the printf).
    common::assert_recorded_share(
        &rec,
        "[host] wasi:io/poll#poll",
        poll.self_samples,
        rec.run.samples_taken,
        sleep_share / 100.0,
        0.03,
        300,
    );
    let stack = rec
        .stacks
        .iter()
        .find(|s| rec.frames[*s.frames.last().unwrap() as usize].function == poll.name)
        .unwrap();
    let callers: Vec<&str> = stack.frames.iter().map(|&f| unit(&rec, f)).collect();
    for name in ["main", UNITS[1], UNITS[2]] {
        assert!(callers.contains(&name), "{callers:?}");
    }
}

#[test]
fn a_trapping_component_exits_134_with_a_symbolized_backtrace() {
    let dir = scratch();
    let trap = component(dir.path(), "trap", "command");
    let (run, rec) = record(dir.path(), &[&trap]);
    assert_eq!(run.code, 134, "{}", run.stderr);
    assert!(run.stderr.contains("main!divide"), "{}", run.stderr);
    assert!(
        run.stderr.contains("at examples/c/trap.c:24:14"),
        "{}",
        run.stderr
    );
    let Outcome::Trapped { backtrace, .. } = &rec.run.outcome else {
        panic!("{:?}", rec.run.outcome)
    };
    assert_eq!(backtrace[0].frames[0].function, "divide");
}

/// WASI 0.2's `exit` takes ok or err: a nonzero `proc_exit` status through the adapter is err,
/// exit code 1, as under `wasmtime run`.
#[test]
fn a_component_exit_status_is_ok_or_err() {
    let dir = scratch();
    let exit = component(dir.path(), "exit_code", "command");
    let run = wobs(&["run", "-q", &exit]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "exit_code: exiting with status 3");
}

#[test]
fn what_cannot_run_as_a_component_says_why_in_one_line() {
    let dir = scratch();
    let reactor = component(dir.path(), "reactor", "reactor");
    let run = wobs(&["run", "-q", &reactor]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("exports no wasi:cli/run"),
        "{}",
        run.stderr
    );
}

/// Truncated and byte-flipped components through every verb that takes them: a one-line error
/// or a run, never a panic.
#[test]
fn damaged_components_never_panic() {
    let dir = scratch();
    let twice = component(dir.path(), "twice", "command");
    let bytes = std::fs::read(&twice).unwrap();
    let damaged = dir.path().join("damaged.wasm");
    let damaged_path = damaged.to_str().unwrap();
    let instrumented = dir.path().join("out.wasm");
    let verbs: [Vec<&str>; 6] = [
        vec!["run", "-q", "--timeout", "10s", damaged_path],
        // Never a proxy, so it never serves: it must fail in one line however damaged.
        vec!["serve", "--addr", "127.0.0.1:0", damaged_path],
        [
            debug_args("10s", &["break main", "run", "bt", "next", "continue"]),
            vec![damaged_path],
        ]
        .concat(),
        vec!["run", "-q", "--trace", "--timeout", "10s", damaged_path],
        vec![
            "instrument",
            damaged_path,
            "-o",
            instrumented.to_str().unwrap(),
        ],
        vec!["bench", "--timeout", "10s", damaged_path],
    ];
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..8 {
        let mut copy = bytes.clone();
        match round {
            0..=2 => copy.truncate((next() % copy.len() as u64) as usize),
            _ => {
                for _ in 0..4 {
                    let at = (next() % copy.len() as u64) as usize;
                    copy[at] = next() as u8;
                }
            }
        }
        std::fs::write(&damaged, &copy).unwrap();
        for args in &verbs {
            let run = wobs(args);
            assert!(
                !run.stderr.contains("panicked") && run.code != 101,
                "round {round}, {args:?}: {}",
                run.stderr
            );
            if args[0] == "serve" {
                assert_eq!(run.code, 1, "round {round}: {}", run.stderr);
            }
            if run.code == 1 && run.stderr.starts_with("error:") {
                assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
            }
        }
    }
}

/// A component exporting `add: func(a: u32, b: u32) -> u32` and, in an exported interface,
/// `spin: func(rounds: u32) -> result<u32, string>`, from a hand-written core module. It imports
/// an interface no host provides (`wobs:test/missing`, a resource and `poke`), which
/// `poke-missing` calls.
fn calculator(dir: &std::path::Path) -> String {
    let wit = r#"
        package wobs:test;
        interface work { spin: func(rounds: u32) -> result<u32, string>; }
        interface missing { resource handle; poke: func() -> u32; }
        world calculator {
            import missing;
            export add: func(a: u32, b: u32) -> u32;
            export poke-missing: func() -> u32;
            export work;
        }
    "#;
    // `spin` returns ok(rounds xorshift rounds of 1) through a return area in memory.
    let wat = r#"(module
        (import "wobs:test/missing" "poke" (func $poke (result i32)))
        (memory (export "memory") 1)
        (func (export "poke-missing") (result i32) call $poke)
        (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
        (func (export "wobs:test/work#spin") (param $n i32) (result i32) (local $x i32)
            i32.const 1 local.set $x
            block loop
                local.get $n i32.eqz br_if 1
                local.get $x local.get $x i32.const 13 i32.shl i32.xor local.set $x
                local.get $x local.get $x i32.const 17 i32.shr_u i32.xor local.set $x
                local.get $x local.get $x i32.const 5 i32.shl i32.xor local.set $x
                local.get $n i32.const 1 i32.sub local.set $n
                br 0
            end end
            i32.const 16 i32.const 0 i32.store8
            i32.const 20 local.get $x i32.store
            i32.const 16)
        (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
    )"#;
    let mut resolve = wit_parser::Resolve::default();
    let package = resolve.push_str("calculator.wit", wit).unwrap();
    let world = resolve.select_world(&[package], None).unwrap();
    let mut module = wat::parse_str(wat).unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap();
    let path = dir.join("calculator.wasm");
    std::fs::write(&path, component).unwrap();
    path.to_str().unwrap().to_string()
}

/// `--invoke` calls a component's export with WAVE arguments and prints WAVE results, as
/// `wasmtime run --invoke` does; exports of exported interfaces are found by their name.
/// `--trap-unknown-imports` stubs the interface nobody provides (its resource too): linking
/// succeeds, and only calling it traps.
#[test]
fn invoke_calls_a_component_export_in_wave() {
    let dir = scratch();
    let calculator = calculator(dir.path());
    let unknown = "--trap-unknown-imports";
    let run = wobs(&["run", "-q", unknown, "--invoke", "add(40, 2)", &calculator]);
    assert_eq!((run.code, run.stdout.trim()), (0, "42"), "{}", run.stderr);
    let run = wobs(&["run", "-q", unknown, "--invoke", "spin(3)", &calculator]);
    let mut x = 1u32;
    for _ in 0..3 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
    }
    assert_eq!(run.stdout.trim(), format!("ok({x})"), "{}", run.stderr);
    for (call, error) in [
        ("nothing()", "exports no function `nothing`"),
        ("add(1)", "arguments of `add`"),
        ("add(1,", "--invoke `add(1,`"),
    ] {
        let run = wobs(&["run", "-q", unknown, "--invoke", call, &calculator]);
        assert_eq!(run.code, 1, "{call}: {}", run.stderr);
        assert!(run.stderr.contains(error), "{call}: {}", run.stderr);
    }
    let unlinked = wobs(&["run", "-q", "--invoke", "add(1, 2)", &calculator]);
    assert_eq!(unlinked.code, 1);
    assert!(
        unlinked.stderr.contains("wobs:test/missing"),
        "{}",
        unlinked.stderr
    );
    let poked = wobs(&[
        "run",
        "-q",
        unknown,
        "--invoke",
        "poke-missing()",
        &calculator,
    ]);
    assert_eq!(poked.code, 134, "{}", poked.stderr);
    assert!(
        poked
            .stderr
            .contains("`wobs:test/missing#poke` has not been defined"),
        "{}",
        poked.stderr
    );
}

/// The share of samples whose leaf is a named function (not `wasm-function[N]`, not a bare
/// `[host]`).
fn named_leaf_share(rec: &Recording) -> f64 {
    let named = rec
        .samples
        .iter()
        .filter(|s| {
            let leaf = *rec.stacks[s.stack as usize].frames.last().unwrap();
            let name = &rec.frames[leaf as usize].function;
            !name.starts_with("wasm-function[") && name != "[host]"
        })
        .count();
    named as f64 / rec.samples.len().max(1) as f64
}

/// StarlingMonkey with its http features imports wasi:http even for a command: it links with
/// `-S http` only, and says so without it.
#[test]
fn a_component_that_imports_wasi_http_needs_s_http() {
    let Some(js) = common::third_party_component("js-http") else {
        return;
    };
    let js = js.to_str().unwrap();
    let refused = wobs(&["run", "-q", js]);
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("-S http"), "{}", refused.stderr);
    let run = wobs(&["run", "-q", "-S", "http", js]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        "js: primes<100000=9592 machine=3584181954"
    );
    let unknown = wobs(&["run", "-q", "-S", "bogus", js]);
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("-S bogus"), "{}", unknown.stderr);
}

/// CPython built into a component by componentize-py: 14 core modules, each named after its
/// shared library and symbolized with its own names; the eval loop is where the time goes.
#[test]
fn a_componentize_py_component_runs_with_every_library_named() {
    let Some(python) = common::third_party_component("python") else {
        return;
    };
    let dir = scratch();
    let (run, rec) = record(dir.path(), &[python.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        "python: primes<250000=22044 machine=4292231391"
    );
    let units: Vec<&str> = rec.modules.iter().map(|m| m.name.as_str()).collect();
    for library in ["main", "libc.so", "libpython3.14.so", UNITS[1]] {
        assert!(units.contains(&library), "{units:?}");
    }
    let share = named_leaf_share(&rec);
    assert!(share >= 0.9, "{:.1}% of samples named", share * 100.0);
    let eval = function(&rec, "_PyEval_EvalFrameDefault");
    assert_eq!(
        rec.modules[eval_unit(&rec, &eval.name)].name,
        "libpython3.14.so"
    );
    assert!(eval.total_samples * 2 >= rec.run.samples_taken, "{eval:?}");
}

/// The unit of the first frame of function `name`.
fn eval_unit(rec: &Recording, name: &str) -> usize {
    rec.frames
        .iter()
        .find(|f| f.function == name)
        .unwrap()
        .module as usize
}

/// JavaScript in StarlingMonkey built by componentize-js.
#[test]
fn a_componentize_js_component_runs_with_named_frames() {
    let Some(js) = common::third_party_component("js") else {
        return;
    };
    let dir = scratch();
    let (run, rec) = record(dir.path(), &[js.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim(),
        "js: primes<100000=9592 machine=3584181954"
    );
    let share = named_leaf_share(&rec);
    assert!(share >= 0.9, "{:.1}% of samples named", share * 100.0);
}

/// `--trace` instruments every top-level core module of a component in memory: exact call counts
/// (twice.c's main runs 100 rounds of each worker), and the program computes the same.
#[test]
fn a_traced_component_counts_every_call() {
    let dir = scratch();
    let twice = component(dir.path(), "twice", "command");
    let (run, rec) = record(dir.path(), &["--trace", &twice]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "twice: checksum 3446e358");
    for name in ["work_one", "work_two"] {
        let row = function(&rec, name);
        assert_eq!(row.calls, Some(100), "{name}");
        assert_eq!(row.file.as_deref(), Some("examples/c/twice.c"), "{name}");
    }
    assert_eq!(function(&rec, "main").calls, Some(1));
    // The adapter is instrumented too: its `wasi:cli/run#run` export is called once.
    let run_export = rec
        .functions
        .iter()
        .find(|f| f.name.starts_with("wasi:cli/run@"))
        .expect("the adapter's run export");
    assert_eq!(run_export.calls, Some(1));
}

/// `wobs instrument` writes a valid component that computes the same; running it gives the exact
/// call counts (counted probes: read through the component's `wobs-counts-u0` export), and spans
/// come out of it.
#[test]
fn an_instrumented_component_file_runs_with_its_probes() {
    let dir = scratch();
    let twice = component(dir.path(), "twice", "command");
    let out = dir.path().join("twice.instr.wasm");
    let made = wobs(&["instrument", &twice, "-o", out.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(
        made.stderr.contains("[main]: instrumented"),
        "{}",
        made.stderr
    );
    let bytes = std::fs::read(&out).unwrap();
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .unwrap();
    let trace = dir.path().join("trace.json");
    let (run, rec) = record(
        dir.path(),
        &[
            "--chrome-trace",
            trace.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "twice: checksum 3446e358");
    // work_two is a leaf: counted in the module, never timed, so its count is the export's.
    assert_eq!(function(&rec, "work_two").calls, Some(100));
    let trace = std::fs::read_to_string(&trace).unwrap();
    // main calls work_one and work_two: timed, a span.
    assert!(trace.contains("\"main\""), "{trace}");
}

/// `wobs bench` on a component: the probes' fuel comes out exactly (the probed total equals the
/// unprobed one), functions are named `unit!function`, and twice.c's split is 2:1 in fuel.
#[test]
fn bench_figures_of_a_component_are_exact() {
    let dir = scratch();
    let twice = component(dir.path(), "twice", "command");
    let report = |extra: &[&str]| -> serde_json::Value {
        let json = dir.path().join(format!("bench{}.json", extra.len()));
        let mut args = vec!["bench", "--json", json.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(&twice);
        let run = wobs(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
    };
    let probed = report(&[]);
    let plain = report(&["--no-probes"]);
    let case = &probed["results"]["cases"][0];
    let total = case["fuel"]["total"].as_u64().unwrap();
    assert_eq!(
        total,
        plain["results"]["cases"][0]["fuel"]["total"]
            .as_u64()
            .unwrap()
    );
    let self_fuel = |name: &str| {
        case["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {case}"))["self_fuel"]
            .as_u64()
            .unwrap() as f64
    };
    let ratio = self_fuel("main!work_two") / self_fuel("main!work_one");
    assert!((ratio - 2.0).abs() < 1e-3, "{ratio}");
}

/// `debug --batch --timeout TIMEOUT` with each of `commands` as an `-ex`.
fn debug_args<'a>(timeout: &'a str, commands: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["debug", "--batch", "--timeout", timeout];
    for command in commands {
        args.extend(["-ex", command]);
    }
    args
}

/// Runs `wobs debug --batch` on `component` with `commands`.
fn debug_batch(component: &str, commands: &[&str]) -> common::Run {
    let mut args = debug_args("60s", commands);
    args.push(component);
    wobs(&args)
}

#[test]
fn the_debugger_stops_steps_and_reads_values_in_a_component() {
    let dir = scratch();
    let debugme = component(dir.path(), "debugme", "command");
    let run = debug_batch(
        &debugme,
        &[
            "break area",
            "run",
            "bt",
            "info args",
            "print *r",
            "finish",
            "next",
            "print a",
            "continue",
        ],
    );
    let out = &run.stdout;
    assert_eq!(run.code, 0, "{out}\n{}", run.stderr);
    // The breakpoint by name is in the main module, with its own DWARF's file and line; the
    // backtrace ends at main, as gdb's (the C runtime's `_start` and the adapter's
    // `wasi:cli/run#run` below it are not the user's); values are read through the unit's memory.
    let area = marked_line("debugme.c", "int w = r->width;");
    let main = marked_line("debugme.c", "stop: main");
    common::assert_contains(
        out,
        &[
            &format!("file examples/c/debugme.c, line {area}."),
            &format!("Breakpoint 1, area (r=0x112a0) at examples/c/debugme.c:{area}"),
            &format!("in main () at examples/c/debugme.c:{main}"),
            "$1 = {origin = {x = 1, y = 2}, width = 4, height = 5, color = GREEN}",
            "Value returned is $2 = 20",
            "$3 = 20",
            "[Inferior 1 (wasm) exited normally]",
        ],
    );
    assert!(!out.contains("in _start ("), "{out}");
}

#[test]
fn breakpoints_name_the_module_they_are_in() {
    let dir = scratch();
    let debugme = component(dir.path(), "debugme", "command");
    const ADAPTER: &str = "wit-component:adapter:wasi_snapshot_preview1";
    let run = debug_batch(
        &debugme,
        &[
            "break main!*0x1b6",
            "run",
            // A step first: ending single-stepping must keep every module's breakpoints.
            "next",
            &format!("break {ADAPTER}!fd_write"),
            "continue",
            "bt",
            "kill",
        ],
    );
    let out = &run.stdout;
    assert_eq!(run.code, 0, "{out}\n{}", run.stderr);
    // An offset names its module (0x1b6 is area's first statement in main); the adapter's
    // fd_write, which main's printf reaches through libc and a shim module, stops with one stack
    // through three modules, also when set after a step (wasmtime 48 re-patches a component's
    // shared code module by module when single-stepping ends).
    common::assert_contains(
        out,
        &[
            "Breakpoint 1 at 0x1b6: file examples/c/debugme.c",
            "Breakpoint 1, area (r=0x112a0)",
            &format!("Breakpoint 2, 0x00001a26 in fd_write () from {ADAPTER}"),
            "in adapt-wasi_snapshot_preview1-fd_write () from wit-component-shim-module",
            " in printf (fmt=0x",
            " in main () at examples/c/debugme.c:",
        ],
    );
    let run = debug_batch(&debugme, &["break nowhere!main"]);
    assert!(
        run.stdout.contains("No module named nowhere."),
        "{}",
        run.stdout
    );
}

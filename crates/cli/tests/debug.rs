//! `wobs debug --batch`: gdb's commands on `examples/c/debugme.c` (-O0), whose values are known
//! from its source.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{example, wobs};

/// Runs a batch session with `commands` on debugme.wasm.
fn batch(commands: &[&str]) -> common::Run {
    let module = example("debugme");
    let mut args = vec!["debug", "--batch"];
    for command in commands {
        args.push("-ex");
        args.push(command);
    }
    args.push(&module);
    wobs(&args)
}

/// The line number of the `// stop: NAME` marker in debugme.c.
fn marker(name: &str) -> u32 {
    let source = std::fs::read_to_string(common::root().join("examples/c/debugme.c")).unwrap();
    let index = source
        .lines()
        .position(|l| l.ends_with(&format!("// stop: {name}")))
        .unwrap();
    index as u32 + 1
}

#[test]
fn breakpoint_on_a_function_stops_with_its_arguments_and_source_line() {
    let run = batch(&["break area", "run", "bt", "info args", "finish", "continue"]);
    let out = &run.stdout;
    assert_eq!(run.code, 0, "{out}\n{}", run.stderr);
    assert!(out.contains("Breakpoint 1 at 0x"), "{out}");
    assert!(out.contains("file examples/c/debugme.c, line"), "{out}");
    // The stop names the function, its argument, the file and the first statement's line.
    assert!(out.contains("\nBreakpoint 1, area (r=0x"), "{out}");
    assert!(out.contains("int w = r->width;"), "{out}");
    // Two frames: area, then main at its call of area.
    let main_line = marker("main");
    assert!(out.contains("#0  area (r=0x"), "{out}");
    assert!(
        out.contains(&format!("in main () at examples/c/debugme.c:{main_line}")),
        "{out}"
    );
    // finish returns to main, inside the line of the call (so with its address, as gdb), with
    // area's result: 4 * 5. In batch mode gdb leaves out "Run till exit from …" (it is for a
    // person at a terminal), and so does wobs.
    assert!(
        out.contains(&format!(
            "\n0x00000518 in main () at examples/c/debugme.c:{main_line}\n"
        )),
        "{out}"
    );
    assert!(!out.contains("Run till exit"), "{out}");
    assert!(out.contains("Value returned is $1 = 20"), "{out}");
    // The guest's own output comes through, then it exits normally.
    assert!(out.contains("2 3 10 2 hello A"), "{out}");
    assert!(out.contains("[Inferior 1 (wasm) exited normally]"), "{out}");
}

#[test]
fn line_breakpoints_step_and_print_values() {
    let stop = marker("area");
    let run = batch(&[
        &format!("break debugme.c:{stop}"),
        "run",
        "info locals",
        "print result",
        "print r->width",
        "print *r",
        "up",
        "print p",
        "print numbers",
        "print greeting",
        "print color",
        "next",
        "kill",
    ]);
    let out = &run.stdout;
    assert!(out.contains("w = 4"), "{out}");
    assert!(out.contains("h = 5"), "{out}");
    assert!(out.contains("$1 = 20"), "{out}");
    assert!(out.contains("$2 = 4"), "{out}");
    assert!(
        out.contains("$3 = {origin = {x = 1, y = 2}, width = 4, height = 5, color = GREEN}"),
        "{out}"
    );
    assert!(out.contains("#1  "), "{out}");
    assert!(out.contains("$4 = {x = 2, y = 3}"), "{out}");
    assert!(out.contains("$5 = {10, 20, 30, 40}"), "{out}");
    assert!(out.contains("$6 = 0x"), "{out}");
    assert!(out.contains("\"hello\""), "{out}");
    assert!(out.contains("$7 = BLUE"), "{out}");
    // `next` on area's last line returns to the caller's line.
    let main_line = marker("main");
    assert!(
        out.contains(&format!(
            "main () at examples/c/debugme.c:{main_line}\n{main_line}\t"
        )),
        "{out}"
    );
    // Killed before the end: no exit line, exit code 0.
    assert!(!out.contains("exited"), "{out}");
}

#[test]
fn errors_are_one_line_and_unknown_locations_do_not_stop_the_run() {
    let run = batch(&["break no_such_function", "print x", "frobnicate", "run"]);
    let out = &run.stdout;
    assert!(
        out.contains("Function \"no_such_function\" not defined."),
        "{out}"
    );
    assert!(out.contains("Undefined command: \"frobnicate\""), "{out}");
    assert!(out.contains("[Inferior 1 (wasm) exited normally]"), "{out}");
    assert_eq!(run.code, 0);
}

#[test]
fn a_trap_stops_post_mortem_with_the_guest_exit_code() {
    let module = example("trap");
    let run = wobs(&[
        "debug", "--batch", "-ex", "run", "-ex", "bt", "-ex", "continue", &module,
    ]);
    let out = &run.stdout;
    assert!(out.contains("Program received a wasm trap"), "{out}");
    assert!(out.contains("#0  "), "{out}");
    assert!(out.contains("Program terminated with a wasm trap"), "{out}");
    assert_eq!(run.code, 134, "{out}\n{}", run.stderr);
}

#[test]
fn step_enters_calls_past_the_prologue_and_inlined_calls_are_frames() {
    let main_line = marker("main");
    let run = batch(&[
        &format!("break {main_line}"),
        "run",
        "step",
        "delete",
        "break twice",
        "continue",
        "bt",
        "finish",
        "kill",
    ]);
    let out = &run.stdout;
    // `step` stops in area at its first statement, with its argument already stored.
    assert!(
        out.contains("area (r=0x112a0) at examples/c/debugme.c:41\n41\t    int w = r->width;"),
        "{out}"
    );
    // The always-inline `twice` has no function of its own, yet a breakpoint and a frame.
    assert!(
        out.contains("Breakpoint 2, twice (v=20) at examples/c/debugme.c:"),
        "{out}"
    );
    assert!(
        out.contains("#0  twice (v=20) at examples/c/debugme.c:56"),
        "{out}"
    );
    assert!(
        out.contains("#1  main () at examples/c/debugme.c:"),
        "{out}"
    );
    // Finishing an inlined call steps back to the caller's line (`int t = twice(a);`, where the
    // result is stored).
    assert!(!out.contains("Run till exit"), "{out}");
    assert!(
        out.contains(&format!(
            "main () at examples/c/debugme.c:{}",
            main_line + 2
        )),
        "{out}"
    );
}

#[test]
fn temporary_breakpoints_go_away_and_memory_can_be_examined() {
    let run = batch(&[
        "tbreak sum_list",
        "run",
        "info breakpoints",
        "x/4dw head",
        "x/2xb head",
        "print head->next->value",
        "print $1",
        "kill",
    ]);
    let out = &run.stdout;
    assert!(
        out.contains("Temporary breakpoint 1, sum_list (head=0x"),
        "{out}"
    );
    assert!(out.contains("No breakpoints or watchpoints."), "{out}");
    // struct Node {int value; struct Node *next;}: 10, &second, 20, &third.
    let words = out
        .lines()
        .find(|l| l.starts_with("0x") && l.contains("\t10\t"))
        .unwrap();
    let fields: Vec<&str> = words.split('\t').collect();
    assert_eq!(fields.len(), 5, "{words}");
    assert_eq!(fields[3], "20", "{words}");
    assert!(out.contains(":\t0x0a\t0x00\n"), "{out}");
    assert!(out.contains("$1 = 20\n$2 = 20"), "{out}");
}

/// What `work_one(x, n)` of twice.c returns: `n` xorshift32 rounds of `x`.
fn xorshift_rounds(mut x: u32, n: u64) -> u32 {
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
    }
    x
}

#[test]
fn code_without_names_or_dwarf_is_still_debuggable() {
    // twice_nonames: no name section, no DWARF. work_one(x, n) and work_two(x, n) are functions
    // 8 and 9; main's first round calls each with x = 0x9E3779B9, n = 1,000,000, and they return
    // n and 2n xorshift rounds of x.
    let module = example("twice_nonames");
    let run = wobs(&[
        "debug",
        "--batch",
        "-ex",
        "break wasm-function[8]",
        "-ex",
        "break wasm-function[9]",
        "-ex",
        "run",
        "-ex",
        "stepi",
        "-ex",
        "info frame",
        "-ex",
        "finish",
        "-ex",
        "continue",
        "-ex",
        "finish",
        "-ex",
        "delete",
        "-ex",
        "continue",
        &module,
    ]);
    let out = &run.stdout;
    assert_eq!(run.code, 0, "{out}\n{}", run.stderr);
    // Code without lines stops with its address, as gdb's does.
    assert!(
        out.contains("Breakpoint 1, 0x00000217 in wasm-function[8] ()"),
        "{out}"
    );
    assert!(
        out.contains("Breakpoint 2, 0x0000024c in wasm-function[9] ()"),
        "{out}"
    );
    assert!(out.contains(" in wasm-function[8] ()\n"), "{out}");
    let seed = 0x9E37_79B9_u32;
    assert!(
        out.contains(&format!("local[0] = i32 {}\n", seed as i32)),
        "{out}"
    );
    assert!(out.contains("local[1] = i64 1000000\n"), "{out}");
    for (value, rounds) in [(1, 1_000_000), (2, 2_000_000)] {
        let expected = xorshift_rounds(seed, rounds) as i32;
        assert!(
            out.contains(&format!("Value returned is ${value} = {expected}\n")),
            "{out}"
        );
    }
    assert!(out.contains("twice: checksum 3446e358\n"), "{out}");
}

#[test]
fn breakpoints_work_in_preloaded_modules() {
    let run = wobs(&[
        "debug",
        "--batch",
        "-ex",
        "break lib_work",
        "--preload",
        "lib=examples/wasm/lib.wasm",
        "-ex",
        "run",
        "-ex",
        "bt",
        "-ex",
        "kill",
        &example("driver"),
    ]);
    let out = &run.stdout;
    assert!(out.contains("file examples/c/lib.c, line"), "{out}");
    // driver.c asks for LIB_ITERS = 2 000 000 iterations a round.
    assert!(
        out.contains("Breakpoint 1, lib_work (n=2000000) at examples/c/lib.c:"),
        "{out}"
    );
    assert!(out.contains(" in main ("), "{out}");
    let call = common::marked_line("driver.c", "// LIB CALL");
    assert!(
        out.contains(&format!("at examples/c/driver.c:{call}")),
        "{out}"
    );
}

#[test]
fn advance_runs_to_a_line_and_until_steps() {
    let main_line = marker("main");
    let run = batch(&[
        "break main",
        "run",
        &format!("advance {}", main_line + 1),
        "print a",
        "until",
        "info breakpoints",
        "kill",
    ]);
    let out = &run.stdout;
    // At line main+1, area's result is stored in `a`: 4 * 5.
    assert!(
        out.contains(&format!(
            "main () at examples/c/debugme.c:{}",
            main_line + 1
        )),
        "{out}"
    );
    assert!(out.contains("$1 = 20"), "{out}");
    assert!(
        out.contains(&format!("\n{}\t    int t = twice(a);", main_line + 2)),
        "{out}"
    );
    // The internal breakpoint of `advance` is not the user's.
    assert!(out.contains("1       breakpoint     keep y"), "{out}");
    assert!(!out.contains("\n2  "), "{out}");
}

#[test]
fn rust_frames_and_values_print_as_rust() {
    let run = wobs(&[
        "debug",
        "--batch",
        "-ex",
        "break demo::workloads::Worker::work_one",
        "-ex",
        "run",
        "-ex",
        "print *self",
        "-ex",
        "print n",
        "-ex",
        "finish",
        "-ex",
        "kill",
        &example("demo"),
    ]);
    let out = &run.stdout;
    assert!(
        out.contains("Breakpoint 1, demo::workloads::Worker::work_one (self=0x"),
        "{out}"
    );
    assert!(
        out.contains("n=100000000) at examples/rust/demo.rs:"),
        "{out}"
    );
    // seed: 0x9E37_79B9.
    assert!(out.contains("$1 = Worker {seed: 2654435769}"), "{out}");
    assert!(out.contains("$2 = 100000000"), "{out}");
    assert!(
        out.contains("demo::main () at examples/rust/demo.rs:"),
        "{out}"
    );
    assert!(out.contains("Value returned is $3 = "), "{out}");
}

#[test]
fn broken_dwarf_never_panics_the_debugger() {
    // Garbage over the middle of .debug_info: lookups degrade, the session still works.
    let mut wasm = std::fs::read(common::root().join(example("debugme"))).unwrap();
    let info = wasmparser::Parser::new(0)
        .parse_all(&wasm)
        .find_map(|p| match p.unwrap() {
            wasmparser::Payload::CustomSection(s) if s.name() == ".debug_info" => {
                Some(s.data_offset()..s.data_offset() + s.data().len())
            }
            _ => None,
        })
        .unwrap();
    let middle = info.start + info.len() / 3;
    wasm[middle..middle + 64].fill(0xee);
    let dir = common::scratch();
    let path = dir.path().join("broken.wasm");
    std::fs::write(&path, &wasm).unwrap();
    let run = wobs(&[
        "debug",
        "--batch",
        "-ex",
        "break area",
        "-ex",
        "break main",
        "-ex",
        "run",
        "-ex",
        "bt",
        "-ex",
        "info locals",
        "-ex",
        "print p",
        "-ex",
        "next",
        "-ex",
        "continue",
        "-ex",
        "continue",
        path.to_str().unwrap(),
    ]);
    // `wobs` (the helper) already fails the test on any panic; the guest still runs to its end.
    assert!(
        run.stdout.contains("[Inferior 1 (wasm) exited normally]"),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 0);
}

#[test]
fn ctrl_c_stops_a_running_guest_where_it_is() {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    // twice.wasm at scale 1000 runs for minutes: it is surely running when the signal comes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_wobs"))
        .args(["debug", &example("twice"), "1000"])
        .current_dir(common::root())
        .env(
            "WOBS_CACHE_DIR",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let output = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = output.clone();
    let reader = std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    let wait_for = |text: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !output.lock().unwrap().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no {text:?} in {}",
                output.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    wait_for("(wobs) ");
    stdin.write_all(b"run\n").unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    wait_for("Program received signal SIGINT, Interrupt.");
    stdin.write_all(b"bt\nkill\n").unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let out = output.lock().unwrap().clone();
    // Stopped inside one of the two workers, called from main.
    assert!(out.contains("#0  0x") && out.contains(" in work_"), "{out}");
    assert!(out.contains("in main ("), "{out}");
    assert_eq!(status.code(), Some(0), "{out}");
}

#[test]
fn the_guest_exit_code_is_the_debuggers() {
    let module = example("exit_code");
    let plain = wobs(&["run", "-q", &module]);
    let run = wobs(&["debug", "--batch", "-ex", "list", "-ex", "run", &module]);
    assert_ne!(plain.code, 0);
    assert_eq!(run.code, plain.code, "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("exited with code {:02o}]", plain.code)),
        "{}",
        run.stdout
    );
    // `list` before the run shows main's source.
    assert!(run.stdout.contains("main("), "{}", run.stdout);
}

/// ruby 3.4's 49 MB debug build (wasi-sdk, full DWARF): a breakpoint in its C code, a backtrace
/// through the wit-bindgen export, and stepping. `bench/fetch-third-party.sh ruby` downloads it.
#[test]
fn a_large_third_party_module_with_full_dwarf() {
    let Some(ruby) = common::third_party("ruby") else {
        return;
    };
    let run = wobs(&[
        "debug",
        "--batch",
        "--trap-unknown-imports",
        "--invoke",
        "ruby-show-version: func() -> ()",
        "-ex",
        "break ruby_show_version",
        "-ex",
        "run",
        "-ex",
        "bt",
        "-ex",
        "info args",
        "-ex",
        "next",
        "-ex",
        "continue",
        ruby.to_str().unwrap(),
    ]);
    let out = &run.stdout;
    assert_eq!(run.code, 0, "{out}\n{}", run.stderr);
    assert!(
        out.contains("Breakpoint 1, ruby_show_version () at "),
        "{out}"
    );
    assert!(out.contains("/version.c:"), "{out}");
    assert!(
        out.contains("in rb_abi_guest_ruby_show_version () at "),
        "{out}"
    );
    assert!(out.contains("ruby 3.4.1"), "{out}");
    assert!(out.contains("[Inferior 1 (wasm) exited normally]"), "{out}");
}

/// Golden transcripts: each `tests/debug_sessions/NAME.gdb` runs with `wobs debug --batch -x`
/// on the module its first line names (`Module: [FLAGS] app.wasm`), and its stdout and exit code
/// must equal `NAME.out`. Regenerate with `WOBS_BLESS=1 cargo test -p wobs --test debug golden`.
#[test]
fn golden_sessions() {
    let dir = common::root().join("crates/cli/tests/debug_sessions");
    let bless = std::env::var_os("WOBS_BLESS").is_some();
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gdb"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 4);
    let mut failures = Vec::new();
    for script in scripts {
        let text = std::fs::read_to_string(&script).unwrap();
        let target = text
            .lines()
            .next()
            .and_then(|l| l.split_once("Module: "))
            .map(|(_, m)| m.split_whitespace().collect::<Vec<_>>())
            .unwrap();
        let script_arg = script.to_str().unwrap();
        let mut args = vec!["debug", "--batch", "-x", script_arg];
        args.extend(target);
        let run = wobs(&args);
        let actual = format!("{}[exit code {}]\n", run.stdout, run.code);
        let expected_path = script.with_extension("out");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!("missing {}; run with WOBS_BLESS=1", expected_path.display())
        });
        if expected != actual {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                script.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn source_files_are_found_through_source_maps_and_directories() {
    // From another directory the DWARF's relative paths do not resolve...
    let elsewhere = common::scratch();
    let module = common::root().join(example("debugme"));
    let sources = common::root().join("examples/c");
    let debug = |extra: &[&str], commands: &[&str]| -> String {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wobs"));
        command.args(["debug", "--batch"]).args(extra);
        for c in commands {
            command.args(["-ex", c]);
        }
        let output = command
            .arg(&module)
            .current_dir(elsewhere.path())
            .env(
                "WOBS_CACHE_DIR",
                std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"),
            )
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let lost = debug(&[], &["break area", "run", "kill"]);
    assert!(lost.contains("41\tin examples/c/debugme.c"), "{lost}");
    // ...a map of the prefix does,
    let map = format!("examples/c={}", sources.display());
    let mapped = debug(&["--source-map", &map], &["break area", "run", "kill"]);
    assert!(mapped.contains("41\t    int w = r->width;"), "{mapped}");
    // ...and so does a directory holding the file.
    let dir = format!("directory {}", sources.display());
    let found = debug(&[], &[&dir, "break area", "run", "kill"]);
    assert!(found.contains("41\t    int w = r->width;"), "{found}");
}

#[test]
fn bad_modules_give_one_line_and_exit_1() {
    let dir = common::scratch();
    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"not wasm at all").unwrap();
    for module in [bad.to_str().unwrap(), "/no/such/module.wasm"] {
        let run = wobs(&["debug", "--batch", "-ex", "run", module]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    }
    // A module that cannot link: the run ends with wasmtime's one-line reason.
    let run = wobs(&["debug", "--batch", "-ex", "run", &example("driver")]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("unknown import"), "{}", run.stdout);
    // Counts beyond any memory are an error message, not an overflow.
    let run = batch(&[
        "break area",
        "run",
        "x/9223372036854775807xg r",
        "up 18446744073709551615",
        "kill",
    ]);
    assert!(
        run.stdout
            .contains("Cannot access memory at address 0x112a0"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("No frame at level"), "{}", run.stdout);
    let run = batch(&["delete 99"]);
    assert!(
        run.stdout.contains("No breakpoint number 99."),
        "{}",
        run.stdout
    );
}

#[test]
fn until_runs_a_loop_to_its_end() {
    let stop = marker("sum_list");
    let run = batch(&[
        &format!("break {stop}"),
        "run",
        "delete",
        "until",
        "print total",
        "kill",
    ]);
    let out = &run.stdout;
    // From inside the loop body, `until` does not stop at the loop header again: it stops at
    // `return total;`, after all three nodes (10 + 20 + 30) were added.
    assert!(
        out.contains(&format!("\n{}\t    return total;", stop + 2)),
        "{out}"
    );
    assert!(out.contains("$1 = 60"), "{out}");
}

#[test]
fn backtraces_end_at_main_unless_asked_past_it() {
    let run = batch(&[
        "break area",
        "run",
        "bt",
        "set backtrace past-main on",
        "bt",
        "set backtrace past-main off",
        "set listsize 5",
        "kill",
    ]);
    let out = &run.stdout;
    // The first backtrace ends at main, the second goes on into the C runtime's `_start`.
    assert_eq!(out.matches(" in main () at ").count(), 2, "{out}");
    assert_eq!(out.matches(" in _start () at ").count(), 1, "{out}");
    assert!(
        out.contains("Undefined set command: \"listsize 5\".  Try \"help set\"."),
        "{out}"
    );
}

#[test]
fn a_variable_in_a_wasm_local_cannot_be_set_or_watched_and_says_why() {
    // inline.c at -O2: leaf's `x` lives in a wasm local, which wasmtime does not let a debugger
    // write (values in linear memory can be: examples/gdb/assign.gdb checks them against gdb).
    let module = example("inline");
    let run = wobs(&[
        "debug",
        "--batch",
        "-ex",
        "break leaf",
        "-ex",
        "run",
        "-ex",
        "set var x = 1",
        "-ex",
        "print x",
        "-ex",
        "watch x",
        "-ex",
        "kill",
        &module,
    ]);
    let out = &run.stdout;
    assert!(
        out.contains(
            "Left operand of assignment is not in linear memory: wasm locals cannot be written."
        ),
        "{out}\n{}",
        run.stderr
    );
    // The value is unchanged.
    assert!(out.contains("$1 = 608135816"), "{out}");
    // Nor can it be watched: watchpoints compare linear memory.
    assert!(
        out.contains("Cannot watch `x': it is not in linear memory"),
        "{out}\n{}",
        run.stderr
    );
}

#[test]
fn addresses_are_labelled_with_the_symbols_they_are_in() {
    let line = marker("sum_list");
    let run = batch(&[
        "break area",
        &format!("break debugme.c:{line}"),
        "run",
        "print &counter",
        "x/1dw &counter",
        "info symbol &counter",
        "info line area",
        &format!("info line debugme.c:{line}"),
        "kill",
    ]);
    let out = &run.stdout;
    // Pointers into globals carry the global's name, as gdb prints them from the symbol table
    // (wasm has none: the names come from DWARF's global variables).
    assert!(out.contains("$1 = (int *) 0x"), "{out}");
    assert!(out.contains(" <counter>\n"), "{out}");
    assert!(out.contains(" <counter>:\t7\n"), "{out}");
    assert!(out.contains("counter in section .data"), "{out}");
    // `info line` of a function starts at the function itself and ends where the breakpoint on
    // it went (past the prologue); a line's row starts where a breakpoint on the line goes.
    let address_of = |prefix: &str| {
        let at = out.find(prefix).unwrap() + prefix.len();
        out[at..].split(':').next().unwrap().to_string()
    };
    let area_break = address_of("Breakpoint 1 at ");
    let line_break = address_of("Breakpoint 2 at ");
    assert!(
        out.contains(&format!(
            "Line 40 of \"examples/c/debugme.c\" starts at address 0x199 <area> and ends at {area_break} <area+"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "Line {line} of \"examples/c/debugme.c\" starts at address {line_break} <sum_list+"
        )),
        "{out}"
    );
}

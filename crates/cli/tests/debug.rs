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
    // finish returns to main with area's result: 4 * 5.
    assert!(out.contains("Run till exit from #0"), "{out}");
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

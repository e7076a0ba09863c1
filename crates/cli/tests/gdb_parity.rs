//! `wobs debug` prints what gdb prints: each command file in `examples/gdb/` runs in gdb on a
//! native build of its C or C++ program (clang, the same source and flags as the wasm build) and in
//! `wobs debug --batch` on the committed wasm build; after addresses and the inferior's name are
//! normalized, the outputs are equal line for line, except the lines `examples/gdb/differences.txt`
//! lists with a reason. Skipped, with a message, without gdb or clang (CI installs both).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::process::Command;

use common::{root, scratch, wobs};

/// The lines of a debugger's output as they compare: addresses as `ADDR`, the inferior as `PROC`,
/// gdb's notes about the native threading library left out.
fn normalized(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|line| !line.contains("libthread_db"))
        .map(|line| without_addresses(line).replace("(wasm)", "(PROC)"))
        .map(|line| match line.find("(process ") {
            Some(at) => {
                let end = line[at..].find(')').map_or(line.len(), |e| at + e + 1);
                format!("{}(PROC){}", &line[..at], &line[end..])
            }
            None => line,
        })
        .collect()
}

/// `line` with every `0x` and the hex digits after it as `ADDR`.
fn without_addresses(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("0x") {
        out += &rest[..at];
        let digits = rest[at + 2..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len() - at - 2);
        out += "ADDR";
        rest = &rest[at + 2 + digits..];
    }
    out + rest
}

/// The listed differences: (lines only gdb prints, lines only wobs prints).
fn differences() -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(root().join("examples/gdb/differences.txt")).unwrap();
    let (mut gdb, mut wobs) = (Vec::new(), Vec::new());
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("gdb: ") {
            gdb.push(rest.to_string());
        } else if let Some(rest) = line.strip_prefix("wobs: ") {
            wobs.push(rest.to_string());
        }
    }
    (gdb, wobs)
}

fn available(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

#[test]
fn wobs_debug_prints_what_gdb_prints() {
    if !available("gdb") || !available("clang") {
        eprintln!("skipping: gdb parity needs gdb and clang (CI installs them)");
        return;
    }
    let dir = scratch();
    let (only_gdb, only_wobs) = differences();
    let mut failures = Vec::new();
    let mut compared = 0;
    // program, its source, the gdb commands, the flags examples/build.sh compiles it with.
    let cxx = ["-O0", "-g", "-fno-exceptions", "-fno-rtti"];
    for (program, source, script, flags) in [
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/debugme.gdb",
            &["-O0", "-g"][..],
        ),
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/conditions.gdb",
            &["-O0", "-g"],
        ),
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/inlined.gdb",
            &["-O0", "-g"],
        ),
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/assign.gdb",
            &["-O0", "-g"],
        ),
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/casts.gdb",
            &["-O0", "-g"],
        ),
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/watch.gdb",
            &["-O0", "-g"],
        ),
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/arith.gdb",
            &["-O0", "-g"],
        ),
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/symbols.gdb",
            &["-O0", "-g"],
        ),
        (
            "debugme",
            "examples/c/debugme.c",
            "examples/gdb/types.gdb",
            &["-O0", "-g"],
        ),
        (
            "steps",
            "examples/c/steps.c",
            "examples/gdb/steps.gdb",
            &["-O0", "-g"],
        ),
        (
            "byvalue",
            "examples/c/byvalue.c",
            "examples/gdb/byvalue.gdb",
            &["-O0", "-g"],
        ),
        (
            "shapes",
            "examples/cpp/shapes.cpp",
            "examples/gdb/shapes.gdb",
            &cxx,
        ),
        (
            "accounts",
            "examples/cpp/accounts.cpp",
            "examples/gdb/classes.gdb",
            &cxx,
        ),
    ] {
        // Natively, from the repository root so DWARF names the source as the wasm build does.
        let native = dir.path().join(program);
        let built = Command::new("clang")
            .current_dir(root())
            .args(flags)
            .args([source, "-o"])
            .arg(&native)
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "{}",
            String::from_utf8_lossy(&built.stderr)
        );
        let gdb = Command::new("gdb")
            .current_dir(root())
            .args(["-q", "-nx", "-batch", "-x", script])
            .arg(&native)
            .output()
            .unwrap();
        let gdb = normalized(&String::from_utf8_lossy(&gdb.stdout));
        let ours = wobs(&["debug", "--batch", "-x", script, &common::example(program)]);
        let ours = normalized(&ours.stdout);
        let gdb: Vec<&String> = gdb.iter().filter(|l| !only_gdb.contains(l)).collect();
        let ours: Vec<&String> = ours.iter().filter(|l| !only_wobs.contains(l)).collect();
        compared += gdb.len();
        if gdb != ours {
            let width = gdb.len().max(ours.len());
            let mut table = String::new();
            for i in 0..width {
                let (g, w) = (gdb.get(i), ours.get(i));
                let mark = if g == w { ' ' } else { '!' };
                table += &format!(
                    "{mark} gdb:  {}\n{mark} wobs: {}\n",
                    g.map_or("", |s| s.as_str()),
                    w.map_or("", |s| s.as_str())
                );
            }
            failures.push(format!("{script}:\n{table}"));
        }
    }
    assert!(compared >= 400, "{compared} lines compared");
    eprintln!("gdb parity: {compared} lines compared, all equal");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

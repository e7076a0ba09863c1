//! Rust variables: the committed demo.wasm (-O1: location lists, wasm locals, pieces) always;
//! std types (`&str`, slices, `String`, `Vec`, `Option`, enums with data) from
//! tests/guests/debugme_rs.rs, compiled at -O0 when a rustc with the wasm32-wasi target is
//! installed (the test says so and passes when it is not).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::{address_of, example, pc_at_line, stop_line, Fake};
use wobs_symbolize::{ModuleSymbols, WasmValue};

/// demo.wasm's `Worker::work_one` (DWARF addresses, see `llvm-dwarfdump examples/wasm/demo.wasm`):
/// `self` and `n` live in locals 0 and 1 from 0xb8, the loop's `x` and `iter` from 0xc4.
const WORK_ONE_ENTRY: u32 = 0xb8;
const WORK_ONE_LOOP: u32 = 0xc4;
const AFTER_PROLOGUE: u32 = 0xcc;

fn demo_frame() -> Fake {
    let mut frame = Fake::new();
    frame.local_values = vec![
        (0, WasmValue::I32(0x1234)),
        (1, WasmValue::I64(100_000_000)),
        (2, WasmValue::I64(5)),
    ];
    frame.write_i32s(0x1234, &[0x9E37_79B9u32 as i32]);
    frame
}

#[test]
fn wasm_locals_from_location_lists() {
    let symbols = ModuleSymbols::new(&example("demo.wasm")).unwrap();
    let pc = symbols.code_start() + WORK_ONE_ENTRY;
    let frame = demo_frame();
    let vars: Vec<(String, String, bool, String)> = symbols
        .variables(pc)
        .iter()
        .map(|v| {
            let text = symbols.format_variable(pc, v, &frame);
            (v.name.clone(), v.type_name.clone(), v.is_parameter, text)
        })
        .collect();
    let expected = [
        ("self", "&demo::workloads::Worker", true, "0x1234"),
        ("n", "u64", true, "100000000"),
    ];
    let expected: Vec<(String, String, bool, String)> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), *c, d.to_string()))
        .collect();
    assert_eq!(vars, expected);
    let eval = |e: &str| symbols.evaluate(pc, e, &frame);
    assert_eq!(
        eval("*self"),
        Ok((
            "Worker".to_string(),
            "Worker {seed: 2654435769}".to_string()
        ))
    );
    assert_eq!(
        eval("self.seed"),
        Ok(("u32".to_string(), "2654435769".to_string()))
    );
    assert_eq!(
        eval("&n").unwrap_err(),
        "Attempt to take address of value not located in memory."
    );
}

#[test]
fn pieces_and_inlined_frames_of_optimized_code() {
    let symbols = ModuleSymbols::new(&example("demo.wasm")).unwrap();
    let pc = symbols.code_start() + WORK_ONE_LOOP;
    let frames = symbols.lookup(pc);
    let depth = frames.len() - 1;
    assert_eq!(frames[depth].function, "demo::workloads::Worker::work_one");
    let frame = demo_frame();
    let printed: Vec<(String, String)> = symbols
        .variables_at_depth(pc, depth)
        .iter()
        .map(|v| (v.name.clone(), symbols.format_variable(pc, v, &frame)))
        .collect();
    let expected = [
        ("self", "0x1234"),
        ("n", "100000000"),
        // iter's first 8 bytes are an empty piece, the last 8 are local 1.
        (
            "iter",
            "Range<u64> {start: <optimized out>, end: 100000000}",
        ),
        ("x", "4660"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(printed, expected);
    // Past the prologue the location lists have no entry: optimized out, not an error.
    let pc = symbols.code_start() + AFTER_PROLOGUE;
    for v in symbols.variables(pc) {
        assert_eq!(
            symbols.format_variable(pc, &v, &frame),
            "<optimized out>",
            "{}",
            v.name
        );
    }
    assert_eq!(
        symbols.evaluate(pc, "self.seed", &frame).unwrap_err(),
        "value has been optimized out"
    );
}

/// debugme_rs.wasm built by the installed rustc, or None (with a note) when it cannot be.
fn rust_guest() -> Option<ModuleSymbols> {
    static GUEST: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    let wasm = GUEST
        .get_or_init(|| {
            let rustc =
                std::env::var("RUSTC_WASM").unwrap_or_else(|_| "/usr/bin/rustc".to_string());
            let guests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/guests");
            let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("debugme_rs.wasm");
            let status = Command::new(&rustc)
                .current_dir(&guests)
                .args(["--target", "wasm32-wasi", "-g", "-C", "opt-level=0"])
                .arg(format!("--remap-path-prefix={}=guests", guests.display()))
                .arg("debugme_rs.rs")
                .arg("-o")
                .arg(&out)
                .output();
            match status {
                Ok(output) if output.status.success() => Some(std::fs::read(&out).unwrap()),
                other => {
                    eprintln!(
                        "note: skipping the Rust std type checks: {rustc} cannot build for \
                         wasm32-wasi ({:?})",
                        other.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                    );
                    None
                }
            }
        })
        .as_ref()?;
    Some(ModuleSymbols::new(wasm).unwrap())
}

/// `inspect`'s frame at its stop line with every local as the source initialises it.
fn inspect_frame(symbols: &ModuleSymbols, pc: u32) -> Fake {
    let mut frame = Fake::new();
    let at = |frame: &Fake, expression: &str| address_of(symbols, pc, frame, expression);
    frame.write(0x3000, b"hello");
    frame.write_i32s(at(&frame, "name.data_ptr"), &[0x3000]);
    frame.write_i32s(at(&frame, "name.length"), &[5]);
    frame.write_i32s(0x3100, &[10, 20, 30]);
    frame.write_i32s(at(&frame, "values.data_ptr"), &[0x3100]);
    frame.write_i32s(at(&frame, "values.length"), &[3]);
    frame.write_i32s(0x3200, &[2, 3]);
    frame.write_i32s(at(&frame, "point"), &[0x3200]);
    frame.write_i32s(at(&frame, "total"), &[60]);
    // Enum tags are the first field of these layouts (a u32 tag written LE also fits a u8 tag).
    frame.write_i32s(at(&frame, "first"), &[1, 10]);
    frame.write(0x3300, b"owned");
    frame.write_i32s(at(&frame, "text.vec.buf"), &[0x3300, 5]);
    frame.write_i32s(at(&frame, "text.vec.len"), &[5]);
    frame.write(0x3400, &[1, 0, 2, 0, 3, 0]);
    frame.write_i32s(at(&frame, "list.buf"), &[0x3400, 3]);
    frame.write_i32s(at(&frame, "list.len"), &[3]);
    frame.write(at(&frame, "pair.0"), &[7]);
    frame.write(at(&frame, "pair.1"), &(-2i64).to_le_bytes());
    frame.write_i32s(at(&frame, "missing"), &[0, 0]);
    frame.write_i32s(at(&frame, "present"), &[1, 5]);
    frame.write_i32s(at(&frame, "ok"), &[0, 9]);
    frame.write_i32s(at(&frame, "shape"), &[0, 4]);
    frame.write_i32s(at(&frame, "sq"), &[1, 6]);
    frame.write_i32s(at(&frame, "e"), &[2, 0]);
    frame.write(at(&frame, "color"), &[2]);
    frame.write_i32s(at(&frame, "m.0"), &[12]);
    frame.write_i32s(at(&frame, "c"), &['Z' as i32]);
    frame.write(at(&frame, "flag"), &[1]);
    frame.write_i32s(0x3500, &[77]);
    frame.write_i32s(at(&frame, "boxed"), &[0x3500]);
    frame
}

#[test]
fn rust_std_types_print_like_rust_gdb() {
    let Some(symbols) = &rust_guest() else {
        return;
    };
    let line = stop_line("crates/symbolize/tests/guests/debugme_rs.rs", "inspect");
    let pc = pc_at_line(symbols, "debugme_rs.rs", line);
    let frame = inspect_frame(symbols, pc);
    let printed: Vec<(String, String, String)> = symbols
        .variables(pc)
        .iter()
        .map(|v| {
            let text = symbols.format_variable(pc, v, &frame);
            (v.name.clone(), v.type_name.clone(), text)
        })
        .collect();
    let expected = [
        ("name", "&str", "\"hello\""),
        ("values", "&[i32]", "[10, 20, 30]"),
        ("point", "&debugme_rs::Point", "0x3200"),
        // Each `let` opens a lexical block: innermost (latest) first.
        (
            "boxed",
            "alloc::boxed::Box<i32, alloc::alloc::Global>",
            "0x3500",
        ),
        ("flag", "bool", "true"),
        ("c", "char", "90 'Z'"),
        ("m", "Meters", "Meters(12)"),
        ("color", "Color", "Blue"),
        ("e", "Shape", "Empty"),
        ("sq", "Shape", "Square(6)"),
        ("shape", "Shape", "Circle {r: 4}"),
        ("ok", "Result<u32, i8>", "Ok(9)"),
        ("present", "Option<u32>", "Some(5)"),
        ("missing", "Option<u32>", "None"),
        ("pair", "(u8, i64)", "(7, -2)"),
        ("list", "Vec<u16, alloc::alloc::Global>", "vec![1, 2, 3]"),
        ("text", "String", "\"owned\""),
        ("first", "Option<i32>", "Some(10)"),
        ("total", "i32", "60"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(printed, expected);
    let eval = |e: &str| symbols.evaluate(pc, e, &frame);
    let ok = |t: &str, v: &str| Ok((t.to_string(), v.to_string()));
    assert_eq!(eval("*point"), ok("Point", "Point {x: 2, y: 3}"));
    assert_eq!(eval("point.y"), ok("i32", "3"));
    assert_eq!(eval("values[1]"), ok("i32", "20"));
    assert_eq!(eval("list[2]"), ok("u16", "3"));
    assert_eq!(eval("pair.1"), ok("i64", "-2"));
    assert_eq!(eval("*boxed"), ok("i32", "77"));
    assert_eq!(
        eval("values[3]").unwrap_err(),
        "Index 3 out of bounds (length 3)."
    );
}

//! Symbolization of real clang output, and graceful degradation when debug info is missing, partial,
//! wrong or hostile.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

use std::collections::HashMap;

use wobs_symbolize::ModuleSymbols;

mod common;
use common::with_debug_sections;

/// In twice.wasm (see examples/README.md): function 8 is work_one, 9 is work_two.
const WORK_TWO: u32 = 9;

fn twice() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/wasm/twice.wasm"
    );
    std::fs::read(path).expect("examples/wasm/twice.wasm")
}

/// An offset inside work_two's loop (past its prologue).
fn inside_work_two(symbols: &ModuleSymbols) -> u32 {
    let body = symbols.function_body(WORK_TWO).expect("work_two body");
    body.start + (body.end - body.start) / 2
}

/// The module's `.debug_*` sections by name.
fn debug_sections(wasm: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut sections = HashMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::CustomSection(s)) = payload {
            if s.name().starts_with(".debug_") {
                sections.insert(s.name().to_string(), s.data().to_vec());
            }
        }
    }
    sections
}

/// The module's DWARF rewritten so that every address (low_pc, line rows, ranges) is zero.
fn zero_addresses(wasm: &[u8]) -> Vec<u8> {
    let sections = debug_sections(wasm);
    let empty = Vec::new();
    let read = gimli::read::Dwarf::load(|id| -> Result<_, gimli::Error> {
        let data = sections.get(id.name()).unwrap_or(&empty);
        Ok(gimli::EndianSlice::new(
            data.as_slice(),
            gimli::LittleEndian,
        ))
    })
    .unwrap();
    let mut written =
        gimli::write::Dwarf::from(&read, &|_| Some(gimli::write::Address::Constant(0)))
            .expect("convert DWARF");
    let mut out = gimli::write::Sections::new(gimli::write::EndianVec::new(gimli::LittleEndian));
    written.write(&mut out).expect("write DWARF");
    let mut debug = HashMap::new();
    out.for_each(|id, data| -> Result<(), ()> {
        if !data.slice().is_empty() {
            debug.insert(id.name().to_string(), data.slice().to_vec());
        }
        Ok(())
    })
    .unwrap();
    with_debug_sections(wasm, &debug)
}

#[test]
fn clang_dwarf_gives_file_line_and_names() {
    let symbols = ModuleSymbols::new(&twice()).unwrap();
    assert!(symbols.has_dwarf());
    assert_eq!(symbols.dwarf_problem(), None);
    let frames = symbols.lookup(inside_work_two(&symbols));
    let outer = frames.last().unwrap();
    assert_eq!(outer.function, "work_two");
    assert_eq!(outer.file.as_deref(), Some("examples/c/twice.c"));
    assert!(!outer.inlined);
    let entry = symbols.entry_line(inside_work_two(&symbols)).unwrap();
    let source = include_str!("../../../examples/c/twice.c");
    let opening = source
        .lines()
        .position(|line| line.contains("uint32_t work_two("))
        .unwrap() as u32
        + 1;
    assert_eq!(entry, ("examples/c/twice.c".to_string(), opening));
    assert_eq!(symbols.function_name(WORK_TWO), "work_two");
}

#[test]
fn every_low_pc_zero_is_detected_and_names_are_used() {
    let broken = zero_addresses(&twice());
    let symbols = ModuleSymbols::new(&broken).unwrap();
    assert!(!symbols.has_dwarf());
    assert!(
        symbols.dwarf_problem().unwrap().contains("do not match"),
        "{:?}",
        symbols.dwarf_problem()
    );
    let frames = symbols.lookup(inside_work_two(&symbols));
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].function, "work_two");
    assert_eq!(frames[0].file, None);
}

#[test]
fn empty_line_tables_keep_function_names() {
    let wasm = twice();
    let mut debug = debug_sections(&wasm);
    debug.insert(".debug_line".to_string(), Vec::new());
    let symbols = ModuleSymbols::new(&with_debug_sections(&wasm, &debug)).unwrap();
    let frames = symbols.lookup(inside_work_two(&symbols));
    assert_eq!(frames.last().unwrap().function, "work_two");
    assert_eq!(frames.last().unwrap().line, None);
}

#[test]
fn truncated_and_garbage_debug_sections_never_panic() {
    let wasm = twice();
    let sections = debug_sections(&wasm);
    // Deterministic xorshift so failures reproduce.
    let mut state = 0x9E37_79B9u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for round in 0..60 {
        let mut damaged = sections.clone();
        for data in damaged.values_mut() {
            match round % 3 {
                0 => data.truncate(data.len() / 2),
                _ => {
                    for _ in 0..(1 + data.len() / 50) {
                        if !data.is_empty() {
                            let at = next() as usize % data.len();
                            data[at] = next() as u8;
                        }
                    }
                }
            }
        }
        let symbols = ModuleSymbols::new(&with_debug_sections(&wasm, &damaged)).unwrap();
        let body = symbols.function_body(WORK_TWO).unwrap();
        for offset in (0..wasm.len() as u32).step_by(97).chain(body) {
            let frames = symbols.lookup(offset);
            assert!(!frames.is_empty());
        }
        // Whatever the DWARF says, the physical function is never misnamed as empty.
        assert!(!symbols
            .lookup(inside_work_two(&symbols))
            .last()
            .unwrap()
            .function
            .is_empty());
    }
}

#[test]
fn bytes_that_are_not_wasm_are_an_error_not_a_panic() {
    assert!(ModuleSymbols::new(b"not wasm").is_err());
    assert!(ModuleSymbols::new(b"").is_err());
    let wasm = twice();
    for cut in [8, 9, 100, wasm.len() / 2] {
        let _ = ModuleSymbols::new(&wasm[..cut]);
    }
}

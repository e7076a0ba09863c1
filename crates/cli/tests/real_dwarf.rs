//! Classes of real-world input the instrumenter met on third-party modules, each built small from
//! our own examples:
//!
//! * line programs that set an address in the middle of a sequence (wasi-sdk's, e.g. ruby.wasm),
//!   which gimli 0.32's writer — walrus's DWARF rewrite — rejects;
//! * DWARF no converter accepts, which must be carried, not dropped;
//! * nameless modules, whose sampled rows must be the probed rows.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::{example, record, root, scratch, third_party, wobs};
use gimli::{DebugLine, DebugLineOffset, EndianSlice, LittleEndian};
use wobs_events::{ProbeMap, Recording};
use wobs_instrument::{instrument, DwarfHandling, Options};
use wobs_symbolize::ModuleSymbols;

/// `DW_LNE_end_sequence`, and a no-op of the same length (`DW_LNS_advance_pc` by a two-byte 0).
const END_SEQUENCE: [u8; 3] = [0x00, 0x01, 0x01];
const NOOP: [u8; 3] = [0x02, 0x80, 0x00];
const SET_ADDRESS: u8 = 0x02;

/// The byte range of a custom section's contents.
fn custom_section(wasm: &[u8], name: &str) -> std::ops::Range<usize> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CustomSection(s) = payload.unwrap() {
            if s.name() == name {
                return s.data_offset()..s.data_offset() + s.data().len();
            }
        }
    }
    panic!("no {name} section");
}

/// Each line program in `.debug_line`: (offset of its header, its opcode range), section-relative.
fn line_programs(line: &[u8]) -> Vec<(usize, std::ops::Range<usize>)> {
    let section = DebugLine::new(line, LittleEndian);
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < line.len() {
        let program = section
            .program(DebugLineOffset(offset), 4, None, None)
            .unwrap();
        let header = program.header();
        let end = offset + 4 + header.unit_length();
        let ops: EndianSlice<'_, LittleEndian> = header.raw_program_buf();
        let start = ops.as_ptr() as usize - line.as_ptr() as usize;
        out.push((offset, start..end));
        offset = end;
    }
    out
}

/// Rewrites every `DW_LNE_end_sequence` that another sequence of live code follows into a no-op,
/// so the next sequence's `DW_LNE_set_address` lands in the middle of a sequence, as in wasi-sdk's
/// output. Same length: no offsets move. Returns how many were rewritten.
fn merge_sequences(wasm: &mut [u8]) -> usize {
    let range = custom_section(wasm, ".debug_line");
    let line = &mut wasm[range];
    let mut merged = 0;
    for (header, ops) in line_programs(line) {
        let opcode_base = line[header + header_field(line, header, 7)];
        let lengths: Vec<u8> = {
            let at = header + header_field(line, header, 10);
            line[at..at + usize::from(opcode_base) - 1].to_vec()
        };
        let mut at = ops.start;
        // (end_sequence position, whether its sequence's code is live).
        let mut ends: Vec<(usize, bool)> = Vec::new();
        let mut live = false;
        while at < ops.end {
            let opcode = line[at];
            at += 1;
            match opcode {
                0 => {
                    let (len, used) = uleb(&line[at..]);
                    let op = &line[at + used..at + used + len];
                    if op == &END_SEQUENCE[2..] {
                        ends.push((at - 1, live));
                    } else if op[0] == SET_ADDRESS {
                        let address = u32::from_le_bytes(op[1..5].try_into().unwrap());
                        // Linkers mark the code of dropped functions with tombstones.
                        live = address < 0xffff_fffe;
                        // Only a live sequence after a live one is merged.
                        if let Some(last) = ends.last_mut() {
                            last.1 &= live;
                        }
                    }
                    at += used + len;
                }
                // DW_LNS_fixed_advance_pc takes a u16, not a LEB.
                9 => at += 2,
                op if op < opcode_base => {
                    for _ in 0..lengths[usize::from(op) - 1] {
                        at += uleb(&line[at..]).1;
                    }
                }
                _ => {}
            }
        }
        ends.pop(); // the program's last sequence must still end
        for (end, live) in ends {
            if live {
                line[end..end + 3].copy_from_slice(&NOOP);
                merged += 1;
            }
        }
    }
    merged
}

/// Offset of a fixed header field from the start of a line program header, by position in the
/// DWARF 5 layout (version-4 headers have no address_size/segment_selector_size bytes):
/// 7 = opcode_base, 10 = standard_opcode_lengths, 6 = line_base.
fn header_field(line: &[u8], header: usize, field: usize) -> usize {
    let version = u16::from_le_bytes([line[header + 4], line[header + 5]]);
    // unit_length 4, version 2, [address_size 1, seg_sel 1], header_length 4, then
    // min_inst 1, max_ops 1, default_is_stmt 1, line_base 1, line_range 1, opcode_base 1.
    let fixed = if version >= 5 { 12 } else { 10 };
    let after_header_length = match field {
        6 => 3,
        7 => 5,
        10 => 6,
        _ => unreachable!(),
    };
    fixed + after_header_length
}

fn uleb(bytes: &[u8]) -> (usize, usize) {
    let (mut value, mut shift) = (0usize, 0);
    for (i, byte) in bytes.iter().enumerate() {
        value |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("unterminated LEB");
}

fn read_example(name: &str) -> Vec<u8> {
    std::fs::read(root().join(example(name))).unwrap()
}

/// Whether gimli 0.32's writer, which walrus converts DWARF with, accepts the module's DWARF.
fn walrus_gimli_converts(wasm: &[u8]) -> bool {
    use walrus_gimli::{read, write};
    let sections: Vec<(String, Vec<u8>)> = wasmparser::Parser::new(0)
        .parse_all(wasm)
        .filter_map(|p| match p.unwrap() {
            wasmparser::Payload::CustomSection(s) if s.name().starts_with(".debug_") => {
                Some((s.name().to_string(), s.data().to_vec()))
            }
            _ => None,
        })
        .collect();
    let load = |id: walrus_gimli::SectionId| -> Result<_, walrus_gimli::Error> {
        let data = sections
            .iter()
            .find(|(name, _)| name == id.name())
            .map_or(&[][..], |(_, data)| data.as_slice());
        Ok(walrus_gimli::EndianSlice::new(
            data,
            walrus_gimli::LittleEndian,
        ))
    };
    let dwarf = read::Dwarf::load(load).unwrap();
    write::Dwarf::from(&dwarf, &|a| Some(write::Address::Constant(a))).is_ok()
}

/// Every original instruction start of `map` resolves to the same function, file and line in the
/// instrumented module as in `original`, a module with the same code whose DWARF means the same
/// (both read by wobs's symbolizer). Returns how many of them had a real line.
fn same_source_positions(original: &[u8], instrumented: &[u8], tolerance_pct: usize) -> usize {
    same_source_positions_every(original, instrumented, tolerance_pct, 1)
}

/// [`same_source_positions`] on every `step`th instruction start. Functions may differ at a tenth
/// of the positions' tolerance: walrus passes DWARF address 0 through unconverted, so a
/// subprogram the linker left at 0 (ruby's `__udivti3`) covers the start of whichever function
/// walrus emits first (measured on ruby: 1 of 10 900 checked positions).
fn same_source_positions_every(
    original: &[u8],
    instrumented: &[u8],
    tolerance_pct: usize,
    step: usize,
) -> usize {
    let map = ProbeMap::from_module(instrumented).unwrap();
    let before = ModuleSymbols::new(original).unwrap();
    let after = ModuleSymbols::new(instrumented).unwrap();
    assert!(after.has_dwarf(), "{:?}", after.dwarf_problem());
    let (mut lines, mut differ, mut function_differ) = (0, 0, 0);
    let checked: Vec<_> = map.offsets.iter().step_by(step).collect();
    for &&(new, old) in &checked {
        let (a, b) = (before.lookup(old), after.lookup(new));
        function_differ += usize::from(a.last().unwrap().function != b.last().unwrap().function);
        differ += usize::from((&a[0].file, a[0].line) != (&b[0].file, b[0].line));
        lines += usize::from(a[0].line.is_some_and(|l| l > 0));
    }
    assert!(
        function_differ * 1000 <= checked.len() * tolerance_pct,
        "{function_differ} of {} functions differ",
        checked.len()
    );
    assert!(
        differ * 100 <= checked.len() * tolerance_pct,
        "{differ} of {} positions differ",
        checked.len()
    );
    lines
}

fn write(dir: &Path, name: &str, wasm: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, wasm).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs the module plainly, instrumented by `wobs instrument`, and with `--trace`: the same output
/// every time and, in both instrumented runs, rows with calls and `twice.c` lines.
fn runs_the_same_with_source_lines(dir: &Path, module: &str) -> String {
    let plain = wobs(&["run", "-q", module]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let out = dir.join("out.wasm");
    let made = wobs(&["instrument", module, "-o", out.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let traced = record(dir, &["--trace", module]);
    let instrumented = record(dir, &[out.to_str().unwrap()]);
    for (run, rec) in [traced, instrumented] {
        assert_eq!(run.stdout, plain.stdout);
        check_twice_profile(&rec);
    }
    made.stderr
}

fn check_twice_profile(rec: &Recording) {
    for name in ["work_one", "work_two"] {
        let row = common::function(rec, name);
        // twice.c's main runs 100 rounds of each.
        assert_eq!(row.calls, Some(100), "{name}");
        assert_eq!(row.file.as_deref(), Some("examples/c/twice.c"), "{name}");
        assert!(row.line.is_some_and(|l| l > 0), "{name}");
    }
}

#[test]
fn mid_sequence_addresses_are_resequenced_and_rewritten() {
    let original = read_example("twice");
    let mut wasm = original.clone();
    let merged = merge_sequences(&mut wasm);
    assert!(merged > 10, "only {merged} sequences merged");
    // The input is of the class: walrus's converter rejects it; ours is unaffected.
    assert!(walrus_gimli_converts(&original));
    assert!(!walrus_gimli_converts(&wasm));
    let before = ModuleSymbols::new(&wasm).unwrap();
    assert!(before.has_dwarf());

    let out = instrument(&wasm, &Options::default()).unwrap();
    assert_eq!(out.report.dwarf, DwarfHandling::Resequenced(merged as u64));
    // Standard DWARF in the output, rewritten for the new code: other tools can read it.
    assert!(walrus_gimli_converts(&out.wasm));
    // Merged sequences do not reset the line register, so lines mean something else than in the
    // original: the truth is what a reader of the merged DWARF sees.
    let lines = same_source_positions(&wasm, &out.wasm, 1);
    assert!(lines > 100, "{lines}");

    let dir = scratch();
    let module = write(dir.path(), "merged.wasm", &wasm);
    let stderr = runs_the_same_with_source_lines(dir.path(), &module);
    assert!(
        stderr.contains("re-encoded the DWARF line programs"),
        "{stderr}"
    );
}

#[test]
fn dwarf_no_converter_takes_is_carried_and_still_symbolized() {
    let mut wasm = read_example("twice");
    // A positive line_base: legal to read (lines just decode differently), but gimli's writer
    // refuses it, before and after re-encoding.
    let range = custom_section(&wasm, ".debug_line");
    let line = &mut wasm[range];
    for (header, _) in line_programs(line) {
        line[header + header_field(line, header, 6)] = 1;
    }
    let out = instrument(&wasm, &Options::default()).unwrap();
    let DwarfHandling::Carried(reason) = &out.report.dwarf else {
        panic!("{:?}", out.report.dwarf);
    };
    assert!(reason.contains("line"), "{reason}");
    wasmparser::Validator::new()
        .validate_all(&out.wasm)
        .unwrap();
    // No standard DWARF, the original carried; wobs's lookups match the original's exactly.
    let names: Vec<String> = wasmparser::Parser::new(0)
        .parse_all(&out.wasm)
        .filter_map(|p| match p.unwrap() {
            wasmparser::Payload::CustomSection(s) => Some(s.name().to_string()),
            _ => None,
        })
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".debug_")), "{names:?}");
    assert!(names.iter().any(|n| n == "wobs.debug_line"), "{names:?}");
    let lines = same_source_positions(&wasm, &out.wasm, 0);
    assert!(lines > 100, "{lines}");

    let dir = scratch();
    let module = write(dir.path(), "carried.wasm", &wasm);
    let stderr = runs_the_same_with_source_lines(dir.path(), &module);
    assert_eq!(
        stderr
            .matches("warning: DWARF could not be rewritten")
            .count(),
        1
    );
}

#[test]
fn hostile_dwarf_never_panics_the_instrumenter() {
    let original = read_example("twice");
    let info = custom_section(&original, ".debug_info");
    // Garbage over parts of .debug_info: every outcome but a panic or an invalid module is fine.
    for (at, byte) in [(0, 0xff), (4, 0x09), (11, 0x7f), (info.len() / 2, 0xee)] {
        let mut wasm = original.clone();
        for b in &mut wasm[info.start + at..(info.start + at + 16).min(info.end)] {
            *b = byte;
        }
        let out = instrument(&wasm, &Options::default()).unwrap();
        wasmparser::Validator::new()
            .validate_all(&out.wasm)
            .unwrap();
        // Symbolizing the result works whatever became of the DWARF.
        let symbols = ModuleSymbols::new(&out.wasm).unwrap();
        let map = ProbeMap::from_module(&out.wasm).unwrap();
        assert!(map
            .offsets
            .iter()
            .all(|&(new, _)| !symbols.lookup(new).is_empty()));
    }
}

#[test]
fn nameless_instrumented_module_has_one_row_per_function() {
    let dir = scratch();
    let out = dir.path().join("nonames.instr.wasm");
    let made = wobs(&[
        "instrument",
        &example("twice_nonames"),
        "-o",
        out.to_str().unwrap(),
        "--min-size",
        "0",
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let (run, rec) = record(dir.path(), &[out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sampled: Vec<_> = rec
        .functions
        .iter()
        .filter(|f| f.self_samples > 0 && !f.name.starts_with(wobs_collector::HOST_FRAME))
        .collect();
    assert!(!sampled.is_empty());
    for row in &sampled {
        assert!(
            row.name.starts_with("wasm-function["),
            "nameless module, named row {}",
            row.name
        );
        assert!(row.calls.is_some(), "sampled row without calls: {row:?}");
    }
    // Each function is one row.
    let mut names: Vec<_> = rec.functions.iter().map(|f| &f.name).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before);
    // And the names are the original module's indices: the same rows a plain run shows.
    let (_, plain) = record(scratch().path(), &[&example("twice_nonames")]);
    let hottest = |r: &Recording| {
        r.functions
            .iter()
            .max_by_key(|f| f.self_samples)
            .unwrap()
            .name
            .clone()
    };
    assert_eq!(hottest(&rec), hottest(&plain));
    // The report's JSON carries both figures in one row.
    let json = wobs(&[
        "report",
        dir.path().join("rec.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["self_samples"].as_u64() > Some(0))
        .filter(|r| !r["name"]
            .as_str()
            .unwrap()
            .starts_with(wobs_collector::HOST_FRAME))
        .all(|r| r["calls"].as_u64().is_some()));
}

#[test]
fn ticks_inside_probes_are_sampled_at_the_probe() {
    let dir = scratch();
    // A feature of the epoch sampler (the exact one samples wherever the guest is).
    let (run, rec) = record(
        dir.path(),
        &[
            "--sampler",
            "epoch",
            "--interval",
            "250us",
            "--trace",
            "--min-size",
            "0",
            "--throttle",
            "off",
            &example("fib"),
            "30",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // fib(30) makes 2.7 million calls whose bodies are a few instructions, every one timed
    // (`--throttle off`): most of the time is in the probes, so most ticks arrive there and are sampled there, in fib. The ticker is a thread:
    // on a loaded machine it is starved (a CI run saw 8 ticks in what takes 90 idle), so the run is
    // long and the period short enough that a starved ticker still ticks well over 20 times
    // (about 2,000 idle).
    let taken = rec.run.samples_taken;
    assert!(taken > 20, "{taken}");
    assert!(
        rec.run.samples_at_probes * 2 > taken,
        "{} of {taken} at probes",
        rec.run.samples_at_probes
    );
    // No bound on `samples_dropped`: ticks that pass while the guest thread is descheduled are
    // dropped (one sample per epoch check), so their number says how loaded the machine was (754
    // of ~2,000 beside two CPU hogs). Were ticks inside probes dropped rather than sampled at the
    // probe, the assertion above would fail instead.
    assert!(common::function(&rec, "fib").self_samples * 10 >= taken * 9);
}

/// The module the first class came from: ruby 3.4's debug build (wasi-sdk, 49 MB, full DWARF).
#[test]
fn ruby_debug_build_keeps_its_source_lines() {
    let Some(ruby) = third_party("ruby") else {
        return;
    };
    let wasm = std::fs::read(&ruby).unwrap();
    assert!(!walrus_gimli_converts(&wasm));
    let out = instrument(&wasm, &Options::default()).unwrap();
    assert!(
        matches!(out.report.dwarf, DwarfHandling::Resequenced(_)),
        "{:?}",
        out.report.dwarf
    );
    let lines = same_source_positions_every(&wasm, &out.wasm, 1, 97);
    assert!(lines > 1000, "{lines}");
    // It is a reactor; this export prints the version without needing the JS host.
    let dir = scratch();
    let module = write(dir.path(), "ruby.instr.wasm", &out.wasm);
    let invoke = "ruby-show-version: func() -> ()";
    let plain = wobs(&[
        "run",
        "-q",
        "--trap-unknown-imports",
        "--invoke",
        invoke,
        ruby.to_str().unwrap(),
    ]);
    let (run, rec) = record(
        dir.path(),
        &["--trap-unknown-imports", "--invoke", invoke, &module],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(plain.stdout.starts_with("ruby 3.4"), "{}", plain.stdout);
    assert_eq!(run.stdout, plain.stdout);
    // The run is a few ms, so samples are luck; the exact figures are not.
    assert_eq!(common::function(&rec, "ruby_show_version").calls, Some(1));
}

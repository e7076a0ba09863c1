//! Variables under hostile or garbage DWARF: listing shrinks, printing says `<error: …>`, nothing
//! panics or hangs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::collections::HashMap;

use common::{debug_sections, example, pc_at_stop, with_debug_sections, Fake};
use gimli::write::{Address, AttributeValue, DwarfUnit, EndianVec, Expression, Sections};
use gimli::{constants as dw, Encoding, Format, LittleEndian};
use wobs_symbolize::ModuleSymbols;

/// DWARF describing debugme.wasm's `area` with variables of hostile types and locations.
fn hostile_dwarf(low_pc: u64, len: u64) -> HashMap<String, Vec<u8>> {
    let encoding = Encoding {
        format: Format::Dwarf32,
        version: 4,
        address_size: 4,
    };
    let mut dwarf = DwarfUnit::new(encoding);
    let unit = &mut dwarf.unit;
    let root = unit.root();
    let string = |s: &str| AttributeValue::String(s.as_bytes().to_vec());
    unit.get_mut(root).set(dw::DW_AT_name, string("hostile.c"));
    unit.get_mut(root).set(
        dw::DW_AT_language,
        AttributeValue::Language(dw::DW_LANG_C99),
    );
    unit.get_mut(root).set(
        dw::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(low_pc)),
    );
    unit.get_mut(root)
        .set(dw::DW_AT_high_pc, AttributeValue::Udata(len));

    let add_type =
        |unit: &mut gimli::write::Unit, tag, name: &str, attrs: Vec<(dw::DwAt, AttributeValue)>| {
            let id = unit.add(root, tag);
            let entry = unit.get_mut(id);
            if !name.is_empty() {
                entry.set(dw::DW_AT_name, string(name));
            }
            for (at, value) in attrs {
                entry.set(at, value);
            }
            id
        };
    let int = add_type(
        unit,
        dw::DW_TAG_base_type,
        "int",
        vec![
            (
                dw::DW_AT_encoding,
                AttributeValue::Encoding(dw::DW_ATE_signed),
            ),
            (dw::DW_AT_byte_size, AttributeValue::Udata(4)),
        ],
    );
    let cyclic = add_type(unit, dw::DW_TAG_typedef, "cyc", vec![]);
    unit.get_mut(cyclic)
        .set(dw::DW_AT_type, AttributeValue::UnitRef(cyclic));
    let huge = add_type(
        unit,
        dw::DW_TAG_array_type,
        "",
        vec![(dw::DW_AT_type, AttributeValue::UnitRef(int))],
    );
    let range = unit.add(huge, dw::DW_TAG_subrange_type);
    unit.get_mut(range)
        .set(dw::DW_AT_count, AttributeValue::Udata(0xffff_ffff));
    let big = add_type(
        unit,
        dw::DW_TAG_structure_type,
        "big",
        vec![(dw::DW_AT_byte_size, AttributeValue::Udata(0xffff_ffff_ffff))],
    );
    let x = unit.add(big, dw::DW_TAG_member);
    unit.get_mut(x).set(dw::DW_AT_name, string("x"));
    unit.get_mut(x)
        .set(dw::DW_AT_type, AttributeValue::UnitRef(int));
    let selfptr = add_type(unit, dw::DW_TAG_pointer_type, "", vec![]);
    unit.get_mut(selfptr)
        .set(dw::DW_AT_type, AttributeValue::UnitRef(selfptr));
    let rec = add_type(
        unit,
        dw::DW_TAG_structure_type,
        "rec",
        vec![(dw::DW_AT_byte_size, AttributeValue::Udata(8))],
    );
    let inner = unit.add(rec, dw::DW_TAG_member);
    unit.get_mut(inner).set(dw::DW_AT_name, string("inner"));
    unit.get_mut(inner)
        .set(dw::DW_AT_type, AttributeValue::UnitRef(rec));
    let zero = add_type(
        unit,
        dw::DW_TAG_base_type,
        "zero",
        vec![
            (
                dw::DW_AT_encoding,
                AttributeValue::Encoding(dw::DW_ATE_signed),
            ),
            (dw::DW_AT_byte_size, AttributeValue::Udata(0)),
        ],
    );
    let odd = add_type(
        unit,
        dw::DW_TAG_base_type,
        "odd",
        vec![
            (
                dw::DW_AT_encoding,
                AttributeValue::Encoding(dw::DW_ATE_float),
            ),
            (dw::DW_AT_byte_size, AttributeValue::Udata(3)),
        ],
    );
    let bits = add_type(
        unit,
        dw::DW_TAG_structure_type,
        "bits",
        vec![(dw::DW_AT_byte_size, AttributeValue::Udata(4))],
    );
    let b = unit.add(bits, dw::DW_TAG_member);
    unit.get_mut(b).set(dw::DW_AT_name, string("b"));
    unit.get_mut(b)
        .set(dw::DW_AT_type, AttributeValue::UnitRef(int));
    unit.get_mut(b)
        .set(dw::DW_AT_bit_size, AttributeValue::Udata(200));
    unit.get_mut(b)
        .set(dw::DW_AT_data_bit_offset, AttributeValue::Udata(0));
    let flags = add_type(
        unit,
        dw::DW_TAG_enumeration_type,
        "flags",
        vec![(dw::DW_AT_byte_size, AttributeValue::Udata(0xffff))],
    );
    let a = unit.add(flags, dw::DW_TAG_enumerator);
    unit.get_mut(a).set(dw::DW_AT_name, string("A"));
    unit.get_mut(a)
        .set(dw::DW_AT_const_value, AttributeValue::Udata(1));

    let function = unit.add(root, dw::DW_TAG_subprogram);
    unit.get_mut(function).set(dw::DW_AT_name, string("area"));
    unit.get_mut(function).set(
        dw::DW_AT_low_pc,
        AttributeValue::Address(Address::Constant(low_pc)),
    );
    unit.get_mut(function)
        .set(dw::DW_AT_high_pc, AttributeValue::Udata(len));
    unit.get_mut(function).set(
        dw::DW_AT_frame_base,
        AttributeValue::Exprloc(Expression::raw(vec![0xed, 0x00, 0x00])),
    );
    let fbreg0 = || Expression::raw(vec![0x91, 0x00]);
    let variables: Vec<(&str, Option<gimli::write::UnitEntryId>, Option<Expression>)> = vec![
        ("v_cyclic", Some(cyclic), Some(fbreg0())),
        ("v_huge", Some(huge), Some(fbreg0())),
        ("v_big", Some(big), Some(fbreg0())),
        ("v_selfptr", Some(selfptr), Some(fbreg0())),
        ("v_rec", Some(rec), Some(fbreg0())),
        ("v_zero", Some(zero), Some(fbreg0())),
        ("v_odd", Some(odd), Some(fbreg0())),
        ("v_bits", Some(bits), Some(fbreg0())),
        ("v_flags", Some(flags), Some(fbreg0())),
        ("v_notype", None, Some(fbreg0())),
        // DW_OP_skip -3: jumps to itself forever.
        (
            "v_loop",
            Some(int),
            Some(Expression::raw(vec![0x2f, 0xfd, 0xff])),
        ),
        // DW_OP_skip far outside the expression.
        (
            "v_jump",
            Some(int),
            Some(Expression::raw(vec![0x2f, 0x00, 0x70])),
        ),
        ("v_reg", Some(int), Some(Expression::raw(vec![0x55]))),
        ("v_pop", Some(int), Some(Expression::raw(vec![0x22]))),
        ("v_truncated", Some(int), Some(Expression::raw(vec![0xed]))),
        (
            "v_wasm_kind",
            Some(int),
            Some(Expression::raw(vec![0xed, 0x07, 0x00])),
        ),
        (
            "v_div",
            Some(int),
            Some(Expression::raw(vec![0x31, 0x30, 0x1b])),
        ),
        (
            "v_deref",
            Some(int),
            Some(Expression::raw(vec![
                0x10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x06,
            ])),
        ),
        (
            "v_global",
            Some(int),
            Some(Expression::raw(vec![0xed, 0x01, 0x09])),
        ),
        (
            "v_stack",
            Some(int),
            Some(Expression::raw(vec![0xed, 0x02, 0x00, 0x9f])),
        ),
        ("v_empty", Some(int), Some(Expression::raw(vec![]))),
        ("v_nolocation", Some(int), None),
    ];
    for (name, ty, location) in variables {
        let id = unit.add(function, dw::DW_TAG_variable);
        let entry = unit.get_mut(id);
        entry.set(dw::DW_AT_name, string(name));
        if let Some(ty) = ty {
            entry.set(dw::DW_AT_type, AttributeValue::UnitRef(ty));
        }
        if let Some(location) = location {
            entry.set(dw::DW_AT_location, AttributeValue::Exprloc(location));
        }
    }
    // A declaration without a location is not a variable of this scope.
    let declared = unit.add(function, dw::DW_TAG_variable);
    unit.get_mut(declared)
        .set(dw::DW_AT_name, string("v_declared"));
    unit.get_mut(declared)
        .set(dw::DW_AT_declaration, AttributeValue::Flag(true));
    // A constant shorter than its type.
    let constant = unit.add(function, dw::DW_TAG_variable);
    unit.get_mut(constant)
        .set(dw::DW_AT_name, string("v_short_constant"));
    unit.get_mut(constant)
        .set(dw::DW_AT_type, AttributeValue::UnitRef(int));
    unit.get_mut(constant)
        .set(dw::DW_AT_const_value, AttributeValue::Block(vec![1, 2]));

    let mut sections = Sections::new(EndianVec::new(LittleEndian));
    dwarf.write(&mut sections).unwrap();
    let mut out = HashMap::new();
    sections
        .for_each(|id, data| -> Result<(), ()> {
            if !data.slice().is_empty() {
                out.insert(id.name().to_string(), data.slice().to_vec());
            }
            Ok(())
        })
        .unwrap();
    out
}

#[test]
fn hostile_types_and_locations_print_errors() {
    let wasm = example("debugme.wasm");
    let original = ModuleSymbols::new(&wasm).unwrap();
    let index = (0..200)
        .find(|&i| original.function_name(i) == "area")
        .unwrap();
    let body = original.function_body(index).unwrap();
    let code_start = original.code_start();
    let debug = hostile_dwarf(
        u64::from(body.start - code_start),
        u64::from(body.end - body.start),
    );
    let symbols = ModuleSymbols::new(&with_debug_sections(&wasm, &debug)).unwrap();
    assert!(symbols.has_dwarf(), "{:?}", symbols.dwarf_problem());
    let pc = body.start + 4;
    let mut frame = Fake::new();
    frame.write_i32s(common::FRAME_BASE, &[7, 9]);
    let printed: Vec<(String, String, String)> = symbols
        .variables(pc)
        .iter()
        .map(|v| {
            let text = symbols.format_variable(pc, v, &frame);
            (v.name.clone(), v.type_name.clone(), text)
        })
        .collect();
    let get = |name: &str| {
        printed
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} not listed in {printed:#?}"))
            .clone()
    };
    assert!(printed.iter().all(|(n, _, _)| n != "v_declared"));
    assert_eq!(printed.len(), 23);
    for name in [
        "v_cyclic",
        "v_big",
        "v_zero",
        "v_odd",
        "v_loop",
        "v_jump",
        "v_reg",
        "v_pop",
        "v_truncated",
        "v_wasm_kind",
        "v_div",
        "v_deref",
        "v_global",
        "v_stack",
    ] {
        let (_, _, text) = get(name);
        assert!(text.starts_with("<error: "), "{name}: {text}");
    }
    assert_eq!(
        get("v_bits").2,
        "{b = <error: bit field wider than 64 bits>}"
    );
    assert_eq!(
        get("v_loop").2,
        "<error: location expression does not terminate>"
    );
    assert_eq!(
        get("v_reg").2,
        "<error: DWARF register 5 (not a wasm location)>"
    );
    assert_eq!(
        get("v_deref").2,
        "<error: Cannot access memory at address 0xffffffff>"
    );
    assert_eq!(
        get("v_global").2,
        "<error: wasm global 9 is not available in this frame>"
    );
    assert_eq!(get("v_empty").2, "<optimized out>");
    assert_eq!(get("v_nolocation").2, "<optimized out>");
    assert_eq!(get("v_short_constant").2, "<optimized out>");
    assert_eq!(get("v_flags").2, "<error: 65535-byte enum>");
    assert_eq!(get("v_huge").1, "int [4294967295]");
    assert_eq!(get("v_huge").2, "{7, 9, 0 <repeats 198 times>...}");
    assert_eq!(get("v_selfptr").2, format!("({}) 0x7", get("v_selfptr").1));
    assert!(
        get("v_rec").2.starts_with("{inner = {inner = "),
        "{}",
        get("v_rec").2
    );
    // Expressions over the same variables fail with messages, not panics.
    for expression in [
        "v_cyclic",
        "*v_selfptr",
        "**v_selfptr",
        "v_rec.inner.inner.inner",
        "v_huge[100000000]",
        "v_huge[-1]",
        "&v_huge",
        "v_big.x",
        "v_bits.b",
        "*v_notype",
        "v_loop",
        "&v_short_constant",
        "-v_flags",
    ] {
        let _ = symbols.evaluate(pc, expression, &frame);
    }
    assert_eq!(
        symbols.evaluate(pc, "v_huge[1]", &frame),
        Ok(("int".to_string(), "9".to_string()))
    );
}

#[test]
fn garbage_debug_sections_never_panic() {
    let wasm = example("debugme.wasm");
    let intact = ModuleSymbols::new(&wasm).unwrap();
    let pcs: Vec<u32> = ["main", "area", "sum_list", "twice"]
        .iter()
        .map(|marker| pc_at_stop(&intact, marker))
        .collect();
    let sections = debug_sections(&wasm);
    let frame = Fake::new();
    // Deterministic xorshift so failures reproduce.
    let mut state = 0x2545_F491u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for round in 0..80 {
        let mut damaged = sections.clone();
        let name = [".debug_info", ".debug_abbrev", ".debug_loc", ".debug_str"][round % 4];
        if let Some(data) = damaged.get_mut(name) {
            if round % 5 == 0 {
                let keep = next() as usize % data.len().max(1);
                data.truncate(keep);
            } else {
                for _ in 0..(1 + next() % 16) {
                    if data.is_empty() {
                        break;
                    }
                    let at = next() as usize % data.len();
                    data[at] = next() as u8;
                }
            }
        }
        let Ok(symbols) = ModuleSymbols::new(&with_debug_sections(&wasm, &damaged)) else {
            continue;
        };
        for &pc in &pcs {
            for depth in 0..3 {
                for v in symbols.variables_at_depth(pc, depth) {
                    let _ = symbols.format_variable(pc, &v, &frame);
                    let _ = symbols.evaluate(pc, &format!("&{}", v.name), &frame);
                }
            }
            for expression in [
                "p",
                "first.next->next->value",
                "*r",
                "numbers[2]",
                "counter",
            ] {
                let _ = symbols.evaluate(pc, expression, &frame);
            }
        }
    }
}

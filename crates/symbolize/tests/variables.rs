//! DWARF variables of real clang output (examples/c/debugme.c at -O0) printed gdb-style, against
//! a fake frame whose memory the tests fill at the addresses the DWARF gives.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{address_of, debugme, pc_at_stop, Fake, FRAME_BASE};
use wobs_symbolize::{ModuleSymbols, WasmValue};

/// main's frame at its `// stop: main` line, every local initialised as the source says.
fn main_frame(symbols: &ModuleSymbols, pc: u32) -> Fake {
    let mut frame = Fake::new();
    let at = |frame: &Fake, name: &str| address_of(symbols, pc, frame, name);
    let p = at(&frame, "p");
    frame.write_i32s(p, &[2, 3]);
    let numbers = at(&frame, "numbers");
    frame.write_i32s(numbers, &[10, 20, 30, 40]);
    frame.write_i32s(at(&frame, "color"), &[2]);
    frame.write(0x2000, b"hello\0");
    frame.write_i32s(at(&frame, "greeting"), &[0x2000]);
    frame.write(at(&frame, "letter"), b"A");
    frame.write(at(&frame, "ratio"), &2.5f64.to_le_bytes());
    frame.write(at(&frame, "half"), &0.5f32.to_le_bytes());
    frame.write(at(&frame, "byte"), &[200]);
    frame.write(at(&frame, "small"), &(-5i16).to_le_bytes());
    frame.write(at(&frame, "big"), &1234567890123i64.to_le_bytes());
    frame.write(at(&frame, "flag"), &[1]);
    frame.write_i32s(at(&frame, "count"), &[3]);
    frame.write_i32s(at(&frame, "num"), &[42]);
    frame.write(at(&frame, "buffer"), b"hi\0\0\0\0\0\0");
    frame.write_i32s(at(&frame, "grid"), &[1, 2, 3, 4, 5, 6]);
    let third = at(&frame, "third");
    let second = at(&frame, "second");
    frame.write_i32s(third, &[30, 0]);
    frame.write_i32s(second, &[20, third as i32]);
    frame.write_i32s(at(&frame, "first"), &[10, second as i32]);
    frame.write_i32s(at(&frame, "rect"), &[1, 2, 4, 5, 1]);
    frame.write_i32s(at(&frame, "cursor"), &[numbers as i32 + 4]);
    // Globals (DW_OP_addr): `counter` and `banner`.
    frame.write_i32s(0xe10, &[7]);
    frame.write(0x2100, b"debugme\0");
    frame.write_i32s(0xe14, &[0x2100]);
    frame
}

#[test]
fn main_lists_its_locals_with_gdb_type_names() {
    let symbols = debugme();
    let pc = pc_at_stop(&symbols, "main");
    let listed: Vec<(String, String, bool)> = symbols
        .variables(pc)
        .into_iter()
        .map(|v| (v.name, v.type_name, v.is_parameter))
        .collect();
    let expected = [
        ("p", "struct Point"),
        ("numbers", "int [4]"),
        ("color", "enum Color"),
        ("greeting", "const char *"),
        ("letter", "char"),
        ("ratio", "double"),
        ("half", "float"),
        ("byte", "unsigned char"),
        ("small", "short"),
        ("big", "long long"),
        ("flag", "_Bool"),
        ("count", "uint"),
        ("num", "union Number"),
        ("buffer", "char [8]"),
        ("grid", "int [2][3]"),
        ("third", "struct Node"),
        ("second", "struct Node"),
        ("first", "struct Node"),
        ("rect", "struct Rect"),
        ("cursor", "int *"),
        ("a", "int"),
        ("s", "int"),
        ("t", "int"),
    ];
    let expected: Vec<(String, String, bool)> = expected
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string(), false))
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn main_prints_every_local_like_gdb() {
    let symbols = debugme();
    let pc = pc_at_stop(&symbols, "main");
    let frame = main_frame(&symbols, pc);
    let numbers = address_of(&symbols, pc, &frame, "numbers");
    let second = address_of(&symbols, pc, &frame, "second");
    let printed: Vec<(String, String)> = symbols
        .variables(pc)
        .iter()
        .map(|v| (v.name.clone(), symbols.format_variable(pc, v, &frame)))
        .collect();
    let expected = [
        ("p", "{x = 2, y = 3}".to_string()),
        ("numbers", "{10, 20, 30, 40}".to_string()),
        ("color", "BLUE".to_string()),
        ("greeting", "0x2000 \"hello\"".to_string()),
        ("letter", "65 'A'".to_string()),
        ("ratio", "2.5".to_string()),
        ("half", "0.5".to_string()),
        ("byte", "200 '\\310'".to_string()),
        ("small", "-5".to_string()),
        ("big", "1234567890123".to_string()),
        ("flag", "true".to_string()),
        ("count", "3".to_string()),
        ("num", "{i = 42, f = 5.88545355e-44}".to_string()),
        ("buffer", "\"hi\\000\\000\\000\\000\\000\"".to_string()),
        ("grid", "{{1, 2, 3}, {4, 5, 6}}".to_string()),
        ("third", "{value = 30, next = 0x0}".to_string()),
        (
            "second",
            format!(
                "{{value = 20, next = {:#x}}}",
                address_of(&symbols, pc, &frame, "third")
            ),
        ),
        ("first", format!("{{value = 10, next = {second:#x}}}")),
        (
            "rect",
            "{origin = {x = 1, y = 2}, width = 4, height = 5, color = GREEN}".to_string(),
        ),
        ("cursor", format!("(int *) {:#x}", numbers + 4)),
        ("a", "0".to_string()),
        ("s", "0".to_string()),
        ("t", "0".to_string()),
    ];
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
    assert_eq!(printed, expected);
    // -O0 keeps everything in the frame: addresses are frame base + DW_OP_fbreg offset.
    assert_eq!(address_of(&symbols, pc, &frame, "p"), FRAME_BASE + 280);
}

#[test]
fn print_expressions_follow_pointers_members_and_subscripts() {
    let symbols = debugme();
    let pc = pc_at_stop(&symbols, "main");
    let frame = main_frame(&symbols, pc);
    let eval = |expression: &str| symbols.evaluate(pc, expression, &frame);
    let ok = |t: &str, v: &str| Ok((t.to_string(), v.to_string()));
    assert_eq!(eval("first.next->next->value"), ok("int", "30"));
    assert_eq!(eval("first.next.next.value"), ok("int", "30"));
    assert_eq!(eval("rect.origin"), ok("struct Point", "{x = 1, y = 2}"));
    assert_eq!(eval("rect.color"), ok("enum Color", "GREEN"));
    assert_eq!(eval("numbers[2]"), ok("int", "30"));
    assert_eq!(eval("*cursor"), ok("int", "20"));
    assert_eq!(eval("cursor[1]"), ok("int", "30"));
    assert_eq!(eval("grid[1]"), ok("int [3]", "{4, 5, 6}"));
    assert_eq!(eval("grid[1][2]"), ok("int", "6"));
    assert_eq!(eval("*greeting"), ok("const char", "104 'h'"));
    assert_eq!(eval("greeting[4]"), ok("const char", "111 'o'"));
    assert_eq!(
        eval("&p"),
        ok(
            "struct Point *",
            &format!("(struct Point *) {:#x}", FRAME_BASE + 280)
        )
    );
    assert_eq!(eval("(&p)->y"), ok("int", "3"));
    assert_eq!(eval("*&rect.origin"), ok("struct Point", "{x = 1, y = 2}"));
    assert_eq!(
        eval("&numbers").map(|(t, _)| t),
        Ok("int (*)[4]".to_string())
    );
    // C's integer promotion: a short negated is an int (as gdb's `ptype -small` says).
    assert_eq!(eval("-small"), ok("int", "5"));
    // Binary operators with C's precedence and conversions.
    assert_eq!(eval("rect.width * rect.height + 1"), ok("int", "21"));
    assert_eq!(eval("p.x - p.y"), ok("int", "-1"));
    assert_eq!(eval("numbers[p.x + 1] / 7 % 4"), ok("int", "1"));
    assert_eq!(eval("counter << 2 | 1"), ok("int", "29"));
    assert_eq!(eval("~counter ^ 0x0f"), ok("int", "-9"));
    assert_eq!(
        eval("counter > 5 && !(p.y == 3) || small < 0"),
        ok("int", "1")
    );
    assert_eq!(eval("byte + 1"), ok("int", "201"));
    assert_eq!(eval("big + 1"), ok("long long", "1234567890124"));
    assert_eq!(eval("num.f"), ok("float", "5.88545355e-44"));
    assert_eq!(eval("counter"), ok("int", "7"));
    assert_eq!(eval("banner"), ok("const char *", "0x2100 \"debugme\""));
    assert_eq!(eval("42"), ok("int", "42"));
    assert_eq!(eval("numbers[0x1]"), ok("int", "20"));
}

#[test]
fn print_errors_use_gdb_wording() {
    let symbols = debugme();
    let pc = pc_at_stop(&symbols, "main");
    let frame = main_frame(&symbols, pc);
    let err = |expression: &str| symbols.evaluate(pc, expression, &frame).unwrap_err();
    assert_eq!(err("nosuch"), "No symbol \"nosuch\" in current context.");
    assert_eq!(err("p.z"), "There is no member named z.");
    assert_eq!(
        err("*p"),
        "Attempt to take contents of a non-pointer value."
    );
    assert_eq!(
        err("p[1]"),
        "cannot subscript something of type `struct Point'"
    );
    assert_eq!(
        err("p.x.y"),
        "Attempt to extract a component of a value that is not a structure."
    );
    assert_eq!(
        err("&42"),
        "Attempt to take address of value not located in memory."
    );
    assert_eq!(err("p +"), "A syntax error in expression, near `'.");
    assert_eq!(err("p # 1"), "Invalid character '#' in expression.");
    assert_eq!(err("1 / 0"), "Division by zero");
    assert_eq!(err("p q"), "A syntax error in expression, near `q'.");
    // A pointer into nowhere: gdb refuses to print the value.
    let mut bad = main_frame(&symbols, pc);
    bad.write_i32s(address_of(&symbols, pc, &frame, "cursor"), &[0x7fff_0000]);
    assert_eq!(
        symbols.evaluate(pc, "*cursor", &bad).unwrap_err(),
        "Cannot access memory at address 0x7fff0000"
    );
    bad.write_i32s(address_of(&symbols, pc, &frame, "greeting"), &[0x7fff_0000]);
    let greeting = symbols
        .variables(pc)
        .into_iter()
        .find(|v| v.name == "greeting")
        .unwrap();
    assert_eq!(
        symbols.format_variable(pc, &greeting, &bad),
        "0x7fff0000 <error: Cannot access memory at address 0x7fff0000>"
    );
}

#[test]
fn parameters_come_first_and_pointers_print_with_their_type() {
    let symbols = debugme();
    let pc = pc_at_stop(&symbols, "area");
    let vars = symbols.variables(pc);
    let names: Vec<(&str, &str, bool)> = vars
        .iter()
        .map(|v| (v.name.as_str(), v.type_name.as_str(), v.is_parameter))
        .collect();
    assert_eq!(
        names,
        [
            ("r", "struct Rect *", true),
            ("w", "int", false),
            ("h", "int", false),
            ("result", "int", false)
        ]
    );
    let mut frame = Fake::new();
    frame.write_i32s(0x3000, &[1, 2, 4, 5, 1]);
    frame.write_i32s(address_of(&symbols, pc, &frame, "r"), &[0x3000]);
    frame.write_i32s(address_of(&symbols, pc, &frame, "w"), &[4]);
    assert_eq!(
        symbols.format_variable(pc, &vars[0], &frame),
        "(struct Rect *) 0x3000"
    );
    let eval = |e: &str| symbols.evaluate(pc, e, &frame).map(|(_, v)| v);
    assert_eq!(
        eval("*r").unwrap(),
        "{origin = {x = 1, y = 2}, width = 4, height = 5, color = GREEN}"
    );
    assert_eq!(eval("r->width").unwrap(), "4");
    assert_eq!(eval("r->origin.y").unwrap(), "2");
    // Names from another function are not in scope here.
    assert_eq!(
        eval("numbers").unwrap_err(),
        "No symbol \"numbers\" in current context."
    );
}

#[test]
fn block_locals_are_listed_innermost_first() {
    let symbols = debugme();
    let pc = pc_at_stop(&symbols, "sum_list");
    let vars: Vec<(String, String, bool)> = symbols
        .variables(pc)
        .into_iter()
        .map(|v| (v.name, v.type_name, v.is_parameter))
        .collect();
    assert_eq!(
        vars,
        [
            ("head".to_string(), "struct Node *".to_string(), true),
            ("n".to_string(), "struct Node *".to_string(), false),
            ("total".to_string(), "int".to_string(), false),
        ]
    );
    let mut frame = Fake::new();
    frame.write_i32s(0x3000, &[5, 0x3008, 6, 0]);
    frame.write_i32s(address_of(&symbols, pc, &frame, "n"), &[0x3000]);
    let eval = |e: &str| symbols.evaluate(pc, e, &frame).map(|(_, v)| v);
    assert_eq!(eval("n->next->value").unwrap(), "6");
    assert_eq!(eval("*n->next").unwrap(), "{value = 6, next = 0x0}");
}

#[test]
fn inlined_calls_have_their_own_variables() {
    let symbols = debugme();
    let pc = pc_at_stop(&symbols, "twice");
    let frames = symbols.lookup(pc);
    assert_eq!(frames[0].function, "twice");
    assert!(frames[0].inlined);
    assert_eq!(frames[1].function, "main");
    let inner: Vec<(String, bool)> = symbols
        .variables(pc)
        .into_iter()
        .map(|v| (v.name, v.is_parameter))
        .collect();
    assert_eq!(
        inner,
        [("v".to_string(), true), ("doubled".to_string(), false)]
    );
    let outer = symbols.variables_at_depth(pc, 1);
    assert_eq!(outer.len(), 23);
    assert_eq!(outer[0].name, "p");
    assert!(symbols.variables_at_depth(pc, 2).is_empty());
    // The inlined function's variables live in the caller's frame (main's frame base).
    let mut frame = Fake::new();
    frame.write_i32s(address_of(&symbols, pc, &frame, "v"), &[20]);
    frame.write_i32s(address_of(&symbols, pc, &frame, "doubled"), &[40]);
    assert_eq!(
        symbols.evaluate(pc, "doubled", &frame),
        Ok(("int".to_string(), "40".to_string()))
    );
    let v = &symbols.variables(pc)[0];
    assert_eq!(symbols.format_variable(pc, v, &frame), "20");
}

#[test]
fn frames_that_lack_a_slot_or_memory_print_errors() {
    let symbols = debugme();
    let pc = pc_at_stop(&symbols, "main");
    let vars = symbols.variables(pc);
    // No locals at all: the frame base (local 2 at -O0) is unavailable.
    let empty = Fake::empty();
    for v in &vars {
        let text = symbols.format_variable(pc, v, &empty);
        assert!(text.starts_with("<error: "), "{}: {text}", v.name);
    }
    assert_eq!(
        symbols.format_variable(pc, &vars[0], &empty),
        "<error: wasm local 2 is not available in this frame>"
    );
    // Memory ends below the frame.
    let mut short = Fake::new();
    short.memory.truncate(16);
    assert_eq!(
        symbols.format_variable(pc, &vars[0], &short),
        format!(
            "<error: Cannot access memory at address {:#x}>",
            FRAME_BASE + 280
        )
    );
}

#[test]
fn offsets_without_dwarf_have_no_variables() {
    let symbols = debugme();
    let frame = Fake::new();
    assert!(symbols.variables(0).is_empty());
    assert!(symbols.variables(u32::MAX).is_empty());
    let first_body = symbols.function_bodies().next().unwrap().1;
    assert!(symbols.variables(first_body.start).is_empty() || symbols.has_dwarf());
    assert_eq!(
        symbols.evaluate(0, "x", &frame).unwrap_err(),
        "No symbol \"x\" in current context."
    );
    let nodebug = ModuleSymbols::new(&common::example("twice_nodebug.wasm")).unwrap();
    let body = nodebug.function_bodies().last().unwrap().1;
    assert!(nodebug.variables(body.start + 2).is_empty());
    assert_eq!(
        nodebug.evaluate(body.start + 2, "x", &frame).unwrap_err(),
        "No symbol table is loaded.  Use the \"file\" command."
    );
    let _ = WasmValue::I32(0);
}

#[test]
fn variables_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<wobs_symbolize::Variable>();
    assert_send_sync::<WasmValue>();
}

//! Shared helpers for the variable tests: example modules, stop lines, and a fake frame.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use wobs_symbolize::{FrameState, ModuleSymbols, WasmValue};

/// Every wasm local of the fake frame holds this (at -O0 the frame base is a local).
pub const FRAME_BASE: u64 = 1000;
/// `__stack_pointer` (global 0) of the fake frame.
pub const STACK_POINTER: u64 = 4000;

/// The bytes of `examples/wasm/<name>`.
pub fn example(name: &str) -> Vec<u8> {
    let path = format!("{}/../../examples/wasm/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Symbols of examples/wasm/debugme.wasm.
pub fn debugme() -> ModuleSymbols {
    ModuleSymbols::new(&example("debugme.wasm")).unwrap()
}

/// The line of `source` (a path relative to the repository) marked `// stop: <marker>`.
pub fn stop_line(source: &str, marker: &str) -> u32 {
    let path = format!("{}/../../{source}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let tag = format!("// stop: {marker}");
    let index = text
        .lines()
        .position(|line| line.trim_end().ends_with(&tag))
        .unwrap_or_else(|| panic!("no `{tag}` in {path}"));
    index as u32 + 1
}

/// The first offset whose innermost source line is `line` of a file ending in `file`.
pub fn pc_at_line(symbols: &ModuleSymbols, file: &str, line: u32) -> u32 {
    for (_, body) in symbols.function_bodies() {
        for pc in body {
            let frames = symbols.lookup(pc);
            let frame = &frames[0];
            if frame.line == Some(line) && frame.file.as_deref().is_some_and(|f| f.ends_with(file))
            {
                return pc;
            }
        }
    }
    panic!("no code for {file}:{line}");
}

/// The pc of the `// stop: <marker>` line of examples/c/debugme.c.
pub fn pc_at_stop(symbols: &ModuleSymbols, marker: &str) -> u32 {
    let line = stop_line("examples/c/debugme.c", marker);
    pc_at_line(symbols, "debugme.c", line)
}

/// The address `&name` evaluates to at `pc`.
pub fn address_of(symbols: &ModuleSymbols, pc: u32, frame: &dyn FrameState, name: &str) -> u64 {
    let (_, text) = symbols
        .evaluate(pc, &format!("&{name}"), frame)
        .unwrap_or_else(|err| panic!("&{name}: {err}"));
    let hex = text
        .rsplit("0x")
        .next()
        .and_then(|hex| hex.split_whitespace().next())
        .unwrap();
    u64::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("&{name} = {text}"))
}

/// A stopped frame made up by a test: locals, globals and 64 KiB of linear memory.
pub struct Fake {
    /// Value of every local (None: no locals at all).
    pub locals: Option<WasmValue>,
    /// Specific locals overriding `locals`.
    pub local_values: Vec<(u32, WasmValue)>,
    pub memory: Vec<u8>,
}

impl Fake {
    /// Every local holds [`FRAME_BASE`], global 0 holds [`STACK_POINTER`], memory is zero.
    pub fn new() -> Fake {
        Fake {
            locals: Some(WasmValue::I32(FRAME_BASE as i32)),
            local_values: Vec::new(),
            memory: vec![0; 64 * 1024],
        }
    }

    /// No locals at all, zeroed memory.
    pub fn empty() -> Fake {
        Fake {
            locals: None,
            ..Fake::new()
        }
    }

    pub fn write(&mut self, address: u64, bytes: &[u8]) {
        let at = address as usize;
        self.memory[at..at + bytes.len()].copy_from_slice(bytes);
    }

    pub fn write_i32s(&mut self, address: u64, values: &[i32]) {
        for (i, v) in values.iter().enumerate() {
            self.write(address + 4 * i as u64, &v.to_le_bytes());
        }
    }
}

impl FrameState for Fake {
    fn local(&self, index: u32) -> Option<WasmValue> {
        self.local_values
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, v)| *v)
            .or(self.locals)
    }

    fn global(&self, index: u32) -> Option<WasmValue> {
        (index == 0).then_some(WasmValue::I32(STACK_POINTER as i32))
    }

    fn stack(&self, _index: u32) -> Option<WasmValue> {
        None
    }

    fn memory(&self, address: u64, len: usize) -> Option<Vec<u8>> {
        let start = usize::try_from(address).ok()?;
        let end = start.checked_add(len)?;
        self.memory.get(start..end).map(<[u8]>::to_vec)
    }
}

/// Rebuilds `wasm` with its `.debug_*` sections replaced by `debug` (absent names are dropped).
pub fn with_debug_sections(
    wasm: &[u8],
    debug: &std::collections::HashMap<String, Vec<u8>>,
) -> Vec<u8> {
    use std::borrow::Cow;
    let mut module = wasm_encoder::Module::new();
    let mut added = false;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.expect("valid module");
        if let wasmparser::Payload::CustomSection(section) = &payload {
            if section.name().starts_with(".debug_") {
                if !added {
                    for (name, data) in debug {
                        module.section(&wasm_encoder::CustomSection {
                            name: Cow::Borrowed(name),
                            data: Cow::Borrowed(data),
                        });
                    }
                    added = true;
                }
                continue;
            }
        }
        if let Some((id, range)) = payload.as_section() {
            module.section(&wasm_encoder::RawSection {
                id,
                data: &wasm[range],
            });
        }
    }
    module.finish()
}

/// The module's `.debug_*` sections by name.
pub fn debug_sections(wasm: &[u8]) -> std::collections::HashMap<String, Vec<u8>> {
    let mut sections = std::collections::HashMap::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::CustomSection(s)) = payload {
            if s.name().starts_with(".debug_") {
                sections.insert(s.name().to_string(), s.data().to_vec());
            }
        }
    }
    sections
}

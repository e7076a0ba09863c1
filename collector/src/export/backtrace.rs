//! Symbolized trap backtraces, in the layout of wasmtime's own.

use std::fmt::Write;

use wobs_events::{ModuleInfo, TraceFrame};

/// ```text
/// wasm backtrace:
///     0:    0x249 - trap!divide
///                     at examples/c/trap.c:24:14
///     1:    0x26b - trap!compute
///                     at examples/c/trap.c:31:12
/// ```
/// Inlined frames are listed under their physical frame, marked `[inlined]`.
pub fn render_backtrace(backtrace: &[TraceFrame], modules: &[ModuleInfo]) -> String {
    let mut out = String::from("wasm backtrace:\n");
    if backtrace.is_empty() {
        out.push_str("    <no wasm frames>\n");
    }
    for (index, physical) in backtrace.iter().enumerate() {
        let module = modules
            .get(physical.module as usize)
            .map_or("?", |m| m.name.as_str());
        let mut prefix = format!("{index:>5}: {:>#8x} - ", physical.offset);
        for frame in &physical.frames {
            let inlined = if frame.inlined { " [inlined]" } else { "" };
            let _ = writeln!(out, "{prefix}{module}!{}{inlined}", frame.function);
            if let Some(file) = &frame.file {
                let _ = write!(out, "                    at {file}");
                if let Some(line) = frame.line {
                    let _ = write!(out, ":{line}");
                    if let Some(column) = frame.column {
                        let _ = write!(out, ":{column}");
                    }
                }
                out.push('\n');
            }
            prefix = format!("{:>18}", "- ");
        }
    }
    out
}

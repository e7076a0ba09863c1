//! A function's wasm instructions as text: `disassemble`, and the terminal UI's assembly layout.

use wasmparser::{Operator, Parser, Payload};

/// Instructions shown per function at most (the rest is elided).
const MAX_INSTRUCTIONS: usize = 50_000;

/// The instructions of the function whose body contains module offset `offset`, as (offset,
/// text indented by block depth); `None` when no body contains it or the module is unreadable.
pub(crate) fn function_at(wasm: &[u8], offset: u32) -> Option<Vec<(u32, String)>> {
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CodeSectionEntry(body)) = payload else {
            continue;
        };
        if !body.range().contains(&(offset as usize)) {
            continue;
        }
        let mut operators = body.get_operators_reader().ok()?;
        let mut out = Vec::new();
        let mut depth = 0usize;
        while !operators.eof() && out.len() < MAX_INSTRUCTIONS {
            let (operator, at) = operators.read_with_offset().ok()?;
            let closes = matches!(
                operator,
                Operator::End | Operator::Else | Operator::Catch { .. } | Operator::CatchAll
            );
            if closes {
                depth = depth.saturating_sub(1);
            }
            out.push((
                at as u32,
                format!("{}{}", "  ".repeat(depth), text(&operator)),
            ));
            let opens = matches!(
                operator,
                Operator::Block { .. }
                    | Operator::Loop { .. }
                    | Operator::If { .. }
                    | Operator::Else
                    | Operator::Try { .. }
                    | Operator::TryTable { .. }
                    | Operator::Catch { .. }
                    | Operator::CatchAll
            );
            if opens {
                depth += 1;
            }
        }
        return Some(out);
    }
    None
}

/// Prefixes that the wasm text format separates from the rest of the name with a dot.
const DOTTED: &[&str] = &[
    "i32", "i64", "f32", "f64", "v128", "local", "global", "memory", "table", "ref", "data",
    "elem", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
];

/// `local.get 0`, `i32.const 5`, `i32.load offset=104`, `call 12`: wasmparser's operator names in
/// the text format's spelling, with their immediates.
fn text(operator: &Operator<'_>) -> String {
    let debug = format!("{operator:?}");
    let (name, fields) = match debug.split_once(' ') {
        Some((name, rest)) => (
            name,
            rest.trim().trim_start_matches('{').trim_end_matches('}'),
        ),
        None => (debug.as_str(), ""),
    };
    let mut snake = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_uppercase()
            && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
        previous = Some(c);
    }
    if let Some((prefix, rest)) = snake.split_once('_') {
        if DOTTED.contains(&prefix) {
            snake = format!("{prefix}.{rest}");
        }
    }
    let immediates = if fields.contains("memarg") {
        fields
            .split(", ")
            .find_map(|f| f.trim().strip_prefix("offset: "))
            .filter(|offset| *offset != "0")
            .map(|offset| format!("offset={offset}"))
            .unwrap_or_default()
    } else {
        fields
            .split(", ")
            .filter_map(|field| field.split_once(": ").map(|(_, value)| value.trim()))
            .filter(|value| *value != "Empty")
            .collect::<Vec<_>>()
            .join(" ")
    };
    if immediates.is_empty() {
        snake
    } else {
        format!("{snake} {immediates}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_print_in_the_text_format_spelling() {
        assert_eq!(text(&Operator::LocalGet { local_index: 3 }), "local.get 3");
        assert_eq!(text(&Operator::I32Const { value: -5 }), "i32.const -5");
        assert_eq!(text(&Operator::I32Add), "i32.add");
        assert_eq!(text(&Operator::BrIf { relative_depth: 1 }), "br_if 1");
        assert_eq!(text(&Operator::Call { function_index: 12 }), "call 12");
        assert_eq!(text(&Operator::I64ExtendI32S), "i64.extend_i32_s");
        let memarg = wasmparser::MemArg {
            align: 2,
            max_align: 2,
            offset: 104,
            memory: 0,
        };
        assert_eq!(text(&Operator::I32Load { memarg }), "i32.load offset=104");
    }
}

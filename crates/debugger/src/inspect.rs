//! Looking at values: `print[/FMT]`, `whatis`, `ptype` (of expressions and type names) and
//! `x/NFU`.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::frame_state::read_memory;
use crate::{gdb_char, parse_number, sign_extend, Debugger, Flow};

impl Debugger {
    /// `whatis EXPR`: the expression's type, as gdb names it.
    pub(crate) fn whatis(&mut self, expression: &str) -> Result<Flow, String> {
        let ty = self
            .in_frame(self.selected, |symbols, pc, state| {
                symbols.evaluate(pc, expression, state)
            })
            .and_then(|value| value.map(|(ty, _)| ty))
            .or_else(|err| self.type_named(expression, false).unwrap_or(Err(err)))?;
        say!(self, "type = {ty}");
        Ok(Flow::Next)
    }

    /// `whatis TYPE` / `ptype TYPE` (`expand`) for a type name, when `text` is one.
    pub(crate) fn type_named(&self, text: &str, expand: bool) -> Option<Result<String, String>> {
        let location = self
            .stop
            .as_ref()
            .and(self.lookup_location(self.selected))
            .or_else(|| self.main_location())?;
        self.symbols(location.module)?
            .describe_type(location.offset, text, expand)
    }

    /// `ptype EXPR`: the type with its members spelled out.
    pub(crate) fn ptype(&mut self, expression: &str) -> Result<Flow, String> {
        let ty = self
            .in_frame(self.selected, |symbols, pc, state| {
                symbols.ptype(pc, expression, state)
            })
            .and_then(|ty| ty)
            .or_else(|err| self.type_named(expression, true).unwrap_or(Err(err)))?;
        say!(self, "type = {ty}");
        Ok(Flow::Next)
    }

    /// `print EXPR` and `print/FMT EXPR`.
    pub(crate) fn print(&mut self, expression: &str, format: Option<char>) -> Result<Flow, String> {
        if let Some(n) = expression
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
        {
            let value = self
                .history
                .get(n.wrapping_sub(1))
                .ok_or_else(|| format!("History has not yet reached ${n}."))?
                .clone();
            self.history.push(value.clone());
            say!(self, "${} = {value}", self.history.len());
            return Ok(Flow::Next);
        }
        let value = self.expression_value(expression, format)?;
        self.history.push(value.clone());
        say!(self, "${} = {value}", self.history.len());
        Ok(Flow::Next)
    }

    /// EXPR's value in the selected frame, as `print` shows it.
    pub(crate) fn expression_value(
        &self,
        expression: &str,
        format: Option<char>,
    ) -> Result<String, String> {
        let (_, value) = self.in_frame(self.selected, |symbols, pc, state| {
            symbols.evaluate_formatted(pc, expression, state, format)
        })??;
        Ok(value)
    }

    /// `x/NFU ADDRESS`: N units of size U (b, h, w, g) in format F (x, d, u, c).
    pub(crate) fn examine(&self, verb: &str, rest: &str) -> Result<Flow, String> {
        for line in self.examine_lines(verb, rest)? {
            say!(self, "{line}");
        }
        Ok(Flow::Next)
    }

    /// The lines `x/NFU ADDR` prints.
    pub(crate) fn examine_lines(&self, verb: &str, rest: &str) -> Result<Vec<String>, String> {
        let frame = self.current()?;
        let format = verb.strip_prefix("x/").unwrap_or("");
        let count: usize = format
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(1);
        let letters: String = format.chars().skip_while(char::is_ascii_digit).collect();
        let size = match letters.chars().find(|c| "bhwg".contains(*c)) {
            Some('b') => 1,
            Some('h') => 2,
            Some('g') => 8,
            _ => 4,
        };
        let style = letters
            .chars()
            .find(|c| "xducs".contains(*c))
            .unwrap_or('x');
        let address = match parse_number(rest) {
            Some(address) => address,
            None => {
                // A pointer gives its value; an object (an array, a struct) its address, as gdb.
                let address_of = |expression: &str| -> Result<Option<u64>, String> {
                    let (_, value) = self.in_frame(self.selected, |symbols, pc, state| {
                        symbols.evaluate(pc, expression, state)
                    })??;
                    Ok(value
                        .split_whitespace()
                        .find(|t| t.starts_with("0x"))
                        .and_then(parse_number))
                };
                let direct = address_of(rest)?;
                let address = match direct {
                    Some(address) => Some(address),
                    None => address_of(&format!("&{rest}")).ok().flatten(),
                };
                address.ok_or_else(|| format!("Cannot access memory for \"{rest}\""))?
            }
        };
        let bytes = read_memory(
            &*self.session,
            frame.location.module,
            address,
            count.saturating_mul(size),
        )
        .ok_or_else(|| format!("Cannot access memory at address {address:#x}"))?;
        let per_line = if size == 1 { 8 } else { 16 / size };
        let mut lines = Vec::new();
        for (line, chunk) in bytes.chunks(per_line * size).enumerate() {
            let at = address + (line * per_line * size) as u64;
            // gdb labels a line that starts inside a global: `0x1040 <counter>:`.
            let label = self
                .symbols(frame.location.module)
                .and_then(|symbols| symbols.data_symbol(at))
                .map(|label| format!(" <{label}>"))
                .unwrap_or_default();
            let mut text = format!("{at:#x}{label}:");
            for unit in chunk.chunks(size) {
                let mut raw = [0u8; 8];
                raw[..unit.len()].copy_from_slice(unit);
                let value = u64::from_le_bytes(raw);
                let _ = match style {
                    'd' => write!(text, "\t{}", sign_extend(value, size)),
                    'u' => write!(text, "\t{value}"),
                    'c' => write!(text, "\t{} '{}'", sign_extend(value, 1), gdb_char(unit[0])),
                    _ => write!(text, "\t{:#0width$x}", value, width = size * 2 + 2),
                };
            }
            lines.push(text);
        }
        Ok(lines)
    }
}

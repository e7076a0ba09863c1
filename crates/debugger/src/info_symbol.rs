//! `info line LOCATION` and `info symbol ADDRESS`: where a line's code is and what an address
//! belongs to, with addresses labelled `<function+offset>` as gdb labels them. Code addresses are
//! module offsets (as breakpoint addresses are); data addresses are linear-memory addresses.

use crate::{parse_number, Debugger, Flow};

impl Debugger {
    /// `info line area`, `info line debugme.c:50`, `info line *0x26d`.
    pub(crate) fn info_line(&self, spec: &str) -> Result<Flow, String> {
        if spec.is_empty() {
            return Err("Argument required (line specification).".to_string());
        }
        let locations = self.resolve(spec)?;
        // A function's line is the one its code starts with (gdb does not skip the prologue here).
        let is_function =
            !spec.starts_with('*') && !spec.contains(':') && spec.parse::<u32>().is_err();
        for location in locations {
            // The symbols' lock is let go before the labels below take it again.
            let (offset, row) = {
                let symbols = self
                    .symbols(location.module)
                    .ok_or("No line number information available.")?;
                let offset = match is_function {
                    true => symbols
                        .function_index(location.offset)
                        .and_then(|index| symbols.function_body(index))
                        .map_or(location.offset, |body| body.start),
                    false => location.offset,
                };
                (offset, symbols.line_row(offset))
            };
            let (Some(row), Some((file, line))) = (
                row,
                self.source_of(wobs_events::CodeLocation { offset, ..location }),
            ) else {
                say!(
                    self,
                    "No line number information available for address {offset:#x}"
                );
                continue;
            };
            say!(
                self,
                "Line {line} of \"{file}\" starts at address {:#x}{} and ends at {:#x}{}.",
                row.start,
                self.code_label(location.module, row.start),
                row.end,
                self.code_label(location.module, row.end)
            );
        }
        Ok(Flow::Next)
    }

    /// `info symbol ADDRESS`: the global variable or function it is in.
    pub(crate) fn info_symbol(&self, expression: &str) -> Result<Flow, String> {
        if expression.is_empty() {
            return Err("Argument required (address).".to_string());
        }
        let address = match parse_number(expression) {
            Some(number) => number,
            None => self.in_frame(self.selected, |symbols, pc, state| {
                symbols.evaluate_address(pc, expression, state)
            })??,
        };
        let module = self.current().map_or(0, |frame| frame.location.module);
        let data = self.symbols(module).and_then(|s| s.data_symbol(address));
        if let Some(label) = data {
            say!(self, "{} in section .data", label.replace('+', " + "));
            return Ok(Flow::Next);
        }
        let label = self.code_label(module, address as u32);
        match label.strip_prefix(" <").and_then(|l| l.strip_suffix('>')) {
            Some(function) => say!(self, "{} in section .text", function.replace('+', " + ")),
            None => say!(self, "No symbol matches {expression}."),
        }
        Ok(Flow::Next)
    }

    /// ` <area>`, ` <sum_list+34>`: the function a module offset is in.
    pub(crate) fn code_label(&self, module: u32, offset: u32) -> String {
        self.symbols(module)
            .and_then(|symbols| symbols.code_symbol(offset))
            .map(|label| format!(" <{label}>"))
            .unwrap_or_default()
    }
}

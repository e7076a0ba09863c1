//! `output`, `display`, `undisplay` and `info display`: expressions shown without a history
//! number, or at every stop.

use std::io::Write as _;

use crate::{Debugger, Flow};

/// The `display` list.
#[derive(Default)]
pub(crate) struct Displays {
    list: Vec<Display>,
    /// The number the next `display` gets (numbers are never reused, as gdb's).
    last_number: u32,
}

/// An expression `display` shows at every stop.
struct Display {
    number: u32,
    expression: String,
    /// `display/x`: the format letter.
    format: Option<char>,
}

impl Display {
    /// `/x total`, as `info display` and a stop show the expression.
    fn label(&self) -> String {
        match self.format {
            Some(letter) => format!("/{letter} {}", self.expression),
            None => self.expression.clone(),
        }
    }
}

impl Debugger {
    /// `output EXPR`: the value alone, without a history number or a newline.
    pub(crate) fn output(
        &mut self,
        expression: &str,
        format: Option<char>,
    ) -> Result<Flow, String> {
        let value = self.expression_value(expression, format)?;
        let mut out = self.out.borrow_mut();
        let _ = write!(out, "{value}");
        let _ = out.flush();
        Ok(Flow::Next)
    }

    /// `display[/FMT] EXPR`: shows EXPR at every stop; `display` alone shows them all now.
    pub(crate) fn display(
        &mut self,
        expression: &str,
        format: Option<char>,
    ) -> Result<Flow, String> {
        if expression.is_empty() {
            self.show_displays();
            return Ok(Flow::Next);
        }
        self.displays.last_number += 1;
        let display = Display {
            number: self.displays.last_number,
            expression: expression.to_string(),
            format,
        };
        // At a terminal gdb shows the new display at once; from a script (gdb 13 -batch -x) it
        // does not, and the parity suite holds us to that.
        if self.stop.is_some() && !self.batch {
            if let Ok(text) = self.display_text(&display) {
                say!(self, "{text}");
            }
        }
        self.displays.list.push(display);
        Ok(Flow::Next)
    }

    /// `undisplay [N...]`: removes those displays, or all of them.
    pub(crate) fn undisplay(&mut self, rest: &str) -> Result<Flow, String> {
        if rest.is_empty() {
            if self.batch {
                // gdb's question, answered as it answers it without a terminal.
                say!(
                    self,
                    "Delete all auto-display expressions? (y or n) [answered Y; input not from terminal]"
                );
            }
            self.displays.list.clear();
            return Ok(Flow::Next);
        }
        for word in rest.split_whitespace() {
            let number: u32 = word
                .parse()
                .map_err(|_| "Arguments must be display numbers.".to_string())?;
            self.displays.list.retain(|d| d.number != number);
        }
        Ok(Flow::Next)
    }

    /// `info display`, in gdb's layout.
    pub(crate) fn info_display(&self) {
        if self.displays.list.is_empty() {
            say!(self, "There are no auto-display expressions now.");
            return;
        }
        say!(
            self,
            "Auto-display expressions now in effect:\nNum Enb Expression"
        );
        for display in &self.displays.list {
            let here = match self.stop.is_some() && self.display_text(display).is_err() {
                true => " (cannot be evaluated in the current context)",
                false => "",
            };
            say!(self, "{}:   y  {}{here}", display.number, display.label());
        }
    }

    /// Every display that can be evaluated at the current stop (gdb skips the others, such as
    /// locals of a function the guest has returned from).
    pub(crate) fn show_displays(&self) {
        if self.stop.is_none() {
            return;
        }
        for display in &self.displays.list {
            if let Ok(text) = self.display_text(display) {
                say!(self, "{text}");
            }
        }
    }

    /// `1: total = 5`, `2: /x total = 0x5`.
    fn display_text(&self, display: &Display) -> Result<String, String> {
        let value = self.expression_value(&display.expression, display.format)?;
        Ok(format!("{}: {} = {value}", display.number, display.label()))
    }
}

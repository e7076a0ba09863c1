//! Breakpoint conditions (`break LOCATION if COND`, `condition N [COND]`): the guest stops at a
//! conditional breakpoint only where the condition is true; elsewhere it carries on with what it
//! was doing (a `continue`, a step, a `finish`) without a word.

use wobs_events::{CodeLocation, DebugCommand, DebugEvent, Resume, StopReason};

use crate::{slip, Debugger, Flow};

/// The breakpoint a stop at some location is attributed to.
#[derive(Clone, Copy)]
pub(crate) struct Hit {
    /// Index into the breakpoint list.
    pub breakpoint: usize,
    /// Which of its locations (gdb's `N.M`).
    pub location: usize,
    /// How far wasmtime slipped the stop past the location.
    pub distance: u32,
}

impl Debugger {
    /// `condition N [EXPRESSION]`: sets breakpoint N's condition, or removes it.
    pub(crate) fn condition(&mut self, rest: &str) -> Result<Flow, String> {
        let (number, expression) = rest
            .trim()
            .split_once(char::is_whitespace)
            .map_or((rest.trim(), ""), |(n, e)| (n, e.trim()));
        if number.is_empty() {
            return Err("Argument required (breakpoint number).".to_string());
        }
        let id: u32 = number
            .parse()
            .map_err(|_| format!("Bad breakpoint argument: '{number}'"))?;
        let breakpoint = self
            .breakpoints
            .iter_mut()
            .find(|b| b.id == id)
            .ok_or_else(|| format!("No breakpoint number {id}."))?;
        breakpoint.condition = (!expression.is_empty()).then(|| expression.to_string());
        // gdb tells a person at a terminal; from a script it says nothing.
        if breakpoint.condition.is_none() && !self.batch {
            say!(self, "Breakpoint {id} now unconditional.");
        }
        Ok(Flow::Next)
    }

    /// The breakpoint nearest at or before `location` (wasmtime slips a breakpoint between
    /// instructions forward to the next one).
    pub(crate) fn breakpoint_hit(&self, location: CodeLocation) -> Option<Hit> {
        self.breakpoints
            .iter()
            .enumerate()
            .filter_map(|(breakpoint, b)| {
                let (distance, location) = slip(&b.locations, location)?;
                Some(Hit {
                    breakpoint,
                    location,
                    distance,
                })
            })
            .min_by_key(|hit| hit.distance)
    }

    /// The session's next event, passing over stops at breakpoints whose condition is false.
    pub(crate) fn next_event_meeting_conditions(&mut self) -> Option<DebugEvent> {
        loop {
            let event = self.session.next_event()?;
            let DebugEvent::Stopped(stop) = event else {
                return Some(event);
            };
            if matches!(stop.reason, StopReason::Watchpoint) {
                // Bytes changed; a value that reads the same (or cannot be read) goes on.
                self.stop = Some(stop);
                self.watch_report = self.changed_watchpoints();
                if !self.watch_report.is_empty() {
                    return self.stop.take().map(DebugEvent::Stopped);
                }
                self.carry_on()?;
                continue;
            }
            if !matches!(stop.reason, StopReason::Breakpoint) {
                return Some(DebugEvent::Stopped(stop));
            }
            let Some(location) = stop.frames.first().map(|f| f.location) else {
                return Some(DebugEvent::Stopped(stop));
            };
            let condition = self
                .breakpoint_hit(location)
                .filter(|hit| {
                    // An `advance`/`until` target nearer than the breakpoint is what stopped it.
                    slip(&self.advance_to, location).is_none_or(|(d, _)| d >= hit.distance)
                })
                .and_then(|hit| {
                    let breakpoint = &self.breakpoints[hit.breakpoint];
                    Some((breakpoint.id, breakpoint.condition.clone()?))
                });
            let Some((id, condition)) = condition else {
                return Some(DebugEvent::Stopped(stop));
            };
            self.stop = Some(stop);
            let holds = self.in_frame(0, |symbols, pc, state| {
                symbols.condition_holds(pc, &condition, state)
            });
            match holds {
                Ok(Ok(false)) => self.carry_on()?,
                Ok(Ok(true)) => return self.stop.take().map(DebugEvent::Stopped),
                // gdb stops at a condition it cannot evaluate, and says why.
                Ok(Err(message)) | Err(message) => {
                    say!(
                        self,
                        "Error in testing condition for breakpoint {id}:\n{message}"
                    );
                    return self.stop.take().map(DebugEvent::Stopped);
                }
            }
        }
    }

    /// Lets the guest go on with what a stop nobody asked for interrupted; `None` when the
    /// session is gone.
    fn carry_on(&mut self) -> Option<()> {
        self.stop = None;
        self.session
            .send(DebugCommand::Resume(Resume::Again))
            .then_some(())
    }
}

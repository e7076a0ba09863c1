//! Watchpoints (`watch EXPR`): the guest single-steps while any is set, the session stops it after
//! an instruction that changed watched memory, and the stop reports the value as gdb reports a
//! software watchpoint (`Watchpoint 2: total`, `Old value = 0`, `New value = 10`). Wasm has no
//! hardware watchpoints: a watched run is as slow as gdb's software ones.

use wobs_events::{DebugCommand, WatchRange};

use crate::{Breakpoint, Debugger, Flow};

/// What a watchpoint watches.
pub(crate) struct Watch {
    /// The memory the value is in, when it was set.
    range: WatchRange,
    /// The value as last shown.
    old: String,
}

/// A watchpoint whose value changed: shown at the stop.
pub(crate) struct Changed {
    id: u32,
    expression: String,
    old: String,
    new: String,
    /// The watched local's frame returned: the watchpoint is deleted.
    out_of_scope: bool,
}

impl Debugger {
    /// `watch EXPR`.
    pub(crate) fn watch(&mut self, expression: &str) -> Result<Flow, String> {
        if expression.is_empty() {
            return Err("Argument required (expression to compute).".to_string());
        }
        if self.stop.is_none() {
            return Err(
                "wobs watches values once the program runs: set a breakpoint, run, then watch."
                    .to_string(),
            );
        }
        let (module, (address, len, local)) = self
            .in_frame(self.selected, |symbols, pc, state| {
                symbols.watch_range(pc, expression, state)
            })
            .and_then(|range| Ok((self.current()?.location.module, range?)))?;
        // A local lives as long as the selected frame: its depth counted from the outermost.
        let depth = self
            .stop
            .as_ref()
            .map_or(0, |s| s.frames.len() - self.selected);
        let frame_depth = local.then_some(depth as u32);
        let old = self.expression_value(expression, None)?;
        let id = self.next_breakpoint;
        self.next_breakpoint += 1;
        say!(self, "Watchpoint {id}: {expression}");
        self.breakpoints.push(Breakpoint {
            id,
            spec: expression.to_string(),
            locations: Vec::new(),
            temporary: false,
            hits: 0,
            condition: None,
            watch: Some(Watch {
                range: WatchRange {
                    module,
                    address,
                    len: len as u32,
                    frame_depth,
                },
                old,
            }),
        });
        self.sync_watchpoints();
        Ok(Flow::Next)
    }

    /// Sends the watched ranges to the session.
    pub(crate) fn sync_watchpoints(&self) {
        let ranges = self
            .breakpoints
            .iter()
            .filter_map(|b| Some(b.watch.as_ref()?.range))
            .collect();
        self.session.send(DebugCommand::SetWatchpoints(ranges));
    }

    /// At a watchpoint stop: the watchpoints whose value now reads differently (their old values
    /// updated and hits counted). Values that cannot be read here (a local of a frame that has
    /// returned) are left alone.
    pub(crate) fn changed_watchpoints(&mut self) -> Vec<Changed> {
        let mut changed = Vec::new();
        let depth = self.stop.as_ref().map_or(0, |s| s.frames.len());
        for index in 0..self.breakpoints.len() {
            let Some(watch) = &self.breakpoints[index].watch else {
                continue;
            };
            if watch.range.frame_depth.is_some_and(|d| depth < d as usize) {
                changed.push(Changed {
                    id: self.breakpoints[index].id,
                    expression: String::new(),
                    old: String::new(),
                    new: String::new(),
                    out_of_scope: true,
                });
                continue;
            }
            let expression = self.breakpoints[index].spec.clone();
            let Ok(new) = self.expression_value(&expression, None) else {
                continue;
            };
            if new == watch.old {
                continue;
            }
            let breakpoint = &mut self.breakpoints[index];
            breakpoint.hits += 1;
            let Some(watch) = breakpoint.watch.as_mut() else {
                continue;
            };
            changed.push(Changed {
                id: breakpoint.id,
                expression,
                old: std::mem::replace(&mut watch.old, new.clone()),
                new,
                out_of_scope: false,
            });
        }
        // Watches whose frame returned are gone (the session has forgotten their memory).
        let gone: Vec<u32> = changed
            .iter()
            .filter(|c| c.out_of_scope)
            .map(|c| c.id)
            .collect();
        self.breakpoints.retain(|b| !gone.contains(&b.id));
        changed
    }

    /// gdb's report of changed watchpoints.
    pub(crate) fn report_watchpoints(&self, changed: &[Changed]) {
        for c in changed {
            if c.out_of_scope {
                say!(
                    self,
                    "\nWatchpoint {} deleted because the program has left the block in\nwhich its expression is valid.",
                    c.id
                );
                continue;
            }
            say!(
                self,
                "\nWatchpoint {}: {}\n\nOld value = {}\nNew value = {}",
                c.id,
                c.expression,
                c.old,
                c.new
            );
        }
    }
}

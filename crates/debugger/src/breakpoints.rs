//! Breakpoints: resolving a location (`FILE:LINE`, a function as gdb's linespecs match it,
//! `*OFFSET`, `MODULE!LOCATION`), setting, deleting and describing them, and keeping the
//! session's set in step.

use std::collections::BTreeSet;
use std::io::Write as _;

use wobs_events::{CodeLocation, DebugCommand};

use crate::{parse_number, split_condition, Breakpoint, Debugger, Flow};

impl Debugger {
    pub(crate) fn set_breakpoint(&mut self, spec: &str, temporary: bool) -> Result<Flow, String> {
        let (spec, condition) = split_condition(spec);
        let spec = if spec.is_empty() {
            let location = self.current()?.location;
            format!("*{:#x}", location.offset)
        } else {
            spec.to_string()
        };
        let locations = self.resolve(&spec)?;
        let id = self.next_breakpoint;
        self.next_breakpoint += 1;
        let first = locations[0];
        // gdb names the file and line of a single location, the spec of several.
        let where_ = match locations.len() {
            1 => self
                .source_of(first)
                .map(|(file, line)| format!(": file {file}, line {line}."))
                .unwrap_or_else(|| ".".to_string()),
            _ => format!(": {spec}."),
        };
        let kind = if temporary {
            "Temporary breakpoint"
        } else {
            "Breakpoint"
        };
        let extra = if locations.len() > 1 {
            format!(" ({} locations)", locations.len())
        } else {
            String::new()
        };
        say!(self, "{kind} {id} at {:#x}{where_}{extra}", first.offset);
        self.breakpoints.push(Breakpoint {
            id,
            spec,
            locations,
            temporary,
            hits: 0,
            condition,
            watch: None,
        });
        self.sync_breakpoints();
        Ok(Flow::Next)
    }

    /// Code locations for `LOCATION`: `*OFFSET`, `FILE:LINE`, `LINE` (in the current or entry
    /// file), or a function name; in every code unit, or in the one `UNIT!LOCATION` names (an
    /// offset is in the selected frame's unit, else in `main`'s, unless a unit is named).
    pub(crate) fn resolve(&self, spec: &str) -> Result<Vec<CodeLocation>, String> {
        let (unit, spec) = match spec.split_once('!') {
            Some((name, rest)) if !name.is_empty() && !rest.is_empty() => {
                let unit = self
                    .unit_names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| format!("No module named {name}."))?;
                (Some(unit as u32), rest)
            }
            _ => (None, spec),
        };
        let not_found = || format!("Function \"{spec}\" not defined.");
        if let Some(offset) = spec.strip_prefix('*') {
            let offset = parse_number(offset).ok_or_else(|| format!("Invalid address {offset}"))?;
            let module = unit
                .or_else(|| Some(self.current().ok()?.location.module))
                .or_else(|| Some(self.main_location()?.module))
                .unwrap_or(0);
            return Ok(vec![CodeLocation {
                module,
                offset: u32::try_from(offset).map_err(|_| "Address out of range".to_string())?,
            }]);
        }
        // Before any symbols are locked below: it locks them itself.
        let default_file = if spec.parse::<u32>().is_ok() {
            self.default_file().unwrap_or_default()
        } else {
            String::new()
        };
        let mut found = Vec::new();
        for module in 0..self.symbols.len() as u32 {
            if unit.is_some_and(|unit| unit != module) {
                continue;
            }
            let Some(symbols) = self.symbols(module) else {
                continue;
            };
            let offsets = match spec.rsplit_once(':') {
                Some((file, line)) if line.parse::<u32>().is_ok() => {
                    symbols.line_offsets(file, line.parse().unwrap_or(0))
                }
                _ if spec.parse::<u32>().is_ok() => {
                    symbols.line_offsets(&default_file, spec.parse().unwrap_or(0))
                }
                _ => symbols.function_offsets(spec),
            };
            found.extend(
                offsets
                    .into_iter()
                    .map(|offset| CodeLocation { module, offset }),
            );
        }
        if found.is_empty() {
            let is_line = spec
                .rsplit_once(':')
                .map_or(spec, |(_, line)| line)
                .parse::<u32>()
                .is_ok();
            if is_line {
                return Err(format!("No line {spec} in the current file."));
            }
            return Err(not_found());
        }
        Ok(found)
    }

    /// The entry function's opening source position (`main`).
    /// Found once: resolving a name scans the module's DWARF (tens of ms on a 50 MB module), and
    /// every view asks.
    pub(crate) fn entry_source(&self) -> Option<(String, u32)> {
        self.entry
            .get_or_init(|| {
                let location = self.main_location()?;
                self.source_of(location)
            })
            .clone()
    }

    /// The file of the selected frame, else of `main`.
    pub(crate) fn default_file(&self) -> Option<String> {
        if let Ok(frame) = self.current() {
            if let Some((file, _)) = self.source_of(frame.location) {
                return Some(file);
            }
        }
        let main = self.main_location()?;
        self.source_frames(main).into_iter().next()?.file
    }

    pub(crate) fn delete(&mut self, rest: &str) -> Result<Flow, String> {
        if rest.is_empty() {
            self.breakpoints.clear();
        } else {
            for id in rest.split_whitespace() {
                let id: u32 = id
                    .parse()
                    .map_err(|_| format!("Convenience variable must have integer value: {id}"))?;
                let before = self.breakpoints.len();
                self.breakpoints.retain(|b| b.id != id);
                if self.breakpoints.len() == before {
                    say!(self, "No breakpoint number {id}.");
                }
            }
        }
        self.sync_breakpoints();
        Ok(Flow::Next)
    }

    pub(crate) fn sync_breakpoints(&self) {
        let set: BTreeSet<CodeLocation> = self
            .breakpoints
            .iter()
            .flat_map(|b| b.locations.iter().copied())
            .chain(self.advance_to.iter().copied())
            .collect();
        self.session
            .send(DebugCommand::SetBreakpoints(set.into_iter().collect()));
        if self.stop.is_some() {
            self.sync_watchpoints();
        }
    }

    /// `in FUNCTION at FILE:LINE` for a breakpoint location, as `info breakpoints` shows it (the
    /// function's full demangled name); `spec` without source information.
    pub(crate) fn location_text(&self, location: CodeLocation, spec: &str) -> String {
        let frame = self
            .symbols(location.module)
            .and_then(|s| s.lookup(location.offset).into_iter().next());
        let Some(frame) = frame else {
            return spec.to_string();
        };
        match (&frame.file, frame.line.filter(|&l| l > 0)) {
            (Some(file), Some(line)) => {
                let function = wobs_symbolize::signature(&frame.function);
                format!("in {function} at {file}:{line}")
            }
            _ => format!("in {}", wobs_symbolize::signature(&frame.function)),
        }
    }
}

//! Source locations to code offsets, for breakpoints: `file:line` and function names.

use std::collections::BTreeMap;

use crate::dwarf::Dwarf;
use crate::function_names::FunctionNames;
use crate::function_spec::FunctionSpec;
use crate::ModuleSymbols;

impl ModuleSymbols {
    /// Module-file offsets for a breakpoint on `line` of the file whose path ends with `file`
    /// (`debugme.c` matches `examples/c/debugme.c`): in each function (and each inlined copy) the
    /// first instruction of the line. Empty when no code has that line.
    pub fn line_offsets(&self, file: &str, line: u32) -> Vec<u32> {
        let Dwarf::Usable(context, ..) = &self.dwarf else {
            return Vec::new();
        };
        let Ok(rows) = context.find_location_range(0, u64::MAX) else {
            return Vec::new();
        };
        // The first address of each run of rows on the line, then the lowest per function.
        let mut previous_matched = false;
        let mut per_function: BTreeMap<u32, u32> = BTreeMap::new();
        for (address, _, location) in rows {
            let matched = location.line == Some(line)
                && location
                    .file
                    .is_some_and(|f| path_matches(&crate::normalize_path(f), file));
            if matched && !previous_matched {
                if let Some(offset) = self.offset_of_address(address) {
                    let function = self.function_index(offset).unwrap_or(u32::MAX);
                    per_function
                        .entry(function)
                        .and_modify(|o| *o = (*o).min(offset))
                        .or_insert(offset);
                }
            }
            previous_matched = matched;
        }
        per_function.into_values().collect()
    }

    /// Module-file offsets for a breakpoint on the function(s) `name` names, as gdb matches them
    /// ([`FunctionSpec`]: `area` names `geo::Rect::area() const`, `measure` every overload): after
    /// its prologue, at the first row of a line other
    /// than the opening one when line information exists, else at its first instruction.
    /// Inlined copies count too: each gets a location at its first address.
    pub fn function_offsets(&self, name: &str) -> Vec<u32> {
        let spec = FunctionSpec::parse(name);
        // The name section answers without touching DWARF; DWARF names the rest.
        let named: Vec<_> = self
            .layout
            .bodies
            .iter()
            .filter(|(index, _)| self.names.get(index).is_some_and(|n| spec.matches(n)))
            .collect();
        // What frames call a function with neither a name nor DWARF.
        let unnamed = name
            .trim()
            .strip_prefix("wasm-function[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|index| index.parse().ok())
            .and_then(|index| self.function_body(index));
        let candidates: Vec<std::ops::Range<u32>> = if let Some(body) = unnamed {
            vec![body]
        } else if named.is_empty() {
            let mut bodies: Vec<_> = self
                .function_names()
                .map(|names| names.defined(&spec))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|address| self.body_of_dwarf_address(address))
                .collect();
            bodies.sort_unstable_by_key(|body| body.start);
            bodies.dedup();
            bodies
        } else {
            named.into_iter().map(|(_, body)| body.clone()).collect()
        };
        let mut offsets: Vec<u32> = candidates
            .into_iter()
            .map(|body| {
                self.after_prologue(body.clone())
                    .or_else(|| self.layout.first_instructions.get(&body.start).copied())
                    .unwrap_or(body.start)
            })
            .collect();
        offsets.extend(
            self.function_names()
                .map(|names| names.inlined(&spec))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|address| self.offset_of_address(address)),
        );
        offsets.sort_unstable();
        offsets.dedup();
        offsets
    }

    /// Whether `offset` is where a run of line-table rows for one source line begins (where a
    /// breakpoint on the line or a line step stops), as opposed to inside a line (a return
    /// address, an instruction step). gdb prints a stop's address only in the latter case.
    /// `None` without line information there.
    pub fn is_line_start(&self, offset: u32) -> Option<bool> {
        let Dwarf::Usable(context, ..) = &self.dwarf else {
            return None;
        };
        let (_, body) = self.layout.body_at(offset)?;
        let low = u64::from(body.start.checked_sub(self.layout.code_start)?);
        let address = u64::from(offset.checked_sub(self.layout.code_start)?);
        let rows = context.find_location_range(low, address + 1).ok()?;
        let mut previous: Option<(Option<&str>, Option<u32>)> = None;
        let mut found = None;
        for (start, _, location) in rows {
            let here = (location.file, location.line);
            if start == address {
                found = Some(previous != Some(here));
            }
            previous = Some(here);
        }
        found.or(Some(false))
    }

    /// Every place in the function containing `offset` where a source line begins (as
    /// [`Self::is_line_start`] says), as module offsets: where a line step through the function
    /// can stop. Empty without line information.
    pub fn line_starts(&self, offset: u32) -> Vec<u32> {
        let Dwarf::Usable(context, ..) = &self.dwarf else {
            return Vec::new();
        };
        let Some((_, body)) = self.layout.body_at(offset) else {
            return Vec::new();
        };
        let code_start = self.layout.code_start;
        let (Some(low), Some(high)) = (
            body.start.checked_sub(code_start),
            body.end.checked_sub(code_start),
        ) else {
            return Vec::new();
        };
        let Ok(rows) = context.find_location_range(u64::from(low), u64::from(high)) else {
            return Vec::new();
        };
        let mut starts = Vec::new();
        let mut previous = None;
        for (start, _, location) in rows {
            let here = (location.file, location.line);
            if previous != Some(here) && location.line.is_some_and(|line| line > 0) {
                starts.extend(to_offset(start, code_start));
            }
            previous = Some(here);
        }
        starts
    }

    /// The line-table row `offset` is in, as module offsets `start..end` (gdb's `info line`:
    /// the row's first instruction and the next row's); `None` without line information.
    pub fn line_row(&self, offset: u32) -> Option<std::ops::Range<u32>> {
        let Dwarf::Usable(context, ..) = &self.dwarf else {
            return None;
        };
        let (_, body) = self.layout.body_at(offset)?;
        let code_start = self.layout.code_start;
        let low = u64::from(body.start.checked_sub(code_start)?);
        let high = u64::from(body.end.checked_sub(code_start)?);
        let address = u64::from(offset.checked_sub(code_start)?);
        let rows = context.find_location_range(low, high).ok()?;
        let mut found: Option<u64> = None;
        for (start, _, _) in rows {
            match found {
                Some(row) if start > address => {
                    return Some(to_offset(row, code_start)?..to_offset(start, code_start)?)
                }
                _ if start <= address => found = Some(start),
                _ => {}
            }
        }
        let row = found?;
        Some(to_offset(row, code_start)?..body.end)
    }

    /// Where the function containing `offset` is past its prologue (see
    /// [`ModuleSymbols::function_offsets`]); `None` without line information.
    pub fn prologue_end(&self, offset: u32) -> Option<u32> {
        let (_, body) = self.layout.body_at(offset)?;
        self.after_prologue(body.clone())
    }

    /// The index of DWARF's function names, built now unless it was built or is being built in
    /// the background; `None` without usable DWARF.
    fn function_names(&self) -> Option<&FunctionNames> {
        let Dwarf::Usable(_, dwarf) = &self.dwarf else {
            return None;
        };
        Some(
            self.function_names
                .get_or_init(|| FunctionNames::build(dwarf)),
        )
    }

    /// The body (module offsets) of the function containing DWARF address `address`.
    fn body_of_dwarf_address(&self, address: u64) -> Option<std::ops::Range<u32>> {
        let address = u32::try_from(address).ok()?;
        match &self.original {
            Some(original) if original.carried_dwarf => {
                let old = address.checked_add(original.map.original_code_start?)?;
                let moved = original
                    .map
                    .functions
                    .iter()
                    .find(|f| f.old.contains(&old))?;
                Some(moved.new.clone())
            }
            _ => Some(
                self.layout
                    .body_at(address.checked_add(self.layout.code_start)?)?
                    .1
                    .clone(),
            ),
        }
    }

    /// The first offset in `body` whose line differs from the body's first line.
    fn after_prologue(&self, body: std::ops::Range<u32>) -> Option<u32> {
        let Dwarf::Usable(context, ..) = &self.dwarf else {
            return None;
        };
        let low = u64::from(body.start.checked_sub(self.layout.code_start)?);
        let high = u64::from(body.end.checked_sub(self.layout.code_start)?);
        let mut rows = context.find_location_range(low, high).ok()?;
        let (_, _, first) = rows.next()?;
        let opening = first.line;
        let mut second = None;
        let found = rows.find(|(address, _, location)| {
            second = second.or(Some(*address));
            location.line.is_some_and(|l| l > 0) && location.line != opening
        });
        // A function on one line (`int area() const { return w * h; }`): its body starts at
        // the line's second row, where clang marks the prologue's end.
        let address = found.map(|(address, _, _)| address).or(second)?;
        self.offset_of_address(address)
    }

    /// The module-file offset of DWARF address `address` (a module whose DWARF is its own).
    fn offset_of_address(&self, address: u64) -> Option<u32> {
        u32::try_from(address)
            .ok()?
            .checked_add(self.layout.code_start)
    }
}

/// Whether DWARF path `path` names the file the user wrote as `file`.
fn path_matches(path: &str, file: &str) -> bool {
    path == file
        || path
            .strip_suffix(file)
            .is_some_and(|prefix| prefix.ends_with('/'))
}

/// A DWARF address as a module offset.
fn to_offset(address: u64, code_start: u32) -> Option<u32> {
    u32::try_from(address).ok()?.checked_add(code_start)
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn file_names_match_by_path_suffix() {
        assert!(path_matches("examples/c/debugme.c", "debugme.c"));
        assert!(path_matches("examples/c/debugme.c", "c/debugme.c"));
        assert!(!path_matches("examples/c/notdebugme.c", "debugme.c"));
        assert!(path_matches("debugme.c", "debugme.c"));
    }
}

//! DWARF's functions by name, for breakpoints by function name.
//!
//! Finding a function DWARF names (one the name section lacks) or the inlined copies of one means
//! walking every DIE of every unit: on a 50 MB debug build that is a few hundred milliseconds,
//! far more than a debugger command may take. So it is done once, into an index of names, which
//! can start on a thread of its own as soon as the module is read
//! ([`crate::ModuleSymbols::index_in_background`]); a breakpoint set before it is ready waits for
//! it, later ones only match names.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use gimli::Reader as _;

use crate::dwarf::Reader;
use crate::function_spec::FunctionSpec;

/// DWARF addresses by the name a breakpoint matches: a function's linkage name demangled (C++,
/// Rust: qualified, with parameters), else its plain name, found through
/// `DW_AT_specification`/`DW_AT_abstract_origin` as addr2line finds it.
#[derive(Default)]
pub(crate) struct FunctionNames {
    /// Each function with code of its own: its `DW_AT_low_pc`.
    defined: HashMap<String, Vec<u64>>,
    /// Each inlined copy: its first address.
    inlined: HashMap<String, Vec<u64>>,
}

/// The index, built at most once, shared with the thread that may be building it.
pub(crate) type SharedFunctionNames = Arc<OnceLock<FunctionNames>>;

/// How many `DW_AT_specification`/`DW_AT_abstract_origin` links a name is followed through
/// (a concrete out-of-line copy → its abstract instance → the declaration in the class).
const NAME_LINKS: usize = 3;

impl FunctionNames {
    /// Walks `dwarf` once. Damaged units or entries are skipped, not fatal.
    pub fn build(dwarf: &gimli::Dwarf<Reader>) -> FunctionNames {
        let mut index = FunctionNames::default();
        let mut headers = dwarf.units();
        while let Ok(Some(header)) = headers.next() {
            let Ok(unit) = dwarf.unit(header) else {
                continue;
            };
            // Names are demangled once per DIE named, not once per inlined copy.
            let mut names: HashMap<gimli::UnitOffset, Option<String>> = HashMap::new();
            let mut name_of = |offset| {
                names
                    .entry(offset)
                    .or_insert_with(|| entry_name(dwarf, &unit, offset, NAME_LINKS))
                    .clone()
            };
            let mut entries = unit.entries();
            while let Ok(Some(entry)) = entries.next_dfs() {
                let (map, address) = match entry.tag() {
                    gimli::DW_TAG_subprogram => {
                        let low_pc = entry
                            .attr_value(gimli::DW_AT_low_pc)
                            .and_then(|value| dwarf.attr_address(&unit, value).ok().flatten());
                        // Linkers mark the functions they dropped with tombstones.
                        match low_pc {
                            Some(pc) if pc < 0xffff_fffe => (&mut index.defined, pc),
                            _ => continue,
                        }
                    }
                    gimli::DW_TAG_inlined_subroutine => {
                        let first = dwarf
                            .die_ranges(&unit, entry)
                            .ok()
                            .and_then(|mut ranges| ranges.next().ok().flatten());
                        match first {
                            Some(range) => (&mut index.inlined, range.begin),
                            None => continue,
                        }
                    }
                    _ => continue,
                };
                // An inlined copy is named by its abstract origin: look that up, once per origin.
                let named = match entry.attr_value(gimli::DW_AT_abstract_origin) {
                    Some(gimli::AttributeValue::UnitRef(origin)) => origin,
                    _ => entry.offset(),
                };
                if let Some(name) = name_of(named) {
                    map.entry(name).or_default().push(address);
                }
            }
        }
        index
    }

    /// `DW_AT_low_pc` of the functions with code of their own that `spec` names.
    pub fn defined(&self, spec: &FunctionSpec) -> Vec<u64> {
        matching(&self.defined, spec)
    }

    /// First addresses of the inlined copies of the functions `spec` names.
    pub fn inlined(&self, spec: &FunctionSpec) -> Vec<u64> {
        matching(&self.inlined, spec)
    }
}

fn matching(names: &HashMap<String, Vec<u64>>, spec: &FunctionSpec) -> Vec<u64> {
    names
        .iter()
        .filter(|(name, _)| spec.matches(name))
        .flat_map(|(_, addresses)| addresses.iter().copied())
        .collect()
}

/// The name of the DIE at `offset`, from its own attributes or, up to `links` deep, from the
/// DIE its `DW_AT_specification` or `DW_AT_abstract_origin` names in the same unit.
fn entry_name(
    dwarf: &gimli::Dwarf<Reader>,
    unit: &gimli::Unit<Reader>,
    offset: gimli::UnitOffset,
    links: usize,
) -> Option<String> {
    let entry = unit.entry(offset).ok()?;
    let string = |attr| {
        let value = entry.attr_value(attr)?;
        let name = dwarf.attr_string(unit, value).ok()?;
        Some(String::from_utf8_lossy(&name.to_slice().ok()?).into_owned())
    };
    if let Some(linkage) = string(gimli::DW_AT_linkage_name) {
        return Some(crate::demangle(&linkage));
    }
    if let Some(name) = string(gimli::DW_AT_name) {
        return Some(name);
    }
    let link = [gimli::DW_AT_specification, gimli::DW_AT_abstract_origin]
        .into_iter()
        .find_map(|attr| match entry.attr_value(attr)? {
            gimli::AttributeValue::UnitRef(target) => Some(target),
            _ => None,
        })?;
    entry_name(dwarf, unit, link, links.checked_sub(1)?)
}

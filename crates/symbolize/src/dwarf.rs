//! Loading DWARF from a module's `.debug_*` sections and deciding whether to trust it.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use gimli::{EndianArcSlice, LittleEndian};

/// The reader type: sections are reference-counted so the context owns its data.
pub(crate) type Reader = EndianArcSlice<LittleEndian>;

/// How many subprograms the plausibility check looks at before deciding; bounds its cost on
/// modules with hundreds of MB of DWARF.
const PLAUSIBILITY_SAMPLE: usize = 4096;

/// What we made of the module's DWARF.
pub(crate) enum Dwarf {
    /// No `.debug_info`: names come from the name section.
    Absent,
    /// Line tables and function names are used; the raw sections serve variable and type lookups.
    Usable(Box<addr2line::Context<Reader>>, Arc<gimli::Dwarf<Reader>>),
    /// Present but not trustworthy; the reason is reported once and names are used instead.
    Ignored(String),
}

/// The code the DWARF describes: function bodies (module-file ranges, in code order) and the offset
/// of the code section's contents, which DWARF addresses count from.
pub(crate) struct Code<'a> {
    pub bodies: &'a [Range<u32>],
    pub start: u32,
}

impl Dwarf {
    /// Loads `sections` (by name), checking them against `code`.
    pub fn load(sections: &HashMap<String, Arc<[u8]>>, code: Code<'_>) -> Dwarf {
        if !sections.contains_key(".debug_info") {
            return Dwarf::Absent;
        }
        let empty: Arc<[u8]> = Arc::from(&[][..]);
        let load = |id: gimli::SectionId| -> Result<Reader, gimli::Error> {
            let data = sections.get(id.name()).unwrap_or(&empty);
            Ok(EndianArcSlice::new(data.clone(), LittleEndian))
        };
        let dwarf = match gimli::Dwarf::load(load) {
            Ok(dwarf) => dwarf,
            Err(err) => return Dwarf::Ignored(format!("unreadable DWARF: {err}")),
        };
        match plausibility(&dwarf, &code) {
            Ok((agree, disagree)) if disagree > agree => {
                return Dwarf::Ignored(format!(
                    "DWARF function addresses do not match the code ({disagree} of {} \
                     checked functions start where no function starts)",
                    agree + disagree
                ))
            }
            Ok(_) => {}
            Err(err) => return Dwarf::Ignored(format!("unreadable DWARF: {err}")),
        }
        let dwarf = Arc::new(dwarf);
        match addr2line::Context::from_arc_dwarf(dwarf.clone()) {
            Ok(context) => Dwarf::Usable(Box::new(context), dwarf),
            Err(err) => Dwarf::Ignored(format!("unreadable DWARF: {err}")),
        }
    }
}

/// Counts subprograms whose `DW_AT_low_pc` is (agree) or is not (disagree) the start of a
/// function in the code section.
///
/// Linkers mark functions they dropped with tombstones (0xffffffff, 0xfffffffe); those are skipped.
/// A stripped or rewritten module whose DWARF no longer matches its code — every `low_pc` zero,
/// say — would otherwise map every sample to the wrong function, which is worse than no DWARF.
fn plausibility(dwarf: &gimli::Dwarf<Reader>, code: &Code<'_>) -> gimli::Result<(usize, usize)> {
    // LLVM points low_pc at the body (after the size field); accept the entry start too.
    let mut starts = HashSet::new();
    let mut previous_end = None;
    for range in code.bodies {
        starts.insert(u64::from(range.start.saturating_sub(code.start)));
        if let Some(end) = previous_end {
            starts.insert(u64::from(u32::saturating_sub(end, code.start)));
        }
        previous_end = Some(range.end);
    }
    let (mut agree, mut disagree) = (0usize, 0usize);
    let mut headers = dwarf.units();
    while let Some(header) = headers.next()? {
        let unit = dwarf.unit(header)?;
        let mut entries = unit.entries();
        while let Some(entry) = entries.next_dfs()? {
            if entry.tag() != gimli::DW_TAG_subprogram {
                continue;
            }
            let Some(value) = entry.attr_value(gimli::DW_AT_low_pc) else {
                continue;
            };
            let Some(low_pc) = dwarf.attr_address(&unit, value)? else {
                continue;
            };
            if low_pc >= 0xffff_fffe {
                continue;
            }
            if starts.contains(&low_pc) {
                agree += 1;
            } else {
                disagree += 1;
            }
            if agree + disagree >= PLAUSIBILITY_SAMPLE {
                return Ok((agree, disagree));
            }
        }
    }
    Ok((agree, disagree))
}

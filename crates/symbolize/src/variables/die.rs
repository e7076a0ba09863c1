//! Reading attributes of debugging information entries, following `DW_AT_abstract_origin` and
//! `DW_AT_specification` to where the compiler put a name or a type.

use gimli::{AttributeValue, DebuggingInformationEntry, Reader as _, UnitOffset, UnitRef};

use super::error::EvalResult;
use crate::dwarf::Reader;

/// A DIE's offset within its unit.
pub(crate) type DieOffset = UnitOffset<usize>;

/// A debugging information entry of our reader type.
pub(crate) type Entry = DebuggingInformationEntry<Reader>;

/// How many `abstract_origin`/`specification` links are followed (they never legitimately chain
/// deeply; a cycle in hostile DWARF must not loop).
const MAX_ORIGIN_HOPS: usize = 4;

/// The unit-relative DIE a reference attribute points at, when it is in this unit.
pub(crate) fn reference(
    unit: UnitRef<'_, Reader>,
    value: &AttributeValue<Reader>,
) -> Option<DieOffset> {
    match value {
        AttributeValue::UnitRef(offset) => Some(*offset),
        AttributeValue::DebugInfoRef(offset) => offset.to_unit_offset(&unit.header),
        _ => None,
    }
}

/// The DIE's own attribute `at`, or that of the DIE it is an instance or definition of.
pub(crate) fn inherited(
    unit: UnitRef<'_, Reader>,
    entry: &Entry,
    at: gimli::DwAt,
) -> EvalResult<Option<AttributeValue<Reader>>> {
    if let Some(value) = entry.attr_value(at) {
        return Ok(Some(value));
    }
    let mut current = origin(unit, entry);
    for _ in 0..MAX_ORIGIN_HOPS {
        let Some(offset) = current else { break };
        let next = unit.entry(offset)?;
        if let Some(value) = next.attr_value(at) {
            return Ok(Some(value));
        }
        current = origin(unit, &next);
    }
    Ok(None)
}

/// Where `entry` takes attributes it does not have from.
fn origin(unit: UnitRef<'_, Reader>, entry: &Entry) -> Option<DieOffset> {
    [gimli::DW_AT_abstract_origin, gimli::DW_AT_specification]
        .into_iter()
        .find_map(|at| reference(unit, &entry.attr_value(at)?))
}

/// A string attribute as text (lossy), if present and readable.
pub(crate) fn string(unit: UnitRef<'_, Reader>, value: AttributeValue<Reader>) -> Option<String> {
    let raw = unit.attr_string(value).ok()?;
    let text = raw.to_string_lossy().ok()?;
    Some(text.into_owned())
}

/// The DIE's name (own or inherited).
pub(crate) fn name(unit: UnitRef<'_, Reader>, entry: &Entry) -> Option<String> {
    string(unit, inherited(unit, entry, gimli::DW_AT_name).ok()??)
}

/// The DIE's own name, without following origins (types are never instances).
pub(crate) fn own_name(unit: UnitRef<'_, Reader>, entry: &Entry) -> Option<String> {
    string(unit, entry.attr_value(gimli::DW_AT_name)?)
}

/// An unsigned constant attribute.
pub(crate) fn udata(entry: &Entry, at: gimli::DwAt) -> Option<u64> {
    entry.attr_value(at)?.udata_value()
}

/// A flag attribute (`DW_AT_declaration`, `DW_AT_artificial`, ...).
pub(crate) fn flag(entry: &Entry, at: gimli::DwAt) -> bool {
    matches!(entry.attr_value(at), Some(AttributeValue::Flag(true)))
}

/// True when the DIE's address ranges contain `address`; `None` when it has no ranges at all.
pub(crate) fn contains(
    unit: UnitRef<'_, Reader>,
    entry: &Entry,
    address: u64,
) -> EvalResult<Option<bool>> {
    let mut ranges = unit.die_ranges(entry)?;
    let mut any = false;
    while let Some(range) = ranges.next()? {
        any = true;
        if range.begin <= address && address < range.end {
            return Ok(Some(true));
        }
    }
    Ok(any.then_some(false))
}

/// The C++ scopes around the DIE at `offset`, as a prefix: `geo::` for a type declared in
/// `namespace geo`, `geo::Rect::` inside a class. Walks the unit from its root: C++ types only,
/// whose names gdb qualifies.
pub(crate) fn scope_prefix(unit: UnitRef<'_, Reader>, offset: DieOffset) -> String {
    let mut scopes: Vec<(isize, Option<String>)> = Vec::new();
    let mut entries = unit.entries();
    while let Ok(Some(entry)) = entries.next_dfs() {
        let depth = entry.depth();
        while scopes.last().is_some_and(|(d, _)| *d >= depth) {
            scopes.pop();
        }
        if entry.offset() == offset {
            return scopes
                .iter()
                .filter_map(|(_, name)| name.as_deref())
                .map(|name| format!("{name}::"))
                .collect();
        }
        let scope = matches!(
            entry.tag(),
            gimli::DW_TAG_namespace
                | gimli::DW_TAG_structure_type
                | gimli::DW_TAG_class_type
                | gimli::DW_TAG_union_type
        );
        if scope {
            // An anonymous namespace is `(anonymous namespace)` in gdb's names.
            let name = own_name(unit, entry).or_else(|| {
                (entry.tag() == gimli::DW_TAG_namespace)
                    .then(|| "(anonymous namespace)".to_string())
            });
            scopes.push((depth, name));
        }
    }
    String::new()
}

/// How many DIEs a search of a unit reads at most (a hostile unit must not take forever).
const MAX_DIES_SEARCHED: usize = 2_000_000;

/// What `found` makes of the first DIE of `unit`, in depth-first order, it makes something of.
pub(crate) fn find_map<T>(
    unit: UnitRef<'_, Reader>,
    mut found: impl FnMut(&Entry) -> Option<T>,
) -> Option<T> {
    let mut entries = unit.entries();
    let mut seen = 0;
    while let Ok(Some(entry)) = entries.next_dfs() {
        seen += 1;
        if seen > MAX_DIES_SEARCHED {
            return None;
        }
        if let Some(result) = found(entry) {
            return Some(result);
        }
    }
    None
}

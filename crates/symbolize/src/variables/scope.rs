//! Which variables are visible at a pc: the function (or inlined call) DIE addr2line finds there,
//! its parameters, and the locals of every lexical block around the pc; plus globals by name.

use gimli::{AttributeValue, UnitRef};

use super::die::{self, DieOffset, Entry};
use super::error::EvalResult;
use super::types::{type_link, TypeLink};
use crate::dwarf::Reader;

/// How deeply lexical blocks (and namespaces, for globals) are searched.
const MAX_NESTING: usize = 64;

/// A variable DIE, with what evaluating it needs.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub name: String,
    pub is_parameter: bool,
    pub ty: TypeLink,
    /// `DW_AT_location`: an expression or a location list.
    pub location: Option<AttributeValue<Reader>>,
    /// `DW_AT_const_value`, for variables the compiler turned into constants.
    pub const_value: Option<AttributeValue<Reader>>,
}

/// The variables of one source frame.
pub(crate) struct Scope {
    /// Parameters in declaration order, then locals, innermost lexical block first.
    pub variables: Vec<Found>,
    /// `DW_AT_frame_base` of the physical (non-inlined) function.
    pub frame_base: Option<AttributeValue<Reader>>,
}

impl Scope {
    /// The variable `name` refers to here: a block local shadows outer locals and parameters.
    pub(crate) fn find(&self, name: &str) -> Option<&Found> {
        let locals = self.variables.iter().filter(|v| !v.is_parameter);
        let parameters = self.variables.iter().filter(|v| v.is_parameter);
        locals.chain(parameters).find(|v| v.name == name)
    }
}

/// Function DIEs at `address`, innermost (inlined) first, as addr2line reports frames.
pub(crate) fn function_dies(
    context: &addr2line::Context<Reader>,
    address: u64,
) -> Vec<Option<DieOffset>> {
    let mut out = Vec::new();
    let Ok(mut frames) = context.find_frames(address).skip_all_loads() else {
        return out;
    };
    while let Ok(Some(frame)) = frames.next() {
        out.push(frame.dw_die_offset);
    }
    out
}

/// The variables visible in source frame `depth` (0 = innermost) of `functions`.
pub(crate) fn scope(
    unit: UnitRef<'_, Reader>,
    functions: &[Option<DieOffset>],
    depth: usize,
    address: u64,
) -> EvalResult<Option<Scope>> {
    let (Some(Some(function)), Some(Some(physical))) = (functions.get(depth), functions.last())
    else {
        return Ok(None);
    };
    let frame_base = unit.entry(*physical)?.attr_value(gimli::DW_AT_frame_base);
    let mut parameters = Vec::new();
    let mut blocks: Vec<Vec<Found>> = Vec::new();
    let mut tree = unit.entries_tree(Some(*function))?;
    collect(unit, tree.root()?, address, 0, &mut parameters, &mut blocks)?;
    let mut variables = parameters;
    variables.extend(blocks.into_iter().rev().flatten());
    Ok(Some(Scope {
        variables,
        frame_base,
    }))
}

/// Adds the variables among `node`'s children, descending into blocks that contain `address`.
fn collect(
    unit: UnitRef<'_, Reader>,
    node: gimli::EntriesTreeNode<'_, '_, Reader>,
    address: u64,
    level: usize,
    parameters: &mut Vec<Found>,
    blocks: &mut Vec<Vec<Found>>,
) -> EvalResult<()> {
    if blocks.len() <= level {
        blocks.resize_with(level + 1, Vec::new);
    }
    let mut children = node.children();
    while let Some(child) = children.next()? {
        let entry = child.entry();
        match entry.tag() {
            gimli::DW_TAG_formal_parameter => {
                if let Some(found) = found(unit, entry, true) {
                    parameters.push(found);
                }
            }
            gimli::DW_TAG_variable => {
                if let Some(found) = found(unit, entry, false) {
                    blocks[level].push(found);
                }
            }
            // A block without addresses is taken to cover its parent.
            gimli::DW_TAG_lexical_block
                if level < MAX_NESTING && die::contains(unit, entry, address)?.unwrap_or(true) =>
            {
                collect(unit, child, address, level + 1, parameters, blocks)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The variable a DIE describes; None for nameless and declaration-only ones.
fn found(unit: UnitRef<'_, Reader>, entry: &Entry, is_parameter: bool) -> Option<Found> {
    let name = die::name(unit, entry)?;
    let location = entry.attr_value(gimli::DW_AT_location);
    let const_value = die::inherited(unit, entry, gimli::DW_AT_const_value)
        .ok()
        .flatten();
    if location.is_none() && const_value.is_none() && die::flag(entry, gimli::DW_AT_declaration) {
        return None;
    }
    Some(Found {
        name,
        is_parameter,
        ty: type_link(unit, entry),
        location,
        const_value,
    })
}

/// A global (or static) variable of the unit named `name` (or `path::name` inside namespaces).
pub(crate) fn global(unit: UnitRef<'_, Reader>, name: &str) -> EvalResult<Option<Found>> {
    let mut tree = unit.entries_tree(None)?;
    search_globals(unit, tree.root()?, name, "", 0)
}

fn search_globals(
    unit: UnitRef<'_, Reader>,
    node: gimli::EntriesTreeNode<'_, '_, Reader>,
    name: &str,
    path: &str,
    level: usize,
) -> EvalResult<Option<Found>> {
    let mut children = node.children();
    while let Some(child) = children.next()? {
        let entry = child.entry();
        match entry.tag() {
            gimli::DW_TAG_variable => {
                let Some(found) = found(unit, entry, false) else {
                    continue;
                };
                let qualified = format!("{path}{}", found.name);
                if (found.name == name || qualified == name)
                    && (found.location.is_some() || found.const_value.is_some())
                {
                    return Ok(Some(found));
                }
            }
            gimli::DW_TAG_namespace if level < MAX_NESTING => {
                let inner = match die::own_name(unit, entry) {
                    Some(ns) => format!("{path}{ns}::"),
                    None => path.to_string(),
                };
                if let Some(found) = search_globals(unit, child, name, &inner, level + 1)? {
                    return Ok(Some(found));
                }
            }
            _ => {}
        }
    }
    Ok(None)
}

/// A function defined in `unit` (a `DW_TAG_subprogram` with code) called `name`, at the unit's
/// top level or in its namespaces: its DIE and its first DWARF address.
pub(crate) fn function(unit: UnitRef<'_, Reader>, name: &str) -> Option<(DieOffset, u64)> {
    die::find_map(unit, |entry| {
        if entry.tag() != gimli::DW_TAG_subprogram {
            return None;
        }
        let Some(gimli::AttributeValue::Addr(low_pc)) = entry.attr_value(gimli::DW_AT_low_pc)
        else {
            return None;
        };
        (die::name(unit, entry).as_deref() == Some(name)).then(|| (entry.offset(), low_pc))
    })
}

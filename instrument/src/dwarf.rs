//! Keeping a module's DWARF through the rewrite, whatever the input holds.
//!
//! walrus rewrites DWARF addresses with gimli 0.32's converter and `expect`s it to succeed, so DWARF
//! that converter rejects would panic inside walrus. Real toolchains emit such DWARF: wasi-sdk
//! line programs with a `DW_LNE_set_address` inside a sequence (ruby.wasm's debug build has
//! them), and hostile input can be anything. Before walrus sees the DWARF, [`plan`] runs the same
//! conversion (identity addresses) plus the checks walrus's own line-program converter makes:
//!
//! * accepted: walrus rewrites the sections as they are;
//! * rejected: the line programs are re-encoded with gimli 0.33 from their rows, one sequence per
//!   function (the same rows at the same addresses, without mid-sequence `DW_LNE_set_address`),
//!   the rest of the DWARF unchanged, and walrus rewrites that copy;
//! * still rejected: the output goes without `.debug_*`, and the original sections travel in
//!   `wobs.debug_*` custom sections, which wobs symbolizes through `wobs.map` exactly as before.
//!
//! # Cost
//!
//! One extra gimli conversion of the DWARF (about a quarter of instrumenting a module with full
//! DWARF; see the issue notes for figures), a second one only when the line programs are re-encoded.

use std::collections::HashMap;
use std::ops::Range;

use gimli::write::{
    Address, ConvertResult, ConvertUnit, ConvertUnitEntry, EndianVec, LineProgram, Sections,
};
use gimli::{EndianSlice, LittleEndian};
use wobs_events::CARRIED_DEBUG_PREFIX;

/// Debug sections by name (`.debug_info`, …).
pub(crate) type DebugSections = HashMap<String, Vec<u8>>;

/// What to do with the input's DWARF.
pub(crate) enum Plan {
    /// No DWARF.
    Absent,
    /// walrus rewrites the input's own sections.
    Rewrite,
    /// walrus rewrites this re-encoded copy of the input's sections.
    Reencoded {
        /// The sections walrus should convert.
        sections: DebugSections,
        /// Sequences split at function boundaries.
        split_sequences: u64,
    },
    /// walrus cannot rewrite them: carry them unchanged under `wobs.debug_*`.
    Carry {
        /// The input's sections.
        sections: DebugSections,
        /// Why the rewrite is impossible, for the one-line warning.
        reason: String,
    },
}

/// What happened to the DWARF, for [`crate::Report`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum DwarfHandling {
    /// The input had no DWARF.
    #[default]
    Absent,
    /// Addresses rewritten for the new code (standard `.debug_*` in the output).
    Rewritten,
    /// Rewritten after re-encoding line programs that walrus's converter rejects; the count is the
    /// number of sequences split at function boundaries.
    Resequenced(u64),
    /// Carried unchanged in `wobs.debug_*` sections (wobs symbolizes them; other tools see no
    /// DWARF); the reason the rewrite was impossible.
    Carried(String),
}

/// The `.debug_*` custom sections of `wasm`.
pub(crate) fn debug_sections(wasm: &[u8]) -> DebugSections {
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .map_while(Result::ok)
        .filter_map(|payload| match payload {
            wasmparser::Payload::CustomSection(s) if s.name().starts_with(".debug_") => {
                Some((s.name().to_string(), s.data().to_vec()))
            }
            _ => None,
        })
        .collect()
}

/// Decides how the DWARF in `sections` survives instrumentation. `bodies` are the function bodies
/// as DWARF address ranges, in code order.
pub(crate) fn plan(sections: DebugSections, bodies: &[Range<u64>]) -> Plan {
    if !sections.contains_key(".debug_info") {
        return Plan::Absent;
    }
    let reason = match walrus_accepts(&sections) {
        Ok(()) => return Plan::Rewrite,
        Err(reason) => reason,
    };
    match resequence(&sections, bodies) {
        Ok((fixed, splits)) if walrus_accepts(&fixed).is_ok() => Plan::Reencoded {
            sections: fixed,
            split_sequences: splits,
        },
        Ok(_) => Plan::Carry { sections, reason },
        Err(err) => Plan::Carry {
            sections,
            reason: format!("{reason}; re-encoding failed too: {err}"),
        },
    }
}

/// The custom sections that carry `sections` unchanged.
pub(crate) fn carried(sections: DebugSections) -> impl Iterator<Item = walrus::RawCustomSection> {
    sections
        .into_iter()
        .map(|(name, data)| walrus::RawCustomSection {
            name: format!("{CARRIED_DEBUG_PREFIX}{name}"),
            data,
        })
}

/// The sections as walrus's gimli reads them.
pub(crate) fn for_walrus(sections: &DebugSections) -> walrus_gimli::read::Dwarf<Vec<u8>> {
    let load = |id: walrus_gimli::SectionId| -> Result<Vec<u8>, walrus_gimli::Error> {
        Ok(sections.get(id.name()).cloned().unwrap_or_default())
    };
    // Loading only copies bytes; it cannot fail with this loader.
    walrus_gimli::read::Dwarf::load(load).unwrap_or_default()
}

/// Whether walrus's DWARF rewrite will succeed on `sections`: the conversion it runs first, and
/// the conditions its own line-program and `high_pc` converters `expect`.
fn walrus_accepts(sections: &DebugSections) -> Result<(), String> {
    use walrus_gimli::{read, write, EndianSlice, LittleEndian};
    let empty: &[u8] = &[];
    let load = |id: walrus_gimli::SectionId| -> Result<_, walrus_gimli::Error> {
        let data = sections.get(id.name()).map_or(empty, Vec::as_slice);
        Ok(EndianSlice::new(data, LittleEndian))
    };
    let dwarf = read::Dwarf::load(load).map_err(|e| e.to_string())?;
    write::Dwarf::from(&dwarf, &|address| Some(write::Address::Constant(address)))
        .map_err(|e| format!("gimli cannot convert it: {e}"))?;
    let mut headers = dwarf.units();
    while let Some(header) = headers.next().map_err(|e| e.to_string())? {
        let unit = dwarf.unit(header).map_err(|e| e.to_string())?;
        if let Some(program) = &unit.line_program {
            let header = program.header();
            if header.line_base() > 0 {
                return Err("a line program has a positive line_base".into());
            }
            if header.version() >= 5 && header.file(0).is_some_and(|f| f.directory_index() != 0) {
                return Err("a line program's file 0 is outside directory 0".into());
            }
        }
        let mut entries = unit.entries();
        // walrus walks entries until the first unreadable one and reads both pc attributes.
        while let Ok(Some((_, entry))) = entries.next_dfs() {
            for attr in [walrus_gimli::DW_AT_low_pc, walrus_gimli::DW_AT_high_pc] {
                entry.attr_value(attr).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// Re-encodes every unit with gimli 0.33, splitting line sequences at mid-sequence addresses.
fn resequence(
    sections: &DebugSections,
    bodies: &[Range<u64>],
) -> ConvertResult<(DebugSections, u64)> {
    let empty: &[u8] = &[];
    let load = |id: gimli::SectionId| -> Result<_, gimli::Error> {
        let data = sections.get(id.name()).map_or(empty, Vec::as_slice);
        Ok(EndianSlice::new(data, LittleEndian))
    };
    let read = gimli::read::Dwarf::load(load)?;
    let mut dwarf = gimli::write::Dwarf::new();
    let mut splits = 0;
    {
        let mut convert = dwarf.convert(&read)?;
        while let Some((mut unit, root)) = convert.read_unit()? {
            if let Some((program, files)) = split_sequences(&mut unit, bodies, &mut splits)? {
                unit.set_line_program(program, files);
            }
            convert_entries(&mut unit, root)?;
        }
    }
    let mut out = Sections::new(EndianVec::new(LittleEndian));
    dwarf.write(&mut out)?;
    let mut fixed = DebugSections::new();
    out.for_each(|id, data| -> Result<(), gimli::write::Error> {
        if !data.slice().is_empty() {
            fixed.insert(id.name().to_string(), data.slice().to_vec());
        }
        Ok(())
    })?;
    Ok((fixed, splits))
}

fn identity(address: u64) -> Option<Address> {
    Some(Address::Constant(address))
}

/// Re-encodes a unit's line program from its rows (as gimli's reader, and so addr2line, reads
/// them), one sequence per function: walrus may reorder functions, so a sequence must not span two,
/// and gimli 0.32 cannot take the `DW_LNE_set_address` that wasi-sdk puts between them.
fn split_sequences<R: gimli::Reader<Offset = usize>>(
    unit: &mut ConvertUnit<'_, R>,
    bodies: &[Range<u64>],
    splits: &mut u64,
) -> ConvertResult<Option<(LineProgram, Vec<gimli::write::FileId>)>> {
    let Some(read_program) = unit.read_unit.line_program.clone() else {
        return Ok(None);
    };
    let Some(header) = unit.read_line_program(None, None)? else {
        return Ok(None);
    };
    let (mut program, files) = header.program();
    let function_of = |address: u64| -> Option<usize> {
        let at = bodies.partition_point(|body| body.start <= address);
        let index = at.checked_sub(1)?;
        // A row at a function's very end (its last `end`) belongs to it.
        (address <= bodies[index].end).then_some(index)
    };
    // The open sequence: (base address, function, last row's address).
    let mut open: Option<(u64, Option<usize>, u64)> = None;
    let mut rows = read_program.rows();
    while let Some((_, row)) = rows.next_row()? {
        let address = row.address();
        if row.end_sequence() {
            if let Some((base, _, last)) = open.take() {
                program.end_sequence(address.max(last) - base);
            }
            continue;
        }
        let function = function_of(address);
        if let Some((base, open_function, last)) = open {
            if function != open_function || address < last {
                let end = open_function.map_or(last + 1, |f| bodies[f].end.max(last));
                program.end_sequence(end - base);
                *splits += 1;
                open = None;
            }
        }
        let base = match open {
            Some((base, ..)) => base,
            None => {
                program.begin_sequence(Some(Address::Constant(address)));
                address
            }
        };
        open = Some((base, function, address));
        let file = files
            .get(row.file_index() as usize)
            .copied()
            .ok_or(gimli::write::ConvertError::InvalidFileIndex)?;
        let out = program.row();
        out.address_offset = address - base;
        out.op_index = row.op_index();
        out.file = file;
        out.line = row.line().map_or(0, |line| line.get());
        out.column = match row.column() {
            gimli::ColumnType::LeftEdge => 0,
            gimli::ColumnType::Column(column) => column.get(),
        };
        out.discriminator = row.discriminator();
        out.is_statement = row.is_stmt();
        out.basic_block = row.basic_block();
        out.prologue_end = row.prologue_end();
        out.epilogue_begin = row.epilogue_begin();
        out.isa = row.isa();
        program.generate_row();
    }
    // A program that never ends its last sequence: end it with its function.
    if let Some((base, function, last)) = open {
        let end = function.map_or(last + 1, |f| bodies[f].end.max(last));
        program.end_sequence(end - base);
    }
    Ok(Some((program, files)))
}

/// Every entry and attribute of a unit, unchanged (`ConvertUnit::convert` without its line
/// program conversion, which [`split_sequences`] replaces).
fn convert_entries<'a, R: gimli::Reader<Offset = usize>>(
    unit: &mut ConvertUnit<'a, R>,
    root: ConvertUnitEntry<'a, R>,
) -> ConvertResult<()> {
    let root_id = unit.unit.root();
    convert_attributes(unit, root_id, &root)?;
    let mut entry = root;
    while let Some(id) = unit.read_entry(&mut entry)? {
        if id.is_none() {
            continue;
        }
        let id = unit.add_entry(id, &entry);
        convert_attributes(unit, id, &entry)?;
    }
    Ok(())
}

fn convert_attributes<R: gimli::Reader<Offset = usize>>(
    unit: &mut ConvertUnit<'_, R>,
    id: gimli::write::UnitEntryId,
    entry: &ConvertUnitEntry<'_, R>,
) -> ConvertResult<()> {
    for attr in entry.attrs() {
        // A GNU extension gimli cannot write; dropping it loses nothing wobs or debuggers need.
        if attr.name() == gimli::DW_AT_GNU_locviews {
            continue;
        }
        let value = unit.convert_attribute_value(entry.read_unit, attr, &identity)?;
        unit.unit.get_mut(id).set(attr.name(), value);
    }
    Ok(())
}

//! The parts of a module's binary layout that symbolization needs, read in one pass.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};
use wobs_events::{ProbeAbi, ProbeMap, CARRIED_DEBUG_PREFIX, PROBE_MAP_SECTION};

use crate::Error;

/// Where things are in a module file. All offsets are from the start of the file.
pub(crate) struct Layout {
    /// Offset of the code section's contents (DWARF addresses are relative to it).
    pub code_start: u32,
    /// Function bodies (index, range of the body including its local declarations), sorted.
    pub bodies: Vec<(u32, Range<u32>)>,
    /// Function names from the name section, by function index, still mangled.
    pub names: HashMap<u32, String>,
    /// `.debug_*` custom sections by name.
    pub debug_sections: HashMap<String, Arc<[u8]>>,
    /// An instrumented module's original `.debug_*` sections, carried as `wobs.debug_*`, by their
    /// original name.
    pub carried_debug: HashMap<String, Arc<[u8]>>,
    /// An instrumented module's `wobs.map`.
    pub probe_map: Option<ProbeMap>,
    /// Function imports.
    pub function_imports: u32,
    /// Function imports from a probe ABI's module (the instrumenter's additions).
    pub probe_imports: u32,
    /// How many results each function returns, by function index (imports first).
    pub result_counts: Vec<u32>,
    /// Offset of each body's first instruction, by the body's start.
    pub first_instructions: HashMap<u32, u32>,
    /// Table 0's functions (indices) from active element segments, by table index: what a C
    /// function pointer, a table index, points to.
    pub table_functions: Vec<Option<u32>>,
}

/// Largest table index read from element segments: a damaged offset must not allocate gigabytes.
const MAX_TABLE_INDEX: u64 = 1 << 20;

impl Layout {
    /// Reads the layout; `.debug_*` sections are copied only when `keep_debug`.
    pub fn parse(wasm: &[u8], keep_debug: bool) -> Result<Layout, Error> {
        let mut layout = Layout {
            code_start: 0,
            bodies: Vec::new(),
            names: HashMap::new(),
            debug_sections: HashMap::new(),
            carried_debug: HashMap::new(),
            probe_map: None,
            function_imports: 0,
            probe_imports: 0,
            result_counts: Vec::new(),
            first_instructions: HashMap::new(),
            table_functions: Vec::new(),
        };
        // Result counts of the function types, by type index (non-function types: 0).
        let mut type_results: Vec<u32> = Vec::new();
        let probe_modules = ProbeAbi::ALL.map(|abi| abi.names().module);
        let mut next_index = 0u32;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        let import = import?;
                        if let TypeRef::Func(ty) | TypeRef::FuncExact(ty) = import.ty {
                            let results = type_results.get(ty as usize).copied().unwrap_or(0);
                            layout.result_counts.push(results);
                            next_index += 1;
                            layout.function_imports += 1;
                            if probe_modules.contains(&import.module) {
                                layout.probe_imports += 1;
                            }
                        }
                    }
                }
                Payload::TypeSection(types) => {
                    for group in types {
                        for ty in group?.into_types() {
                            let results = match ty.composite_type.inner {
                                wasmparser::CompositeInnerType::Func(f) => f.results().len() as u32,
                                _ => 0,
                            };
                            type_results.push(results);
                        }
                    }
                }
                Payload::FunctionSection(functions) => {
                    for ty in functions {
                        let results = type_results.get(ty? as usize).copied().unwrap_or(0);
                        layout.result_counts.push(results);
                    }
                }
                Payload::ElementSection(elements) => {
                    // Damaged segments cost function-pointer labels, nothing else.
                    for element in elements.into_iter().flatten() {
                        layout.read_element(element);
                    }
                }
                Payload::CodeSectionStart { range, .. } => {
                    layout.code_start = offset(range.start)?;
                }
                Payload::CodeSectionEntry(body) => {
                    let range = body.range();
                    layout
                        .bodies
                        .push((next_index, offset(range.start)?..offset(range.end)?));
                    // The first instruction, after the local declarations; a malformed body
                    // (wasmtime rejects it anyway) gets its start.
                    let first = body
                        .get_operators_reader()
                        .map(|ops| ops.original_position())
                        .unwrap_or(range.start);
                    layout
                        .first_instructions
                        .insert(offset(range.start)?, offset(first)?);
                    next_index += 1;
                }
                Payload::CustomSection(section) => {
                    let carried = section
                        .name()
                        .strip_prefix(CARRIED_DEBUG_PREFIX)
                        .filter(|name| name.starts_with(".debug_"));
                    if section.name().starts_with(".debug_") {
                        if !keep_debug {
                            continue;
                        }
                        layout
                            .debug_sections
                            .insert(section.name().to_string(), Arc::from(section.data()));
                    } else if let Some(name) = carried {
                        if keep_debug {
                            layout
                                .carried_debug
                                .insert(name.to_string(), Arc::from(section.data()));
                        }
                    } else if section.name() == PROBE_MAP_SECTION {
                        layout.probe_map = ProbeMap::decode(section.data());
                    } else if let KnownCustom::Name(names) = section.as_known() {
                        // A malformed name section costs us names, not the profile.
                        for name in names.into_iter().flatten() {
                            if let Name::Function(map) = name {
                                for naming in map.into_iter().flatten() {
                                    layout.names.insert(naming.index, naming.name.to_string());
                                }
                            }
                        }
                    }
                }
                Payload::Version {
                    encoding: wasmparser::Encoding::Component,
                    ..
                } => return Err(Error::Component),
                _ => {}
            }
        }
        layout.bodies.sort_by_key(|(_, range)| range.start);
        Ok(layout)
    }

    /// The function (index and body range) whose body contains `offset`.
    pub fn body_at(&self, offset: u32) -> Option<&(u32, Range<u32>)> {
        let after = self
            .bodies
            .partition_point(|(_, range)| range.start <= offset);
        let body = self.bodies.get(after.checked_sub(1)?)?;
        body.1.contains(&offset).then_some(body)
    }
}

fn offset(value: usize) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| Error::TooLarge)
}

impl Layout {
    /// Records the functions an active element segment puts in table 0 at a constant offset.
    fn read_element(&mut self, element: wasmparser::Element<'_>) {
        let wasmparser::ElementKind::Active {
            table_index: None | Some(0),
            offset_expr,
        } = element.kind
        else {
            return;
        };
        let Some(Ok(wasmparser::Operator::I32Const { value })) =
            offset_expr.get_operators_reader().into_iter().next()
        else {
            return;
        };
        let functions: Vec<Option<u32>> = match element.items {
            wasmparser::ElementItems::Functions(items) => {
                items.into_iter().map(Result::ok).collect()
            }
            wasmparser::ElementItems::Expressions(_, items) => items
                .into_iter()
                .map(
                    |item| match item.ok()?.get_operators_reader().read().ok()? {
                        wasmparser::Operator::RefFunc { function_index } => Some(function_index),
                        _ => None,
                    },
                )
                .collect(),
        };
        let start = u64::from(value as u32);
        if start + functions.len() as u64 > MAX_TABLE_INDEX {
            return;
        }
        let end = start as usize + functions.len();
        if self.table_functions.len() < end {
            self.table_functions.resize(end, None);
        }
        for (slot, function) in self.table_functions[start as usize..end]
            .iter_mut()
            .zip(functions)
        {
            if function.is_some() {
                *slot = function;
            }
        }
    }
}

//! Components: every core module a component defines at its top level is instrumented on its own
//! ([`crate::instrument`]), and the component is re-encoded so that each instrumented module's
//! `wobs` imports are satisfied inside it.
//!
//! # Probe imports of an instrumented component
//!
//! For each instrumented code unit `N` (the component's core modules in binary order, counted as
//! [`wobs_symbolize::component::code_units`] counts them) the component imports an instance named
//! `wobs-probes-uN`. With counted probes (ABI v2, the default) its type is
//!
//! ```text
//! enter-counted: func(id: u32, calls: u64);
//! exit-counted: func(id: u32, calls: u64) -> u32;   // the function's throttle flag
//! memory-grow: func(pages: u32, result: u32);
//! ```
//!
//! and with `--abi wobs-v1` (every call calls the host: what `wobs bench` uses)
//!
//! ```text
//! enter: func(id: u32);
//! exit: func(id: u32);
//! memory-grow: func(pages: u32, result: u32);
//! ```
//!
//! Their functions are lowered into a core instance (exporting the core names of
//! [`ProbeAbi::names`]) passed as the `wobs` argument of every instantiation of unit `N`: the host
//! learns the unit from the instance it called, and the id means what it means in a module (the
//! function's index in the original unit, named by the unit's `wobs.map`). These items are placed
//! first in the component, so every index of the original component moves by the same amount;
//! wasm-encoder's re-encoder applies the shift. Modules of nested components are left as they are.
//!
//! # Counts of an instrumented component (ABI v2)
//!
//! A counted module keeps its call counts in a memory of its own, and a component's core
//! instances are closed to the host. So the component also *exports*, for each counted unit `N`
//! that it instantiates, an instance `wobs-counts-uN` with `count: func(id: u32) -> u64`, lifted
//! from the module's [`CountedLayout::COUNT`] export of the unit's first instance. These items are
//! placed last: nothing of the original component refers to them. The host reads the counts after
//! the run while the instance can still be entered (not after a trap).

use std::collections::HashMap;

use wasm_encoder::reencode::component_utils;
use wasm_encoder::reencode::{Error as ReencodeError, Reencode, ReencodeComponent};
use wasm_encoder::{
    CanonicalFunctionSection, Component, ComponentAliasSection, ComponentExportKind,
    ComponentExportSection, ComponentImportSection, ComponentInstanceSection, ComponentTypeRef,
    ComponentTypeSection, ExportKind, InstanceSection, InstanceType, ModuleArg, PrimitiveValType,
};
use wobs_events::{CountedLayout, ProbeAbi, COMPONENT_COUNTS_PREFIX, COMPONENT_PROBE_PREFIX};

use crate::{Error, Options, Report};

/// The import name of unit `unit`'s probe instance.
pub fn probe_instance_name(unit: usize) -> String {
    format!("{COMPONENT_PROBE_PREFIX}{unit}")
}

/// The export name of unit `unit`'s counts instance.
pub fn counts_instance_name(unit: usize) -> String {
    format!("{COMPONENT_COUNTS_PREFIX}{unit}")
}

/// Exports a component calls while calls out of the instance are forbidden (the canonical ABI's
/// allocators and post-return functions, as wit-component and the language toolchains name them):
/// nothing they reach gets a probe, which would be such a call.
const UNPROBED_EXPORTS: [&str; 3] = ["cabi_realloc*", "cabi_*_realloc", "cabi_post_*"];

/// What [`instrument_component`] produced.
#[derive(Debug)]
pub struct InstrumentedComponent {
    /// The instrumented component.
    pub wasm: Vec<u8>,
    /// Per code unit: what was done to it, `None` for a unit left as it was (in a nested
    /// component, or one the module instrumenter cannot read).
    pub units: Vec<Option<Report>>,
}

/// Instruments every top-level core module of the component `wasm` as `options` say.
pub fn instrument_component(
    wasm: &[u8],
    options: &Options,
) -> Result<InstrumentedComponent, Error> {
    if options.abi == ProbeAbi::Observe {
        return Err(Error::Invalid(
            "components are instrumented with the wobs probe ABI only".into(),
        ));
    }
    let units =
        wobs_symbolize::component::code_units(wasm).map_err(|e| Error::Invalid(e.to_string()))?;
    let top_level: Vec<usize> = (0..units.len()).filter(|&u| units[u].top_level).collect();
    // Only counted probes add items after the original's (their index spaces must be known).
    let original = match options.abi {
        ProbeAbi::Counted => Some(IndexSpaces::of(wasm)?),
        _ => None,
    };
    let mut options = options.clone();
    let unit_bytes: Vec<&[u8]> = top_level.iter().map(|&u| units[u].bytes(wasm)).collect();
    options
        .unprobed_exports
        .extend(unprobed_exports(&unit_bytes)?);
    let options = &options;
    let mut reports = vec![None; units.len()];
    let mut rewritten = HashMap::new();
    for &unit in &top_level {
        let bytes = units[unit].bytes(wasm);
        match crate::instrument(bytes, options) {
            Ok(out) => {
                if imports_probes(&out.wasm) {
                    rewritten.insert(unit, out.wasm);
                }
                reports[unit] = Some(out.report);
            }
            // A unit walrus cannot read runs as it is; anything else is an error of the whole.
            Err(Error::Invalid(_)) => {}
            Err(err) => return Err(err),
        }
    }
    let mut probed: Vec<usize> = rewritten.keys().copied().collect();
    probed.sort_unstable();
    let mut splice = Splice {
        abi: options.abi,
        depth: 0,
        core_instances: 0,
        unit_instances: HashMap::new(),
        next_unit: 0,
        module_units: Vec::new(),
        probe_instance: probed
            .iter()
            .enumerate()
            .map(|(i, &u)| (u, i as u32))
            .collect(),
        probed,
        rewritten,
    };
    let mut component = Component::new();
    splice
        .parse_component(&mut component, wasmparser::Parser::new(0), wasm)
        .map_err(|e| Error::Invalid(format!("cannot re-encode the component: {e:?}")))?;
    if let Some(original) = original {
        splice.emit_count_exports(&mut component, original);
    }
    let out = component.finish();
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    validator
        .validate_all(&out)
        .map_err(|e| Error::Output(e.to_string()))?;
    Ok(InstrumentedComponent {
        wasm: out,
        units: reports,
    })
}

/// The exports under which nothing may get a probe, across `units`: [`UNPROBED_EXPORTS`], and
/// the functions of other units they reach through imports (dynamically linked libraries call
/// each other by name: componentize-py's `cabi_realloc` calls libc's `posix_memalign`).
fn unprobed_exports(units: &[&[u8]]) -> Result<Vec<String>, Error> {
    let graphs = units
        .iter()
        .map(|bytes| CallGraph::new(bytes))
        .collect::<Result<Vec<_>, _>>()?;
    let globs = {
        let mut set = globset::GlobSetBuilder::new();
        for pattern in UNPROBED_EXPORTS {
            set.add(globset::Glob::new(pattern).map_err(|e| Error::Pattern(e.to_string()))?);
        }
        set.build().map_err(|e| Error::Pattern(e.to_string()))?
    };
    let mut names: Vec<String> = UNPROBED_EXPORTS.iter().map(|e| e.to_string()).collect();
    let mut reached_names: std::collections::HashSet<String> = Default::default();
    loop {
        let before = reached_names.len();
        for graph in &graphs {
            let roots = graph
                .exports
                .iter()
                .filter(|(name, _)| globs.is_match(name) || reached_names.contains(*name))
                .map(|(_, &func)| func);
            for import in graph.imports_reached_from(roots) {
                reached_names.insert(import);
            }
        }
        if reached_names.len() == before {
            break;
        }
    }
    names.extend(reached_names.iter().map(|name| globset::escape(name)));
    Ok(names)
}

/// A core module's direct calls, enough to follow what a function reaches.
struct CallGraph {
    /// Field names of the function imports, in index order.
    imports: Vec<String>,
    /// Exported function names and indices.
    exports: HashMap<String, u32>,
    /// Per defined function: the functions it calls directly.
    callees: Vec<Vec<u32>>,
}

impl CallGraph {
    fn new(wasm: &[u8]) -> Result<CallGraph, Error> {
        use wasmparser::{Operator, Payload, TypeRef};
        let invalid = |e: wasmparser::BinaryReaderError| Error::Invalid(e.to_string());
        let mut graph = CallGraph {
            imports: Vec::new(),
            exports: HashMap::new(),
            callees: Vec::new(),
        };
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.map_err(invalid)? {
                Payload::ImportSection(section) => {
                    for import in section.into_imports() {
                        let import = import.map_err(invalid)?;
                        if matches!(import.ty, TypeRef::Func(_)) {
                            graph.imports.push(import.name.to_string());
                        }
                    }
                }
                Payload::ExportSection(section) => {
                    for export in section {
                        let export = export.map_err(invalid)?;
                        if export.kind == wasmparser::ExternalKind::Func {
                            graph.exports.insert(export.name.to_string(), export.index);
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut callees = Vec::new();
                    let mut reader = body.get_operators_reader().map_err(invalid)?;
                    while !reader.eof() {
                        match reader.read().map_err(invalid)? {
                            Operator::Call { function_index }
                            | Operator::ReturnCall { function_index } => {
                                callees.push(function_index)
                            }
                            _ => {}
                        }
                    }
                    graph.callees.push(callees);
                }
                _ => {}
            }
        }
        Ok(graph)
    }

    /// The names of the imported functions that `roots` reach by direct calls.
    fn imports_reached_from(&self, roots: impl Iterator<Item = u32>) -> Vec<String> {
        let imported = self.imports.len() as u32;
        let mut seen = std::collections::HashSet::new();
        let mut pending: Vec<u32> = roots.collect();
        let mut reached = Vec::new();
        while let Some(func) = pending.pop() {
            if !seen.insert(func) {
                continue;
            }
            match func.checked_sub(imported) {
                None => reached.push(self.imports[func as usize].clone()),
                Some(defined) => {
                    if let Some(callees) = self.callees.get(defined as usize) {
                        pending.extend(callees);
                    }
                }
            }
        }
        reached
    }
}

/// Whether the instrumented module `wasm` imports anything from the `wobs` probe module.
fn imports_probes(wasm: &[u8]) -> bool {
    let module = ProbeAbi::Wobs.names().module;
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .filter_map(Result::ok)
        .any(|payload| match payload {
            wasmparser::Payload::ImportSection(section) => section
                .into_imports()
                .flatten()
                .any(|import| import.module == module),
            _ => false,
        })
}

/// Re-encodes a component with the probe instances in front and the instrumented modules in
/// place of the originals.
struct Splice {
    /// The probes' ABI: [`ProbeAbi::Counted`] or [`ProbeAbi::Wobs`].
    abi: ProbeAbi,
    /// 0 in the component itself; more inside nested components, modules and type declarations.
    depth: u32,
    /// The code unit the next module section is.
    next_unit: usize,
    /// The top-level module index space: the unit of each module defined there, `None` for
    /// modules imported or aliased.
    module_units: Vec<Option<usize>>,
    /// Top-level core instances seen so far (the next one's index in the original component).
    core_instances: u32,
    /// Unit → the original index of its first top-level core instance.
    unit_instances: HashMap<usize, u32>,
    /// Units given probes, in order; the i-th has probe instance i.
    probed: Vec<usize>,
    /// Unit → its probe instance (component instance and core instance index alike).
    probe_instance: HashMap<usize, u32>,
    /// Unit → its instrumented bytes.
    rewritten: HashMap<usize, Vec<u8>>,
}

/// Component funcs (and core funcs) per probe instance: entry, exit, memory growth.
const PROBE_FUNCS: u32 = 3;

impl Splice {
    fn probes(&self) -> u32 {
        self.probed.len() as u32
    }

    /// Shifts an index of the top-level component's spaces by `by`.
    fn shift(&self, index: u32, by: u32) -> u32 {
        match self.depth {
            0 => index + by,
            _ => index,
        }
    }

    /// The type, imports, aliases, lowerings and core instances the probes need, placed before
    /// anything of the original component.
    fn emit_probe_items(&self, component: &mut Component) {
        if self.probed.is_empty() {
            return;
        }
        let funcs = ProbeFunc::of(self.abi);
        let mut types = ComponentTypeSection::new();
        let mut instance = InstanceType::new();
        for func in &funcs {
            let mut ty = instance.ty().function();
            ty.params(func.params.iter().copied());
            ty.result(func.result.map(Into::into));
        }
        for (index, func) in funcs.iter().enumerate() {
            instance.export(func.name, ComponentTypeRef::Func(index as u32));
        }
        types.instance(&instance);
        component.section(&types);

        let mut imports = ComponentImportSection::new();
        let mut aliases = ComponentAliasSection::new();
        let mut lowered = CanonicalFunctionSection::new();
        let mut cores = InstanceSection::new();
        for (index, &unit) in self.probed.iter().enumerate() {
            let index = index as u32;
            imports.import(probe_instance_name(unit), ComponentTypeRef::Instance(0));
            for func in &funcs {
                aliases.alias(wasm_encoder::Alias::InstanceExport {
                    instance: index,
                    kind: ComponentExportKind::Func,
                    name: func.name,
                });
            }
            let first = index * PROBE_FUNCS;
            for func in first..first + PROBE_FUNCS {
                lowered.lower(func, []);
            }
            cores.export_items(
                funcs
                    .iter()
                    .zip(first..first + PROBE_FUNCS)
                    .map(|(func, index)| (func.core_name, ExportKind::Func, index)),
            );
        }
        component.section(&imports);
        component.section(&aliases);
        component.section(&lowered);
        component.section(&cores);
    }

    /// The counted probes' `wobs-counts-uN` exports (see the module's docs), placed after
    /// everything of the original component, whose index spaces `original` measured.
    fn emit_count_exports(&self, component: &mut Component, original: IndexSpaces) {
        let probes = self.probes();
        let units: Vec<(usize, u32)> = self
            .probed
            .iter()
            .filter_map(|unit| Some((*unit, self.unit_instances.get(unit)? + probes)))
            .collect();
        if units.is_empty() {
            return;
        }
        let mut types = ComponentTypeSection::new();
        types
            .function()
            .params([("id", PrimitiveValType::U32)])
            .result(Some(PrimitiveValType::U64.into()));
        component.section(&types);
        // The probe instance type comes first, then the original types, then this one.
        let count_type = 1 + original.types;
        let mut aliases = ComponentAliasSection::new();
        for &(_, instance) in &units {
            aliases.alias(wasm_encoder::Alias::CoreInstanceExport {
                instance,
                kind: ExportKind::Func,
                name: CountedLayout::COUNT,
            });
        }
        component.section(&aliases);
        let first_core_func = original.core_funcs + probes * PROBE_FUNCS;
        let mut lifts = CanonicalFunctionSection::new();
        for index in 0..units.len() as u32 {
            lifts.lift(first_core_func + index, count_type, []);
        }
        component.section(&lifts);
        let first_func = original.funcs + probes * PROBE_FUNCS;
        let mut instances = ComponentInstanceSection::new();
        for index in 0..units.len() as u32 {
            instances.export_items([("count", ComponentExportKind::Func, first_func + index)]);
        }
        component.section(&instances);
        let first_instance = original.instances + probes;
        let mut exports = ComponentExportSection::new();
        for (index, &(unit, _)) in units.iter().enumerate() {
            exports.export(
                counts_instance_name(unit),
                ComponentExportKind::Instance,
                first_instance + index as u32,
                None,
            );
        }
        component.section(&exports);
    }
}

/// One function of a probe instance.
struct ProbeFunc {
    /// Its name in the component's probe instance.
    name: &'static str,
    /// Its name in the core instance the unit imports as `wobs`.
    core_name: &'static str,
    params: &'static [(&'static str, PrimitiveValType)],
    result: Option<PrimitiveValType>,
}

impl ProbeFunc {
    /// The functions of a probe instance of `abi`, in their order there.
    fn of(abi: ProbeAbi) -> [ProbeFunc; PROBE_FUNCS as usize] {
        use PrimitiveValType::{U32, U64};
        let names = abi.names();
        let memory_grow = ProbeFunc {
            name: "memory-grow",
            core_name: names.memory_grow,
            params: &[("pages", U32), ("result", U32)],
            result: None,
        };
        match abi {
            ProbeAbi::Counted => [
                ProbeFunc {
                    name: "enter-counted",
                    core_name: names.enter,
                    params: &[("id", U32), ("calls", U64)],
                    result: None,
                },
                ProbeFunc {
                    name: "exit-counted",
                    core_name: names.exit,
                    params: &[("id", U32), ("calls", U64)],
                    result: Some(U32),
                },
                memory_grow,
            ],
            _ => [
                ProbeFunc {
                    name: "enter",
                    core_name: names.enter,
                    params: &[("id", U32)],
                    result: None,
                },
                ProbeFunc {
                    name: "exit",
                    core_name: names.exit,
                    params: &[("id", U32)],
                    result: None,
                },
                memory_grow,
            ],
        }
    }
}

/// The sizes of a component's top-level index spaces.
#[derive(Debug, Clone, Copy)]
struct IndexSpaces {
    types: u32,
    core_funcs: u32,
    funcs: u32,
    instances: u32,
}

impl IndexSpaces {
    /// Measures the component `wasm` (validating it).
    fn of(wasm: &[u8]) -> Result<IndexSpaces, Error> {
        let mut validator =
            wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
        let types = validator
            .validate_all(wasm)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let types = types.as_ref();
        Ok(IndexSpaces {
            types: types.component_type_count(),
            core_funcs: types.function_count(),
            funcs: types.component_function_count(),
            instances: types.component_instance_count(),
        })
    }
}

impl Reencode for Splice {
    type Error = std::convert::Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<Self::Error>> {
        Ok(self.shift(func, self.probes() * PROBE_FUNCS))
    }
}

impl ReencodeComponent for Splice {
    fn component_type_index(&mut self, ty: u32) -> u32 {
        self.shift(ty, u32::from(!self.probed.is_empty()))
    }

    fn component_instance_index(&mut self, instance: u32) -> u32 {
        self.shift(instance, self.probes())
    }

    fn component_func_index(&mut self, func: u32) -> u32 {
        self.shift(func, self.probes() * PROBE_FUNCS)
    }

    fn instance_index(&mut self, instance: u32) -> u32 {
        self.shift(instance, self.probes())
    }

    fn outer_component_type_index(&mut self, count: u32, ty: u32) -> u32 {
        // An outer alias that reaches the top level names one of its types.
        match count == self.depth && !self.probed.is_empty() {
            true => ty + 1,
            false => ty,
        }
    }

    fn push_depth(&mut self) {
        self.depth += 1;
    }

    fn pop_depth(&mut self) {
        self.depth -= 1;
    }

    fn parse_component_payload(
        &mut self,
        component: &mut Component,
        payload: wasmparser::Payload<'_>,
        whole: &[u8],
    ) -> Result<(), ReencodeError<Self::Error>> {
        if let wasmparser::Payload::Version { .. } = payload {
            if self.depth == 0 {
                self.emit_probe_items(component);
            }
        }
        component_utils::parse_component_payload(self, component, payload, whole)
    }

    fn parse_component_submodule(
        &mut self,
        component: &mut Component,
        _parser: wasmparser::Parser,
        module: &[u8],
    ) -> Result<(), ReencodeError<Self::Error>> {
        let unit = self.next_unit;
        self.next_unit += 1;
        if self.depth == 0 {
            self.module_units.push(Some(unit));
        }
        let bytes = self.rewritten.get(&unit).map_or(module, Vec::as_slice);
        component.section(&wasm_encoder::RawSection {
            id: wasm_encoder::ComponentSectionId::CoreModule as u8,
            data: bytes,
        });
        Ok(())
    }

    fn parse_component_import_section(
        &mut self,
        imports: &mut ComponentImportSection,
        section: wasmparser::ComponentImportSectionReader<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        for import in section.clone().into_iter().flatten() {
            if self.depth == 0 && matches!(import.ty, wasmparser::ComponentTypeRef::Module(_)) {
                self.module_units.push(None);
            }
        }
        component_utils::parse_component_import_section(self, imports, section)
    }

    fn component_alias<'a>(
        &mut self,
        alias: wasmparser::ComponentAlias<'a>,
    ) -> Result<wasm_encoder::Alias<'a>, ReencodeError<Self::Error>> {
        let module = match alias {
            wasmparser::ComponentAlias::InstanceExport { kind, .. } => {
                kind == wasmparser::ComponentExternalKind::Module
            }
            wasmparser::ComponentAlias::Outer { kind, .. } => {
                kind == wasmparser::ComponentOuterAliasKind::CoreModule
            }
            wasmparser::ComponentAlias::CoreInstanceExport { .. } => false,
        };
        if module && self.depth == 0 {
            self.module_units.push(None);
        }
        component_utils::component_alias(self, alias)
    }

    fn parse_instance(
        &mut self,
        instances: &mut InstanceSection,
        instance: wasmparser::Instance<'_>,
    ) -> Result<(), ReencodeError<Self::Error>> {
        let original_index = self.core_instances;
        if self.depth == 0 {
            self.core_instances += 1;
        }
        let wasmparser::Instance::Instantiate { module_index, args } = &instance else {
            return component_utils::parse_instance(self, instances, instance);
        };
        let unit = match self.depth {
            0 => self
                .module_units
                .get(*module_index as usize)
                .copied()
                .flatten(),
            _ => None,
        };
        let Some((unit, probes)) =
            unit.and_then(|unit| Some((unit, *self.probe_instance.get(&unit)?)))
        else {
            return component_utils::parse_instance(self, instances, instance);
        };
        self.unit_instances.entry(unit).or_insert(original_index);
        let mut with_probes: Vec<(&str, ModuleArg)> = args
            .iter()
            .map(|arg| {
                (
                    arg.name,
                    ModuleArg::Instance(self.instance_index(arg.index)),
                )
            })
            .collect();
        with_probes.push((ProbeAbi::Wobs.names().module, ModuleArg::Instance(probes)));
        instances.instantiate(self.module_index(*module_index), with_probes);
        Ok(())
    }
}

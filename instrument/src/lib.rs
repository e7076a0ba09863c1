//! `wobs-instrument`: rewrites a wasm module so it reports what it does.
//!
//! [`instrument`] adds entry/exit probes to the functions [`Options`] selects (and, optionally,
//! `memory.grow` probes), keeps the DWARF usable (walrus rewrites its addresses), and records in the
//! `wobs.map` custom section what each probe id is and where every original instruction went. The
//! ABI is in [`abi`]. The output is validated before it is returned.
//!
//! # Cost
//!
//! One walrus parse + emit of the module plus a linear pass over each selected function's
//! instructions; see `bench/` for the measured ratio to a plain walrus round trip.
//!
//! # Errors
//!
//! Input that is not a valid module, a module that is already instrumented, or (a bug) output that
//! does not validate: each an [`Error`] with a one-line message; never a panic.

pub mod abi;
pub mod component;
mod dwarf;
mod map_section;
mod options;
pub mod passes;

use std::collections::HashSet;

use walrus::ir::{Instr, InstrSeqType};
use walrus::{ExportItem, FunctionId, FunctionKind, ModuleConfig, ValType};
use wobs_events::{CountedLayout, Probe, ProbeAbi, ProbeMap, PROBE_MAP_SECTION};
use wobs_symbolize::ModuleSymbols;

pub use dwarf::DwarfHandling;
pub use options::Options;

use options::NameFilter;

use dwarf::Plan;
use map_section::MapSection;
use passes::memory::{memory_grow, GrowProbe};
use passes::probes::{entry_exit, ProbeFuncs};

/// Why a module could not be instrumented.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not a valid wasm module.
    #[error("not a valid wasm module: {0}")]
    Invalid(String),
    /// The input already carries probes.
    #[error("already instrumented ({0}); instrument the original module instead")]
    AlreadyInstrumented(String),
    /// An `--include` or `--exclude` pattern is not a valid glob.
    #[error("invalid pattern {0}")]
    Pattern(String),
    /// The rewritten module failed validation (a wobs bug; please report it).
    #[error("instrumented module does not validate (a wobs bug): {0}")]
    Output(String),
}

/// What [`instrument`] produced.
#[derive(Debug)]
pub struct Instrumented {
    /// The instrumented module.
    pub wasm: Vec<u8>,
    /// What was done.
    pub report: Report,
}

/// Counts of what [`instrument`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Functions defined in the module.
    pub functions: u32,
    /// Functions given entry/exit probes.
    pub instrumented: u32,
    /// `return`s given an exit probe before them.
    pub returns: u32,
    /// Tail calls given an exit probe before the call.
    pub tail_calls: u32,
    /// `memory.grow` sites probed.
    pub memory_grows: u32,
    /// What became of the module's DWARF.
    pub dwarf: DwarfHandling,
}

/// Instruments `wasm` as `options` say.
pub fn instrument(wasm: &[u8], options: &Options) -> Result<Instrumented, Error> {
    refuse_instrumented(wasm)?;
    let filter = NameFilter::new(options)?;
    let symbols = ModuleSymbols::without_dwarf(wasm).map_err(|e| Error::Invalid(e.to_string()))?;
    let mut report = Report::default();
    // DWARF addresses count from the code section's contents.
    let bodies: Vec<_> = symbols
        .function_bodies()
        .map(|(_, body)| {
            let start = symbols.code_start();
            u64::from(body.start - start)..u64::from(body.end - start)
        })
        .collect();
    let debug = dwarf::plan(dwarf::debug_sections(wasm), &bodies);
    let mut config = ModuleConfig::new();
    config
        .generate_dwarf(matches!(debug, Plan::Rewrite | Plan::Reencoded { .. }))
        // `wobs.map` needs walrus's record of where code went, with or without DWARF to rewrite.
        .preserve_code_transform(true)
        .generate_name_section(true)
        .generate_producers_section(true);
    let mut module = config
        .parse(wasm)
        .map_err(|e| Error::Invalid(one_line(&format!("{e:#}"))))?;
    match debug {
        Plan::Absent => {}
        Plan::Rewrite => report.dwarf = DwarfHandling::Rewritten,
        Plan::Reencoded {
            sections,
            split_sequences,
        } => {
            module.debug.dwarf = dwarf::for_walrus(&sections);
            report.dwarf = DwarfHandling::Resequenced(split_sequences);
        }
        Plan::Carry { sections, reason } => {
            for section in dwarf::carried(sections) {
                module.customs.add(section);
            }
            report.dwarf = DwarfHandling::Carried(reason);
        }
    }

    // Probe ids are original function indices: walrus keeps functions in index order.
    let originals: Vec<(FunctionId, u32)> = module
        .funcs
        .iter()
        .enumerate()
        .map(|(index, f)| (f.id(), index as u32))
        .collect();
    let exported: HashSet<FunctionId> = module
        .exports
        .iter()
        .filter_map(|e| match e.item {
            ExportItem::Function(id) => Some(id),
            _ => None,
        })
        .collect();

    let unprobed = unprobed_functions(&module, &options.unprobed_exports)?;
    let count_only: HashSet<u32> = options.count_only.iter().copied().collect();
    let mut selected = Vec::new();
    for &(id, index) in &originals {
        let FunctionKind::Local(local) = &module.funcs.get(id).kind else {
            continue;
        };
        report.functions += 1;
        let name = symbols.function_name(index);
        if !unprobed.contains(&id) && wanted(&name, local, exported.contains(&id), options, &filter)
        {
            let code = symbols.function_body(index).unwrap_or(0..0);
            selected.push((
                id,
                Probe {
                    id: index,
                    name,
                    code,
                },
            ));
        }
    }

    let names = abi::names(options.abi);
    let probes = probe_funcs(&mut module, options, &selected);
    for (id, probe) in &selected {
        let ty = module.funcs.get(*id).ty();
        let results = module.types.get(ty).results().to_vec();
        let body_ty = InstrSeqType::new(&mut module.types, &[], &results);
        let FunctionKind::Local(local) = &module.funcs.get(*id).kind else {
            continue;
        };
        // A leaf is counted, not timed: a host call in it, even one never taken, would make its
        // compiled code set up a frame on every call. Its time shows in samples and in its
        // timed caller's. Functions asked to be counted only are too.
        let timed = (matches!(probes, ProbeFuncs::Counted { .. })
            && !count_only.contains(&probe.id)
            && (options.time_leaves || makes_calls(local)))
        .then(|| module.locals.add(ValType::I32));
        if let FunctionKind::Local(local) = &mut module.funcs.get_mut(*id).kind {
            let done = entry_exit(local, probe.id, body_ty, probes, timed);
            report.instrumented += 1;
            report.returns += done.returns;
            report.tail_calls += done.tail_calls;
        }
    }

    if options.memory {
        let params: &[ValType] = if names.grow_with_result {
            &[ValType::I32, ValType::I32]
        } else {
            &[ValType::I32]
        };
        let grow_ty = import_type(&mut module.types, params);
        let probe = module
            .add_import_func(names.module, names.memory_grow, grow_ty)
            .0;
        let memory64: HashSet<_> = module
            .memories
            .iter()
            .filter(|m| m.memory64)
            .map(|m| m.id())
            .collect();
        let ids: Vec<FunctionId> = module
            .funcs
            .iter_local()
            .map(|(id, _)| id)
            .filter(|id| !unprobed.contains(id))
            .collect();
        for id in ids {
            let grow = GrowProbe {
                probe,
                with_result: names.grow_with_result,
                pages: module.locals.add(ValType::I32),
                result: module.locals.add(ValType::I32),
            };
            if let FunctionKind::Local(local) = &mut module.funcs.get_mut(id).kind {
                report.memory_grows += memory_grow(local, grow, |m| !memory64.contains(&m));
            }
        }
    }

    let original_bodies = originals
        .iter()
        .filter_map(|&(id, index)| Some((id, symbols.function_body(index)?)))
        .collect();
    module.customs.add(MapSection {
        map: ProbeMap {
            abi: options.abi,
            probes: selected.into_iter().map(|(_, probe)| probe).collect(),
            original_code_start: Some(symbols.code_start()),
            ..ProbeMap::default()
        },
        original_bodies,
    });
    let out = module.emit_wasm();
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&out)
        .map_err(|e| Error::Output(e.to_string()))?;
    Ok(Instrumented { wasm: out, report })
}

/// Adds the probe imports of `abi` and, for counted probes, the counters' memory and global,
/// exported under [`CountedLayout`]'s names.
fn probe_funcs(
    module: &mut walrus::Module,
    options: &Options,
    selected: &[(FunctionId, Probe)],
) -> ProbeFuncs {
    let abi = options.abi;
    let names = abi::names(abi);
    let probe_ty = import_type(&mut module.types, &[ValType::I32]);
    if abi != ProbeAbi::Counted {
        let enter = module
            .add_import_func(names.module, names.enter, probe_ty)
            .0;
        let exit = module.add_import_func(names.module, names.exit, probe_ty).0;
        return ProbeFuncs::EveryCall { enter, exit };
    }
    let enter_ty = import_type(&mut module.types, &[ValType::I32, ValType::I64]);
    let exit_ty = import_type_with_result(
        &mut module.types,
        &[ValType::I32, ValType::I64],
        &[ValType::I32],
    );
    let enter = module
        .add_import_func(names.module, names.enter, enter_ty)
        .0;
    let exit = module.add_import_func(names.module, names.exit, exit_ty).0;
    let layout = CountedLayout {
        slots: selected.iter().map(|(_, p)| p.id + 1).max().unwrap_or(0),
    };
    let pages = layout.bytes().div_ceil(65_536).max(1);
    let memory = module
        .memories
        .add_local(false, false, pages, Some(pages), None);
    module.exports.add(CountedLayout::MEMORY, memory);
    let calls = module.globals.add_local(
        ValType::I64,
        true,
        false,
        walrus::ConstExpr::Value(walrus::ir::Value::I64(0)),
    );
    module.exports.add(CountedLayout::CALLS, calls);
    add_count_reader(module, memory);
    ProbeFuncs::Counted {
        enter,
        exit,
        memory,
        calls,
        layout,
        per_function: options.per_function_counts,
    }
}

/// Exports [`CountedLayout::COUNT`], `(func (param i32 id) (result i64))`: probe `id`'s count.
/// A host that cannot read the counters' memory calls it (a component's core instances are
/// closed to the host; the component lifts it, see [`component`]).
fn add_count_reader(module: &mut walrus::Module, memory: walrus::MemoryId) {
    use walrus::ir::{BinaryOp, LoadKind, MemArg};
    let id = module.locals.add(ValType::I32);
    let mut reader =
        walrus::FunctionBuilder::new(&mut module.types, &[ValType::I32], &[ValType::I64]);
    reader
        .func_body()
        .local_get(id)
        .i32_const(8)
        .binop(BinaryOp::I32Mul)
        .load(
            memory,
            LoadKind::I64 { atomic: false },
            MemArg {
                align: 8,
                offset: CountedLayout::count(0),
            },
        );
    let reader = reader.finish(vec![id], &mut module.funcs);
    module.exports.add(CountedLayout::COUNT, reader);
}

/// A `(func (param …))` type of its own for a probe import. `ModuleTypes::add` reuses an equal
/// function type even when it sits in an explicit rec group with other types (GC modules); such a
/// type is a different type from the plain one, and a host's probe function would not match it.
fn import_type(types: &mut walrus::ModuleTypes, params: &[ValType]) -> walrus::TypeId {
    import_type_with_result(types, params, &[])
}

/// [`import_type`] with results.
fn import_type_with_result(
    types: &mut walrus::ModuleTypes,
    params: &[ValType],
    results: &[ValType],
) -> walrus::TypeId {
    let id = types.add(params, results);
    if types
        .rec_group_for_type(id)
        .is_none_or(|group| group.types.len() == 1)
    {
        return id;
    }
    let func = walrus::FunctionType::new(params.into(), results.into());
    types.add_rec_group(1, |_| {
        vec![(walrus::CompositeType::Function(func), true, None)]
    })[0]
}

/// Whether `options` (with their names compiled into `filter`) select this function.
fn wanted(
    name: &str,
    func: &walrus::LocalFunction,
    exported: bool,
    options: &Options,
    filter: &NameFilter,
) -> bool {
    if options.exports_only && !exported {
        return false;
    }
    filter.wants(name) && (func.size() >= options.min_size || makes_calls(func))
}

/// The functions exported under a name matching one of `exports` (globs) and every function they
/// reach by direct calls.
fn unprobed_functions(
    module: &walrus::Module,
    exports: &[String],
) -> Result<HashSet<FunctionId>, Error> {
    let mut unprobed = HashSet::new();
    if exports.is_empty() {
        return Ok(unprobed);
    }
    let mut globs = globset::GlobSetBuilder::new();
    for pattern in exports {
        globs.add(globset::Glob::new(pattern).map_err(|e| Error::Pattern(e.to_string()))?);
    }
    let globs = globs.build().map_err(|e| Error::Pattern(e.to_string()))?;
    let mut pending: Vec<FunctionId> = module
        .exports
        .iter()
        .filter(|e| globs.is_match(&e.name))
        .filter_map(|e| match e.item {
            ExportItem::Function(id) => Some(id),
            _ => None,
        })
        .collect();
    while let Some(id) = pending.pop() {
        if !unprobed.insert(id) {
            continue;
        }
        let FunctionKind::Local(func) = &module.funcs.get(id).kind else {
            continue;
        };
        for seq in passes::sequences(func, func.entry_block()) {
            for (instr, _) in &func.block(seq).instrs {
                match instr {
                    Instr::Call(call) => pending.push(call.func),
                    Instr::ReturnCall(call) => pending.push(call.func),
                    _ => {}
                }
            }
        }
    }
    Ok(unprobed)
}

/// Whether the function calls anything (then it shapes the call tree and is kept whatever its size).
fn makes_calls(func: &walrus::LocalFunction) -> bool {
    passes::sequences(func, func.entry_block())
        .into_iter()
        .any(|seq| {
            func.block(seq).instrs.iter().any(|(instr, _)| {
                matches!(
                    instr,
                    Instr::Call(_)
                        | Instr::CallIndirect(_)
                        | Instr::CallRef(_)
                        | Instr::ReturnCall(_)
                        | Instr::ReturnCallIndirect(_)
                        | Instr::ReturnCallRef(_)
                )
            })
        })
}

/// Refuses modules that already have probes: a `wobs.map` section or probe imports.
fn refuse_instrumented(wasm: &[u8]) -> Result<(), Error> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| Error::Invalid(e.to_string()))? {
            wasmparser::Payload::CustomSection(s) if s.name() == PROBE_MAP_SECTION => {
                return Err(Error::AlreadyInstrumented(format!(
                    "it has a `{PROBE_MAP_SECTION}` section"
                )));
            }
            wasmparser::Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    let import = import.map_err(|e| Error::Invalid(e.to_string()))?;
                    if import.module == abi::WOBS_MODULE || import.module == abi::OBSERVE_MODULE {
                        return Err(Error::AlreadyInstrumented(format!(
                            "it imports `{}::{}`",
                            import.module, import.name
                        )));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

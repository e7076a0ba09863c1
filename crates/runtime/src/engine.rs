//! The wasmtime engine as wobs configures it, and compiled modules.

use std::num::NonZeroUsize;
use std::sync::Arc;

use wobs_events::ProbeMap;

use crate::{EngineOptions, Error};

/// Frames captured per sample or backtrace at most; deeper stacks keep their innermost frames.
const MAX_FRAMES: usize = 4096;

/// A configured wasmtime engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: wasmtime::Engine,
    pub(crate) fuel: bool,
    /// Compiled code checks the epoch (so the epoch sampler and timeouts work).
    pub(crate) epoch_checks: bool,
}

/// A module compiled for an [`Engine`].
#[derive(Clone)]
pub struct CompiledModule {
    /// Name frames use (the import name for preloads).
    pub name: String,
    /// The module's `wobs.map`, when it was instrumented.
    pub probes: Option<Arc<ProbeMap>>,
    pub(crate) module: wasmtime::Module,
    /// What names the host function a call site calls (for host-call samples).
    pub(crate) calls: Arc<CallSites>,
}

/// A component compiled for an [`Engine`], with its code units (every nested core module).
#[derive(Clone)]
pub struct CompiledComponent {
    /// The code units' names, in binary order: a frame's module index is an index here.
    pub units: Vec<String>,
    pub(crate) component: wasmtime::component::Component,
    /// Where each unit is in the component's bytes: wasmtime gives the offsets of a component's
    /// frames in the component, which name the unit and an offset in it.
    pub(crate) ranges: Arc<Vec<std::ops::Range<usize>>>,
    /// Per unit: what names the host function a call site calls.
    pub(crate) calls: Vec<Arc<CallSites>>,
    /// Per unit: its `wobs.map`, when it was instrumented.
    pub(crate) probes: Vec<Option<Arc<ProbeMap>>>,
}

/// A module's bytes and its function imports, to tell which import a `call` calls.
pub(crate) struct CallSites {
    /// The module's bytes: `bytes[module]` (a core module nested in a component is a range of the
    /// component's bytes, shared rather than copied).
    bytes: Arc<Vec<u8>>,
    module: std::ops::Range<usize>,
    /// Names of the function imports, in function-index order: the field name for a core
    /// module's imports (`fd_write`), `interface#function` for a component's WIT imports
    /// (`wasi:io/streams#[method]output-stream.blocking-write-and-flush`).
    imports: Vec<String>,
    /// Module-file ranges of the bodies of wit-component's `indirect-INTERFACE-FUNCTION` shims,
    /// with the host function each calls through its table (`call_indirect`, so the call site
    /// alone does not say).
    indirect: Vec<(std::ops::Range<usize>, String)>,
}

impl CallSites {
    /// The call sites of the core module `bytes[module]` (which wasmtime has validated).
    fn new(bytes: Arc<Vec<u8>>, module: std::ops::Range<usize>) -> CallSites {
        use wasmparser::{KnownCustom, Name, Payload};
        let mut imports = Vec::new();
        let mut bodies = Vec::new();
        let mut indirect = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(&bytes[module.clone()]) {
            match payload {
                Ok(Payload::ImportSection(section)) => {
                    for import in section.into_imports().flatten() {
                        if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                            imports.push(import_name(import.module, import.name));
                        }
                    }
                }
                Ok(Payload::CodeSectionEntry(body)) => bodies.push(body.range()),
                Ok(Payload::CustomSection(section)) => {
                    let KnownCustom::Name(names) = section.as_known() else {
                        continue;
                    };
                    let functions = names.into_iter().find_map(|name| match name {
                        Ok(Name::Function(map)) => Some(map),
                        _ => None,
                    });
                    for naming in functions.into_iter().flatten().flatten() {
                        let body = (naming.index as usize).checked_sub(imports.len());
                        let shim = naming.name.strip_prefix("indirect-").and_then(shim_callee);
                        if let (Some(body), Some(callee)) = (body, shim) {
                            if let Some(range) = bodies.get(body) {
                                indirect.push((range.clone(), callee));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        CallSites {
            bytes,
            module,
            imports,
            indirect,
        }
    }

    /// What the instruction at module-file offset `offset` calls in the host: the import a `call`
    /// calls, or, for an instruction that wasmtime carries out in its runtime rather than in
    /// compiled code (`memory.grow`, `memory.fill`, `memory.copy`, …), that instruction's name.
    pub fn host_call_at(&self, offset: u32) -> Option<&str> {
        let code = self
            .bytes
            .get(self.module.clone())?
            .get(offset as usize..)?;
        let (&opcode, operand) = code.split_first()?;
        match opcode {
            0x10 => {
                let index = usize::try_from(leb128_u32(operand)?).ok()?;
                self.imports.get(index).map(String::as_str)
            }
            0x11 => self
                .indirect
                .iter()
                .find(|(body, _)| body.contains(&(offset as usize)))
                .map(|(_, callee)| callee.as_str()),
            0x40 => Some("memory.grow"),
            0xfc => match leb128_u32(operand)? {
                8 => Some("memory.init"),
                10 => Some("memory.copy"),
                11 => Some("memory.fill"),
                12 => Some("table.init"),
                14 => Some("table.copy"),
                15 => Some("table.grow"),
                17 => Some("table.fill"),
                _ => None,
            },
            0xfe => match leb128_u32(operand)? {
                0 => Some("memory.atomic.notify"),
                1 => Some("memory.atomic.wait32"),
                2 => Some("memory.atomic.wait64"),
                _ => None,
            },
            _ => None,
        }
    }
}

/// How a host frame names an import: a WIT interface's function with the interface, without its
/// version; a core import by its field.
fn import_name(module: &str, field: &str) -> String {
    match module.contains(':') {
        true => {
            let interface = module.split_once('@').map_or(module, |(name, _)| name);
            format!("{interface}#{field}")
        }
        false => field.to_string(),
    }
}

/// The host function a wit-component shim named `indirect-INTERFACE@VERSION-FUNCTION` calls.
/// Interface and function names may both hold dashes: the version ends the interface.
fn shim_callee(name: &str) -> Option<String> {
    let (interface, rest) = name.split_once('@')?;
    let (_version, function) = rest.split_once('-')?;
    Some(import_name(interface, function))
}

/// The unsigned LEB128 `u32` at the start of `bytes` (an instruction's immediate).
fn leb128_u32(bytes: &[u8]) -> Option<u32> {
    wasmparser::BinaryReader::new(bytes, 0).read_var_u32().ok()
}

impl Engine {
    /// Builds the engine: epoch interruption on (sampling and timeouts), wasmtime's own DWARF
    /// symbolization off (wobs symbolizes with the original module's DWARF itself).
    pub fn new(options: &EngineOptions) -> Result<Engine, Error> {
        let mut config = wasmtime::Config::new();
        config
            .epoch_interruption(!options.no_epoch_checks)
            .wasm_backtrace_details(wasmtime::WasmBacktraceDetails::Disable)
            .wasm_backtrace_max_frames(NonZeroUsize::new(MAX_FRAMES))
            .guest_debug(options.guest_debug);
        if options.fuel {
            config
                .consume_fuel(true)
                .wasm_threads(false)
                .shared_memory(false);
        }
        if let Some(dir) = &options.cache_dir {
            let mut cache_config = wasmtime::CacheConfig::new();
            cache_config.with_directory(dir);
            let cache = wasmtime::Cache::new(cache_config)
                .map_err(|e| Error::Engine(format!("cache in {}: {e:#}", dir.display())))?;
            config.cache(Some(cache));
        }
        let inner = wasmtime::Engine::new(&config).map_err(|e| Error::Engine(format!("{e:#}")))?;
        Ok(Engine {
            inner,
            fuel: options.fuel,
            epoch_checks: !options.no_epoch_checks,
        })
    }

    /// Validates and compiles `wasm` (from the cache when possible). This is the slow step for
    /// large modules: seconds per tens of MB on two cores when not cached.
    pub fn compile(&self, name: &str, wasm: Arc<Vec<u8>>) -> Result<CompiledModule, Error> {
        let module = wasmtime::Module::from_binary(&self.inner, &wasm)
            .map_err(|e| Error::Compile(crate::one_line(&format!("{e:#}"))))?;
        Ok(CompiledModule {
            name: name.to_string(),
            probes: ProbeMap::from_module(&wasm).map(Arc::new),
            module,
            calls: Arc::new(CallSites::new(wasm.clone(), 0..wasm.len())),
        })
    }

    /// Validates and compiles the component `wasm`, whose code units `units` lists
    /// ([`wobs_symbolize::component::code_units`]).
    pub fn compile_component(
        &self,
        wasm: Arc<Vec<u8>>,
        units: &[wobs_symbolize::component::CodeUnit],
    ) -> Result<CompiledComponent, Error> {
        let component = wasmtime::component::Component::from_binary(&self.inner, &wasm)
            .map_err(|e| Error::Compile(crate::one_line(&format!("{e:#}"))))?;
        Ok(CompiledComponent {
            units: units.iter().map(|unit| unit.name.clone()).collect(),
            component,
            ranges: Arc::new(units.iter().map(|unit| unit.range.clone()).collect()),
            calls: units
                .iter()
                .map(|unit| Arc::new(CallSites::new(wasm.clone(), unit.range.clone())))
                .collect(),
            probes: units
                .iter()
                .map(|unit| ProbeMap::from_module(unit.bytes(&wasm)).map(Arc::new))
                .collect(),
        })
    }
}

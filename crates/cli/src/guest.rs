//! The one pipeline that prepares a guest for every verb that runs one (`run`, `debug`): read the
//! module and its preloads, optionally instrument them, compile, and turn the guest flags into
//! [`RunOptions`].

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wobs_events::{ModuleInfo, ProbeMap};
use wobs_runtime::{CompiledGuest, CompiledModule, Engine, RunOptions};
use wobs_symbolize::component::{self, CodeUnit};
use wobs_symbolize::{ModuleSymbols, SharedSymbols};

use crate::deferred::Deferred;
use crate::flags::GuestFlags;
use crate::progress::with_progress;

/// A module read from disk.
#[derive(Clone)]
pub(crate) struct Loaded {
    pub(crate) info: ModuleInfo,
    /// What runs: the file, or its instrumented copy (`--trace`).
    pub(crate) bytes: Arc<Vec<u8>>,
    /// With `--trace`: the file as read, whose DWARF symbolizes exactly, and the map from the
    /// instrumented code back to it.
    pub(crate) original: Option<(Arc<Vec<u8>>, ProbeMap)>,
}

impl Loaded {
    /// The bytes that run.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// This module with probes added in memory (`--trace`). The recording still describes the
    /// file; samples are symbolized through the DWARF walrus rewrote for the new code.
    pub(crate) fn instrumented(
        self,
        options: &wobs_instrument::Options,
        cache: Option<&Path>,
    ) -> anyhow::Result<Loaded> {
        let wasm =
            crate::instrument_cache::instrumented(cache, "module", &self.bytes, options, || {
                let out = wobs_instrument::instrument(&self.bytes, options)
                    .with_context(|| format!("--trace: {}", self.info.path))?;
                Ok(out.wasm)
            })?;
        let map = ProbeMap::from_module(&wasm)
            .context("--trace: the instrumenter wrote no wobs.map (a wobs bug)")?;
        Ok(Loaded {
            info: self.info,
            bytes: Arc::new(wasm),
            original: Some((self.bytes, map)),
        })
    }
}

/// The name frames use for the main module: its file stem.
pub(crate) fn module_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "main".to_string())
}

pub(crate) fn load(path: &Path, name: String) -> anyhow::Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(loaded(name, path.display().to_string(), bytes))
}

/// A module's bytes read as `path`. Its digest is left empty: hashing tens of MB takes tens of ms,
/// which a verb that needs it spends off the guest's way ([`digest`]).
fn loaded(name: String, path: String, bytes: Vec<u8>) -> Loaded {
    let info = ModuleInfo {
        name,
        path,
        size: bytes.len() as u64,
        sha256: String::new(),
    };
    Loaded {
        info,
        bytes: Arc::new(bytes),
        original: None,
    }
}

/// The SHA-256 of `bytes`, in hex ([`ModuleInfo::sha256`]).
pub(crate) fn digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `bytes` in lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A component read from disk: the file, and each of its code units (nested core modules) as a
/// module of its own (name, size and digest of the unit, path of the file) that symbolizes with
/// its own DWARF and name section.
pub(crate) struct LoadedComponent {
    pub(crate) file: Loaded,
    pub(crate) units: Vec<CodeUnit>,
    pub(crate) modules: Vec<Loaded>,
}

impl LoadedComponent {
    /// `file` flattened, when it is a component.
    pub(crate) fn from_file(file: &Loaded) -> anyhow::Result<Option<LoadedComponent>> {
        if !component::is_component(file.bytes()) {
            return Ok(None);
        }
        let units = component::code_units(file.bytes()).with_context(|| file.info.path.clone())?;
        let modules = units
            .iter()
            .map(|unit| {
                let bytes = unit.bytes(file.bytes()).to_vec();
                loaded(unit.name.clone(), file.info.path.clone(), bytes)
            })
            .collect();
        Ok(Some(LoadedComponent {
            file: file.clone(),
            units,
            modules,
        }))
    }

    /// This component with probes added in memory (`--trace`) to every top-level core module.
    /// The recording still describes the file: each instrumented unit symbolizes through its
    /// original bytes and its `wobs.map`.
    pub(crate) fn instrumented(
        self,
        options: &wobs_instrument::Options,
        cache: Option<&Path>,
    ) -> anyhow::Result<LoadedComponent> {
        let file = self.file.bytes();
        let wasm =
            crate::instrument_cache::instrumented(cache, "component", file, options, || {
                let out = wobs_instrument::component::instrument_component(file, options)
                    .with_context(|| format!("--trace: {}", self.file.info.path))?;
                Ok(out.wasm)
            })?;
        let units = component::code_units(&wasm)
            .with_context(|| format!("--trace: {} (instrumented)", self.file.info.path))?;
        anyhow::ensure!(
            units.len() == self.modules.len(),
            "--trace: instrumenting {} changed its modules (a wobs bug)",
            self.file.info.path
        );
        let wasm = Arc::new(wasm);
        let modules = self
            .modules
            .into_iter()
            .zip(&units)
            .map(|(original, unit)| {
                let bytes = unit.bytes(&wasm);
                match ProbeMap::from_module(bytes) {
                    Some(map) => Loaded {
                        info: original.info,
                        bytes: Arc::new(bytes.to_vec()),
                        original: Some((original.bytes, map)),
                    },
                    None => original,
                }
            })
            .collect();
        Ok(LoadedComponent {
            file: Loaded {
                info: self.file.info,
                bytes: wasm,
                original: None,
            },
            units,
            modules,
        })
    }

    /// Compiles the component.
    pub(crate) fn compile(&self, engine: &Engine) -> anyhow::Result<CompiledGuest> {
        let what = format!(
            "compiling {} ({:.1} MB, {} core modules)",
            self.file.info.path,
            self.file.info.size as f64 / 1e6,
            self.units.len()
        );
        let compiled = with_progress(&what, || {
            engine.compile_component(self.file.bytes.clone(), &self.units)
        })
        .with_context(|| self.file.info.path.clone())?;
        Ok(CompiledGuest::Component(compiled))
    }
}

/// A guest read from disk, ready to instrument and compile: a module and its `--preload`s, or a
/// component.
pub(crate) enum LoadedGuest {
    /// The main module first, then the preloads.
    Modules(Vec<Loaded>),
    Component(Box<LoadedComponent>),
}

impl LoadedGuest {
    /// The guest at `wasm`, with the `--preload`s the flags name (a component takes none).
    pub(crate) fn load(guest: &GuestFlags, wasm: &Path) -> anyhow::Result<LoadedGuest> {
        let (main, preloads) = load_modules(guest, wasm)?;
        match LoadedComponent::from_file(&main)? {
            Some(_) if !preloads.is_empty() => {
                anyhow::bail!(
                    "--preload links core modules; a component brings the modules it links"
                )
            }
            Some(component) => Ok(LoadedGuest::Component(Box::new(component))),
            None => Ok(LoadedGuest::Modules(
                std::iter::once(main).chain(preloads).collect(),
            )),
        }
    }

    /// The file the user named.
    pub(crate) fn file(&self) -> &Loaded {
        match self {
            LoadedGuest::Modules(modules) => &modules[0],
            LoadedGuest::Component(component) => &component.file,
        }
    }

    /// The code units: the modules, or the component's nested core modules.
    pub(crate) fn units(&self) -> Vec<&Loaded> {
        match self {
            LoadedGuest::Modules(modules) => modules.iter().collect(),
            LoadedGuest::Component(component) => component.modules.iter().collect(),
        }
    }

    /// Whether the file was instrumented already (by `wobs instrument`).
    pub(crate) fn probed(&self) -> bool {
        match self {
            LoadedGuest::Modules(modules) => ProbeMap::from_module(modules[0].bytes()).is_some(),
            LoadedGuest::Component(component) => component
                .modules
                .iter()
                .any(|m| ProbeMap::from_module(m.bytes()).is_some()),
        }
    }

    /// The guest with probes added in memory (`--trace`), through the cache in `cache`.
    pub(crate) fn instrumented(
        self,
        options: &wobs_instrument::Options,
        cache: Option<&Path>,
    ) -> anyhow::Result<LoadedGuest> {
        Ok(match self {
            LoadedGuest::Modules(modules) => LoadedGuest::Modules(
                modules
                    .into_iter()
                    .map(|m| m.instrumented(options, cache))
                    .collect::<anyhow::Result<_>>()?,
            ),
            LoadedGuest::Component(component) => {
                LoadedGuest::Component(Box::new(component.instrumented(options, cache)?))
            }
        })
    }

    /// Compiles the guest.
    pub(crate) fn compile(&self, engine: &Engine) -> anyhow::Result<CompiledGuest> {
        match self {
            LoadedGuest::Modules(modules) => Ok(CompiledGuest::Modules(
                modules
                    .iter()
                    .map(|m| compile(engine, m))
                    .collect::<anyhow::Result<_>>()?,
            )),
            LoadedGuest::Component(component) => component.compile(engine),
        }
    }
}

pub(crate) fn compile(engine: &Engine, module: &Loaded) -> anyhow::Result<CompiledModule> {
    let what = format!(
        "compiling {} ({:.1} MB)",
        module.info.path,
        module.info.size as f64 / 1e6
    );
    with_progress(&what, || {
        engine.compile(&module.info.name, module.bytes.clone())
    })
    .with_context(|| module.info.path.clone())
}

/// The module at `wasm` and the `--preload`s.
pub(crate) fn load_modules(
    guest: &GuestFlags,
    wasm: &Path,
) -> anyhow::Result<(Loaded, Vec<Loaded>)> {
    let main = load(wasm, module_name(wasm))?;
    let preloads = guest
        .preloads()?
        .into_iter()
        .map(|(name, path)| load(&path, name))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((main, preloads))
}

/// How the guest runs, from the guest flags; `args` are the guest's arguments after the module.
/// Sampling is left at its default.
pub(crate) fn run_options(
    guest: &GuestFlags,
    main: &Loaded,
    args: &[String],
) -> anyhow::Result<RunOptions> {
    let mut options = RunOptions::default();
    options.args = std::iter::once(main.info.path.clone())
        .chain(args.iter().cloned())
        .collect();
    options.env = guest.env()?;
    options.dirs = guest.dirs()?;
    options.invoke = guest.invoke.clone();
    options.timeout = guest.timeout;
    options.trap_unknown_imports = guest.trap_unknown_imports;
    let wasi = guest.wasi_options()?;
    options.http = wasi.http;
    options.inherit_network = wasi.inherit_network;
    Ok(options)
}

/// Lets the guest's buffered stdout out before wobs prints.
pub(crate) fn flush_guest_stdout() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// Per code unit: its symbols, and a warning to print about them.
pub(crate) type ModuleSymbolsList = Vec<(Option<SharedSymbols>, Option<String>)>;

/// Reads symbols off the guest thread while wasmtime compiles and the guest runs. Warnings are
/// printed after the run, so a module wasmtime rejects gets exactly one message.
pub(crate) fn read_symbols(all: &[&Loaded]) -> Deferred<ModuleSymbolsList> {
    let inputs: Vec<(String, Arc<Vec<u8>>)> = all
        .iter()
        .map(|m| {
            let bytes = m
                .original
                .as_ref()
                .map_or(&m.bytes, |(original, _)| original);
            (m.info.path.clone(), bytes.clone())
        })
        .collect();
    Deferred::spawn(move || {
        inputs
            .into_iter()
            .map(|(path, bytes)| match ModuleSymbols::new(&bytes) {
                Ok(symbols) => {
                    let warning = symbols
                        .dwarf_problem()
                        .map(|problem| format!("{path}: {problem}; using names only"));
                    (Some(Arc::new(Mutex::new(symbols))), warning)
                }
                Err(err) => (None, Some(format!("{path}: {err}; frames will be unnamed"))),
            })
            .collect()
    })
}

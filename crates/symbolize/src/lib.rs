//! Wasm module offsets to source frames.
//!
//! [`ModuleSymbols::new`] reads a module once — its code layout, name section and DWARF — and then
//! answers [`ModuleSymbols::lookup`] for any offset: the source frames there, innermost (inlined)
//! first, each with a demangled function name and, when DWARF says, file, line and column.
//!
//! For the debugger, [`ModuleSymbols::variables`] lists the source variables in scope at an
//! offset, and [`ModuleSymbols::format_variable`] / [`ModuleSymbols::evaluate`] print them
//! gdb-style from a stopped frame the caller describes through [`FrameState`].
//!
//! # Degrading gracefully
//!
//! Debug info is often missing, partial or wrong. None of that is an error here:
//! * no DWARF, or DWARF that does not cover an offset: the function name comes from the name
//!   section, else it is `wasm-function[N]`;
//! * DWARF whose function addresses do not match the code (e.g. every `low_pc` zero) is ignored as
//!   a whole, and [`ModuleSymbols::dwarf_problem`] says why;
//! * DWARF that cannot be parsed at an offset yields names for that offset only.
//!
//! Only bytes that are not a wasm module at all produce an [`Error`].
//!
//! # Cost
//!
//! Construction copies the `.debug_*` sections and the name section (a few hundred ms for tens of
//! MB of DWARF, dominated by a bounded sanity scan of up to 4096 subprograms). addr2line parses
//! each compilation unit lazily on first lookup; after that a lookup is a binary search. Callers that
//! see the same offset many times (profilers) should cache results per offset.

mod calls;
pub mod component;
mod demangle;
mod dwarf;
mod function_names;
mod function_spec;
mod layout;
mod lines;
mod variables;

use std::collections::HashMap;

pub use calls::Calls;
pub use demangle::demangle;
use dwarf::{Code, Dwarf};
pub use function_spec::{frame_name, signature, FunctionSpec};
use layout::Layout;
pub use variables::{FrameState, Variable, WasmValue};

/// Symbols shared by a debug session (which steps by line) and its front end. A mutex, because
/// symbolization caches lazily and is not `Sync`.
pub type SharedSymbols = std::sync::Arc<std::sync::Mutex<ModuleSymbols>>;

/// Why a module could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a well-formed wasm module.
    #[error("not a valid wasm module: {0}")]
    Malformed(#[from] wasmparser::BinaryReaderError),
    /// Components are not core modules.
    #[error("this is a wasm component, not a core module; wobs profiles core modules")]
    Component,
    /// A component whose core module runs past its end.
    #[error("truncated component: a core module extends past its end")]
    Truncated,
    /// Offsets beyond 4 GiB cannot occur in wasm32 tooling.
    #[error("module larger than 4 GiB")]
    TooLarge,
}

/// One source frame at an offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Demangled function name, or `wasm-function[N]`.
    pub function: String,
    /// Source file (directory joined), when known.
    pub file: Option<String>,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// True for a function the compiler inlined into the next frame out.
    pub inlined: bool,
}

/// Symbols of one module, built once and queried many times.
pub struct ModuleSymbols {
    layout: Layout,
    names: HashMap<u32, String>,
    dwarf: Dwarf,
    /// For an instrumented module: how its code relates to the original's.
    original: Option<Original>,
    /// Global variables by address, read from DWARF the first time a pointer is printed.
    data_symbols: std::sync::OnceLock<variables::DataSymbols>,
    /// DWARF's functions and inlined copies by name, for breakpoints: built once, maybe in the
    /// background.
    function_names: function_names::SharedFunctionNames,
    /// The module's bytes, when a debugger keeps them to read calls from code.
    module_bytes: Option<std::sync::Arc<Vec<u8>>>,
}

/// What `wobs.map` says about an instrumented module's original, for lookups that must answer in
/// the original's terms (function indices, and DWARF carried unchanged).
struct Original {
    map: wobs_events::ProbeMap,
    /// The original function index of each of `map.functions` (walrus may reorder bodies, so
    /// indices come from the order of the original bodies, after the original's imports).
    indices: Vec<u32>,
    /// The DWARF is the original's, carried in `wobs.debug_*`: its addresses are original ones.
    carried_dwarf: bool,
}

impl ModuleSymbols {
    /// Reads the module's layout, names and debug info. Fails only if `wasm` is not a module.
    pub fn new(wasm: &[u8]) -> Result<ModuleSymbols, Error> {
        Self::read(wasm, true)
    }

    /// Function names and code layout only, ignoring DWARF: cheaper when no lookups by offset
    /// need source positions (the instrumenter's filters).
    pub fn without_dwarf(wasm: &[u8]) -> Result<ModuleSymbols, Error> {
        Self::read(wasm, false)
    }

    fn read(wasm: &[u8], with_dwarf: bool) -> Result<ModuleSymbols, Error> {
        let mut layout = Layout::parse(wasm, with_dwarf)?;
        let names = std::mem::take(&mut layout.names)
            .into_iter()
            .map(|(index, name)| (index, alias(demangle(&name))))
            .collect();
        let original = layout.probe_map.take().map(|map| Original {
            carried_dwarf: !layout.debug_sections.contains_key(".debug_info")
                && layout.carried_debug.contains_key(".debug_info"),
            indices: original_indices(&map, layout.function_imports - layout.probe_imports),
            map,
        });
        let dwarf = match &original {
            Some(original) if original.carried_dwarf => {
                let mut bodies: Vec<_> = original
                    .map
                    .functions
                    .iter()
                    .map(|f| f.old.clone())
                    .collect();
                bodies.sort_by_key(|body| body.start);
                match original.map.original_code_start {
                    Some(start) => Dwarf::load(
                        &layout.carried_debug,
                        Code {
                            bodies: &bodies,
                            start,
                        },
                    ),
                    None => Dwarf::Ignored(
                        "carried DWARF but wobs.map has no original code offset".to_string(),
                    ),
                }
            }
            _ => {
                let bodies: Vec<_> = layout.bodies.iter().map(|(_, body)| body.clone()).collect();
                Dwarf::load(
                    &layout.debug_sections,
                    Code {
                        bodies: &bodies,
                        start: layout.code_start,
                    },
                )
            }
        };
        layout.debug_sections.clear();
        layout.carried_debug.clear();
        Ok(ModuleSymbols {
            layout,
            names,
            dwarf,
            original,
            data_symbols: std::sync::OnceLock::new(),
            function_names: Default::default(),
            module_bytes: None,
        })
    }

    /// The DWARF address of module-file offset `offset`.
    fn dwarf_address(&self, offset: u32) -> Option<u64> {
        let address = match &self.original {
            Some(original) if original.carried_dwarf => original
                .map
                .original_offset(offset)?
                .checked_sub(original.map.original_code_start?)?,
            _ => offset.checked_sub(self.layout.code_start)?,
        };
        Some(u64::from(address))
    }

    /// The DWARF address range of the function body containing `offset`.
    fn dwarf_body(&self, offset: u32) -> Option<(u64, u64)> {
        let (body, start) = match &self.original {
            Some(original) if original.carried_dwarf => {
                let moved = original
                    .map
                    .functions
                    .iter()
                    .find(|f| f.new.contains(&offset))?;
                (moved.old.clone(), original.map.original_code_start?)
            }
            _ => (
                self.layout.body_at(offset)?.1.clone(),
                self.layout.code_start,
            ),
        };
        Some((
            u64::from(body.start.checked_sub(start)?),
            u64::from(body.end.checked_sub(start)?),
        ))
    }

    /// Starts building the index of DWARF's function names that breakpoints by function name use,
    /// on a thread of its own, so that the first `break NAME` does not walk all of the DWARF (hundreds of ms on a large
    /// debug build). A lookup before it is done waits for it.
    pub fn index_in_background(&self) {
        let Dwarf::Usable(_, dwarf) = &self.dwarf else {
            return;
        };
        let (dwarf, index) = (dwarf.clone(), self.function_names.clone());
        let spawned = std::thread::Builder::new()
            .name("wobs-function-names".into())
            .spawn(move || {
                index.get_or_init(|| function_names::FunctionNames::build(&dwarf));
            });
        // Without a thread the first lookup builds it.
        drop(spawned);
    }

    /// True when DWARF is present and used.
    pub fn has_dwarf(&self) -> bool {
        matches!(self.dwarf, Dwarf::Usable(..))
    }

    /// Why present DWARF is being ignored, if it is.
    pub fn dwarf_problem(&self) -> Option<&str> {
        match &self.dwarf {
            Dwarf::Ignored(reason) => Some(reason),
            _ => None,
        }
    }

    /// Module-file offset of the code section's contents, where DWARF addresses start.
    pub fn code_start(&self) -> u32 {
        self.layout.code_start
    }

    /// Index of the function whose body contains `offset` (a module-file offset).
    pub fn function_index(&self, offset: u32) -> Option<u32> {
        self.layout.body_at(offset).map(|(index, _)| *index)
    }

    /// How many values function `index` returns (imports counted in the index).
    pub fn result_count(&self, index: u32) -> Option<u32> {
        self.layout.result_counts.get(index as usize).copied()
    }

    /// Every function body: (function index, module-file byte range), in code order.
    pub fn function_bodies(&self) -> impl Iterator<Item = (u32, std::ops::Range<u32>)> + '_ {
        self.layout.bodies.iter().cloned()
    }

    /// Module-file byte range of function `index`'s body (its local declarations and code).
    pub fn function_body(&self, index: u32) -> Option<std::ops::Range<u32>> {
        // Bodies are in code-section order, which is function-index order.
        let at = self
            .layout
            .bodies
            .binary_search_by_key(&index, |(i, _)| *i)
            .ok()?;
        Some(self.layout.bodies[at].1.clone())
    }

    /// Name of function `index` from the name section (demangled), else `wasm-function[N]`.
    pub fn function_name(&self, index: u32) -> String {
        self.names
            .get(&index)
            .cloned()
            .unwrap_or_else(|| format!("wasm-function[{index}]"))
    }

    /// Function `index`'s name as a symbol shows it (`<main+8>`): its DWARF name where it has
    /// one (wasi-libc's `main` is `__original_main` in the name section), else its name.
    pub fn symbol_name(&self, index: u32) -> String {
        self.function_body(index)
            .and_then(|body| {
                let Dwarf::Usable(context, _) = &self.dwarf else {
                    return None;
                };
                let address = self.dwarf_address(body.start)?;
                dwarf_frames(context, address)
                    .pop()
                    .map(|frame| frame.function)
            })
            .unwrap_or_else(|| self.function_name(index))
    }

    /// Name of the function whose body contains `offset`. A nameless function of an instrumented
    /// module is `wasm-function[N]` with N its index in the *original* module: the same name a run
    /// of the original shows and its probe reports, so samples and exact figures share one row.
    fn physical_name(&self, offset: u32) -> String {
        let Some(index) = self.function_index(offset) else {
            return format!("<unknown at {offset:#x}>");
        };
        if let Some(name) = self.names.get(&index) {
            return name.clone();
        }
        let original = self.original.as_ref().and_then(|o| {
            let at = o.map.functions.partition_point(|f| f.new.start <= offset);
            o.indices.get(at.checked_sub(1)?).copied()
        });
        format!("wasm-function[{}]", original.unwrap_or(index))
    }

    /// The first real source line of the function containing `offset` (usually its opening line),
    /// for functions whose sampled instructions all carry line 0.
    pub fn entry_line(&self, offset: u32) -> Option<(String, u32)> {
        let Dwarf::Usable(context, _) = &self.dwarf else {
            return None;
        };
        let (low, high) = self.dwarf_body(offset)?;
        let rows = context.find_location_range(low, high).ok()?;
        rows.filter_map(|(_, _, location)| Some((location.file?, location.line?)))
            .find(|(_, line)| *line > 0)
            .map(|(file, line)| (normalize_path(file), line))
    }

    /// Source frames at module-file offset `offset`, innermost first; never empty.
    pub fn lookup(&self, offset: u32) -> Vec<Location> {
        let physical = self.physical_name(offset);
        let mut frames = match (&self.dwarf, self.dwarf_address(offset)) {
            (Dwarf::Usable(context, _), Some(address)) => dwarf_frames(context, address),
            _ => Vec::new(),
        };
        match frames.last_mut() {
            // DWARF found the location but not the function: name it from the module.
            Some(outer) if outer.function.is_empty() => outer.function = physical,
            Some(_) => {}
            None => frames.push(Location {
                function: physical,
                file: None,
                line: None,
                column: None,
                inlined: false,
            }),
        }
        // Every frame but the outermost was inlined into the one after it.
        let outer = frames.len() - 1;
        for (depth, frame) in frames.iter_mut().enumerate() {
            frame.inlined = depth < outer;
            if frame.function.is_empty() {
                frame.function = "<inlined>".to_string();
            }
        }
        frames
    }
}

/// The original index of each moved function in `map` (sorted by new position): the original's
/// bodies in code order are its functions `imports`, `imports + 1`, ….
fn original_indices(map: &wobs_events::ProbeMap, imports: u32) -> Vec<u32> {
    let mut by_old: Vec<usize> = (0..map.functions.len()).collect();
    by_old.sort_by_key(|&i| map.functions[i].old.start);
    let mut indices = vec![0; map.functions.len()];
    for (rank, i) in by_old.into_iter().enumerate() {
        indices[i] = imports + rank as u32;
    }
    indices
}

/// Names toolchains give functions users know by another name.
fn alias(name: String) -> String {
    match name.as_str() {
        // wasi-libc renames a C `main(argc, argv)` so its startup code can call it.
        "__main_argc_argv" => "main".to_string(),
        _ => name,
    }
}

/// Drops `.` components (`././libc/x.c` → `libc/x.c`); keeps `..`, which may be meaningful.
///
/// A component like `wasisdk:` marks a path remapped with `-fdebug-prefix-map=DIR=wasisdk://...`;
/// joining it to the compile directory (which carries the same map) doubles the prefix, so
/// everything before the last such component is dropped.
fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    let absolute = path.starts_with('/');
    if let Some(scheme) = parts.iter().rposition(|part| part.ends_with(':')) {
        let rest = parts.split_off(scheme);
        return format!("{}/{}", rest[0], rest[1..].join("/"));
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Frames from DWARF; empty when DWARF does not cover the address or is unreadable there.
fn dwarf_frames(context: &addr2line::Context<dwarf::Reader>, address: u64) -> Vec<Location> {
    let mut out = Vec::new();
    let Ok(mut iter) = context.find_frames(address).skip_all_loads() else {
        return out;
    };
    while let Ok(Some(frame)) = iter.next() {
        let function = frame
            .function
            .as_ref()
            .and_then(|name| name.raw_name().ok())
            .map(|raw| alias(demangle(raw.as_ref())))
            .unwrap_or_default();
        let (file, line, column) = match frame.location {
            Some(location) => (
                location.file.map(normalize_path),
                location.line,
                location.column,
            ),
            None => (None, None, None),
        };
        out.push(Location {
            function,
            file,
            line,
            column,
            inlined: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize_path;

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalize_path("././libc/x.c"), "libc/x.c");
        assert_eq!(normalize_path("/usr/./src/a.c"), "/usr/src/a.c");
        assert_eq!(normalize_path("../a.c"), "../a.c");
        assert_eq!(
            normalize_path("wasisdk:/v33/build/x/wasisdk:/v33/src/libc/memcmp.c"),
            "wasisdk:/v33/src/libc/memcmp.c"
        );
    }
}

//! Where each module's compiled code lives in memory, and native PC → wasm offset through
//! wasmtime's address map: what turns an exact-PC sample into wasm frames.

use wobs_events::RawFrame;

/// Compiled code of the run's modules.
pub(crate) struct CodeMap {
    modules: Vec<ModuleCode>,
}

struct ModuleCode {
    start: usize,
    end: usize,
    /// Text offsets where a run of code with one wasm position (a module-file offset) starts,
    /// sorted. Some runs have no position: see [`CodeMap::frame`].
    map: Vec<(usize, Option<u32>)>,
    /// Compiled functions' `[start, end)` text offsets, sorted.
    functions: Vec<(usize, usize)>,
}

/// Where `module`'s compiled code is in memory, `[start, end)`.
pub(crate) fn text_range(module: &wasmtime::Module) -> (usize, usize) {
    let text = module.text();
    (text.as_ptr() as usize, text.as_ptr() as usize + text.len())
}

impl CodeMap {
    /// The code of `modules` (index = the run's module index).
    pub fn new(modules: &[wasmtime::Module]) -> CodeMap {
        let modules = modules
            .iter()
            .map(|module| {
                let (start, end) = text_range(module);
                let mut map: Vec<(usize, Option<u32>)> = module
                    .address_map()
                    .map(Iterator::collect)
                    .unwrap_or_default();
                map.sort_by_key(|&(offset, _)| offset);
                let mut functions: Vec<(usize, usize)> = module
                    .functions()
                    .map(|f| (f.offset, f.offset + f.len))
                    .collect();
                functions.sort_unstable();
                ModuleCode {
                    start,
                    end,
                    map,
                    functions,
                }
            })
            .collect();
        CodeMap { modules }
    }

    /// Wasm frames, root first, of `pcs` (innermost first: the leaf's exact PC, then return
    /// addresses, which map through `pc - 1` — the call instruction). Trampolines and code
    /// without a wasm position are left out.
    pub fn stack(&self, pcs: &[usize]) -> Vec<RawFrame> {
        let mut frames: Vec<RawFrame> = pcs
            .iter()
            .enumerate()
            .filter_map(|(depth, &pc)| self.frame(if depth == 0 { pc } else { pc - 1 }))
            .collect();
        frames.reverse();
        frames
    }

    fn frame(&self, pc: usize) -> Option<RawFrame> {
        let (index, module) = self
            .modules
            .iter()
            .enumerate()
            .find(|(_, m)| pc >= m.start && pc < m.end)?;
        let offset = pc - module.start;
        // Only positions inside the same compiled function count (not a trampoline's neighbour).
        let f = module
            .functions
            .partition_point(|&(s, _)| s <= offset)
            .checked_sub(1)?;
        let (fstart, fend) = module.functions[f];
        if offset >= fend {
            return None;
        }
        let at = module.map.partition_point(|&(o, _)| o <= offset);
        let here = at.checked_sub(1).map(|i| module.map[i]);
        let wasm = match here {
            Some((o, Some(wasm))) if o >= fstart => wasm,
            // Code with no position: mostly pure arithmetic, whose position Cranelift's e-graph
            // pass drops and which it places right before the instruction that uses it, so it is
            // charged to the next positioned instruction of the function; code after the last
            // one (an epilogue) to the one before.
            _ => {
                let next = module.map[at..]
                    .iter()
                    .take_while(|&&(o, _)| o < fend)
                    .find_map(|&(_, wasm)| wasm);
                let previous = || {
                    module.map[..at]
                        .iter()
                        .rev()
                        .take_while(|&&(o, _)| o >= fstart)
                        .find_map(|&(_, wasm)| wasm)
                };
                next.or_else(previous)?
            }
        };
        Some(RawFrame {
            module: index as u32,
            offset: wasm,
        })
    }
}

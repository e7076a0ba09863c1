//! Where each module's compiled code lives in memory, and native PC → wasm offset through
//! wasmtime's address map: what turns an exact-PC sample into wasm frames.

use wobs_events::RawFrame;

use crate::guest::{GuestCode, Units};

/// Compiled code of the run's code units.
pub(crate) struct CodeMap {
    texts: Vec<TextCode>,
}

struct TextCode {
    start: usize,
    end: usize,
    /// Text offsets where a run of code with one wasm position starts, sorted. Some runs have no
    /// position: see [`CodeMap::frame`].
    map: Vec<(usize, Option<u32>)>,
    /// Compiled functions' `[start, end)` text offsets, sorted.
    functions: Vec<(usize, usize)>,
    /// What code unit a wasm position is in.
    units: Units,
}

impl CodeMap {
    /// The compiled code of `code`.
    pub fn new(code: &GuestCode) -> CodeMap {
        let texts = code
            .texts()
            .into_iter()
            .map(|text| {
                let mut map = text.address_map;
                map.sort_by_key(|&(offset, _)| offset);
                let mut functions = text.functions;
                functions.sort_unstable();
                TextCode {
                    start: text.text.as_ptr() as usize,
                    end: text.text.as_ptr() as usize + text.text.len(),
                    map,
                    functions,
                    units: text.units,
                }
            })
            .collect();
        CodeMap { texts }
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
        let module = self.texts.iter().find(|m| pc >= m.start && pc < m.end)?;
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
        module.units.frame(wasm)
    }
}

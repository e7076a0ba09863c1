//! `memory.grow` probes: after each 32-bit `memory.grow`, call the probe with the pages requested
//! (and, for the wobs ABI, the result: previous size in pages or -1), leaving the result on the stack
//! as before. 64-bit memories are left alone.

use walrus::ir::{Call, Instr, InstrLocId, LocalGet, LocalTee, MemoryGrow};
use walrus::{FunctionId, LocalFunction, LocalId, MemoryId};

use super::sequences;

/// The probe and the scratch locals one function needs.
#[derive(Debug, Clone, Copy)]
pub struct GrowProbe {
    /// The probe function.
    pub probe: FunctionId,
    /// Whether the probe takes the result as a second argument.
    pub with_result: bool,
    /// Scratch i32 local for the requested pages.
    pub pages: LocalId,
    /// Scratch i32 local for the result.
    pub result: LocalId,
}

/// Instruments every `memory.grow` on a memory for which `is_32bit` holds; returns how many.
pub fn memory_grow(
    func: &mut LocalFunction,
    grow: GrowProbe,
    is_32bit: impl Fn(MemoryId) -> bool,
) -> u32 {
    let mut count = 0;
    let plain = InstrLocId::default;
    for seq in sequences(func, func.entry_block()) {
        let old = std::mem::take(&mut func.block_mut(seq).instrs);
        let mut new = Vec::with_capacity(old.len());
        for (instr, loc) in old {
            let Instr::MemoryGrow(MemoryGrow { memory }) = instr else {
                new.push((instr, loc));
                continue;
            };
            if !is_32bit(memory) {
                new.push((instr, loc));
                continue;
            }
            count += 1;
            new.push((Instr::LocalTee(LocalTee { local: grow.pages }), plain()));
            new.push((instr, loc));
            new.push((Instr::LocalTee(LocalTee { local: grow.result }), plain()));
            new.push((Instr::LocalGet(LocalGet { local: grow.pages }), plain()));
            if grow.with_result {
                new.push((Instr::LocalGet(LocalGet { local: grow.result }), plain()));
            }
            new.push((Instr::Call(Call { func: grow.probe }), plain()));
        }
        func.block_mut(seq).instrs = new;
    }
    count
}

//! x86_64: the interrupted registers, and the return address of a leaf caught in its prologue or
//! epilogue. Cranelift's frames start `push rbp; mov rbp, rsp` and end `pop rbp; ret`.

use super::Walker;

/// What the walk starts from.
pub(super) struct Registers {
    pub pc: usize,
    pub sp: usize,
    pub fp: usize,
}

/// The registers saved in a signal's `ucontext`.
pub(super) fn registers(context: &libc::ucontext_t) -> Registers {
    let gregs = &context.uc_mcontext.gregs;
    Registers {
        pc: gregs[libc::REG_RIP as usize] as usize,
        sp: gregs[libc::REG_RSP as usize] as usize,
        fp: gregs[libc::REG_RBP as usize] as usize,
    }
}

/// The leaf's return address and its caller's frame pointer. A frame in its prologue or epilogue
/// has not (or no longer) its own frame pointer: its return address is at the stack pointer.
pub(super) fn leaf_return(walker: &Walker<'_>, regs: &Registers) -> (Option<usize>, usize) {
    let (pc, sp, fp) = (regs.pc, regs.sp, regs.fp);
    match walker.code_byte(pc) {
        // `push rbp` (first instruction) or `ret` (last): return address at [rsp].
        Some(0x55) | Some(0xc3) => (walker.stack_word(sp), fp),
        // `mov rbp, rsp` right after `push rbp`: return address above the pushed rbp.
        Some(0x48)
            if walker.code_byte(pc.wrapping_sub(1)) == Some(0x55)
                && walker.code_byte(pc + 1) == Some(0x89)
                && walker.code_byte(pc + 2) == Some(0xe5) =>
        {
            (walker.stack_word(sp + 8), fp)
        }
        _ => (
            walker.stack_word(fp + 8),
            walker.stack_word(fp).unwrap_or(0),
        ),
    }
}

//! Entry and exit probes: every function activation calls `enter(id)` once and `exit(id)` once, on
//! every way out the spec allows.
//!
//! The original body moves into a block `inner` typed like the function:
//!
//! ```text
//! i32.const id  call enter
//! block inner (result …)      ;; original body
//!   …  return → br inner      ;; same stack behaviour as return
//!   …  br/br_if/br_table/br_on_*/try_table labels that named the function body now name inner
//!   …  i32.const id  call exit  return_call f      ;; tail calls leave before the call
//! end
//! i32.const id  call exit
//! ```
//!
//! Not covered: an exception thrown out of the function (the host balances frames when the next
//! exit arrives) and traps (the host closes open frames when the run ends).

use walrus::ir::{Block, Instr, InstrLocId, InstrSeqId, InstrSeqType, TryTableCatch};
use walrus::{FunctionId, LocalFunction};

use super::sequences;

/// The probe functions a rewritten body calls.
#[derive(Debug, Clone, Copy)]
pub struct ProbeFuncs {
    /// `enter(i32 id)`.
    pub enter: FunctionId,
    /// `exit(i32 id)`.
    pub exit: FunctionId,
}

/// What [`entry_exit`] did to one function.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rewritten {
    /// `return`s given an exit probe.
    pub returns: u32,
    /// Tail calls given an exit probe.
    pub tail_calls: u32,
}

/// Adds entry/exit probes with probe id `id`. `body_ty` is the function's result type as a block type.
pub fn entry_exit(
    func: &mut LocalFunction,
    id: u32,
    body_ty: InstrSeqType,
    probes: ProbeFuncs,
) -> Rewritten {
    let entry = func.entry_block();
    let body = std::mem::take(&mut func.block_mut(entry).instrs);
    let inner = func.builder_mut().dangling_instr_seq(body_ty).id();
    func.block_mut(inner).instrs = body;

    let mut done = Rewritten::default();
    for seq in sequences(func, inner) {
        let instrs = &mut func.block_mut(seq).instrs;
        // In place: retarget labels; count the ways out of the function.
        let mut exits = 0;
        for (instr, _) in instrs.iter_mut() {
            retarget(instr, entry, inner);
            match instr {
                Instr::Return(_) => {
                    done.returns += 1;
                    exits += 1;
                }
                Instr::ReturnCall(_) | Instr::ReturnCallIndirect(_) | Instr::ReturnCallRef(_) => {
                    done.tail_calls += 1;
                    exits += 1;
                }
                _ => {}
            }
        }
        if exits == 0 {
            continue;
        }
        // Only sequences with a `return` or tail call are rebuilt, to put the exit probe before
        // each. (Not `br` to the end: the probes then cost the same fuel on every path, which
        // `wobs bench` subtracts exactly.)
        let old = std::mem::take(instrs);
        let mut new = Vec::with_capacity(old.len() + 2 * exits);
        for (instr, loc) in old {
            if is_exit(&instr) {
                new.extend(probe_call(id, probes.exit));
            }
            new.push((instr, loc));
        }
        *instrs = new;
    }

    let wrapper = &mut func.block_mut(entry).instrs;
    wrapper.extend(probe_call(id, probes.enter));
    wrapper.push((Instr::Block(Block { seq: inner }), InstrLocId::default()));
    wrapper.extend(probe_call(id, probes.exit));
    done
}

/// Whether `instr` leaves the function (other than by falling off its end).
fn is_exit(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::Return(_)
            | Instr::ReturnCall(_)
            | Instr::ReturnCallIndirect(_)
            | Instr::ReturnCallRef(_)
    )
}

/// `i32.const id; call probe`.
fn probe_call(id: u32, probe: FunctionId) -> [(Instr, InstrLocId); 2] {
    [
        (
            Instr::Const(walrus::ir::Const {
                value: walrus::ir::Value::I32(id as i32),
            }),
            InstrLocId::default(),
        ),
        (
            Instr::Call(walrus::ir::Call { func: probe }),
            InstrLocId::default(),
        ),
    ]
}

/// Points every label of `instr` that named `from` at `to`. walrus does not visit branch targets
/// with its visitors, so each kind of branch is listed here; a new branching instruction in walrus
/// must be added (the golden and differential tests catch a miss).
fn retarget(instr: &mut Instr, from: InstrSeqId, to: InstrSeqId) {
    let fix = |label: &mut InstrSeqId| {
        if *label == from {
            *label = to;
        }
    };
    match instr {
        Instr::Br(i) => fix(&mut i.block),
        Instr::BrIf(i) => fix(&mut i.block),
        Instr::BrTable(i) => {
            i.blocks.iter_mut().for_each(fix);
            fix(&mut i.default);
        }
        Instr::BrOnNull(i) => fix(&mut i.block),
        Instr::BrOnNonNull(i) => fix(&mut i.block),
        Instr::BrOnCast(i) => fix(&mut i.block),
        Instr::BrOnCastFail(i) => fix(&mut i.block),
        Instr::TryTable(i) => {
            for catch in &mut i.catches {
                match catch {
                    TryTableCatch::Catch { label, .. }
                    | TryTableCatch::CatchRef { label, .. }
                    | TryTableCatch::CatchAll { label }
                    | TryTableCatch::CatchAllRef { label } => fix(label),
                }
            }
        }
        _ => {}
    }
}

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
//! With counted probes ([`wobs_events::ProbeAbi::Counted`]) the entry and exit sequences count
//! the call in the module and call the host only while the function is timed:
//!
//! ```text
//! ;; entry                                        ;; every exit
//! counts[id] += 1  ;; u64 in the counters memory  local.get timed
//! calls += 1       ;; i64 global                  if
//! gates[id] (u8)  i32.eqz  local.tee timed          gates[id] = exit_counted(id, calls)
//! if                                              end
//!   enter_counted(id, calls)
//! end
//! ```
//!
//! Not covered: an exception thrown out of the function (the host balances frames when the next
//! exit arrives) and traps (the host closes open frames when the run ends).

use walrus::ir::{
    BinaryOp, Binop, Block, Const, ExtendedLoad, GlobalGet, GlobalSet, IfElse, Instr, InstrLocId,
    InstrSeqId, InstrSeqType, Load, LoadKind, LocalGet, LocalTee, MemArg, Store, StoreKind,
    TryTableCatch, UnaryOp, Unop, Value,
};
use walrus::{FunctionId, GlobalId, LocalFunction, LocalId, MemoryId};
use wobs_events::CountedLayout;

use super::sequences;

/// What a rewritten body calls and counts.
#[derive(Debug, Clone, Copy)]
pub enum ProbeFuncs {
    /// Every call calls `enter(i32 id)` and `exit(i32 id)`.
    EveryCall {
        /// `enter(i32 id)`.
        enter: FunctionId,
        /// `exit(i32 id)`.
        exit: FunctionId,
    },
    /// Calls are counted in the module; timed ones call the host.
    Counted {
        /// `enter_counted(i32 id, i64 calls)`.
        enter: FunctionId,
        /// `exit_counted(i32 id, i64 calls) -> i32 throttle`.
        exit: FunctionId,
        /// The counters' memory.
        memory: MemoryId,
        /// Calls so far.
        calls: GlobalId,
        /// Where each function's counter and throttle byte are.
        layout: CountedLayout,
        /// Whether each function counts its calls in its counter (else only the calls-so-far
        /// global is bumped, and the counters stay 0).
        per_function: bool,
    },
}

/// The entry and exit code of one function.
struct ProbeCode {
    funcs: ProbeFuncs,
    id: u32,
    /// Counted probes: whether this call is timed; `None` for a function that is counted only.
    timed: Option<LocalId>,
}

type Code = Vec<(Instr, InstrLocId)>;

fn code(instrs: impl IntoIterator<Item = Instr>) -> Code {
    instrs
        .into_iter()
        .map(|i| (i, InstrLocId::default()))
        .collect()
}

fn i32_const(value: u32) -> Instr {
    Instr::Const(Const {
        value: Value::I32(value as i32),
    })
}

fn i64_const(value: i64) -> Instr {
    Instr::Const(Const {
        value: Value::I64(value),
    })
}

fn at(offset: u64, align: u32) -> MemArg {
    MemArg { align, offset }
}

impl ProbeCode {
    fn call(func: FunctionId) -> Instr {
        Instr::Call(walrus::ir::Call { func })
    }

    /// The instructions that start the function.
    fn entry(&self, func: &mut LocalFunction) -> Code {
        match self.funcs {
            ProbeFuncs::EveryCall { enter, .. } => code([i32_const(self.id), Self::call(enter)]),
            ProbeFuncs::Counted {
                enter,
                memory,
                calls,
                layout,
                per_function,
                ..
            } => {
                let count = at(CountedLayout::count(self.id), 8);
                let mut entry = match per_function {
                    true => code([
                        i32_const(0),
                        i32_const(0),
                        Instr::Load(Load {
                            memory,
                            kind: LoadKind::I64 { atomic: false },
                            arg: count,
                        }),
                        i64_const(1),
                        Instr::Binop(Binop {
                            op: BinaryOp::I64Add,
                        }),
                        Instr::Store(Store {
                            memory,
                            kind: StoreKind::I64 { atomic: false },
                            arg: count,
                        }),
                    ]),
                    false => Vec::new(),
                };
                entry.extend(code([
                    Instr::GlobalGet(GlobalGet { global: calls }),
                    i64_const(1),
                    Instr::Binop(Binop {
                        op: BinaryOp::I64Add,
                    }),
                    Instr::GlobalSet(GlobalSet { global: calls }),
                ]));
                let Some(timed) = self.timed else {
                    return entry;
                };
                let probe = func.builder_mut().dangling_instr_seq(None).id();
                func.block_mut(probe).instrs = code([
                    i32_const(self.id),
                    Instr::GlobalGet(GlobalGet { global: calls }),
                    Self::call(enter),
                ]);
                let none = func.builder_mut().dangling_instr_seq(None).id();
                entry.extend(code([
                    i32_const(0),
                    Instr::Load(Load {
                        memory,
                        kind: LoadKind::I32_8 {
                            kind: ExtendedLoad::ZeroExtend,
                        },
                        arg: at(layout.gate(self.id), 1),
                    }),
                    Instr::Unop(Unop {
                        op: UnaryOp::I32Eqz,
                    }),
                    Instr::LocalTee(LocalTee { local: timed }),
                    Instr::IfElse(IfElse {
                        consequent: probe,
                        alternative: none,
                    }),
                ]));
                entry
            }
        }
    }

    /// The instructions run on every way out of the function.
    fn exit(&self, func: &mut LocalFunction) -> Code {
        match self.funcs {
            ProbeFuncs::EveryCall { exit, .. } => code([i32_const(self.id), Self::call(exit)]),
            ProbeFuncs::Counted {
                exit,
                memory,
                calls,
                layout,
                ..
            } => {
                let Some(timed) = self.timed else {
                    return Vec::new();
                };
                let probe = func.builder_mut().dangling_instr_seq(None).id();
                func.block_mut(probe).instrs = code([
                    i32_const(0),
                    i32_const(self.id),
                    Instr::GlobalGet(GlobalGet { global: calls }),
                    Self::call(exit),
                    Instr::Store(Store {
                        memory,
                        kind: StoreKind::I32_8 { atomic: false },
                        arg: at(layout.gate(self.id), 1),
                    }),
                ]);
                let none = func.builder_mut().dangling_instr_seq(None).id();
                code([
                    Instr::LocalGet(LocalGet { local: timed }),
                    Instr::IfElse(IfElse {
                        consequent: probe,
                        alternative: none,
                    }),
                ])
            }
        }
    }
}

/// What [`entry_exit`] did to one function.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rewritten {
    /// `return`s given an exit probe.
    pub returns: u32,
    /// Tail calls given an exit probe.
    pub tail_calls: u32,
}

/// Adds entry/exit probes with probe id `id`. `body_ty` is the function's result type as a block
/// type; with counted probes, `timed` is a fresh `i32` local, or `None` to count the function's
/// calls without ever calling the host.
pub fn entry_exit(
    func: &mut LocalFunction,
    id: u32,
    body_ty: InstrSeqType,
    probes: ProbeFuncs,
    timed: Option<LocalId>,
) -> Rewritten {
    let probes = ProbeCode {
        funcs: probes,
        id,
        timed,
    };
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
        let mut new = Vec::with_capacity(old.len() + 8 * exits);
        for (instr, loc) in old {
            if is_exit(&instr) {
                new.extend(probes.exit(func));
            }
            new.push((instr, loc));
        }
        func.block_mut(seq).instrs = new;
    }

    let entry_code = probes.entry(func);
    let exit_code = probes.exit(func);
    let wrapper = &mut func.block_mut(entry).instrs;
    wrapper.extend(entry_code);
    wrapper.push((Instr::Block(Block { seq: inner }), InstrLocId::default()));
    wrapper.extend(exit_code);
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

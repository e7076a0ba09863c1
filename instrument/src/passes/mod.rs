//! Transforms over a walrus module, one file each. Each takes the function to rewrite and what it
//! needs, and reports what it did.

pub mod memory;
pub mod probes;

use walrus::ir::{dfs_in_order, InstrSeq, InstrSeqId, Visitor};
use walrus::LocalFunction;

/// Every instruction sequence reachable from `start` (itself included).
pub(crate) fn sequences(func: &LocalFunction, start: InstrSeqId) -> Vec<InstrSeqId> {
    struct Collect(Vec<InstrSeqId>);
    impl<'instr> Visitor<'instr> for Collect {
        fn start_instr_seq(&mut self, seq: &'instr InstrSeq) {
            self.0.push(seq.id());
        }
    }
    let mut collect = Collect(Vec::new());
    dfs_in_order(&mut collect, func, start);
    collect.0
}

//! The calls a function makes, read from its code: where a `step` into a call can land.

use std::sync::Arc;

use wasmparser::Operator;

use crate::ModuleSymbols;

impl ModuleSymbols {
    /// Keeps the module's bytes, for [`ModuleSymbols::direct_callees`] (a debugger's steps).
    pub fn keep_module_bytes(&mut self, bytes: Arc<Vec<u8>>) {
        self.module_bytes = Some(bytes);
    }

    /// The calls the function containing `offset` makes: the functions it calls directly (module
    /// indices, imports included, each once) and where its `call_indirect`s are (module offsets).
    /// `None` when that is not all it can call — a `call_ref` or a tail call — or when its code
    /// cannot be read (no module bytes kept, a damaged body).
    pub fn calls_in(&self, offset: u32) -> Option<Calls> {
        let bytes = self.module_bytes.as_deref()?;
        let (_, body) = self.layout.body_at(offset)?;
        let code = bytes.get(body.start as usize..body.end as usize)?;
        let body =
            wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(code, body.start as usize));
        let mut calls = Calls::default();
        let mut operators = body.get_operators_reader().ok()?;
        while !operators.eof() {
            let at = u32::try_from(operators.original_position()).ok()?;
            match operators.read().ok()? {
                Operator::Call { function_index } => calls.direct.push(function_index),
                Operator::CallIndirect { table_index: 0, .. } => calls.indirect.push(at),
                Operator::CallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCall { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::ReturnCallRef { .. } => return None,
                _ => {}
            }
        }
        calls.direct.sort_unstable();
        calls.direct.dedup();
        Some(calls)
    }

    /// The function table 0 holds at `index` as the module's element segments fill it (a C
    /// function pointer's target; a table changed at run time is not seen).
    pub fn table_function(&self, index: u32) -> Option<u32> {
        self.layout
            .table_functions
            .get(usize::try_from(index).ok()?)
            .copied()
            .flatten()
    }
}

/// What a function calls, from its code.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Calls {
    /// Functions called directly (module indices, imports included), each once.
    pub direct: Vec<u32>,
    /// Module offsets of its `call_indirect` instructions through table 0.
    pub indirect: Vec<u32>,
}

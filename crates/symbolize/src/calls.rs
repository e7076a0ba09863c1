//! The calls a function makes, read from its code: where a `step` into a call can land.

use std::sync::Arc;

use wasmparser::Operator;

use crate::ModuleSymbols;

impl ModuleSymbols {
    /// Keeps the module's bytes, for [`ModuleSymbols::direct_callees`] (a debugger's steps).
    pub fn keep_module_bytes(&mut self, bytes: Arc<Vec<u8>>) {
        self.module_bytes = Some(bytes);
    }

    /// The functions (module indices, imports included) that the function containing `offset`
    /// calls directly, each once. `None` when that is not all it can call — it has an indirect
    /// call or a tail call — or when its code cannot be read (no module bytes kept, a damaged
    /// body).
    pub fn direct_callees(&self, offset: u32) -> Option<Vec<u32>> {
        let bytes = self.module_bytes.as_deref()?;
        let (_, body) = self.layout.body_at(offset)?;
        let code = bytes.get(body.start as usize..body.end as usize)?;
        let body =
            wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(code, body.start as usize));
        let mut callees = Vec::new();
        let mut operators = body.get_operators_reader().ok()?;
        while !operators.eof() {
            match operators.read().ok()? {
                Operator::Call { function_index } => callees.push(function_index),
                Operator::CallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCall { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::ReturnCallRef { .. } => return None,
                _ => {}
            }
        }
        callees.sort_unstable();
        callees.dedup();
        Some(callees)
    }
}

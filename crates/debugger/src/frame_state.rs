//! A stopped frame as the variable evaluator reads it: locals, globals and operand stack from the
//! stop's snapshot, linear memory on demand from the session.

use wobs_events::{DebugCommand, DebugEvent, DebugFrame, DebugValue};
use wobs_symbolize::{FrameState, WasmValue};

use crate::Session;

/// One frame of the current stop.
pub(crate) struct StoppedFrame<'a> {
    pub frame: &'a DebugFrame,
    pub globals: &'a [DebugValue],
    pub session: &'a dyn Session,
    /// The inlined source frame selected in this wasm frame (0: the innermost).
    pub inline_depth: usize,
}

/// A snapshot value as the evaluator takes it; `None` for references and vectors.
pub(crate) fn wasm_value(value: DebugValue) -> Option<WasmValue> {
    Some(match value {
        DebugValue::I32(v) => WasmValue::I32(v),
        DebugValue::I64(v) => WasmValue::I64(v),
        DebugValue::F32(bits) => WasmValue::F32(f32::from_bits(bits)),
        DebugValue::F64(bits) => WasmValue::F64(f64::from_bits(bits)),
        DebugValue::Other => return None,
    })
}

impl FrameState for StoppedFrame<'_> {
    fn local(&self, index: u32) -> Option<WasmValue> {
        wasm_value(*self.frame.locals.get(index as usize)?)
    }

    fn global(&self, index: u32) -> Option<WasmValue> {
        wasm_value(*self.globals.get(index as usize)?)
    }

    fn stack(&self, index: u32) -> Option<WasmValue> {
        wasm_value(*self.frame.stack.get(index as usize)?)
    }

    fn memory(&self, address: u64, len: usize) -> Option<Vec<u8>> {
        read_memory(self.session, self.frame.location.module, address, len)
    }

    fn inline_depth(&self) -> usize {
        self.inline_depth
    }

    fn write_memory(&self, address: u64, bytes: &[u8]) -> bool {
        let module = self.frame.location.module;
        let bytes = bytes.to_vec();
        self.session.send(DebugCommand::WriteMemory {
            module,
            address,
            bytes,
        }) && matches!(self.session.next_event(), Some(DebugEvent::Wrote(true)))
    }
}

/// Reads linear memory of `module`'s instance from a stopped session.
pub(crate) fn read_memory(
    session: &dyn Session,
    module: u32,
    address: u64,
    len: usize,
) -> Option<Vec<u8>> {
    let len = u32::try_from(len).ok()?;
    if !session.send(DebugCommand::ReadMemory {
        module,
        address,
        len,
    }) {
        return None;
    }
    match session.next_event()? {
        DebugEvent::Memory(bytes) => bytes,
        _ => None,
    }
}

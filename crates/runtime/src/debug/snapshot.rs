//! Reading a stopped guest: its wasm frames, their locals and operand stacks, globals and memory.

use wasmtime::{FrameHandle, StoreContextMut, Val};
use wobs_events::{CodeLocation, DebugFrame, DebugStop, DebugValue, StopReason};

use super::{DebugHost, Shared};

/// Globals read per stop at most (modules have a handful; this bounds a hostile one).
const MAX_GLOBALS: u32 = 1024;
/// Bytes one memory read may return at most.
const MAX_READ: u32 = 1 << 20;

/// A wasm frame of one of the session's modules.
pub(crate) struct Frame {
    pub location: CodeLocation,
    /// Function index in its module, imports counted.
    pub function: u32,
    pub handle: FrameHandle,
}

/// The wasm frames of the session's modules, innermost first.
///
/// With `unstarted_innermost` (a stack-overflow trap) the innermost frame is left out: it trapped
/// in its prologue, at the stack-limit check Cranelift places before the frame's debug slot gets
/// its instance pointer, so wasmtime 48 would read a null (or stale) vmctx for it and panic
/// ("null vmctx in debug state slot") — on a fiber, where a panic aborts the process. Even
/// `wasm_function_index_and_pc` reads it (through a `debug_assert`). The frame never ran a wasm
/// instruction; its caller, stopped at the call, becomes frame 0.
pub(crate) fn frames(
    shared: &Shared,
    store: &mut StoreContextMut<'_, DebugHost>,
    unstarted_innermost: bool,
) -> Vec<Frame> {
    let mut out = Vec::new();
    let exits: Vec<FrameHandle> = store.debug_exit_frames().collect();
    let mut skip = unstarted_innermost;
    for exit in exits {
        let mut next = Some(exit);
        while let Some(handle) = next {
            if std::mem::take(&mut skip) {
                // The trapping frame: only its parent is asked for (which reads no vmctx).
            } else if let Some(frame) = frame(shared, store, &handle) {
                out.push(frame);
            }
            next = handle.parent(&mut *store).ok().flatten();
        }
    }
    out
}

fn frame(
    shared: &Shared,
    store: &mut StoreContextMut<'_, DebugHost>,
    handle: &FrameHandle,
) -> Option<Frame> {
    let (function, pc) = handle.wasm_function_index_and_pc(&mut *store).ok()??;
    let unit = shared.unit_of(handle.module(&mut *store).ok()??)?;
    let imported = shared.imported_functions.get(unit).copied().unwrap_or(0);
    Some(Frame {
        location: CodeLocation {
            module: unit as u32,
            offset: pc.raw(),
        },
        function: imported + function.as_u32(),
        handle: handle.clone(),
    })
}

/// Everything a front end shows about a stop.
pub(crate) fn snapshot(
    store: &mut StoreContextMut<'_, DebugHost>,
    stack: &[Frame],
    reason: StopReason,
) -> DebugStop {
    let frames = stack
        .iter()
        .map(|frame| DebugFrame {
            location: frame.location,
            function: frame.function,
            locals: slots(store, &frame.handle, Slot::Local),
            stack: slots(store, &frame.handle, Slot::Stack),
        })
        .collect();
    let globals = stack
        .first()
        .and_then(|frame| frame.handle.instance(&mut *store).ok())
        .map(|instance| {
            let mut globals = Vec::new();
            for index in 0..MAX_GLOBALS {
                let Some(global) = instance.debug_global(&mut *store, index) else {
                    break;
                };
                globals.push(value(&global.get(&mut *store)));
            }
            globals
        })
        .unwrap_or_default();
    DebugStop {
        reason,
        frames,
        globals,
    }
}

enum Slot {
    Local,
    Stack,
}

fn slots(
    store: &mut StoreContextMut<'_, DebugHost>,
    handle: &FrameHandle,
    slot: Slot,
) -> Vec<DebugValue> {
    let count = match slot {
        Slot::Local => handle.num_locals(&mut *store),
        Slot::Stack => handle.num_stacks(&mut *store),
    }
    .unwrap_or(0);
    (0..count)
        .map(|index| {
            let read = match slot {
                Slot::Local => handle.local(&mut *store, index),
                Slot::Stack => handle.stack(&mut *store, index),
            };
            read.map_or(DebugValue::Other, |v| value(&v))
        })
        .collect()
}

fn value(value: &Val) -> DebugValue {
    match value {
        Val::I32(v) => DebugValue::I32(*v),
        Val::I64(v) => DebugValue::I64(*v),
        Val::F32(bits) => DebugValue::F32(*bits),
        Val::F64(bits) => DebugValue::F64(*bits),
        _ => DebugValue::Other,
    }
}

/// Memory 0 of `module`'s instance (found through a frame of that module).
fn memory_of(
    store: &mut StoreContextMut<'_, DebugHost>,
    stack: &[Frame],
    module: u32,
) -> Option<wasmtime::Memory> {
    let frame = stack.iter().find(|f| f.location.module == module)?;
    let instance = frame.handle.instance(&mut *store).ok()?;
    instance.debug_memory(&mut *store, 0)
}

/// `address..address + len` as indices, when they do not overflow.
fn span(address: u64, len: usize) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(address).ok()?;
    Some(start..start.checked_add(len)?)
}

/// `len` bytes (at most [`MAX_READ`]) of memory 0 of `module`'s instance, borrowed from the
/// store; `None` outside it.
pub(crate) fn memory_bytes<'s>(
    store: &'s mut StoreContextMut<'_, DebugHost>,
    stack: &[Frame],
    module: u32,
    address: u64,
    len: u32,
) -> Option<&'s [u8]> {
    let memory = memory_of(store, stack, module)?;
    let span = span(address, len.min(MAX_READ) as usize)?;
    memory.data(&*store).get(span)
}

/// `len` bytes of memory 0 of `module`'s instance (found through a frame of that module).
pub(crate) fn read_memory(
    store: &mut StoreContextMut<'_, DebugHost>,
    stack: &[Frame],
    module: u32,
    address: u64,
    len: u32,
) -> Option<Vec<u8>> {
    memory_bytes(store, stack, module, address, len).map(<[u8]>::to_vec)
}

/// Writes `bytes` to memory 0 of `module`'s instance; false when the range is outside it.
pub(crate) fn write_memory(
    store: &mut StoreContextMut<'_, DebugHost>,
    stack: &[Frame],
    module: u32,
    address: u64,
    bytes: &[u8],
) -> bool {
    let Some(memory) = memory_of(store, stack, module) else {
        return false;
    };
    let target =
        span(address, bytes.len()).and_then(|span| memory.data_mut(&mut *store).get_mut(span));
    match target {
        Some(target) => {
            target.copy_from_slice(bytes);
            true
        }
        None => false,
    }
}

//! Values: a type and where the bytes are (linear memory, or bytes the location produced).

use std::rc::Rc;

use super::error::{EvalError, EvalResult};
use super::location::{Piece, SizedPiece};
use super::types::{Type, MAX_VALUE_SIZE};
use super::FrameState;

/// Where a value's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    /// In linear memory at this address (an lvalue: `&x` works).
    Memory(u64),
    /// Bytes not in memory (a wasm local, a computed or composed value, or an aggregate fetched
    /// once): the value starts `start` bytes into `data`, shared by all parts of the aggregate.
    /// `known[i]` is false for bytes of optimized-out pieces.
    Bytes {
        data: Rc<[u8]>,
        known: Rc<[bool]>,
        start: usize,
    },
    /// Nowhere: the value is optimized out at this pc.
    Unavailable,
}

/// A typed value.
#[derive(Debug, Clone)]
pub(crate) struct Value {
    pub ty: Rc<Type>,
    pub place: Place,
}

impl Value {
    /// A value made of `data` (all known).
    pub(crate) fn from_bytes(ty: Rc<Type>, data: Vec<u8>) -> Value {
        let known = vec![true; data.len()];
        Value {
            ty,
            place: bytes(data, known),
        }
    }

    /// The first `len` bytes of the value.
    pub(crate) fn read(&self, frame: &dyn FrameState, len: u64) -> EvalResult<Vec<u8>> {
        self.read_at(frame, 0, len)
    }

    /// `len` bytes starting `offset` bytes into the value.
    pub(crate) fn read_at(
        &self,
        frame: &dyn FrameState,
        offset: u64,
        len: u64,
    ) -> EvalResult<Vec<u8>> {
        if len > MAX_VALUE_SIZE {
            return Err(EvalError::unsupported(format!(
                "value of {len} bytes is too large to read"
            )));
        }
        match &self.place {
            Place::Memory(address) => read_memory(frame, address.wrapping_add(offset), len),
            Place::Bytes { data, known, start } => {
                let range = usize::try_from(offset)
                    .ok()
                    .and_then(|offset| start.checked_add(offset))
                    .and_then(|from| Some(from..from.checked_add(usize::try_from(len).ok()?)?))
                    .filter(|range| range.end <= data.len())
                    .ok_or(EvalError::OptimizedOut)?;
                if known[range.clone()].iter().all(|&k| k) {
                    Ok(data[range].to_vec())
                } else {
                    Err(EvalError::OptimizedOut)
                }
            }
            Place::Unavailable => Err(EvalError::OptimizedOut),
        }
    }

    /// The part of this value `offset` bytes in, as a value of type `ty`.
    pub(crate) fn at_offset(&self, offset: u64, ty: Rc<Type>) -> Value {
        let place = match &self.place {
            Place::Memory(address) => Place::Memory(address.wrapping_add(offset)),
            Place::Bytes { data, known, start } => Place::Bytes {
                data: data.clone(),
                known: known.clone(),
                start: usize::try_from(offset)
                    .ok()
                    .and_then(|offset| start.checked_add(offset))
                    .unwrap_or(usize::MAX),
            },
            Place::Unavailable => Place::Unavailable,
        };
        Value { ty, place }
    }

    /// This value with its bytes fetched once (aggregates are then printed field by field
    /// without a memory read each), or unchanged when it is not in memory.
    pub(crate) fn fetched(&self, frame: &dyn FrameState, size: u64) -> EvalResult<Value> {
        match self.place {
            Place::Memory(_) => Ok(Value::from_bytes(self.ty.clone(), self.read(frame, size)?)),
            _ => Ok(self.clone()),
        }
    }

    /// The address of the value, when it is in memory.
    pub(crate) fn address(&self) -> Option<u64> {
        match self.place {
            Place::Memory(address) => Some(address),
            _ => None,
        }
    }
}

/// `len` bytes of linear memory at `address`.
pub(crate) fn read_memory(frame: &dyn FrameState, address: u64, len: u64) -> EvalResult<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| EvalError::Memory(address))?;
    frame
        .memory(address, len)
        .filter(|bytes| bytes.len() == len)
        .ok_or(EvalError::Memory(address))
}

/// Where the value described by `pieces` is (pieces are composed into bytes).
pub(crate) fn place(pieces: Vec<SizedPiece>, frame: &dyn FrameState) -> EvalResult<Place> {
    if let [(piece, None)] = pieces.as_slice() {
        return Ok(match piece {
            Piece::Memory(address) => Place::Memory(*address),
            Piece::Value(data) => bytes(data.clone(), vec![true; data.len()]),
            Piece::Empty => Place::Unavailable,
        });
    }
    if pieces.iter().all(|(piece, _)| *piece == Piece::Empty) {
        return Ok(Place::Unavailable);
    }
    let (mut data, mut known) = (Vec::new(), Vec::new());
    for (piece, bits) in pieces {
        let bits = bits.ok_or_else(|| EvalError::unsupported("location piece without a size"))?;
        if bits % 8 != 0 {
            return Err(EvalError::unsupported(
                "location pieces smaller than a byte",
            ));
        }
        let len = bits / 8;
        if data.len() as u64 + len > MAX_VALUE_SIZE {
            return Err(EvalError::unsupported("composed value is too large"));
        }
        let len = len as usize;
        match piece {
            Piece::Memory(address) => {
                data.extend(read_memory(frame, address, len as u64)?);
                known.extend(std::iter::repeat_n(true, len));
            }
            Piece::Value(mut bytes) => {
                bytes.resize(len, 0);
                data.extend(bytes);
                known.extend(std::iter::repeat_n(true, len));
            }
            Piece::Empty => {
                data.extend(std::iter::repeat_n(0, len));
                known.extend(std::iter::repeat_n(false, len));
            }
        }
    }
    Ok(bytes(data, known))
}

/// A place holding `data` from its start.
fn bytes(data: Vec<u8>, known: Vec<bool>) -> Place {
    Place::Bytes {
        data: data.into(),
        known: known.into(),
        start: 0,
    }
}

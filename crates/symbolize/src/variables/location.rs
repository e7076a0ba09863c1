//! DWARF location expressions, evaluated against a stopped wasm frame.
//!
//! gimli parses `DW_OP_WASM_location` but its `Evaluation` refuses it, so this is a small stack
//! machine of its own over gimli's parsed [`gimli::Operation`]s. A wasm slot (local, global,
//! operand stack) acts like a register: alone it is the variable's value; followed by arithmetic it
//! pushes its value (LLVM uses `DW_OP_WASM_location 0 N, DW_OP_stack_value` for values in locals
//! and `DW_OP_fbreg N` for memory relative to a frame base held in a local or global).

use gimli::{AttributeValue, Expression, Operation, Reader as _, UnitRef};

use super::error::{EvalError, EvalResult};
use super::{FrameState, WasmValue};
use crate::dwarf::Reader;

/// Operations evaluated before giving up (a `DW_OP_skip` loop in hostile DWARF).
const MAX_STEPS: usize = 10_000;
/// Deepest expression stack allowed.
const MAX_STACK: usize = 1_000;

/// Where one piece of a value is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    /// In linear memory at this address.
    Memory(u64),
    /// Not in memory: these bytes (little-endian) are the value.
    Value(Vec<u8>),
    /// Nowhere: optimized out.
    Empty,
}

/// A piece and its size in bits (None: the whole value).
pub(crate) type SizedPiece = (Piece, Option<u64>);

/// Picks the location expression of `attribute` that applies at DWARF address `address`:
/// the expression itself, or the matching entry of a location list. `Ok(None)` means the value
/// has no location there (optimized out).
pub(crate) fn expression_at(
    unit: UnitRef<'_, Reader>,
    attribute: &AttributeValue<Reader>,
    address: Option<u64>,
) -> EvalResult<Option<Expression<Reader>>> {
    if let Some(expression) = attribute.exprloc_value() {
        return Ok(Some(expression));
    }
    let Some(mut list) = unit.attr_locations(attribute.clone())? else {
        return Err(EvalError::unsupported("location of an unknown form"));
    };
    let Some(address) = address else {
        return Ok(None);
    };
    while let Some(entry) = list.next()? {
        if entry.range.begin <= address && address < entry.range.end {
            return Ok(Some(entry.data));
        }
    }
    Ok(None)
}

/// Evaluates `expression` to the pieces of a value. `frame_base` is called (at most once) when
/// the expression uses `DW_OP_fbreg`.
pub(crate) fn evaluate(
    unit: UnitRef<'_, Reader>,
    expression: &Expression<Reader>,
    frame: &dyn FrameState,
    frame_base: &mut dyn FnMut() -> EvalResult<u64>,
) -> EvalResult<Vec<SizedPiece>> {
    Machine {
        unit,
        frame,
        stack: Vec::new(),
        pieces: Vec::new(),
        current: Current::Memory,
        address_mask: address_mask(unit.header.address_size()),
    }
    .run(expression, frame_base)
}

/// All ones in the low `address_size` bytes.
fn address_mask(address_size: u8) -> u64 {
    match address_size {
        0 | 8.. => u64::MAX,
        size => (1u64 << (u32::from(size) * 8)) - 1,
    }
}

/// What the expression so far describes, if it ended now.
enum Current {
    /// The top of the stack is an address in linear memory.
    Memory,
    /// A wasm slot, alone: its value is the value.
    Slot(Vec<u8>),
    /// `DW_OP_stack_value`: the top of the stack is the value.
    StackValue,
    /// `DW_OP_implicit_value`: these bytes are the value.
    Implicit(Vec<u8>),
}

struct Machine<'a, 'u> {
    unit: UnitRef<'u, Reader>,
    frame: &'a dyn FrameState,
    stack: Vec<u64>,
    pieces: Vec<SizedPiece>,
    current: Current,
    address_mask: u64,
}

impl Machine<'_, '_> {
    fn run(
        mut self,
        expression: &Expression<Reader>,
        frame_base: &mut dyn FnMut() -> EvalResult<u64>,
    ) -> EvalResult<Vec<SizedPiece>> {
        let encoding = self.unit.encoding();
        let bytecode = expression.0.clone();
        let mut reader = bytecode.clone();
        let mut steps = 0;
        while !reader.is_empty() {
            steps += 1;
            if steps > MAX_STEPS {
                return Err(EvalError::unsupported(
                    "location expression does not terminate",
                ));
            }
            let operation = Operation::parse(&mut reader, encoding)?;
            let jump = self.step(operation, frame_base)?;
            if let Some(target) = jump {
                let position = reader.offset_from(&bytecode) as i64 + i64::from(target);
                let position = usize::try_from(position)
                    .ok()
                    .filter(|&p| p <= bytecode.len())
                    .ok_or_else(|| {
                        EvalError::unsupported("location expression jumps outside itself")
                    })?;
                reader = bytecode.clone();
                reader.skip(position)?;
            }
            if self.stack.len() > MAX_STACK {
                return Err(EvalError::unsupported("location expression stack overflow"));
            }
        }
        if self.pieces.is_empty() {
            let piece = self.finish_piece()?;
            return Ok(vec![(piece, None)]);
        }
        Ok(self.pieces)
    }

    fn pop(&mut self) -> EvalResult<u64> {
        self.stack
            .pop()
            .ok_or_else(|| EvalError::unsupported("location expression pops an empty stack"))
    }

    fn push_slot(
        &mut self,
        kind: &'static str,
        index: u32,
        value: Option<WasmValue>,
    ) -> EvalResult<()> {
        let value = value.ok_or(EvalError::Slot { kind, index })?;
        let (bits, bytes) = match value {
            WasmValue::I32(v) => (u64::from(v as u32), (v as u32).to_le_bytes().to_vec()),
            WasmValue::I64(v) => (v as u64, v.to_le_bytes().to_vec()),
            WasmValue::F32(v) => (u64::from(v.to_bits()), v.to_bits().to_le_bytes().to_vec()),
            WasmValue::F64(v) => (v.to_bits(), v.to_bits().to_le_bytes().to_vec()),
        };
        self.stack.push(bits);
        self.current = Current::Slot(bytes);
        Ok(())
    }

    /// The piece the expression describes so far; resets for the next piece.
    fn finish_piece(&mut self) -> EvalResult<Piece> {
        let current = std::mem::replace(&mut self.current, Current::Memory);
        let piece = match current {
            Current::Slot(bytes) | Current::Implicit(bytes) => Piece::Value(bytes),
            Current::StackValue => Piece::Value(self.pop()?.to_le_bytes().to_vec()),
            Current::Memory => match self.stack.last() {
                Some(&address) => Piece::Memory(address & self.address_mask),
                None => Piece::Empty,
            },
        };
        self.stack.clear();
        Ok(piece)
    }

    /// One operation; returns a jump (relative to the next operation) for skip/bra.
    fn step(
        &mut self,
        operation: Operation<Reader>,
        frame_base: &mut dyn FnMut() -> EvalResult<u64>,
    ) -> EvalResult<Option<i16>> {
        // Anything but a piece or stack_value after a lone slot uses the slot as a value.
        if !matches!(
            operation,
            Operation::Piece { .. } | Operation::StackValue | Operation::Nop
        ) && matches!(self.current, Current::Slot(_))
        {
            self.current = Current::Memory;
        }
        match operation {
            Operation::WasmLocal { index } => {
                self.push_slot("local", index, self.frame.local(index))?
            }
            Operation::WasmGlobal { index } => {
                self.push_slot("global", index, self.frame.global(index))?
            }
            Operation::WasmStack { index } => {
                self.push_slot("stack slot", index, self.frame.stack(index))?
            }
            Operation::FrameOffset { offset } => {
                let base = frame_base()?;
                self.stack.push(base.wrapping_add(offset as u64));
            }
            Operation::Address { address } => self.stack.push(address),
            Operation::AddressIndex { index } | Operation::ConstantIndex { index } => {
                self.stack.push(self.unit.address(index)?)
            }
            Operation::UnsignedConstant { value } => self.stack.push(value),
            Operation::SignedConstant { value } => self.stack.push(value as u64),
            Operation::Pick { index } => {
                let at = self
                    .stack
                    .len()
                    .checked_sub(usize::from(index) + 1)
                    .ok_or_else(|| EvalError::unsupported("DW_OP_pick beyond the stack"))?;
                self.stack.push(self.stack[at]);
            }
            Operation::Drop => {
                self.pop()?;
            }
            Operation::Swap => {
                let (a, b) = (self.pop()?, self.pop()?);
                self.stack.extend([a, b]);
            }
            Operation::Rot => {
                let (a, b, c) = (self.pop()?, self.pop()?, self.pop()?);
                self.stack.extend([a, c, b]);
            }
            Operation::Deref { size, space, .. } => {
                if space {
                    return Err(EvalError::unsupported("DW_OP_xderef"));
                }
                let address = self.pop()? & self.address_mask;
                let size = usize::from(size).min(8);
                let bytes = self
                    .frame
                    .memory(address, size)
                    .filter(|bytes| bytes.len() == size)
                    .ok_or(EvalError::Memory(address))?;
                let mut word = [0u8; 8];
                word[..size].copy_from_slice(&bytes);
                self.stack.push(u64::from_le_bytes(word));
            }
            Operation::PlusConstant { value } => {
                let top = self.pop()?;
                self.stack.push(top.wrapping_add(value));
            }
            Operation::Abs => {
                let top = self.pop()? as i64;
                self.stack.push(top.wrapping_abs() as u64);
            }
            Operation::Neg => {
                let top = self.pop()? as i64;
                self.stack.push(top.wrapping_neg() as u64);
            }
            Operation::Not => {
                let top = self.pop()?;
                self.stack.push(!top);
            }
            Operation::Plus
            | Operation::Minus
            | Operation::Mul
            | Operation::Div
            | Operation::Mod
            | Operation::And
            | Operation::Or
            | Operation::Xor
            | Operation::Shl
            | Operation::Shr
            | Operation::Shra
            | Operation::Eq
            | Operation::Ge
            | Operation::Gt
            | Operation::Le
            | Operation::Lt
            | Operation::Ne => {
                let b = self.pop()?;
                let a = self.pop()?;
                self.stack.push(binary(&operation, a, b)?);
            }
            Operation::Skip { target } => return Ok(Some(target)),
            Operation::Bra { target } => {
                if self.pop()? != 0 {
                    return Ok(Some(target));
                }
            }
            Operation::Nop | Operation::Uninitialized => {}
            Operation::StackValue => {
                if self.stack.is_empty() {
                    return Err(EvalError::unsupported(
                        "DW_OP_stack_value on an empty stack",
                    ));
                }
                self.current = Current::StackValue;
            }
            Operation::ImplicitValue { data } => {
                self.current = Current::Implicit(data.to_slice()?.into_owned());
            }
            Operation::Piece {
                size_in_bits,
                bit_offset,
            } => {
                if bit_offset.is_some_and(|offset| offset != 0) {
                    return Err(EvalError::unsupported("DW_OP_bit_piece with an offset"));
                }
                let piece = self.finish_piece()?;
                self.pieces.push((piece, Some(size_in_bits)));
            }
            Operation::Register { register } | Operation::RegisterOffset { register, .. } => {
                return Err(EvalError::unsupported(format!(
                    "DWARF register {} (not a wasm location)",
                    register.0
                )));
            }
            other => {
                return Err(EvalError::unsupported(format!(
                    "DWARF operation {}",
                    operation_name(&other)
                )));
            }
        }
        Ok(None)
    }
}

/// A binary arithmetic or comparison operation (signed where DWARF says so).
fn binary(operation: &Operation<Reader>, a: u64, b: u64) -> EvalResult<u64> {
    let (sa, sb) = (a as i64, b as i64);
    Ok(match operation {
        Operation::Plus => a.wrapping_add(b),
        Operation::Minus => a.wrapping_sub(b),
        Operation::Mul => a.wrapping_mul(b),
        Operation::Div => {
            if b == 0 {
                return Err(EvalError::unsupported("division by zero in a location"));
            }
            sa.wrapping_div(sb) as u64
        }
        Operation::Mod => {
            if b == 0 {
                return Err(EvalError::unsupported("division by zero in a location"));
            }
            a % b
        }
        Operation::And => a & b,
        Operation::Or => a | b,
        Operation::Xor => a ^ b,
        Operation::Shl => a.checked_shl(b.min(64) as u32).unwrap_or(0),
        Operation::Shr => a.checked_shr(b.min(64) as u32).unwrap_or(0),
        Operation::Shra => (sa >> b.min(63)) as u64,
        Operation::Eq => u64::from(sa == sb),
        Operation::Ge => u64::from(sa >= sb),
        Operation::Gt => u64::from(sa > sb),
        Operation::Le => u64::from(sa <= sb),
        Operation::Lt => u64::from(sa < sb),
        Operation::Ne => u64::from(sa != sb),
        _ => return Err(EvalError::unsupported("not a binary operation")),
    })
}

/// A short name for an operation this evaluator does not support.
fn operation_name(operation: &Operation<Reader>) -> &'static str {
    match operation {
        Operation::Call { .. } => "DW_OP_call",
        Operation::TLS => "DW_OP_form_tls_address",
        Operation::CallFrameCFA => "DW_OP_call_frame_cfa",
        Operation::PushObjectAddress => "DW_OP_push_object_address",
        Operation::ImplicitPointer { .. } => "DW_OP_implicit_pointer",
        Operation::EntryValue { .. } => "DW_OP_entry_value",
        Operation::ParameterRef { .. } => "DW_OP_GNU_parameter_ref",
        Operation::VariableValue { .. } => "DW_OP_GNU_variable_value",
        Operation::TypedLiteral { .. } => "DW_OP_const_type",
        Operation::Convert { .. } => "DW_OP_convert",
        Operation::Reinterpret { .. } => "DW_OP_reinterpret",
        _ => "(unknown)",
    }
}

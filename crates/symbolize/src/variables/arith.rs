//! C's arithmetic beyond integers in `print` expressions: floating point (`ratio * 2`,
//! `half + 1`, `-ratio`, comparisons) after C's usual conversions, and pointer arithmetic
//! (`cursor + 1`, `numbers + 2` with the array decayed to a pointer, `&a[3] - cursor`).

use std::rc::Rc;

use super::error::{EvalError, EvalResult};
use super::eval::{float_of, scalar};
use super::expr::BinaryOp;
use super::format::Printer;
use super::types::{Base, Language, PointerKind, Type};
use super::value::Value;

/// The floating-point type of a value, when it has one: its size (4 or 8).
fn float_size(p: &Printer<'_, '_>, value: &Value) -> Option<u64> {
    match &*p.types.strip(&value.ty).ok()? {
        Type::Base(base) if base.encoding == gimli::DW_ATE_float => Some(base.size),
        _ => None,
    }
}

/// A floating-point value of `size` bytes (`float` or `double`).
pub(crate) fn float_value(p: &Printer<'_, '_>, size: u64, number: f64) -> Value {
    let rust = p.types.language() == Language::Rust;
    let (name, bytes) = match size {
        4 => (
            if rust { "f32" } else { "float" },
            (number as f32).to_le_bytes().to_vec(),
        ),
        _ => (
            if rust { "f64" } else { "double" },
            number.to_le_bytes().to_vec(),
        ),
    };
    let ty = Rc::new(Type::Base(Base {
        name: name.to_string(),
        encoding: gimli::DW_ATE_float,
        size: bytes.len() as u64,
    }));
    Value::from_bytes(ty, bytes)
}

/// `-x` for a floating-point `x`; `None` when `x` is not one.
pub(crate) fn negate(p: &Printer<'_, '_>, value: &Value) -> EvalResult<Option<Value>> {
    let Some(size) = float_size(p, value) else {
        return Ok(None);
    };
    Ok(Some(float_value(p, size, -float_of(p, value)?)))
}

/// `lhs OP rhs` when an operand is floating point or a pointer (or an array, which decays to
/// one); `None` leaves it to integer arithmetic.
pub(crate) fn binary(
    p: &Printer<'_, '_>,
    op: BinaryOp,
    lhs: &Value,
    rhs: &Value,
) -> EvalResult<Option<Value>> {
    let (l_float, r_float) = (float_size(p, lhs), float_size(p, rhs));
    if l_float.is_some() || r_float.is_some() {
        // The wider floating type wins; an integer converts to the other operand's.
        let size = l_float.max(r_float).unwrap_or(8);
        let (a, b) = (float_of(p, lhs)?, float_of(p, rhs)?);
        let truth = |holds: bool| {
            Value::from_bytes(p.types.int(false), (holds as i32).to_le_bytes().to_vec())
        };
        return Ok(Some(match op {
            BinaryOp::Add => float_value(p, size, a + b),
            BinaryOp::Sub => float_value(p, size, a - b),
            BinaryOp::Mul => float_value(p, size, a * b),
            BinaryOp::Div => float_value(p, size, a / b),
            BinaryOp::Lt => truth(a < b),
            BinaryOp::Gt => truth(a > b),
            BinaryOp::Le => truth(a <= b),
            BinaryOp::Ge => truth(a >= b),
            BinaryOp::Eq => truth(a == b),
            BinaryOp::Ne => truth(a != b),
            _ => {
                return Err(EvalError::User(
                    "Integer only operation on a floating-point value.".to_string(),
                ))
            }
        }));
    }
    if !matches!(op, BinaryOp::Add | BinaryOp::Sub) {
        return Ok(None);
    }
    let (l_pointer, r_pointer) = (pointer(p, lhs)?, pointer(p, rhs)?);
    match (l_pointer, r_pointer, op) {
        (Some((ty, address, size)), None, _) => {
            let n = scalar(p, rhs)?.value;
            let offset = n.wrapping_mul(i128::from(size));
            let moved = match op {
                BinaryOp::Add => i128::from(address).wrapping_add(offset),
                _ => i128::from(address).wrapping_sub(offset),
            };
            Ok(Some(address_value(p, ty, moved)))
        }
        (None, Some((ty, address, size)), BinaryOp::Add) => {
            let n = scalar(p, lhs)?.value;
            let moved = i128::from(address).wrapping_add(n.wrapping_mul(i128::from(size)));
            Ok(Some(address_value(p, ty, moved)))
        }
        // The distance in elements, as a `long`.
        (Some((_, a, size)), Some((_, b, _)), BinaryOp::Sub) => {
            let distance = (i128::from(a) - i128::from(b)) / i128::from(size.max(1));
            // A unit's header may claim any address size: the bytes taken stay within an i128.
            let width = p.types.address_size().clamp(1, 8);
            let ty = Rc::new(Type::Base(Base {
                name: "long".to_string(),
                encoding: gimli::DW_ATE_signed,
                size: width,
            }));
            Ok(Some(Value::from_bytes(
                ty,
                distance.to_le_bytes()[..width as usize].to_vec(),
            )))
        }
        (None, None, _) => Ok(None),
        _ => Err(EvalError::User(
            "Argument to arithmetic operation not a number or boolean.".to_string(),
        )),
    }
}

/// A pointer operand (or an array decayed to a pointer to its first element): its type, the
/// address and the size of what it points at.
fn pointer(p: &Printer<'_, '_>, value: &Value) -> EvalResult<Option<(Rc<Type>, u64, u64)>> {
    let stripped = p.types.strip(&value.ty)?;
    match &*stripped {
        Type::Pointer(pointer) if pointer.kind == PointerKind::Pointer => {
            let pointee = p.types.resolve(&pointer.pointee)?;
            // gdb steps a `void *` by one byte.
            let size = match &*p.types.strip(&pointee)? {
                Type::Void => 1,
                _ => p.types.size_of(&pointee)?,
            };
            let address = p.pointer_value(value, pointer.size)?;
            Ok(Some((value.ty.clone(), address, size)))
        }
        Type::Array { element, .. } => {
            let element = p.types.resolve(element)?;
            let size = p.types.size_of(&element)?;
            let Some(address) = value.address() else {
                return Ok(None);
            };
            Ok(Some((p.types.pointer_to(element), address, size)))
        }
        _ => Ok(None),
    }
}

/// A pointer of type `ty` holding `address` (wrapped to the address size).
fn address_value(p: &Printer<'_, '_>, ty: Rc<Type>, address: i128) -> Value {
    let width = p.types.address_size().clamp(1, 8) as usize;
    Value::from_bytes(ty, address.to_le_bytes()[..width].to_vec())
}

//! Evaluating parsed `print` expressions to values: member access (through pointers, into
//! anonymous members and base classes), subscripts, dereference, address-of, and C's integer
//! operators with its usual arithmetic conversions.

use super::error::{EvalError, EvalResult};
use super::expr::{BinaryOp, Expr, MAX_NESTING};
use super::format::{integer, Printer};
use super::types::{Base, Language, Member, Struct, Type, TypeRef};
use super::value::{Place, Value};
use super::{arith, cast};

/// Evaluates `expr`; `lookup` resolves names.
pub(crate) fn evaluate(
    expr: &Expr,
    p: &Printer<'_, '_>,
    lookup: &dyn Fn(&str) -> EvalResult<Value>,
) -> EvalResult<Value> {
    match expr {
        Expr::Name(name) => lookup(name),
        Expr::Int(n) => {
            let wide = i32::try_from(*n).is_err();
            let ty = p.types.int(wide);
            let size = if wide { 8 } else { 4 };
            Ok(Value::from_bytes(ty, n.to_le_bytes()[..size].to_vec()))
        }
        Expr::Float(number) => Ok(arith::float_value(p, 8, *number)),
        Expr::Unsigned(n) => {
            let size = if u32::try_from(*n).is_err() { 8 } else { 4 };
            Ok(arithmetic(p, (size, false), *n))
        }
        Expr::Member(inner, field) => member(p, evaluate(inner, p, lookup)?, field, "structure"),
        Expr::Arrow(inner, field) => {
            member(p, evaluate(inner, p, lookup)?, field, "structure pointer")
        }
        Expr::Index(inner, index) => {
            let base = evaluate(inner, p, lookup)?;
            let index = as_integer(p, &evaluate(index, p, lookup)?)?;
            subscript(p, base, index)
        }
        Expr::Deref(inner) => deref(p, evaluate(inner, p, lookup)?),
        Expr::AddressOf(inner) => {
            let value = evaluate(inner, p, lookup)?;
            let Some(address) = value.address() else {
                return Err(user(
                    "Attempt to take address of value not located in memory.",
                ));
            };
            let ty = p.types.pointer_to(value.ty.clone());
            let size = p.types.address_size() as usize;
            Ok(Value::from_bytes(
                ty,
                address.to_le_bytes()[..size.min(8)].to_vec(),
            ))
        }
        Expr::Negate(inner) => {
            let value = evaluate(inner, p, lookup)?;
            if let Some(negated) = arith::negate(p, &value)? {
                return Ok(negated);
            }
            let operand = operand(p, &value)?;
            Ok(arithmetic(
                p,
                operand.promoted(),
                operand.value.wrapping_neg(),
            ))
        }
        Expr::Complement(inner) => {
            let operand = operand(p, &evaluate(inner, p, lookup)?)?;
            Ok(arithmetic(p, operand.promoted(), !operand.value))
        }
        Expr::SizeOf(inner) => {
            let value = evaluate(inner, p, lookup)?;
            let size = p.types.size_of(&value.ty)?;
            // C's size_t: `unsigned long`, as wide as an address.
            let address = p.types.address_size();
            Ok(arithmetic(p, (address, false), i128::from(size)))
        }
        Expr::Not(inner) => Ok(truth(p, !is_true(p, &evaluate(inner, p, lookup)?)?)),
        // C's `&&` and `||` do not evaluate their right operand when the left one decides.
        Expr::Binary(BinaryOp::And, lhs, rhs) => Ok(truth(
            p,
            is_true(p, &evaluate(lhs, p, lookup)?)? && is_true(p, &evaluate(rhs, p, lookup)?)?,
        )),
        Expr::Binary(BinaryOp::Or, lhs, rhs) => Ok(truth(
            p,
            is_true(p, &evaluate(lhs, p, lookup)?)? || is_true(p, &evaluate(rhs, p, lookup)?)?,
        )),
        Expr::Cast(type_name, inner) => {
            let value = evaluate(inner, p, lookup)?;
            cast::convert(p, &value, cast::resolve(p, type_name)?)
        }
        Expr::SizeOfType(type_name) => {
            let size = p.types.size_of(&cast::resolve(p, type_name)?)?;
            let address = p.types.address_size();
            Ok(arithmetic(p, (address, false), i128::from(size)))
        }
        Expr::Assign(target, source) => {
            let target = evaluate(target, p, lookup)?;
            let source = evaluate(source, p, lookup)?;
            assign(p, target, &source)
        }
        Expr::Binary(op, lhs, rhs) => {
            let (lhs, rhs) = (evaluate(lhs, p, lookup)?, evaluate(rhs, p, lookup)?);
            if let Some(value) = arith::binary(p, *op, &lhs, &rhs)? {
                return Ok(value);
            }
            // Pointers compare as addresses.
            let read = if op.compares() { scalar } else { operand };
            binary(p, *op, read(p, &lhs)?, read(p, &rhs)?)
        }
    }
}

/// An integer operand: its value and C type (size in bytes, signedness).
#[derive(Clone, Copy)]
pub(crate) struct Operand {
    pub value: i128,
    size: u64,
    signed: bool,
}

impl Operand {
    /// C's integer promotion: types narrower than `int` become `int`.
    fn promoted(self) -> (u64, bool) {
        match self.size < 4 {
            true => (4, true),
            false => (self.size, self.signed),
        }
    }
}

/// `target = source`: `source` converted to `target`'s type as C converts it (integers,
/// enums, booleans, floating point and pointers; a record or array of the same type as a
/// whole), written to `target`'s place in linear memory. The result is the target, as C's is.
fn assign(p: &Printer<'_, '_>, target: Value, source: &Value) -> EvalResult<Value> {
    let Place::Memory(address) = target.place else {
        return Err(user(
            "Left operand of assignment is not in linear memory: wasm locals cannot be written.",
        ));
    };
    // The value as C converts it to the target's type (`cast::convert`), then its bytes.
    let size = p.types.size_of(&target.ty)?;
    let bytes = cast::convert(p, source, target.ty.clone())?.read(p.frame, size)?;
    if !p.frame.write_memory(address, &bytes) {
        return Err(EvalError::Memory(address));
    }
    Ok(target)
}

/// A number as a double (`set var ratio = 3`).
pub(crate) fn float_of(p: &Printer<'_, '_>, value: &Value) -> EvalResult<f64> {
    if let Type::Base(base) = &*p.types.strip(&value.ty)? {
        if base.encoding == gimli::DW_ATE_float {
            let bytes = value.read(p.frame, base.size)?;
            return match base.size {
                4 => Ok(f64::from(f32::from_le_bytes(
                    bytes[..4].try_into().unwrap_or_default(),
                ))),
                8 => Ok(f64::from_le_bytes(
                    bytes[..8].try_into().unwrap_or_default(),
                )),
                _ => Err(EvalError::unsupported("float of this size")),
            };
        }
    }
    let operand = scalar(p, value)?;
    Ok(operand.value as f64)
}

/// C's truth test: a nonzero integer, enum, boolean or pointer (a breakpoint condition, `!`,
/// `&&`, `||`).
pub(crate) fn is_true(p: &Printer<'_, '_>, value: &Value) -> EvalResult<bool> {
    Ok(scalar(p, value)?.value != 0)
}

/// An integer operand, or a pointer's address as an unsigned one (for comparisons and truth).
pub(crate) fn scalar(p: &Printer<'_, '_>, value: &Value) -> EvalResult<Operand> {
    if let Type::Pointer(pointer) = &*p.types.strip(&value.ty)? {
        let size = pointer.size.clamp(1, 8);
        return Ok(Operand {
            value: integer(&value.read(p.frame, size)?, false),
            size,
            signed: false,
        });
    }
    operand(p, value)
}

fn operand(p: &Printer<'_, '_>, value: &Value) -> EvalResult<Operand> {
    let (size, signed) = integer_type(p, value)?;
    Ok(Operand {
        value: integer(&value.read(p.frame, size)?, signed),
        size,
        signed,
    })
}

/// `value` as a value of the integer type (`size` bytes, `signed`), wrapped as C wraps it.
fn arithmetic(p: &Printer<'_, '_>, (size, signed): (u64, bool), value: i128) -> Value {
    let size = size.clamp(1, 16);
    let name = match (p.types.language(), size, signed) {
        (Language::Rust, _, true) => format!("i{}", size * 8),
        (Language::Rust, _, false) => format!("u{}", size * 8),
        (_, 4, true) => "int".to_string(),
        (_, 4, false) => "unsigned int".to_string(),
        (_, _, true) => "long long".to_string(),
        (_, _, false) => "unsigned long long".to_string(),
    };
    let ty = std::rc::Rc::new(Type::Base(Base {
        name,
        encoding: match signed {
            true => gimli::DW_ATE_signed,
            false => gimli::DW_ATE_unsigned,
        },
        size,
    }));
    Value::from_bytes(ty, value.to_le_bytes()[..size as usize].to_vec())
}

/// C's truth value: an `int` 1 or 0.
fn truth(p: &Printer<'_, '_>, holds: bool) -> Value {
    arithmetic(p, (4, true), i128::from(holds))
}

/// `lhs OP rhs` after C's usual arithmetic conversions (both promoted; the wider type wins, and
/// unsigned wins at equal width).
fn binary(p: &Printer<'_, '_>, op: BinaryOp, lhs: Operand, rhs: Operand) -> EvalResult<Value> {
    let (l_size, l_signed) = lhs.promoted();
    let (r_size, r_signed) = rhs.promoted();
    let common = match l_size.cmp(&r_size) {
        std::cmp::Ordering::Greater => (l_size, l_signed),
        std::cmp::Ordering::Less => (r_size, r_signed),
        std::cmp::Ordering::Equal => (l_size, l_signed && r_signed),
    };
    // Both operands as the common type sees them.
    let convert = |value: i128| {
        integer(
            &value.to_le_bytes()[..common.0.clamp(1, 16) as usize],
            common.1,
        )
    };
    let (a, b) = (convert(lhs.value), convert(rhs.value));
    let divide = |f: fn(i128, i128) -> i128| match b {
        0 => Err(user("Division by zero")),
        _ => Ok(arithmetic(p, common, f(a, b))),
    };
    let shift = (
        lhs.promoted(),
        u32::try_from(b).unwrap_or(u32::MAX).min(127),
    );
    match op {
        BinaryOp::Mul => Ok(arithmetic(p, common, a.wrapping_mul(b))),
        BinaryOp::Div => divide(i128::wrapping_div),
        BinaryOp::Rem => divide(i128::wrapping_rem),
        BinaryOp::Add => Ok(arithmetic(p, common, a.wrapping_add(b))),
        BinaryOp::Sub => Ok(arithmetic(p, common, a.wrapping_sub(b))),
        // A shift has the (promoted) type of its left operand.
        BinaryOp::Shl => Ok(arithmetic(p, shift.0, lhs.value << shift.1)),
        BinaryOp::Shr => Ok(arithmetic(p, shift.0, lhs.value >> shift.1)),
        BinaryOp::Lt => Ok(truth(p, a < b)),
        BinaryOp::Gt => Ok(truth(p, a > b)),
        BinaryOp::Le => Ok(truth(p, a <= b)),
        BinaryOp::Ge => Ok(truth(p, a >= b)),
        BinaryOp::Eq => Ok(truth(p, a == b)),
        BinaryOp::Ne => Ok(truth(p, a != b)),
        BinaryOp::BitAnd => Ok(arithmetic(p, common, a & b)),
        BinaryOp::BitXor => Ok(arithmetic(p, common, a ^ b)),
        BinaryOp::BitOr => Ok(arithmetic(p, common, a | b)),
        BinaryOp::And => Ok(truth(p, a != 0 && b != 0)),
        BinaryOp::Or => Ok(truth(p, a != 0 || b != 0)),
    }
}

fn user(message: &str) -> EvalError {
    EvalError::User(message.to_string())
}

/// The value as an integer (for subscripts).
fn as_integer(p: &Printer<'_, '_>, value: &Value) -> EvalResult<i128> {
    Ok(operand(p, value)?.value)
}

/// The size and signedness of an integer (or enum, or boolean) value's type.
fn integer_type(p: &Printer<'_, '_>, value: &Value) -> EvalResult<(u64, bool)> {
    let ty = p.types.strip(&value.ty)?;
    Ok(match &*ty {
        Type::Base(base)
            if base.encoding != gimli::DW_ATE_float && base.size > 0 && base.size <= 16 =>
        {
            (
                base.size,
                matches!(
                    base.encoding,
                    gimli::DW_ATE_signed | gimli::DW_ATE_signed_char
                ),
            )
        }
        Type::Enum(e) => (e.size.unwrap_or(4).clamp(1, 16), e.signed),
        _ => {
            return Err(user(
                "Argument to arithmetic operation not a number or boolean.",
            ))
        }
    })
}

/// `value.field` / `value->field`; pointers are followed first.
pub(crate) fn member(
    p: &Printer<'_, '_>,
    value: Value,
    field: &str,
    what: &str,
) -> EvalResult<Value> {
    let mut value = value;
    if let Type::Pointer(_) = &*p.types.strip(&value.ty)? {
        value = deref(p, value)?;
    }
    let ty = p.types.strip(&value.ty)?;
    let Type::Struct(s) = &*ty else {
        return Err(EvalError::User(format!(
            "Attempt to extract a component of a value that is not a {what}."
        )));
    };
    find_member(p, s, &value, field, 0)?
        .ok_or_else(|| EvalError::User(format!("There is no member named {field}.")))
}

/// The member `field` of struct `s`, searching anonymous members and base classes too.
fn find_member(
    p: &Printer<'_, '_>,
    s: &Struct,
    value: &Value,
    field: &str,
    depth: usize,
) -> EvalResult<Option<Value>> {
    if let Some(m) = s.members.iter().find(|m| m.name.as_deref() == Some(field)) {
        return member_value(p, m, value).map(Some);
    }
    if depth > MAX_NESTING {
        return Ok(None);
    }
    for m in s
        .members
        .iter()
        .filter(|m| m.name.is_none() || m.inheritance)
    {
        let ty = p.types.resolve(&m.ty)?;
        if let Type::Struct(inner) = &*p.types.strip(&ty)? {
            let inner_value = value.at_offset(m.offset, ty.clone());
            if let Some(found) = find_member(p, inner, &inner_value, field, depth + 1)? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// A member as a value (bit fields extracted into a value of their own).
fn member_value(p: &Printer<'_, '_>, m: &Member, value: &Value) -> EvalResult<Value> {
    match m.bits {
        Some(_) => p.bitfield(m, value),
        None => Ok(value.at_offset(m.offset, p.types.resolve(&m.ty)?)),
    }
}

/// `*value`.
fn deref(p: &Printer<'_, '_>, value: Value) -> EvalResult<Value> {
    let ty = p.types.strip(&value.ty)?;
    match &*ty {
        Type::Pointer(pointer) => {
            let pointee = p.types.resolve(&pointer.pointee)?;
            if matches!(&*p.types.strip(&pointee)?, Type::Void) {
                return Err(user("Attempt to take contents of a non-pointer value."));
            }
            let address = p.pointer_value(&value, pointer.size)?;
            Ok(Value {
                ty: pointee,
                place: Place::Memory(address),
            })
        }
        Type::Array { element, .. } => Ok(value.at_offset(0, p.types.resolve(element)?)),
        // `*f` of a function is the function, as in C.
        Type::Function { .. } => Ok(value),
        _ => Err(user("Attempt to take contents of a non-pointer value.")),
    }
}

/// `value[index]` for arrays, pointers and (in Rust) slices and vectors.
fn subscript(p: &Printer<'_, '_>, value: Value, index: i128) -> EvalResult<Value> {
    let ty = p.types.strip(&value.ty)?;
    let (element, start): (TypeRef, Value) = match &*ty {
        Type::Array { element, .. } => (element.clone(), value.clone()),
        Type::Pointer(pointer) => {
            let address = p.pointer_value(&value, pointer.size)?;
            let start = Value {
                ty: ty.clone(),
                place: Place::Memory(address),
            };
            (pointer.pointee.clone(), start)
        }
        Type::Struct(s) if p.types.language() == Language::Rust => {
            let (address, len, element) = super::rust::elements(p, s, &value)?;
            if index < 0 || index >= i128::from(len) {
                return Err(EvalError::User(format!(
                    "Index {index} out of bounds (length {len})."
                )));
            }
            let start = Value {
                ty: ty.clone(),
                place: Place::Memory(address),
            };
            (element, start)
        }
        _ => {
            return Err(EvalError::User(format!(
                "cannot subscript something of type `{}'",
                p.types.name(&value.ty)
            )))
        }
    };
    let element = p.types.resolve(&element)?;
    let size = p.types.size_of(&element)?;
    let offset = index.wrapping_mul(i128::from(size)) as i64 as u64;
    if matches!(start.place, Place::Bytes { .. }) && index < 0 {
        return Err(user("no such vector element"));
    }
    Ok(start.at_offset(offset, element))
}

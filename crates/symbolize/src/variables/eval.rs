//! Evaluating parsed `print` expressions to values: member access (through pointers, into
//! anonymous members and base classes), subscripts, dereference, address-of, negation.

use super::error::{EvalError, EvalResult};
use super::expr::{Expr, MAX_NESTING};
use super::format::{integer, Printer};
use super::types::{Language, Member, Struct, Type, TypeRef};
use super::value::{Place, Value};

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
            let n = as_integer(p, &value)?;
            let ty = p.types.strip(&value.ty)?;
            let size = p.types.size_of(&ty)?.clamp(1, 16) as usize;
            Ok(Value::from_bytes(
                ty,
                n.wrapping_neg().to_le_bytes()[..size].to_vec(),
            ))
        }
    }
}

fn user(message: &str) -> EvalError {
    EvalError::User(message.to_string())
}

/// The value as an integer (for subscripts and negation).
fn as_integer(p: &Printer<'_, '_>, value: &Value) -> EvalResult<i128> {
    let ty = p.types.strip(&value.ty)?;
    let (size, signed) = match &*ty {
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
    };
    Ok(integer(&value.read(p.frame, size)?, signed))
}

/// `value.field` / `value->field`; pointers are followed first.
fn member(p: &Printer<'_, '_>, value: Value, field: &str, what: &str) -> EvalResult<Value> {
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

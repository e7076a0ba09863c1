//! Casts in `print` expressions: `(long) x`, `(unsigned char) 300`, `(struct Point *) p`,
//! `(uint) n`, `(double) counter`, and `sizeof (TYPE)`. Types are C's names for base types (sized
//! as wasm32's C ABI sizes them), and the unit's own structures, unions, enums, classes and
//! typedefs by name.

use std::rc::Rc;

use gimli::UnitRef;

use super::die::{self, DieOffset};
use super::error::{EvalError, EvalResult};
use super::eval::{float_of, scalar};
use super::expr::TypeName;
use super::format::Printer;
use super::types::{Base, Type, TypeRef, Types};
use super::value::Value;
use crate::dwarf::Reader;

/// The type `name` spells, in the printer's unit.
pub(crate) fn resolve(p: &Printer<'_, '_>, name: &TypeName) -> EvalResult<Rc<Type>> {
    resolve_in(p.types, name)
}

/// The type `name` spells, in `types`' unit.
pub(crate) fn resolve_in(types: &Types<'_>, name: &TypeName) -> EvalResult<Rc<Type>> {
    let words: Vec<&str> = name.words.iter().map(String::as_str).collect();
    let mut ty = match base(types, &words) {
        Some(ty) => ty,
        None => named(types, &words)?,
    };
    for _ in 0..name.pointers {
        ty = types.pointer_to(ty);
    }
    Ok(ty)
}

/// A C base type: its canonical name, DWARF encoding and wasm32 size.
fn base(types: &Types<'_>, words: &[&str]) -> Option<Rc<Type>> {
    let unsigned = words.contains(&"unsigned");
    let longs = words.iter().filter(|w| **w == "long").count();
    let core: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !["unsigned", "signed", "long", "short", "int"].contains(w))
        .collect();
    let short = words.contains(&"short");
    let address = types.address_size();
    let (name, encoding, size) = match (core.as_slice(), short, longs) {
        ([], true, 0) => ("short", gimli::DW_ATE_signed, 2),
        ([], false, 0)
            if words
                .iter()
                .any(|w| ["int", "signed", "unsigned"].contains(w)) =>
        {
            ("int", gimli::DW_ATE_signed, 4)
        }
        ([], false, 1) => ("long", gimli::DW_ATE_signed, address),
        ([], false, 2) => ("long long", gimli::DW_ATE_signed, 8),
        (["char"], false, 0) if unsigned => ("unsigned char", gimli::DW_ATE_unsigned_char, 1),
        (["char"], false, 0) if words.contains(&"signed") => {
            ("signed char", gimli::DW_ATE_signed_char, 1)
        }
        (["char"], false, 0) => ("char", gimli::DW_ATE_signed_char, 1),
        (["float"], false, 0) => ("float", gimli::DW_ATE_float, 4),
        (["double"], false, 0) => ("double", gimli::DW_ATE_float, 8),
        (["_Bool"], false, 0) => ("_Bool", gimli::DW_ATE_boolean, 1),
        (["bool"], false, 0) => ("bool", gimli::DW_ATE_boolean, 1),
        (["void"], false, 0) => return Some(Rc::new(Type::Void)),
        _ => return None,
    };
    let (name, encoding) = match (unsigned, encoding) {
        (true, gimli::DW_ATE_signed) => (format!("unsigned {name}"), gimli::DW_ATE_unsigned),
        _ => (name.to_string(), encoding),
    };
    Some(Rc::new(Type::Base(Base {
        name,
        encoding,
        size,
    })))
}

/// `struct Point`, `union Number`, `enum Color`, a typedef or a C++ class, from the unit.
fn named(types: &Types<'_>, words: &[&str]) -> EvalResult<Rc<Type>> {
    let (tags, name): (&[gimli::DwTag], &str) = match words {
        ["struct", name] => (
            &[gimli::DW_TAG_structure_type, gimli::DW_TAG_class_type],
            name,
        ),
        ["union", name] => (&[gimli::DW_TAG_union_type], name),
        ["enum", name] => (&[gimli::DW_TAG_enumeration_type], name),
        [name] => (
            &[
                gimli::DW_TAG_typedef,
                gimli::DW_TAG_structure_type,
                gimli::DW_TAG_class_type,
                gimli::DW_TAG_union_type,
                gimli::DW_TAG_enumeration_type,
                gimli::DW_TAG_base_type,
            ],
            name,
        ),
        _ => return Err(no_type(words)),
    };
    let unit = types.unit().ok_or_else(|| no_type(words))?;
    let offset = find(unit, tags, name).ok_or_else(|| no_type(words))?;
    types.resolve(&TypeRef::Die(offset))
}

/// The first complete DIE with one of `tags` called `name` (C++: its last component).
fn find(unit: UnitRef<'_, Reader>, tags: &[gimli::DwTag], name: &str) -> Option<DieOffset> {
    let last = name.rsplit("::").next().unwrap_or(name);
    die::find_map(unit, |entry| {
        let wanted = tags.contains(&entry.tag())
            && !die::flag(entry, gimli::DW_AT_declaration)
            && die::own_name(unit, entry).as_deref() == Some(last);
        wanted.then(|| entry.offset())
    })
}

/// gdb's words for a type name it cannot find.
fn no_type(words: &[&str]) -> EvalError {
    EvalError::User(match words {
        ["struct" | "union" | "enum", name] => format!("No {} type named {name}.", words[0]),
        _ => format!("No symbol \"{}\" in current context.", words.join(" ")),
    })
}

/// `value` converted to `target` as C converts it.
pub(crate) fn convert(p: &Printer<'_, '_>, value: &Value, target: Rc<Type>) -> EvalResult<Value> {
    let stripped = p.types.strip(&target)?;
    let size = p.types.size_of(&stripped)?;
    let bytes = match &*stripped {
        Type::Base(base) if base.encoding == gimli::DW_ATE_float => {
            let number = float_of(p, value)?;
            match base.size {
                4 => (number as f32).to_le_bytes().to_vec(),
                8 => number.to_le_bytes().to_vec(),
                _ => return Err(EvalError::unsupported("float of this size")),
            }
        }
        Type::Base(base) if base.encoding == gimli::DW_ATE_boolean => {
            vec![u8::from(float_of(p, value)? != 0.0)]
        }
        Type::Base(_) | Type::Enum(_) | Type::Pointer(_) => {
            let number = match scalar(p, value) {
                Ok(operand) => operand.value,
                // A floating-point value truncates toward zero.
                Err(_) => float_of(p, value)? as i128,
            };
            number.to_le_bytes()[..size.clamp(1, 16) as usize].to_vec()
        }
        // A record or array cast to its own type.
        Type::Struct(_) | Type::Array { .. }
            if p.types.name(&p.types.strip(&value.ty)?) == p.types.name(&stripped) =>
        {
            return Ok(Value {
                ty: target,
                place: value.place.clone(),
            });
        }
        Type::Void => return Ok(Value::from_bytes(target, Vec::new())),
        _ => return Err(EvalError::User("Invalid cast.".to_string())),
    };
    Ok(Value::from_bytes(target, bytes))
}

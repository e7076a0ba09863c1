//! Rust values as rust-gdb shows them: `Point {x: 2, y: 3}`, `(1, 2)`, `Some(5)`, `None`,
//! `"text"` for `&str` and `String`, `[1, 2]` for slices, `vec![1, 2, 3]` for `Vec`.
//!
//! std types are recognised by their DWARF names and fields (`data_ptr`/`length` of slices,
//! `len` and the first pointer inside `buf` of a `Vec`), which have been stable across rustc
//! releases; a layout that does not match prints field by field instead.

use std::rc::Rc;

use super::error::{EvalError, EvalResult};
use super::format::{integer, Printer, MAX_ELEMENTS};
use super::text::rust_string_literal;
use super::types::{Member, Struct, Type, TypeRef, Variant, VariantPart};
use super::value::{Place, Value};

/// How deep the search for the data pointer inside a `Vec` goes (`buf.ptr.pointer.pointer`).
const MAX_POINTER_SEARCH: usize = 8;

/// A Rust struct, tuple, enum with data, or std container.
pub(crate) fn structure(
    p: &Printer<'_, '_>,
    s: &Struct,
    value: &Value,
    depth: usize,
) -> EvalResult<String> {
    let value = match s.size {
        Some(size) => value.fetched(p.frame, size)?,
        None => value.clone(),
    };
    if let Some(part) = &s.variants {
        return enumeration(p, s, part, &value, depth);
    }
    let name = s.name.as_deref().unwrap_or("");
    let special = match name {
        "&str" | "&mut str" => Some(string_slice(p, s, &value)),
        "String" | "alloc::string::String" => Some(string(p, s, &value)),
        _ if name.starts_with("&[") || name.starts_with("&mut [") => {
            Some(slice(p, s, &value, depth))
        }
        _ if name.starts_with("Vec<") || name.starts_with("alloc::vec::Vec<") => {
            Some(vec(p, s, &value, depth))
        }
        _ => None,
    };
    match special {
        Some(Ok(text)) => Ok(text),
        // An unfamiliar layout of a familiar name: show its fields.
        Some(Err(_)) | None => fields(p, name, s, &value, depth),
    }
}

/// `Name {a: 1, b: 2}`, `Name(1, 2)`, `(1, 2)` or `Name`.
fn fields(
    p: &Printer<'_, '_>,
    name: &str,
    s: &Struct,
    value: &Value,
    depth: usize,
) -> EvalResult<String> {
    let items: Vec<(Option<&str>, String)> = s
        .members
        .iter()
        .map(|member| {
            let text = p
                .member(member, value, depth)
                .unwrap_or_else(|err| err.placeholder());
            (member.name.as_deref(), text)
        })
        .collect();
    let positional = !items.is_empty()
        && items
            .iter()
            .all(|(field, _)| field.is_some_and(|f| f.strip_prefix("__").is_some_and(is_index)));
    let values = || {
        items
            .iter()
            .map(|(_, text)| text.as_str())
            .collect::<Vec<_>>()
    };
    if name.starts_with('(') {
        let joined = values().join(", ");
        return Ok(if items.len() == 1 {
            format!("({joined},)")
        } else {
            format!("({joined})")
        });
    }
    if items.is_empty() {
        return Ok(name.to_string());
    }
    if positional {
        return Ok(format!("{name}({})", values().join(", ")));
    }
    let named: Vec<String> = items
        .iter()
        .map(|(field, text)| format!("{}: {text}", field.unwrap_or("?")))
        .collect();
    Ok(format!("{name} {{{}}}", named.join(", ")))
}

/// True for `0`, `1`, ... (tuple field names are `__0`, `__1`, ...).
fn is_index(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// An enum with data: the variant the discriminant selects, printed like a struct.
fn enumeration(
    p: &Printer<'_, '_>,
    s: &Struct,
    part: &VariantPart,
    value: &Value,
    depth: usize,
) -> EvalResult<String> {
    let variant = select(p, part, value)?;
    let Some(member) = &variant.member else {
        return Ok(s.name.clone().unwrap_or_default());
    };
    let ty = p.types.resolve(&member.ty)?;
    let inner = value.at_offset(member.offset, ty.clone());
    let name = member.name.as_deref().unwrap_or("?");
    match &*p.types.strip(&ty)? {
        Type::Struct(variant_struct) => fields(p, name, variant_struct, &inner, depth + 1),
        _ => Ok(format!("{name}({})", p.value(&inner, depth + 1))),
    }
}

/// The variant whose discriminant value matches, else the default variant.
fn select<'v>(
    p: &Printer<'_, '_>,
    part: &'v VariantPart,
    value: &Value,
) -> EvalResult<&'v Variant> {
    let discriminant = match &part.discriminant {
        Some(member) => Some(read_unsigned(p, member, value)?),
        None => None,
    };
    if let Some(d) = discriminant {
        if let Some(variant) = part.variants.iter().find(|v| v.value == Some(d)) {
            return Ok(variant);
        }
    }
    part.variants
        .iter()
        .find(|v| v.value.is_none())
        .or_else(|| (part.variants.len() == 1).then(|| &part.variants[0]))
        .ok_or_else(|| {
            EvalError::unsupported(format!(
                "no variant for discriminant {}",
                discriminant.map_or("?".to_string(), |d| d.to_string())
            ))
        })
}

/// An unsigned integer member (discriminants, lengths).
fn read_unsigned(p: &Printer<'_, '_>, member: &Member, value: &Value) -> EvalResult<u64> {
    let ty = p.types.resolve(&member.ty)?;
    let size = p.types.size_of(&ty)?.clamp(1, 8);
    let bytes = value.read_at(p.frame, member.offset, size)?;
    Ok(integer(&bytes, false) as u64)
}

/// The member called `name`.
fn member<'s>(s: &'s Struct, name: &str) -> EvalResult<&'s Member> {
    s.members
        .iter()
        .find(|m| m.name.as_deref() == Some(name))
        .ok_or_else(|| EvalError::unsupported(format!("no field {name}")))
}

/// The first pointer inside a member (following single-field wrappers like `Unique`,
/// `NonNull`): its address and pointee type.
fn first_pointer(
    p: &Printer<'_, '_>,
    ty: &TypeRef,
    value: &Value,
    level: usize,
) -> EvalResult<(u64, TypeRef)> {
    let ty = p.types.strip(&p.types.resolve(ty)?)?;
    match &*ty {
        Type::Pointer(pointer) => Ok((
            p.pointer_value(value, pointer.size)?,
            pointer.pointee.clone(),
        )),
        Type::Struct(s) if level < MAX_POINTER_SEARCH => s
            .members
            .iter()
            .find_map(|m| {
                first_pointer(
                    p,
                    &m.ty,
                    &value.at_offset(m.offset, Rc::new(Type::Void)),
                    level + 1,
                )
                .ok()
            })
            .ok_or_else(|| EvalError::unsupported("no data pointer")),
        _ => Err(EvalError::unsupported("no data pointer")),
    }
}

/// `len` bytes of UTF-8 at `address`, as a Rust string literal (cut at [`MAX_ELEMENTS`]).
fn utf8_at(p: &Printer<'_, '_>, address: u64, len: u64) -> EvalResult<String> {
    let shown = len.min(MAX_ELEMENTS);
    let place = Value {
        ty: Rc::new(Type::Void),
        place: Place::Memory(address),
    };
    let bytes = place.read(p.frame, shown)?;
    let mut text = rust_string_literal(&bytes);
    if len > shown {
        text.push_str("...");
    }
    Ok(text)
}

/// The data address, length and element type of a slice, `&str`, `String` or `Vec` (for `v[i]`).
pub(crate) fn elements(
    p: &Printer<'_, '_>,
    s: &Struct,
    value: &Value,
) -> EvalResult<(u64, u64, TypeRef)> {
    let name = s.name.as_deref().unwrap_or("");
    if name == "String" || name == "alloc::string::String" {
        let vec_member = member(s, "vec")?;
        let vec_type = p.types.strip(&p.types.resolve(&vec_member.ty)?)?;
        let Type::Struct(vec_struct) = &*vec_type else {
            return Err(EvalError::unsupported("String without a Vec"));
        };
        return vec_parts(
            p,
            vec_struct,
            &value.at_offset(vec_member.offset, vec_type.clone()),
        );
    }
    if s.members
        .iter()
        .any(|m| m.name.as_deref() == Some("data_ptr"))
    {
        return slice_parts(p, s, value);
    }
    if name.starts_with("Vec<") || name.starts_with("alloc::vec::Vec<") {
        return vec_parts(p, s, value);
    }
    Err(EvalError::User(format!(
        "cannot subscript something of type `{name}'"
    )))
}

/// A fat pointer's (`&[T]`, `&str`) data address, length and element type.
fn slice_parts(p: &Printer<'_, '_>, s: &Struct, value: &Value) -> EvalResult<(u64, u64, TypeRef)> {
    let data = member(s, "data_ptr")?;
    let (address, element) = first_pointer(
        p,
        &data.ty,
        &value.at_offset(data.offset, Rc::new(Type::Void)),
        0,
    )?;
    let len = read_unsigned(p, member(s, "length")?, value)?;
    Ok((address, len, element))
}

/// `&str`: `"text"`.
fn string_slice(p: &Printer<'_, '_>, s: &Struct, value: &Value) -> EvalResult<String> {
    let (address, len, _) = slice_parts(p, s, value)?;
    utf8_at(p, address, len)
}

/// `String`: `"text"` (its `vec` is a `Vec<u8>`).
fn string(p: &Printer<'_, '_>, s: &Struct, value: &Value) -> EvalResult<String> {
    let vec_member = member(s, "vec")?;
    let vec_type = p.types.strip(&p.types.resolve(&vec_member.ty)?)?;
    let Type::Struct(vec_struct) = &*vec_type else {
        return Err(EvalError::unsupported("String without a Vec"));
    };
    let inner = value.at_offset(vec_member.offset, vec_type.clone());
    let (address, len, _) = vec_parts(p, vec_struct, &inner)?;
    utf8_at(p, address, len)
}

/// `&[T]`: `[1, 2, 3]`.
fn slice(p: &Printer<'_, '_>, s: &Struct, value: &Value, depth: usize) -> EvalResult<String> {
    let (address, len, element) = slice_parts(p, s, value)?;
    Ok(format!("[{}]", sequence(p, address, &element, len, depth)?))
}

/// `Vec<T>`: `vec![1, 2, 3]`.
fn vec(p: &Printer<'_, '_>, s: &Struct, value: &Value, depth: usize) -> EvalResult<String> {
    let (address, len, element) = vec_parts(p, s, value)?;
    Ok(format!(
        "vec![{}]",
        sequence(p, address, &element, len, depth)?
    ))
}

/// A `Vec`'s data address, length and element type.
fn vec_parts(p: &Printer<'_, '_>, s: &Struct, value: &Value) -> EvalResult<(u64, u64, TypeRef)> {
    let len = read_unsigned(p, member(s, "len")?, value)?;
    let buf = member(s, "buf")?;
    let (address, pointee) = first_pointer(
        p,
        &buf.ty,
        &value.at_offset(buf.offset, Rc::new(Type::Void)),
        0,
    )?;
    // Newer std erases the pointer to `u8`; the template parameter has the element type.
    let element = s
        .template_types
        .iter()
        .find(|(name, _)| name == "T")
        .map(|(_, ty)| ty.clone())
        .unwrap_or(pointee);
    Ok((address, len, element))
}

/// `len` elements of `element` type at `address`, comma-separated (cut at [`MAX_ELEMENTS`]).
fn sequence(
    p: &Printer<'_, '_>,
    address: u64,
    element: &TypeRef,
    len: u64,
    depth: usize,
) -> EvalResult<String> {
    let element = p.types.resolve(element)?;
    let size = p.types.size_of(&element)?;
    let shown = len.min(MAX_ELEMENTS);
    if size == 0 || shown == 0 {
        return Ok(String::new());
    }
    let total = size
        .checked_mul(shown)
        .ok_or_else(|| EvalError::unsupported("sequence too large"))?;
    let start = Value {
        ty: element.clone(),
        place: Place::Memory(address),
    }
    .fetched(p.frame, total)?;
    let mut text = p.elements(&start, &element, size, shown, depth);
    if len > shown {
        text.push_str(", ...");
    }
    Ok(text)
}

//! libc++'s `std::string` and `std::vector` as gdb shows them with libc++'s own pretty printers
//! (`libcxx/utils/gdb/libcxx/printers.py`): `"text"` and
//! `std::vector of length 3, capacity 3 = {1, 2, 3}`.
//!
//! The types are recognised by their qualified names (`std::__1::basic_string<char, …>`,
//! `std::__1::vector<int, …>`) and read through the fields libc++ gives them: a string's `__r_`
//! holds a union of a short form (`__s`: the size shifted left by one, the low bit clear, the
//! characters inline) and a long one (`__l`: capacity with the low bit set, size, data pointer)
//! on little-endian targets such as wasm32; a vector has `__begin_`, `__end_` and `__end_cap_`.
//! A layout that does not match prints field by field, as gdb without the printers does.

use std::rc::Rc;

use super::error::{EvalError, EvalResult};
use super::eval::member;
use super::format::{integer, Printer, MAX_ELEMENTS};
use super::text::c_string_literal;
use super::types::{PointerKind, Type};
use super::value::{Place, Value};

/// What a libc++ type is, by its qualified name.
enum Container {
    String,
    Vector,
}

/// `std::__1::vector<int, std::__1::allocator<int> >` → `Container::Vector`.
fn container(name: &str) -> Option<Container> {
    let rest = name.strip_prefix("std::")?;
    // libc++'s inline namespace (`__1`, or another ABI version's `__2`).
    let rest = match rest.strip_prefix("__") {
        Some(versioned) => versioned.split_once("::")?.1,
        None => rest,
    };
    if rest.starts_with("basic_string<char,") || rest.starts_with("basic_string<char>") {
        Some(Container::String)
    } else if rest.starts_with("vector<") && !rest.starts_with("vector<bool,") {
        Some(Container::Vector)
    } else {
        None
    }
}

/// The value printed by libc++'s printer for its type, or `None` when it is not a string or
/// vector of a layout this module knows (the caller prints its fields instead).
pub(crate) fn pretty(
    p: &Printer<'_, '_>,
    ty: &Rc<Type>,
    value: &Value,
    depth: usize,
) -> Option<String> {
    let printed = match container(&p.types.name(ty))? {
        // `print/x` of a string shows its fields (gdb would show the characters in hex).
        Container::String if p.format.is_some() => return None,
        Container::String => string(p, value),
        Container::Vector => vector(p, value, depth),
    };
    printed.ok()
}

/// `member.member…` of `value`, through base classes and anonymous members.
fn path(p: &Printer<'_, '_>, value: &Value, fields: &[&str]) -> EvalResult<Value> {
    fields.iter().try_fold(value.clone(), |value, field| {
        member(p, value, field, "structure")
    })
}

/// An unsigned integer or a pointer's address.
fn number(p: &Printer<'_, '_>, value: &Value) -> EvalResult<u64> {
    let ty = p.types.strip(&value.ty)?;
    let size = p.types.size_of(&ty)?.clamp(1, 8);
    Ok(integer(&value.read(p.frame, size)?, false) as u64)
}

/// `"text"`: the short form's characters inline, or the long form's buffer.
fn string(p: &Printer<'_, '_>, value: &Value) -> EvalResult<String> {
    let rep = path(p, value, &["__r_", "__value_"])?;
    let short = path(p, &rep, &["__s"])?;
    let long = path(p, &rep, &["__l"])?;
    let short_size = number(p, &path(p, &short, &["__size_"])?)?;
    let long_data = path(p, &long, &["__data_"])?;
    let (is_long, short_size) = match path(p, &short, &["__is_long_"]) {
        // libc++ 15 and later: bit-fields say which form is live.
        Ok(flag) => (number(p, &flag)? != 0, short_size),
        // The alternate layout (libc++'s ABI v2, wasm32's): the long form starts with its
        // pointer, and the short size's high bit marks the long form.
        Err(_) if long_data.address() == long.address() => {
            (short_size & 0x80 != 0, short_size & 0x7f)
        }
        // The classic layout: the short size is shifted left, its low bit marks the long form.
        Err(_) => (short_size & 1 != 0, short_size >> 1),
    };
    // The short form's characters are inside the value (which may have been read already).
    let (data, size) = match is_long {
        true => (
            Value {
                ty: Rc::new(Type::Void),
                place: Place::Memory(number(p, &long_data)?),
            },
            number(p, &path(p, &long, &["__size_"])?)?,
        ),
        false => (path(p, &short, &["__data_"])?, short_size),
    };
    let shown = size.min(MAX_ELEMENTS);
    let bytes = data.read(p.frame, shown)?;
    let mut text = c_string_literal(&bytes);
    if size > shown {
        text.push_str("...");
    }
    Ok(text)
}

/// `std::vector of length 3, capacity 3 = {1, 2, 3}`.
fn vector(p: &Printer<'_, '_>, value: &Value, depth: usize) -> EvalResult<String> {
    let begin = path(p, value, &["__begin_"])?;
    let Type::Pointer(pointer) = &*p.types.strip(&begin.ty)? else {
        return Err(EvalError::unsupported("vector without a data pointer"));
    };
    if pointer.kind != PointerKind::Pointer {
        return Err(EvalError::unsupported("vector without a data pointer"));
    }
    let element = p.types.resolve(&pointer.pointee)?;
    let size = p.types.size_of(&element)?;
    if size == 0 {
        return Err(EvalError::unsupported("vector of empty elements"));
    }
    let start = number(p, &begin)?;
    let end = number(p, &path(p, value, &["__end_"])?)?;
    let end_cap = number(p, &path(p, value, &["__end_cap_", "__value_"])?)?;
    if end < start || end_cap < end {
        return Err(EvalError::unsupported("vector pointers out of order"));
    }
    let (length, capacity) = ((end - start) / size, (end_cap - start) / size);
    let heading = format!("std::vector of length {length}, capacity {capacity}");
    if length == 0 {
        return Ok(heading);
    }
    let shown = length.min(MAX_ELEMENTS);
    let first = Value {
        ty: element.clone(),
        place: Place::Memory(start),
    }
    .fetched(
        p.frame,
        size.checked_mul(shown)
            .ok_or_else(|| EvalError::unsupported("vector too large"))?,
    )?;
    let items = p.elements(&first, &element, size, shown, depth);
    let ellipsis = if length > shown { "..." } else { "" };
    Ok(format!("{heading} = {{{items}{ellipsis}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_known_by_their_qualified_names() {
        let string =
            "std::__1::basic_string<char, std::__1::char_traits<char>, std::__1::allocator<char> >";
        assert!(matches!(container(string), Some(Container::String)));
        assert!(matches!(
            container("std::__1::vector<int, std::__1::allocator<int> >"),
            Some(Container::Vector)
        ));
        assert!(matches!(
            container("std::vector<double>"),
            Some(Container::Vector)
        ));
        // Bits packed in words: not an array of elements.
        assert!(container("std::__1::vector<bool, std::__1::allocator<bool> >").is_none());
        assert!(
            container("std::__1::basic_string<wchar_t, std::__1::char_traits<wchar_t> >").is_none()
        );
        assert!(container("geo::vector<int>").is_none());
    }
}

//! Printing values as gdb prints them: `42`, `65 'A'`, `0x1040 "hello"`, `{x = 2, y = 3}`,
//! `{10, 20, 30, 40}`, `BLUE`, `(struct Node *) 0x1040`, `<optimized out>`.
//!
//! Printing never fails as a whole: a part that cannot be read prints as `<error: …>` in its
//! place. Strings and arrays stop after [`MAX_ELEMENTS`] elements (gdb's `print elements`), runs
//! of more than [`REPEAT_THRESHOLD`] equal elements collapse to `<repeats N times>`.

use std::cell::Cell;
use std::rc::Rc;

use super::error::{EvalError, EvalResult};
use super::text::{c_char, c_string_literal, format_float};
use super::types::{Base, Enum, Language, Member, PointerKind, Struct, Type, TypeRef, Types};
use super::value::{Place, Value};
use super::{libcxx, rust, DataSymbols, FrameState};

/// Elements of an array or string printed before `...` (gdb's default `print elements`).
pub(crate) const MAX_ELEMENTS: u64 = 200;
/// Runs longer than this print as `<repeats N times>` (gdb's default).
const REPEAT_THRESHOLD: usize = 10;
/// Nesting depth after which aggregates print as `{...}`.
const MAX_DEPTH: usize = 12;
/// Array and sequence elements printed in one value at most (nested arrays multiply).
const MAX_TOTAL_ELEMENTS: u64 = 10_000;

/// Prints values of one unit, reading from one frame.
pub(crate) struct Printer<'a, 'u> {
    pub types: &'a Types<'u>,
    pub frame: &'a dyn FrameState,
    /// Elements left to print before arrays print as `...`.
    budget: Cell<u64>,
    /// `print/FMT`'s letter for integers, characters, enums and pointers (x d u o t c z a).
    pub format: Option<char>,
    /// Global variables, to label pointers into them (`<counter>`).
    data: Option<&'a DataSymbols>,
}

impl<'a, 'u> Printer<'a, 'u> {
    /// A printer for values of `types`' unit read from `frame`.
    pub(crate) fn new(types: &'a Types<'u>, frame: &'a dyn FrameState) -> Printer<'a, 'u> {
        Printer {
            types,
            frame,
            budget: Cell::new(MAX_TOTAL_ELEMENTS),
            format: None,
            data: None,
        }
    }

    /// The same printer labelling pointers into global variables.
    pub(crate) fn with_data_symbols(self, data: Option<&'a DataSymbols>) -> Printer<'a, 'u> {
        Printer { data, ..self }
    }

    /// The same printer with `print/FMT`'s format letter.
    pub(crate) fn with_format(self, format: Option<char>) -> Printer<'a, 'u> {
        Printer { format, ..self }
    }
}

/// `number` (of a `size`-byte type) as gdb's `print/FMT` shows it; `None` for a letter that does
/// not apply to integers.
fn formatted(number: i128, size: u64, format: char) -> Option<String> {
    let bytes = number.to_le_bytes();
    let bytes = &bytes[..size.clamp(1, 16) as usize];
    let (unsigned, signed) = (integer(bytes, false) as u128, integer(bytes, true));
    Some(match format {
        'x' | 'a' => format!("{unsigned:#x}"),
        'z' => format!("0x{unsigned:0width$x}", width = size as usize * 2),
        'o' if unsigned == 0 => "0".to_string(),
        'o' => format!("0{unsigned:o}"),
        't' => format!("{unsigned:b}"),
        'd' => signed.to_string(),
        'u' => unsigned.to_string(),
        'c' => format!("{} {}", signed as i8, c_char(unsigned as u8)),
        _ => return None,
    })
}

impl Printer<'_, '_> {
    /// The value as `print` shows it: pointers (other than strings) carry their type,
    /// `(struct Node *) 0x1040`.
    pub(crate) fn top(&self, value: &Value) -> String {
        self.try_top(value).unwrap_or_else(|err| err.placeholder())
    }

    fn try_top(&self, value: &Value) -> EvalResult<String> {
        let stripped = self.types.strip(&value.ty)?;
        if let Type::Pointer(pointer) = &*stripped {
            // `(const geo::Rect &) @0x…: {…}`.
            if pointer.kind != PointerKind::Pointer && self.types.language() == Language::Cpp {
                let name = self.types.name(&value.ty);
                return Ok(format!("({name}) {}", self.value(value, 0)));
            }
            if pointer.kind == PointerKind::Pointer
                && self.format.is_none()
                && self.types.language() != Language::Rust
                && !self.is_char(&pointer.pointee)
            {
                let address = self.pointer_value(value, pointer.size)?;
                let pointee = self.types.resolve(&pointer.pointee)?;
                let label = match &*self.types.strip(&pointee)? {
                    Type::Function { .. } => self.function_pointer_label(address),
                    _ => self.label(address),
                };
                return Ok(format!(
                    "({}) {address:#x}{label}",
                    self.types.name(&value.ty)
                ));
            }
        }
        Ok(self.value(value, 0))
    }

    /// The value nested `depth` levels into another; errors print in place.
    pub(crate) fn value(&self, value: &Value, depth: usize) -> String {
        self.try_value(value, depth)
            .unwrap_or_else(|err| err.placeholder())
    }

    fn try_value(&self, value: &Value, depth: usize) -> EvalResult<String> {
        if matches!(value.place, Place::Unavailable) {
            return Err(EvalError::OptimizedOut);
        }
        if depth > MAX_DEPTH {
            return Ok("{...}".to_string());
        }
        let ty = self.types.strip(&value.ty)?;
        match &*ty {
            Type::Base(base) => self.base(base, value),
            Type::Enum(e) => self.enumeration(e, value),
            Type::Pointer(pointer) => {
                let address = self.pointer_value(value, pointer.size)?;
                self.pointer(address, &pointer.pointee, pointer.kind, depth)
            }
            Type::Struct(s) if self.types.language() == Language::Rust => {
                rust::structure(self, s, value, depth)
            }
            Type::Struct(s) => match libcxx::pretty(self, &ty, value, depth) {
                Some(text) => Ok(text),
                None => self.structure(s, value, depth),
            },
            Type::Array { element, count } => self.array(element, count.unwrap_or(0), value, depth),
            Type::Function { .. } => {
                // `*f` of a function pointer is at its table index.
                let address = value.address().unwrap_or(0);
                Ok(format!(
                    "{{{}}} {address:#x}{}",
                    self.types.name(&ty),
                    self.function_pointer_label(address)
                ))
            }
            Type::Void => Ok(if self.types.language() == Language::Rust {
                "()".to_string()
            } else {
                "void".to_string()
            }),
            Type::Unsupported { what } => Err(EvalError::unsupported(what.clone())),
            Type::Typedef { .. } | Type::Qualified { .. } => {
                Err(EvalError::unsupported("type links too deep"))
            }
        }
    }

    /// An integer, character, boolean or float.
    pub(crate) fn base(&self, base: &Base, value: &Value) -> EvalResult<String> {
        if base.size == 0 || base.size > 16 {
            return Err(EvalError::unsupported(format!(
                "{}-byte base type {}",
                base.size, base.name
            )));
        }
        let bytes = value.read(self.frame, base.size)?;
        let signed = matches!(
            base.encoding,
            gimli::DW_ATE_signed | gimli::DW_ATE_signed_char
        );
        let number = integer(&bytes, signed);
        if base.encoding != gimli::DW_ATE_float {
            if let Some(text) = self.format.and_then(|f| formatted(number, base.size, f)) {
                return Ok(text);
            }
        }
        Ok(match base.encoding {
            gimli::DW_ATE_boolean => match number {
                0 => "false".to_string(),
                1 => "true".to_string(),
                n => n.to_string(),
            },
            gimli::DW_ATE_float => format_float(&bytes)?,
            gimli::DW_ATE_signed_char | gimli::DW_ATE_unsigned_char if bytes.len() == 1 => {
                format!("{number} {}", c_char(bytes[0]))
            }
            gimli::DW_ATE_UTF => {
                let unsigned = integer(&bytes, false);
                let shown = u32::try_from(unsigned)
                    .ok()
                    .and_then(char::from_u32)
                    .map(|c| format!("{:?}", c))
                    .unwrap_or_default();
                format!("{unsigned} {shown}").trim_end().to_string()
            }
            gimli::DW_ATE_signed
            | gimli::DW_ATE_unsigned
            | gimli::DW_ATE_signed_char
            | gimli::DW_ATE_unsigned_char => number.to_string(),
            gimli::DW_ATE_address => format!("{:#x}", integer(&bytes, false)),
            other => {
                return Err(EvalError::unsupported(format!(
                    "base type encoding {}",
                    other.static_string().unwrap_or("?")
                )))
            }
        })
    }

    /// An enumerator name, `(A | B)` for flag enums, else the number.
    fn enumeration(&self, e: &Enum, value: &Value) -> EvalResult<String> {
        let size = e.size.unwrap_or(4);
        if size == 0 || size > 16 {
            return Err(EvalError::unsupported(format!("{size}-byte enum")));
        }
        let number = integer(&value.read(self.frame, size)?, e.signed);
        if let Some(text) = self.format.and_then(|f| formatted(number, size, f)) {
            return Ok(text);
        }
        if let Some((name, _)) = e.enumerators.iter().find(|(_, v)| *v == number) {
            return Ok(name.clone());
        }
        Ok(flags(e, number).unwrap_or_else(|| number.to_string()))
    }

    /// The address a pointer value holds.
    pub(crate) fn pointer_value(&self, value: &Value, size: u64) -> EvalResult<u64> {
        let bytes = value.read(self.frame, size.clamp(1, 8))?;
        Ok(integer(&bytes, false) as u64)
    }

    /// A pointer: `0x1040`, `0x1040 "hello"` for C strings, `@0x1040: 5` for C++ references.
    pub(crate) fn pointer(
        &self,
        address: u64,
        pointee: &TypeRef,
        kind: PointerKind,
        depth: usize,
    ) -> EvalResult<String> {
        let language = self.types.language();
        // A reference shows its address as is and the object it refers to (in the format).
        if kind != PointerKind::Pointer && language == Language::Cpp {
            let target = Value {
                ty: self.types.resolve(pointee)?,
                place: Place::Memory(address),
            };
            return Ok(format!("@{address:#x}: {}", self.value(&target, depth + 1)));
        }
        if let Some(text) = self
            .format
            .and_then(|f| formatted(i128::from(address), self.types.address_size(), f))
        {
            return Ok(match self.format {
                Some('a') => format!("{text}{}", self.label(address)),
                _ => text,
            });
        }
        let to_function = self
            .types
            .resolve(pointee)
            .and_then(|ty| self.types.strip(&ty))
            .is_ok_and(|ty| matches!(*ty, Type::Function { .. }));
        let label = match to_function {
            true => self.function_pointer_label(address),
            false => self.label(address),
        };
        if language != Language::Rust && address != 0 && self.is_char(pointee) {
            return Ok(format!("{address:#x}{label} {}", self.c_string(address)));
        }
        Ok(format!("{address:#x}{label}"))
    }

    /// ` <counter>`, ` <inventory+64>` for an address inside a global variable, else nothing
    /// (C and C++; Rust prints pointers bare).
    fn label(&self, address: u64) -> String {
        if self.types.language() == Language::Rust {
            return String::new();
        }
        self.data
            .and_then(|data| data.label(address))
            .map(|label| format!(" <{label}>"))
            .unwrap_or_default()
    }

    /// ` <twice>` for a function pointer (a table index, or a module offset).
    fn function_pointer_label(&self, value: u64) -> String {
        self.data
            .and_then(|data| data.function_pointer_label(value))
            .map(|label| format!(" <{label}>"))
            .unwrap_or_default()
    }

    /// True when `ty` is a one-byte C character type (`char`, `const unsigned char`, ...).
    pub(crate) fn is_char(&self, ty: &TypeRef) -> bool {
        let stripped = self.types.resolve(ty).and_then(|ty| self.types.strip(&ty));
        matches!(
            stripped.as_deref(),
            Ok(Type::Base(Base {
                encoding: gimli::DW_ATE_signed_char | gimli::DW_ATE_unsigned_char,
                size: 1,
                ..
            }))
        )
    }

    /// The NUL-terminated string at `address`, quoted; at most [`MAX_ELEMENTS`] bytes.
    fn c_string(&self, address: u64) -> String {
        let mut bytes = Vec::new();
        while (bytes.len() as u64) < MAX_ELEMENTS {
            let at = address.wrapping_add(bytes.len() as u64);
            let want = (MAX_ELEMENTS as usize - bytes.len()).min(32);
            let chunk = match self.frame.memory(at, want) {
                Some(chunk) if chunk.len() == want => chunk,
                // Near the end of memory: fall back to one byte at a time.
                _ => match self.frame.memory(at, 1) {
                    Some(byte) if byte.len() == 1 => byte,
                    _ if bytes.is_empty() => return EvalError::Memory(at).placeholder(),
                    _ => {
                        return format!(
                            "{}{}",
                            c_string_literal(&bytes),
                            EvalError::Memory(at).placeholder()
                        )
                    }
                },
            };
            if let Some(nul) = chunk.iter().position(|&b| b == 0) {
                bytes.extend_from_slice(&chunk[..nul]);
                return c_string_literal(&bytes);
            }
            bytes.extend_from_slice(&chunk);
        }
        format!("{}...", c_string_literal(&bytes))
    }

    /// A C struct, class or union: `{x = 2, y = 3}`.
    fn structure(&self, s: &Struct, value: &Value, depth: usize) -> EvalResult<String> {
        if s.declaration && s.members.is_empty() {
            return Ok("<incomplete type>".to_string());
        }
        let value = match s.size {
            Some(size) => value.fetched(self.frame, size)?,
            None => value.clone(),
        };
        if s.members.is_empty() {
            return Ok("{<No data fields>}".to_string());
        }
        let fields: Vec<String> = s
            .members
            .iter()
            .map(|member| {
                let text = self
                    .member(member, &value, depth)
                    .unwrap_or_else(|err| err.placeholder());
                match (&member.name, member.inheritance) {
                    (_, true) => {
                        let base = self
                            .types
                            .resolve(&member.ty)
                            .map(|ty| self.types.name(&ty))
                            .unwrap_or_else(|_| "?".to_string());
                        format!("<{base}> = {text}")
                    }
                    (Some(name), false) => format!("{name} = {text}"),
                    (None, false) => text,
                }
            })
            .collect();
        Ok(format!("{{{}}}", fields.join(", ")))
    }

    /// One member of an aggregate value (bit fields extracted).
    pub(crate) fn member(
        &self,
        member: &Member,
        value: &Value,
        depth: usize,
    ) -> EvalResult<String> {
        let field = match member.bits {
            Some(_) => self.bitfield(member, value)?,
            None => value.at_offset(member.offset, self.types.resolve(&member.ty)?),
        };
        Ok(self.value(&field, depth + 1))
    }

    /// A bit-field member as a value of its own (shifted, masked and sign-extended).
    pub(crate) fn bitfield(&self, member: &Member, value: &Value) -> EvalResult<Value> {
        let ty = self.types.resolve(&member.ty)?;
        let (shift, width) = member.bits.unwrap_or((0, 0));
        if width == 0 || width > 64 {
            return Err(EvalError::unsupported("bit field wider than 64 bits"));
        }
        let size = self.types.size_of(&ty)?.clamp(1, 16) as usize;
        let span = (shift + width).div_ceil(8);
        let bytes = value.read_at(self.frame, member.offset, span)?;
        let raw = (integer(&bytes, false) as u128 >> shift) & ((1u128 << width) - 1);
        let signed = match &*self.types.strip(&ty)? {
            Type::Base(base) => matches!(
                base.encoding,
                gimli::DW_ATE_signed | gimli::DW_ATE_signed_char
            ),
            Type::Enum(e) => e.signed,
            _ => false,
        };
        let extended = if signed && (raw >> (width - 1)) & 1 == 1 {
            raw | (u128::MAX << width)
        } else {
            raw
        };
        Ok(Value::from_bytes(
            ty,
            extended.to_le_bytes()[..size].to_vec(),
        ))
    }

    /// An array: `{10, 20, 30, 40}`, C character arrays as strings.
    fn array(
        &self,
        element: &TypeRef,
        count: u64,
        value: &Value,
        depth: usize,
    ) -> EvalResult<String> {
        let element_type = self.types.resolve(element)?;
        let size = self.types.size_of(&element_type)?;
        let shown = count.min(MAX_ELEMENTS);
        let truncated = count > shown;
        let rust = self.types.language() == Language::Rust;
        if size == 0 || shown == 0 {
            return Ok(if rust { "[]" } else { "{}" }.to_string());
        }
        let total = size
            .checked_mul(shown)
            .ok_or_else(|| EvalError::unsupported("array too large"))?;
        let value = value.fetched(self.frame, total)?;
        if !rust && size == 1 && self.is_char(element) && self.format.is_none() {
            let bytes = value.read(self.frame, shown)?;
            return Ok(char_array(&bytes, truncated));
        }
        let items = self.elements(&value, &element_type, size, shown, depth);
        let ellipsis = if truncated { "..." } else { "" };
        Ok(if rust {
            format!("[{items}{ellipsis}]")
        } else {
            format!("{{{items}{ellipsis}}}")
        })
    }

    /// `count` elements of `element` type laid out from the start of `value`, comma-separated,
    /// with runs of equal elements collapsed.
    pub(crate) fn elements(
        &self,
        value: &Value,
        element: &Rc<Type>,
        size: u64,
        count: u64,
        depth: usize,
    ) -> String {
        let mut items = Vec::new();
        for i in 0..count {
            let left = self.budget.get();
            if left == 0 {
                items.push("...".to_string());
                break;
            }
            self.budget.set(left - 1);
            items.push(self.value(&value.at_offset(i * size, element.clone()), depth + 1));
        }
        collapse_repeats(items).join(", ")
    }
}

/// Little-endian bytes (at most 16) as an integer, sign-extended when `signed`.
pub(crate) fn integer(bytes: &[u8], signed: bool) -> i128 {
    let bytes = &bytes[..bytes.len().min(16)];
    let mut word = [0u8; 16];
    word[..bytes.len()].copy_from_slice(bytes);
    let unsigned = u128::from_le_bytes(word);
    let bits = bytes.len() as u32 * 8;
    if bits == 0 {
        return 0;
    }
    if signed && bits < 128 && unsigned >> (bits - 1) & 1 == 1 {
        (unsigned | (u128::MAX << bits)) as i128
    } else {
        unsigned as i128
    }
}

/// `(RED | BLUE)` when `number` is made of the flags of a flag enum (disjoint bit values).
fn flags(e: &Enum, number: i128) -> Option<String> {
    let values: Vec<&(String, i128)> = e.enumerators.iter().filter(|(_, v)| *v > 0).collect();
    let disjoint = values
        .iter()
        .enumerate()
        .all(|(i, (_, a))| values[i + 1..].iter().all(|(_, b)| a & b == 0));
    if !disjoint || values.is_empty() || number <= 0 {
        return None;
    }
    let mut rest = number;
    let mut parts = Vec::new();
    for (name, v) in values {
        if rest & v == *v {
            parts.push(name.clone());
            rest &= !v;
        }
    }
    if parts.is_empty() {
        return None;
    }
    if rest != 0 {
        parts.push(format!("unknown: {rest:#x}"));
    }
    Some(format!("({})", parts.join(" | ")))
}

/// Runs of more than [`REPEAT_THRESHOLD`] equal items become `item <repeats N times>`.
fn collapse_repeats(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let run = items[i..]
            .iter()
            .take_while(|item| **item == items[i])
            .count();
        if run > REPEAT_THRESHOLD {
            out.push(format!("{} <repeats {run} times>", items[i]));
        } else {
            out.extend(items[i..i + run].iter().cloned());
        }
        i += run;
    }
    out
}

/// A C character array as gdb prints it: one trailing NUL dropped, long runs collapsed
/// (`"hi", '\000' <repeats 13 times>`).
fn char_array(bytes: &[u8], truncated: bool) -> String {
    let bytes = match bytes.split_last() {
        Some((0, rest)) if !truncated => rest,
        _ => bytes,
    };
    if bytes.is_empty() {
        return "\"\"".to_string();
    }
    let mut segments = Vec::new();
    let mut quoted = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|&&b| b == bytes[i]).count();
        if run > REPEAT_THRESHOLD {
            if !quoted.is_empty() {
                segments.push(c_string_literal(&quoted));
                quoted.clear();
            }
            segments.push(format!("{} <repeats {run} times>", c_char(bytes[i])));
        } else {
            quoted.extend_from_slice(&bytes[i..i + run]);
        }
        i += run;
    }
    if !quoted.is_empty() {
        segments.push(c_string_literal(&quoted));
    }
    let mut text = segments.join(", ");
    if truncated {
        text.push_str("...");
    }
    text
}

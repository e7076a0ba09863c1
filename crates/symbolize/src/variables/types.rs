//! The type model the evaluator reads from DWARF: just what printing and `print` expressions need.
//!
//! Types are loaded lazily by DIE offset and cached for one query, so self-referential types (a
//! linked list node pointing at its own type) load in finite time. Every walk along type links is
//! bounded: hostile DWARF with cycles (a typedef of itself) ends in an error, never a hang.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gimli::{AttributeValue, UnitRef};

use super::die::{self, DieOffset, Entry};
use super::error::{EvalError, EvalResult};
use super::read_type;
use crate::dwarf::Reader;

/// How many typedef/qualifier/array links a walk follows before giving up.
const MAX_LINKS: usize = 32;

/// Values larger than this are not read (a corrupt `DW_AT_byte_size` must not allocate GiBs).
pub(crate) const MAX_VALUE_SIZE: u64 = 1 << 20;

/// Source language of a unit, which decides naming and printing conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    /// C (and anything else printed C-style).
    C,
    /// C++: aggregates are named without `struct`, references print as `@0x…: value`.
    Cpp,
    /// Rust: `Name {x: 1}`, `Some(5)`, `vec![…]`, `"text"`.
    Rust,
}

/// A type: either a DIE not loaded yet, or a loaded (possibly synthesized) one.
#[derive(Debug, Clone)]
pub(crate) enum TypeRef {
    /// No `DW_AT_type`: `void`.
    Void,
    /// A type DIE of the unit.
    Die(DieOffset),
    /// A type already at hand (loaded, or made up by an expression such as `&x`).
    Ready(Rc<Type>),
}

/// A type as far as printing needs it.
#[derive(Debug)]
pub(crate) enum Type {
    /// `void`.
    Void,
    /// Integers, characters, booleans and floats.
    Base(Base),
    /// Pointers and references.
    Pointer(Pointer),
    /// `typedef`: a new name for `target`.
    Typedef { name: String, target: TypeRef },
    /// `const`, `volatile`, `restrict`, `_Atomic`.
    Qualified {
        qualifier: &'static str,
        target: TypeRef,
    },
    /// Structures, classes and unions (and Rust enums with data).
    Struct(Struct),
    /// One dimension of an array; more dimensions nest.
    Array {
        element: TypeRef,
        count: Option<u64>,
    },
    /// C enums and Rust field-less enums.
    Enum(Enum),
    /// A function type (only reached through pointers).
    Function {
        ret: TypeRef,
        params: Vec<TypeRef>,
        variadic: bool,
    },
    /// A type this evaluator does not model; printing it gives an error naming `what`.
    Unsupported { what: String },
}

/// A base type.
#[derive(Debug)]
pub(crate) struct Base {
    pub name: String,
    pub encoding: gimli::DwAte,
    pub size: u64,
}

/// Pointer, C++ reference or rvalue reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PointerKind {
    Pointer,
    Reference,
    RvalueReference,
}

/// A pointer type.
#[derive(Debug)]
pub(crate) struct Pointer {
    /// The DWARF name (Rust names its pointer types: `&str`, `*const u8`).
    pub name: Option<String>,
    pub pointee: TypeRef,
    pub size: u64,
    pub kind: PointerKind,
}

/// `struct`, `class` or `union`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aggregate {
    Struct,
    Class,
    Union,
}

/// A structure, class or union.
#[derive(Debug)]
pub(crate) struct Struct {
    pub kind: Aggregate,
    pub name: Option<String>,
    pub size: Option<u64>,
    pub members: Vec<Member>,
    /// Rust enums with data: which member is live depends on a discriminant.
    pub variants: Option<VariantPart>,
    /// `DW_TAG_template_type_parameter`s by name (`T` of `Vec<T>`).
    pub template_types: Vec<(String, TypeRef)>,
    /// Only declared here (`struct foo;`): no members known.
    pub declaration: bool,
    /// C++ member functions, for `ptype`.
    pub methods: Vec<Method>,
    /// C++ static data members, for `ptype`, each with how many data members precede it.
    pub statics: Vec<(usize, Member)>,
}

/// C++ access to a member, base or method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Public,
    Protected,
    Private,
}

/// A C++ member function as `ptype` lists it.
#[derive(Debug, Clone)]
pub(crate) struct Method {
    pub name: String,
    /// `None`: `void`.
    pub ret: TypeRef,
    /// Parameters other than `this`.
    pub params: Vec<TypeRef>,
    pub access: Access,
    pub is_virtual: bool,
    /// No `this` parameter.
    pub is_static: bool,
    /// `this` points to const.
    pub is_const: bool,
    /// Made up by the compiler (implicit constructors, …): not listed.
    pub artificial: bool,
}

/// A data member (or base class).
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub name: Option<String>,
    pub ty: TypeRef,
    /// Byte offset from the start of the enclosing value.
    pub offset: u64,
    /// For bit fields: (bit shift within the bytes at `offset`, width in bits).
    pub bits: Option<(u64, u64)>,
    /// A C++ base class (`DW_TAG_inheritance`).
    pub inheritance: bool,
    /// C++ access (`DW_AT_accessibility`, else the class key's default).
    pub access: Access,
    /// Made up by the compiler (`_vptr$Shape`): not listed by `ptype`.
    pub artificial: bool,
    /// `virtual` inheritance.
    pub is_virtual: bool,
}

/// `DW_TAG_variant_part`: a discriminant and the variants it selects.
#[derive(Debug)]
pub(crate) struct VariantPart {
    pub discriminant: Option<Member>,
    pub variants: Vec<Variant>,
}

/// One variant; `value` None is the default variant.
#[derive(Debug)]
pub(crate) struct Variant {
    pub value: Option<u64>,
    pub member: Option<Member>,
}

/// An enumeration.
#[derive(Debug)]
pub(crate) struct Enum {
    pub name: Option<String>,
    pub size: Option<u64>,
    pub signed: bool,
    pub enumerators: Vec<(String, i128)>,
}

/// Loads types of one unit, caching them for the lifetime of one query.
pub(crate) struct Types<'a> {
    unit: Option<UnitRef<'a, Reader>>,
    language: Language,
    cache: RefCell<HashMap<DieOffset, Rc<Type>>>,
}

impl<'a> Types<'a> {
    /// Types of `unit`; `None` gives a loader that only knows synthesized types.
    pub(crate) fn new(unit: Option<UnitRef<'a, Reader>>) -> Types<'a> {
        let language = unit.map_or(Language::C, unit_language);
        Types {
            unit,
            language,
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The unit's source language.
    pub(crate) fn language(&self) -> Language {
        self.language
    }

    /// The unit, when there is one.
    pub(crate) fn unit(&self) -> Option<UnitRef<'a, Reader>> {
        self.unit
    }

    /// Wasm32 pointers are 4 bytes; other address sizes come from the unit header.
    pub(crate) fn address_size(&self) -> u64 {
        self.unit
            .map_or(4, |unit| u64::from(unit.header.address_size()))
    }

    /// The type `reference` stands for.
    pub(crate) fn resolve(&self, reference: &TypeRef) -> EvalResult<Rc<Type>> {
        match reference {
            TypeRef::Void => Ok(Rc::new(Type::Void)),
            TypeRef::Ready(ty) => Ok(ty.clone()),
            TypeRef::Die(offset) => self.load(*offset),
        }
    }

    fn load(&self, offset: DieOffset) -> EvalResult<Rc<Type>> {
        if let Some(ty) = self.cache.borrow().get(&offset) {
            return Ok(ty.clone());
        }
        let unit = self
            .unit
            .ok_or_else(|| EvalError::unsupported("type outside any unit"))?;
        let mut ty = read_type::parse(unit, offset)?;
        if self.language == Language::Cpp {
            qualify(&mut ty, unit, offset);
        }
        let ty = Rc::new(ty);
        self.cache.borrow_mut().insert(offset, ty.clone());
        Ok(ty)
    }

    /// `ty` without typedefs and qualifiers.
    pub(crate) fn strip(&self, ty: &Rc<Type>) -> EvalResult<Rc<Type>> {
        let mut current = ty.clone();
        for _ in 0..MAX_LINKS {
            match &*current {
                Type::Typedef { target, .. } | Type::Qualified { target, .. } => {
                    current = self.resolve(target)?;
                }
                _ => return Ok(current),
            }
        }
        Err(EvalError::unsupported(
            "type links too deep (cyclic typedefs?)",
        ))
    }

    /// The size in bytes of a value of type `ty`.
    pub(crate) fn size_of(&self, ty: &Rc<Type>) -> EvalResult<u64> {
        let mut current = self.strip(ty)?;
        let mut factor: u64 = 1;
        for _ in 0..MAX_LINKS {
            let size = match &*current {
                Type::Base(base) => base.size,
                Type::Pointer(pointer) => pointer.size,
                Type::Enum(e) => e.size.unwrap_or(4),
                Type::Struct(s) => s.size.ok_or_else(incomplete)?,
                Type::Array { element, count } => {
                    factor = factor
                        .checked_mul(count.unwrap_or(0))
                        .ok_or_else(|| EvalError::unsupported("array size overflows"))?;
                    current = self.strip(&self.resolve(element)?)?;
                    continue;
                }
                Type::Void | Type::Function { .. } => 1,
                Type::Unsupported { what } => return Err(EvalError::unsupported(what.clone())),
                Type::Typedef { .. } | Type::Qualified { .. } => {
                    current = self.strip(&current)?;
                    continue;
                }
            };
            return factor
                .checked_mul(size)
                .ok_or_else(|| EvalError::unsupported("array size overflows"));
        }
        Err(EvalError::unsupported("type links too deep"))
    }

    /// A made-up `int` (the type of integer literals).
    pub(crate) fn int(&self, wide: bool) -> Rc<Type> {
        let (name, size) = match (self.language, wide) {
            (Language::Rust, false) => ("i32", 4),
            (Language::Rust, true) => ("i64", 8),
            (_, false) => ("int", 4),
            (_, true) => ("long long", 8),
        };
        Rc::new(Type::Base(Base {
            name: name.to_string(),
            encoding: gimli::DW_ATE_signed,
            size,
        }))
    }

    /// A made-up pointer to `pointee` (the type of `&x`).
    pub(crate) fn pointer_to(&self, pointee: Rc<Type>) -> Rc<Type> {
        let name =
            (self.language == Language::Rust).then(|| format!("*mut {}", self.name(&pointee)));
        Rc::new(Type::Pointer(Pointer {
            name,
            pointee: TypeRef::Ready(pointee),
            size: self.address_size(),
            kind: PointerKind::Pointer,
        }))
    }
}

/// Names a C++ class, enum or typedef with the namespaces and classes it is declared in, as gdb
/// does (`geo::Rect`).
fn qualify(ty: &mut Type, unit: UnitRef<'_, Reader>, offset: DieOffset) {
    let name = match ty {
        Type::Struct(s) => s.name.as_mut(),
        Type::Enum(e) => e.name.as_mut(),
        Type::Typedef { name, .. } => Some(name),
        _ => None,
    };
    if let Some(name) = name {
        let prefix = super::die::scope_prefix(unit, offset);
        name.insert_str(0, &prefix);
    }
}

/// The `DW_AT_language` of the unit's root DIE.
fn unit_language(unit: UnitRef<'_, Reader>) -> Language {
    let root = unit.entry(unit.header.root_offset());
    match root
        .ok()
        .and_then(|root| root.attr_value(gimli::DW_AT_language))
    {
        Some(AttributeValue::Language(gimli::DW_LANG_Rust)) => Language::Rust,
        Some(AttributeValue::Language(lang))
            if [
                gimli::DW_LANG_C_plus_plus,
                gimli::DW_LANG_C_plus_plus_03,
                gimli::DW_LANG_C_plus_plus_11,
                gimli::DW_LANG_C_plus_plus_14,
            ]
            .contains(&lang) =>
        {
            Language::Cpp
        }
        _ => Language::C,
    }
}

/// The error for the size of a struct known only by declaration.
fn incomplete() -> EvalError {
    EvalError::unsupported("incomplete type")
}

/// Where a `DW_AT_type` points, in a form that can cross threads (kept in public `Variable`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeLink {
    /// No type: `void`.
    Void,
    /// A type DIE of the same unit.
    Die(DieOffset),
    /// A reference this evaluator does not follow (another unit, a type unit).
    Elsewhere,
}

impl From<TypeLink> for TypeRef {
    fn from(link: TypeLink) -> TypeRef {
        match link {
            TypeLink::Void => TypeRef::Void,
            TypeLink::Die(offset) => TypeRef::Die(offset),
            TypeLink::Elsewhere => TypeRef::Ready(Rc::new(Type::Unsupported {
                what: "type in another unit".to_string(),
            })),
        }
    }
}

/// `DW_AT_type` of `entry` (inherited through abstract origins).
pub(crate) fn type_link(unit: UnitRef<'_, Reader>, entry: &Entry) -> TypeLink {
    match die::inherited(unit, entry, gimli::DW_AT_type) {
        Ok(Some(value)) => match die::reference(unit, &value) {
            Some(offset) => TypeLink::Die(offset),
            None => TypeLink::Elsewhere,
        },
        _ => TypeLink::Void,
    }
}

/// `DW_AT_type` of `entry` as a type reference.
pub(crate) fn type_of(unit: UnitRef<'_, Reader>, entry: &Entry) -> TypeRef {
    type_link(unit, entry).into()
}

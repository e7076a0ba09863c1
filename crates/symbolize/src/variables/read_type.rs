//! Reading one type DIE into the [`Type`] model: base types, pointers, aggregates with their
//! members, bit fields and Rust variant parts, arrays, enums and function types.

use std::rc::Rc;

use gimli::{AttributeValue, UnitRef};

use super::die::{self, DieOffset, Entry};
use super::error::{EvalError, EvalResult};
use super::types::{
    type_of, Access, Aggregate, Base, Enum, Member, Method, Pointer, PointerKind, Struct, Type,
    TypeRef, Types, Variant, VariantPart,
};
use crate::dwarf::Reader;

/// Reads the type DIE at `offset`.
pub(crate) fn parse(unit: UnitRef<'_, Reader>, offset: DieOffset) -> EvalResult<Type> {
    let mut tree = unit.entries_tree(Some(offset))?;
    let root = tree.root()?;
    let entry = root.entry().clone();
    let name = die::own_name(unit, &entry);
    let target = type_of(unit, &entry);
    let size = die::udata(&entry, gimli::DW_AT_byte_size);
    let qualified = |qualifier| {
        Ok(Type::Qualified {
            qualifier,
            target: target.clone(),
        })
    };
    match entry.tag() {
        gimli::DW_TAG_base_type | gimli::DW_TAG_unspecified_type => {
            let encoding = match entry.attr_value(gimli::DW_AT_encoding) {
                Some(AttributeValue::Encoding(encoding)) => encoding,
                _ if entry.tag() == gimli::DW_TAG_unspecified_type => gimli::DW_ATE_address,
                _ => return Err(EvalError::unsupported("base type without an encoding")),
            };
            Ok(Type::Base(Base {
                name: name.unwrap_or_else(|| "?".to_string()),
                encoding,
                size: size.unwrap_or(u64::from(unit.header.address_size())),
            }))
        }
        gimli::DW_TAG_pointer_type
        | gimli::DW_TAG_reference_type
        | gimli::DW_TAG_rvalue_reference_type => Ok(Type::Pointer(Pointer {
            name,
            pointee: target,
            size: size.unwrap_or(u64::from(unit.header.address_size())),
            kind: match entry.tag() {
                gimli::DW_TAG_reference_type => PointerKind::Reference,
                gimli::DW_TAG_rvalue_reference_type => PointerKind::RvalueReference,
                _ => PointerKind::Pointer,
            },
        })),
        gimli::DW_TAG_typedef => Ok(Type::Typedef {
            name: name.unwrap_or_else(|| "?".to_string()),
            target,
        }),
        gimli::DW_TAG_const_type => qualified("const"),
        gimli::DW_TAG_volatile_type => qualified("volatile"),
        gimli::DW_TAG_restrict_type => qualified("restrict"),
        gimli::DW_TAG_atomic_type => qualified("_Atomic"),
        gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type | gimli::DW_TAG_union_type => {
            let kind = match entry.tag() {
                gimli::DW_TAG_class_type => Aggregate::Class,
                gimli::DW_TAG_union_type => Aggregate::Union,
                _ => Aggregate::Struct,
            };
            let mut s = Struct {
                kind,
                name,
                size,
                members: Vec::new(),
                variants: None,
                template_types: Vec::new(),
                declaration: die::flag(&entry, gimli::DW_AT_declaration),
                methods: Vec::new(),
                statics: Vec::new(),
            };
            // C++'s defaults: members of a `class` are private, of a `struct` public.
            let default_access = match kind {
                Aggregate::Class => Access::Private,
                _ => Access::Public,
            };
            if entry.has_attr(gimli::DW_AT_signature) {
                return Ok(Type::Unsupported {
                    what: "type in a type unit".to_string(),
                });
            }
            let mut children = root.children();
            while let Some(child) = children.next()? {
                let child_entry = child.entry().clone();
                match child_entry.tag() {
                    gimli::DW_TAG_member | gimli::DW_TAG_inheritance => {
                        // Static members are declarations without a location in the object.
                        if child_entry.tag() == gimli::DW_TAG_member
                            && die::flag(&child_entry, gimli::DW_AT_external)
                        {
                            let member = member(unit, &child_entry, default_access)?;
                            s.statics.push((s.members.len(), member));
                            continue;
                        }
                        s.members.push(member(unit, &child_entry, default_access)?);
                    }
                    gimli::DW_TAG_subprogram => {
                        s.methods.push(method(unit, child, default_access)?);
                    }
                    // DWARF 5 declares a static data member as a variable in its class.
                    gimli::DW_TAG_variable => {
                        let member = member(unit, &child_entry, default_access)?;
                        s.statics.push((s.members.len(), member));
                    }
                    gimli::DW_TAG_template_type_parameter => {
                        if let Some(param) = die::own_name(unit, &child_entry) {
                            s.template_types.push((param, type_of(unit, &child_entry)));
                        }
                    }
                    gimli::DW_TAG_variant_part => {
                        let discr = child_entry
                            .attr_value(gimli::DW_AT_discr)
                            .and_then(|value| die::reference(unit, &value));
                        s.variants = Some(variant_part(unit, child, discr)?);
                    }
                    _ => {}
                }
            }
            Ok(Type::Struct(s))
        }
        gimli::DW_TAG_array_type => {
            let mut counts = Vec::new();
            let mut children = root.children();
            while let Some(child) = children.next()? {
                let child = child.entry();
                match child.tag() {
                    gimli::DW_TAG_subrange_type => counts.push(subrange_count(child)),
                    gimli::DW_TAG_enumeration_type => counts.push(None),
                    _ => {}
                }
            }
            if counts.is_empty() {
                counts.push(None);
            }
            let mut element = target;
            for count in counts.iter().skip(1).rev() {
                element = TypeRef::Ready(Rc::new(Type::Array {
                    element,
                    count: *count,
                }));
            }
            Ok(Type::Array {
                element,
                count: counts.first().copied().flatten(),
            })
        }
        gimli::DW_TAG_enumeration_type => {
            let signed = match &target {
                TypeRef::Die(_) => underlying_signed(unit, &target),
                _ => None,
            };
            let mut enumerators = Vec::new();
            let mut any_negative = false;
            let mut children = root.children();
            while let Some(child) = children.next()? {
                let child = child.entry();
                if child.tag() != gimli::DW_TAG_enumerator {
                    continue;
                }
                let value = match child.attr_value(gimli::DW_AT_const_value) {
                    Some(AttributeValue::Sdata(v)) => {
                        any_negative |= v < 0;
                        i128::from(v)
                    }
                    Some(AttributeValue::Udata(v)) => i128::from(v),
                    Some(other) => match (signed, other.udata_value(), other.sdata_value()) {
                        (Some(true), _, Some(v)) => i128::from(v),
                        (_, Some(v), _) => i128::from(v),
                        _ => continue,
                    },
                    None => continue,
                };
                if let Some(name) = die::own_name(unit, child) {
                    enumerators.push((name, value));
                }
            }
            Ok(Type::Enum(Enum {
                name,
                size,
                signed: signed.unwrap_or(any_negative),
                enumerators,
            }))
        }
        // A function's own DIE types it too (`print area`: `{int (struct Rect *)} 0x… <area>`).
        gimli::DW_TAG_subroutine_type | gimli::DW_TAG_subprogram => {
            let mut params = Vec::new();
            let mut variadic = false;
            let mut children = root.children();
            while let Some(child) = children.next()? {
                let child = child.entry();
                match child.tag() {
                    gimli::DW_TAG_formal_parameter => params.push(type_of(unit, child)),
                    gimli::DW_TAG_unspecified_parameters => variadic = true,
                    _ => {}
                }
            }
            Ok(Type::Function {
                ret: target,
                params,
                variadic,
            })
        }
        tag => Ok(Type::Unsupported {
            what: format!(
                "unsupported type {}",
                tag.static_string().unwrap_or("DW_TAG_?")
            ),
        }),
    }
}

/// Whether the base type under an enum is signed.
fn underlying_signed(unit: UnitRef<'_, Reader>, target: &TypeRef) -> Option<bool> {
    let types = Types::new(Some(unit));
    let ty = types.strip(&types.resolve(target).ok()?).ok()?;
    match &*ty {
        Type::Base(base) => Some(matches!(
            base.encoding,
            gimli::DW_ATE_signed | gimli::DW_ATE_signed_char
        )),
        _ => None,
    }
}

/// The element count of a `DW_TAG_subrange_type` (None for flexible or variable length).
fn subrange_count(entry: &Entry) -> Option<u64> {
    if let Some(count) = die::udata(entry, gimli::DW_AT_count) {
        return Some(count);
    }
    let upper = entry.attr_value(gimli::DW_AT_upper_bound)?.sdata_value()?;
    let lower = entry
        .attr_value(gimli::DW_AT_lower_bound)
        .and_then(|value| value.sdata_value())
        .unwrap_or(0);
    let count = upper.checked_sub(lower)?.checked_add(1)?;
    u64::try_from(count).ok()
}

/// `DW_AT_accessibility`, or the class key's default.
fn access(entry: &Entry, default: Access) -> Access {
    match entry.attr_value(gimli::DW_AT_accessibility) {
        Some(AttributeValue::Accessibility(gimli::DW_ACCESS_public)) => Access::Public,
        Some(AttributeValue::Accessibility(gimli::DW_ACCESS_protected)) => Access::Protected,
        Some(AttributeValue::Accessibility(gimli::DW_ACCESS_private)) => Access::Private,
        _ => default,
    }
}

/// A member function's declaration in its class.
fn method(
    unit: UnitRef<'_, Reader>,
    node: gimli::EntriesTreeNode<'_, '_, Reader>,
    default_access: Access,
) -> EvalResult<Method> {
    let entry = node.entry().clone();
    let mut params = Vec::new();
    let mut is_static = true;
    let mut is_const = false;
    let mut children = node.children();
    while let Some(child) = children.next()? {
        let child = child.entry();
        if child.tag() != gimli::DW_TAG_formal_parameter {
            continue;
        }
        if die::flag(child, gimli::DW_AT_artificial) {
            // `this`: a pointer to the class, const for a const method.
            is_static = false;
            if let TypeRef::Die(pointer) = type_of(unit, child) {
                let pointee = unit
                    .entry(pointer)
                    .ok()
                    .and_then(|p| p.attr_value(gimli::DW_AT_type));
                let pointee = pointee.and_then(|v| die::reference(unit, &v));
                is_const = pointee
                    .and_then(|offset| unit.entry(offset).ok())
                    .is_some_and(|t| t.tag() == gimli::DW_TAG_const_type);
            }
            continue;
        }
        params.push(type_of(unit, child));
    }
    Ok(Method {
        name: die::own_name(unit, &entry).unwrap_or_default(),
        ret: type_of(unit, &entry),
        params,
        access: access(&entry, default_access),
        is_virtual: entry.attr_value(gimli::DW_AT_virtuality).is_some(),
        is_static,
        is_const,
        artificial: die::flag(&entry, gimli::DW_AT_artificial),
    })
}

/// A `DW_TAG_member` or `DW_TAG_inheritance`.
fn member(unit: UnitRef<'_, Reader>, entry: &Entry, default_access: Access) -> EvalResult<Member> {
    let access = access(entry, default_access);
    let artificial = die::flag(entry, gimli::DW_AT_artificial);
    let is_virtual = entry.attr_value(gimli::DW_AT_virtuality).is_some();
    let offset = match entry.attr_value(gimli::DW_AT_data_member_location) {
        None => 0,
        Some(value) => match value.udata_value() {
            Some(offset) => offset,
            None => member_offset_expression(unit, &value)?,
        },
    };
    let mut bits = None;
    if let Some(width) = die::udata(entry, gimli::DW_AT_bit_size) {
        let position = if let Some(bit) = die::udata(entry, gimli::DW_AT_data_bit_offset) {
            bit
        } else if let Some(msb) = die::udata(entry, gimli::DW_AT_bit_offset) {
            // DWARF 2 style: counted from the most significant bit of a `byte_size` storage unit.
            let storage = die::udata(entry, gimli::DW_AT_byte_size).unwrap_or(4) * 8;
            offset * 8 + storage.saturating_sub(msb + width)
        } else {
            offset * 8
        };
        bits = Some((position % 8, width));
        return Ok(Member {
            name: die::own_name(unit, entry),
            ty: type_of(unit, entry),
            offset: position / 8,
            bits,
            inheritance: false,
            access,
            artificial,
            is_virtual,
        });
    }
    Ok(Member {
        name: die::own_name(unit, entry),
        ty: type_of(unit, entry),
        offset,
        bits,
        inheritance: entry.tag() == gimli::DW_TAG_inheritance,
        access,
        artificial,
        is_virtual,
    })
}

/// `DW_AT_data_member_location` given as an expression: only `DW_OP_plus_uconst N` (what
/// compilers emit for non-virtual members) is supported.
fn member_offset_expression(
    unit: UnitRef<'_, Reader>,
    value: &AttributeValue<Reader>,
) -> EvalResult<u64> {
    let expression = value
        .exprloc_value()
        .ok_or_else(|| EvalError::unsupported("member location of an unknown form"))?;
    let mut operations = expression.operations(unit.encoding());
    match (operations.next()?, operations.next()?) {
        (Some(gimli::Operation::PlusConstant { value }), None)
        | (Some(gimli::Operation::UnsignedConstant { value }), None) => Ok(value),
        _ => Err(EvalError::unsupported(
            "member location needs an object address (virtual base?)",
        )),
    }
}

/// A `DW_TAG_variant_part` and its variants.
fn variant_part(
    unit: UnitRef<'_, Reader>,
    node: gimli::EntriesTreeNode<'_, '_, Reader>,
    discr: Option<DieOffset>,
) -> EvalResult<VariantPart> {
    let mut part = VariantPart {
        discriminant: None,
        variants: Vec::new(),
    };
    let mut children = node.children();
    while let Some(child) = children.next()? {
        let entry = child.entry().clone();
        match entry.tag() {
            gimli::DW_TAG_member if Some(entry.offset()) == discr || discr.is_none() => {
                part.discriminant = Some(member(unit, &entry, Access::Public)?);
            }
            gimli::DW_TAG_variant => {
                let value = die::udata(&entry, gimli::DW_AT_discr_value);
                let mut variant_member = None;
                let mut grandchildren = child.children();
                while let Some(grandchild) = grandchildren.next()? {
                    if grandchild.entry().tag() == gimli::DW_TAG_member {
                        variant_member = Some(member(unit, grandchild.entry(), Access::Public)?);
                        break;
                    }
                }
                part.variants.push(Variant {
                    value,
                    member: variant_member,
                });
            }
            _ => {}
        }
    }
    Ok(part)
}

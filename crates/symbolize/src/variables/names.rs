//! Type names as gdb writes them: C declarator syntax (`struct Node *`, `int [4]`,
//! `int (*)[4]`, `const char *`), Rust names as rustc gives them (`&str`, `Vec<i32, Global>`).

use std::rc::Rc;

use super::types::{Aggregate, Language, PointerKind, Type, TypeRef, Types};

/// How deep a name is built before it is cut short.
const MAX_DEPTH: usize = 32;

impl Types<'_> {
    /// The name of `ty`, e.g. `struct Point`, `char *`, `int [2][3]`.
    pub(crate) fn name(&self, ty: &Rc<Type>) -> String {
        self.declarator(ty, String::new(), 0)
    }

    /// The name of the type `reference` points at; `?` when it cannot be read.
    pub(crate) fn name_of(&self, reference: &TypeRef, inner: String, depth: usize) -> String {
        match self.resolve(reference) {
            Ok(ty) => self.declarator(&ty, inner, depth + 1),
            Err(_) => join("?", inner),
        }
    }

    /// The C declaration of `ty` around the declarator `inner` (`*`, `[4]`, `(*)`, ...).
    fn declarator(&self, ty: &Rc<Type>, inner: String, depth: usize) -> String {
        if depth > MAX_DEPTH {
            return join("...", inner);
        }
        let rust = self.language() == Language::Rust;
        match &**ty {
            Type::Void => join(if rust { "()" } else { "void" }, inner),
            Type::Base(base) => join(&base.name, inner),
            Type::Typedef { name, .. } => join(name, inner),
            Type::Unsupported { what } => join(&format!("<{what}>"), inner),
            Type::Struct(s) => {
                let name = match (&s.name, self.language()) {
                    (Some(name), Language::C) => format!("{} {name}", keyword(s.kind)),
                    (Some(name), _) => name.clone(),
                    (None, _) => format!("{} {{...}}", keyword(s.kind)),
                };
                join(&name, inner)
            }
            Type::Enum(e) => {
                let name = match (&e.name, self.language()) {
                    (Some(name), Language::C) => format!("enum {name}"),
                    (Some(name), _) => name.clone(),
                    (None, _) => "enum {...}".to_string(),
                };
                join(&name, inner)
            }
            Type::Pointer(pointer) => {
                if rust {
                    if let Some(name) = &pointer.name {
                        return join(name, inner);
                    }
                    let target = self.name_of(&pointer.pointee, String::new(), depth);
                    return join(&format!("*const {target}"), inner);
                }
                let star = match pointer.kind {
                    PointerKind::Pointer => "*",
                    PointerKind::Reference => "&",
                    PointerKind::RvalueReference => "&&",
                };
                let mut inner = format!("{star}{inner}");
                if let Ok(pointee) = self.resolve(&pointer.pointee) {
                    if matches!(&*pointee, Type::Array { .. } | Type::Function { .. }) {
                        inner = format!("({inner})");
                    }
                }
                self.name_of(&pointer.pointee, inner, depth)
            }
            Type::Qualified { qualifier, target } => {
                let resolved = self.resolve(target);
                match resolved.as_deref() {
                    // `char *const p`: the qualifier binds to the pointer, after its star.
                    Ok(Type::Pointer(_)) => {
                        let inner = if inner.is_empty() {
                            format!(" {qualifier}")
                        } else {
                            format!(" {qualifier} {inner}")
                        };
                        self.name_of(target, inner, depth)
                    }
                    _ => format!("{qualifier} {}", self.name_of(target, inner, depth)),
                }
            }
            Type::Array { element, count } => {
                if rust {
                    let element = self.name_of(element, String::new(), depth);
                    let array = match count {
                        Some(count) => format!("[{element}; {count}]"),
                        None => format!("[{element}]"),
                    };
                    return join(&array, inner);
                }
                let suffix = match count {
                    Some(count) => format!("[{count}]"),
                    None => "[]".to_string(),
                };
                self.name_of(element, format!("{inner}{suffix}"), depth)
            }
            Type::Function {
                ret,
                params,
                variadic,
            } => {
                let mut names: Vec<String> = params
                    .iter()
                    .map(|param| self.name_of(param, String::new(), depth))
                    .collect();
                if *variadic {
                    names.push("...".to_string());
                }
                if names.is_empty() && !rust {
                    names.push("void".to_string());
                }
                self.name_of(ret, format!("{inner}({})", names.join(", ")), depth)
            }
        }
    }
}

impl Types<'_> {
    /// gdb's `ptype`: `ty` with typedefs resolved and the body of the structure, union or enum
    /// it is (or points to, or is an array of) spelled out one level deep.
    pub(crate) fn ptype(&self, ty: &Rc<Type>) -> String {
        let qualifiers = self.top_qualifiers(ty);
        let Ok(ty) = self.strip(ty) else {
            return self.name(ty);
        };
        let name = self.name(&ty);
        // The structure or enum at the bottom of pointers, arrays and qualifiers.
        let mut core = ty.clone();
        for _ in 0..MAX_DEPTH {
            let next = match &*core {
                Type::Pointer(pointer) => self.resolve(&pointer.pointee),
                Type::Array { element, .. } => self.resolve(element),
                Type::Qualified { target, .. } | Type::Typedef { target, .. } => {
                    self.resolve(target)
                }
                _ => break,
            };
            match next {
                Ok(next) => core = next,
                Err(_) => return name,
            }
        }
        let core_name = self.name(&core);
        if let Type::Struct(s) = &*core {
            if self.language() == Language::Cpp && !s.declaration {
                // `const geo::Rect *` → `const ` + the class + ` *`.
                let Some(at) = name.find(core_name.as_str()) else {
                    return name;
                };
                let (prefix, suffix) = (&name[..at], &name[at + core_name.len()..]);
                // `ptype *this` in a const method: the qualifiers the typedefs were under.
                let prefix = match prefix.is_empty() {
                    true => qualifiers.as_str(),
                    false => prefix,
                };
                return format!("{}{suffix}", self.class_body(s, prefix, &core_name));
            }
        }
        let Some(suffix) = name.strip_prefix(core_name.as_str()) else {
            return name;
        };
        match &*core {
            Type::Struct(s) if self.language() == Language::C && !s.declaration => {
                let mut body = format!("{core_name} {{\n");
                for member in &s.members {
                    let declarator = member.name.clone().unwrap_or_default();
                    let mut line = self.name_of(&member.ty, declarator, 0);
                    if let Some((_, width)) = member.bits {
                        line += &format!(" : {width}");
                    }
                    body += &format!("    {line};\n");
                }
                format!("{body}}}{suffix}")
            }
            Type::Enum(e) if self.language() == Language::C => {
                let mut next = 0;
                let enumerators: Vec<String> = e
                    .enumerators
                    .iter()
                    .map(|(name, value)| {
                        let text = match *value == next {
                            true => name.clone(),
                            false => format!("{name} = {value}"),
                        };
                        next = value + 1;
                        text
                    })
                    .collect();
                format!("{core_name} {{{}}}{suffix}", enumerators.join(", "))
            }
            _ => name,
        }
    }
}

impl Types<'_> {
    /// `const `, `const volatile `: the qualifiers at the top of `ty`, through typedefs.
    fn top_qualifiers(&self, ty: &Rc<Type>) -> String {
        let mut text = String::new();
        let mut current = ty.clone();
        for _ in 0..MAX_DEPTH {
            let next = match &*current {
                Type::Qualified { qualifier, target } => {
                    text += qualifier;
                    text.push(' ');
                    self.resolve(target)
                }
                Type::Typedef { target, .. } => self.resolve(target),
                _ => break,
            };
            match next {
                Ok(next) => current = next,
                Err(_) => break,
            }
        }
        text
    }
}

/// `struct`, `class` or `union`.
fn keyword(kind: Aggregate) -> &'static str {
    match kind {
        Aggregate::Struct => "struct",
        Aggregate::Class => "class",
        Aggregate::Union => "union",
    }
}

/// `base` followed by a declarator, gdb-style (`char *`, `int [4]`).
fn join(base: &str, inner: String) -> String {
    if inner.is_empty() {
        base.to_string()
    } else if inner.starts_with(' ') {
        format!("{base}{inner}")
    } else {
        format!("{base} {inner}")
    }
}

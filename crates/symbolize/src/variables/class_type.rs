//! `ptype` of a C++ class as gdb prints it: the class key, base classes with their access, data
//! members (access labels only where some member is not the key's default), a blank line, then
//! the member functions with a label at each change of access:
//!
//! ```text
//! struct geo::Rect : public geo::Shape {
//!     int w;
//!     int h;
//!   public:
//!     Rect(int, int, int);
//!     virtual int area(void) const;
//! }
//! ```
//!
//! Compiler-made members (`_vptr$Shape`, implicit constructors) are not listed; a compiler-made
//! member counts as private, as gdb counts it.

use super::types::{Access, Aggregate, Struct, Types};

fn label(access: Access) -> &'static str {
    match access {
        Access::Public => "public",
        Access::Protected => "protected",
        Access::Private => "private",
    }
}

impl Types<'_> {
    /// The body of C++ class `s` called `name` (the text after `type = ` up to `}`), with
    /// `prefix` (`const `) before the class key.
    pub(crate) fn class_body(&self, s: &Struct, prefix: &str, name: &str) -> String {
        let key = match s.kind {
            Aggregate::Class => "class",
            Aggregate::Union => "union",
            Aggregate::Struct => "struct",
        };
        let default = match s.kind {
            Aggregate::Class => Access::Private,
            _ => Access::Public,
        };
        let bases: Vec<String> = s
            .members
            .iter()
            .filter(|m| m.inheritance)
            .map(|m| {
                let base = self
                    .resolve(&m.ty)
                    .map(|ty| self.name(&ty))
                    .unwrap_or_else(|_| "?".to_string());
                let virtual_ = if m.is_virtual { " virtual" } else { "" };
                format!("{}{virtual_} {base}", label(m.access))
            })
            .collect();
        let mut text = format!("{prefix}{key} {name}");
        if !bases.is_empty() {
            text += &format!(" : {}", bases.join(", "));
        }
        text += " {\n";
        let fields: Vec<_> = s.members.iter().filter(|m| !m.inheritance).collect();
        let methods: Vec<_> = s.methods.iter().filter(|m| !m.artificial).collect();
        // Compiler-made members count as private.
        let field_access = |m: &super::types::Member| match m.artificial {
            true => Access::Private,
            false => m.access,
        };
        let labelled = fields.iter().any(|m| field_access(m) != default)
            || s.methods.iter().any(|m| m.access != default);
        let labelled = labelled || s.statics.iter().any(|(_, m)| m.access != default);
        // Data members in declaration order, static ones among them.
        let mut listed_fields: Vec<(bool, &super::types::Member)> = Vec::new();
        let mut data_index = 0;
        for member in s.members.iter() {
            for (_, static_member) in s.statics.iter().filter(|(at, _)| *at == data_index) {
                listed_fields.push((true, static_member));
            }
            data_index += 1;
            if !member.inheritance && !member.artificial {
                listed_fields.push((false, member));
            }
        }
        for (_, static_member) in s.statics.iter().filter(|(at, _)| *at >= data_index) {
            listed_fields.push((true, static_member));
        }
        if listed_fields.is_empty() && s.methods.is_empty() {
            text += "    <no data fields>\n";
        }
        let mut section: Option<Access> = None;
        let mut listed = 0;
        for (is_static, member) in listed_fields {
            if labelled && section != Some(member.access) {
                section = Some(member.access);
                text += &format!("  {}:\n", label(member.access));
            }
            let declarator = member.name.clone().unwrap_or_default();
            let mut line = self.name_of(&member.ty, declarator, 0);
            if let Some((_, width)) = member.bits {
                line += &format!(" : {width}");
            }
            let static_ = if is_static { "static " } else { "" };
            text += &format!("    {static_}{line};\n");
            listed += 1;
        }
        if listed > 0 && section.is_some() && !methods.is_empty() {
            text += "\n";
        }
        let short_name = name.rsplit("::").next().unwrap_or(name);
        let short_name = short_name.split('<').next().unwrap_or(short_name);
        for method in methods {
            if section != Some(method.access) {
                section = Some(method.access);
                text += &format!("  {}:\n", label(method.access));
            }
            let params: Vec<String> = method
                .params
                .iter()
                .map(|p| {
                    self.resolve(p)
                        .map(|ty| self.name(&ty))
                        .unwrap_or_else(|_| "?".to_string())
                })
                .collect();
            let params = match params.is_empty() {
                true => "void".to_string(),
                false => params.join(", "),
            };
            let special = method.name == short_name || method.name.starts_with('~');
            let ret = match special {
                true => String::new(),
                false => {
                    let ty = self
                        .resolve(&method.ret)
                        .map(|ty| self.name(&ty))
                        .unwrap_or_else(|_| "?".to_string());
                    format!("{ty} ")
                }
            };
            let virtual_ = if method.is_virtual { "virtual " } else { "" };
            let static_ = if method.is_static { "static " } else { "" };
            let const_ = if method.is_const { " const" } else { "" };
            text += &format!(
                "    {virtual_}{static_}{ret}{}({params}){const_};\n",
                method.name
            );
        }
        text + "}"
    }
}

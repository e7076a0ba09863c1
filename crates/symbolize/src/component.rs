//! A component flattened into its code units: every nested core module, in the order the binary
//! holds them (which is the order wasmtime numbers them in), with the byte range it occupies in the
//! component and a name a person recognises.
//!
//! One [`wasmparser::Parser::parse_all`] pass, as wasm-tools' `addr2line` does: every later lookup
//! picks the code unit by offset. A unit's range holds a whole core module (`\0asm` header
//! included), so its bytes symbolize on their own with [`crate::ModuleSymbols::new`].

use std::ops::Range;

use wasmparser::{ComponentNameSectionReader, KnownCustom, Name, Parser, Payload};

use crate::Error;

/// One core module inside a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeUnit {
    /// From the component's name section, else the module's own name section, else `module N`
    /// (N counting from 0 in binary order). Unique within the component.
    pub name: String,
    /// Where the module's bytes are in the component.
    pub range: Range<usize>,
    /// The component defines it itself, not one of the components nested in it.
    pub top_level: bool,
}

/// A unit as the pass finds it, before it is named.
struct Found {
    /// Its name in the name section of the component that defines it.
    from_component: Option<String>,
    /// Its own name section's module name.
    own: Option<String>,
    range: Range<usize>,
    top_level: bool,
}

impl CodeUnit {
    /// This unit's bytes in `component`.
    pub fn bytes<'a>(&self, component: &'a [u8]) -> &'a [u8] {
        &component[self.range.clone()]
    }
}

/// Whether `wasm` is a component (rather than a core module): its header says so.
pub fn is_component(wasm: &[u8]) -> bool {
    Parser::is_component(wasm)
}

/// The code units of `component`, in binary order.
pub fn code_units(component: &[u8]) -> Result<Vec<CodeUnit>, Error> {
    // What each open scope is: a component (with the units its own name section may name, by
    // their core module index in that component) or a core module (the unit it is).
    enum Scope {
        Component(Vec<usize>),
        Module(usize),
    }
    let mut units: Vec<Found> = Vec::new();
    let mut scopes = vec![Scope::Component(Vec::new())];
    for payload in Parser::new(0).parse_all(component) {
        match payload? {
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                if unchecked_range.end > component.len() {
                    return Err(Error::Truncated);
                }
                if let Some(Scope::Component(modules)) = scopes.last_mut() {
                    modules.push(units.len());
                }
                let top_level = scopes.len() == 1;
                scopes.push(Scope::Module(units.len()));
                units.push(Found {
                    from_component: None,
                    own: None,
                    range: unchecked_range,
                    top_level,
                });
            }
            Payload::ComponentSection { .. } => scopes.push(Scope::Component(Vec::new())),
            Payload::End(_) => {
                scopes.pop();
            }
            Payload::CustomSection(section) => match (section.as_known(), scopes.last()) {
                (KnownCustom::Name(names), Some(Scope::Module(unit))) => {
                    let own = names.into_iter().find_map(|name| match name {
                        Ok(Name::Module { name, .. }) => Some(name.to_string()),
                        _ => None,
                    });
                    units[*unit].own = own;
                }
                (KnownCustom::ComponentName(names), Some(Scope::Component(modules))) => {
                    name_modules(names, modules, &mut units);
                }
                _ => {}
            },
            _ => {}
        }
    }
    let mut named: Vec<CodeUnit> = Vec::with_capacity(units.len());
    for (index, found) in units.into_iter().enumerate() {
        let base = found
            .from_component
            .or(found.own)
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| format!("module {index}"));
        let mut name = base.clone();
        let mut copy = 2;
        while named.iter().any(|unit| unit.name == name) {
            name = format!("{base} ({copy})");
            copy += 1;
        }
        named.push(CodeUnit {
            name,
            range: found.range,
            top_level: found.top_level,
        });
    }
    Ok(named)
}

/// Applies a component name section's core-module names to `modules` (that component's units by
/// core module index). A malformed name section names nothing: names are a courtesy.
fn name_modules(names: ComponentNameSectionReader<'_>, modules: &[usize], units: &mut [Found]) {
    for subsection in names.into_iter().flatten() {
        if let wasmparser::ComponentName::CoreModules(map) = subsection {
            for naming in map.into_iter().flatten() {
                if let Some(&unit) = modules.get(naming.index as usize) {
                    units[unit].from_component = Some(naming.name.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component holding `modules` (each a core module binary) and, when given, a component name
    /// section naming the modules.
    fn component(modules: &[Vec<u8>], names: Option<&[(u32, &str)]>) -> Vec<u8> {
        let mut component = wasm_encoder::Component::new();
        for module in modules {
            component.section(&wasm_encoder::RawSection {
                id: wasm_encoder::ComponentSectionId::CoreModule as u8,
                data: module,
            });
        }
        if let Some(names) = names {
            let mut map = wasm_encoder::NameMap::new();
            for &(index, name) in names {
                map.append(index, name);
            }
            let mut section = wasm_encoder::ComponentNameSection::new();
            section.core_modules(&map);
            component.section(&section);
        }
        component.finish()
    }

    fn module(name: Option<&str>) -> Vec<u8> {
        let mut module = wasm_encoder::Module::new();
        if let Some(name) = name {
            let mut names = wasm_encoder::NameSection::new();
            names.module(name);
            module.section(&names);
        }
        module.finish()
    }

    #[test]
    fn units_are_named_by_the_component_then_themselves_then_their_index() {
        let modules = [module(Some("own")), module(Some("ignored")), module(None)];
        let bytes = component(&modules, Some(&[(1, "libc.so")]));
        assert!(is_component(&bytes));
        let units = code_units(&bytes).unwrap();
        let names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["own", "libc.so", "module 2"]);
        assert!(units.iter().all(|unit| unit.top_level));
        for (unit, module) in units.iter().zip(&modules) {
            assert_eq!(unit.bytes(&bytes), module.as_slice());
        }
    }

    #[test]
    fn equal_names_are_told_apart() {
        let modules = [module(Some("main")), module(Some("main"))];
        let units = code_units(&component(&modules, None)).unwrap();
        assert_eq!(units[0].name, "main");
        assert_eq!(units[1].name, "main (2)");
    }

    #[test]
    fn a_truncated_component_is_an_error() {
        let bytes = component(&[module(None)], None);
        assert!(code_units(&bytes[..bytes.len() - 3]).is_err());
        assert!(!is_component(&module(None)));
    }
}

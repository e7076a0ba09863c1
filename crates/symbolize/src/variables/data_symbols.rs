//! Data symbols for `<symbol+offset>` after pointers (`(int *) 0x1040 <counter>`,
//! `<inventory+64>`) and `info symbol`: gdb takes them from the ELF symbol table, which a wasm
//! module does not have, so they come from DWARF's global variables (a `DW_OP_addr` location,
//! a name and a type with a size), in every unit, namespaces included.

use gimli::{AttributeValue, UnitRef};

use super::die;
use super::types::{TypeRef, Types};
use crate::dwarf::Reader;

/// How deeply namespaces are searched for globals.
const MAX_NAMESPACE_DEPTH: usize = 16;

/// Global variables by address, and functions by module offset.
#[derive(Default)]
pub(crate) struct DataSymbols {
    /// (start, size, name), sorted by start.
    symbols: Vec<(u64, u64, String)>,
    /// Function bodies (module offsets) and names, sorted.
    functions: Vec<(std::ops::Range<u32>, String)>,
    /// By table index, the module offset of the function there (a C function pointer's value is
    /// its table index).
    table: Vec<Option<u32>>,
}

impl DataSymbols {
    /// Every global variable with an address in `dwarf`'s units, the module's `functions`, and
    /// its function table (module offsets by table index).
    pub(crate) fn read(
        dwarf: Option<&gimli::Dwarf<Reader>>,
        mut functions: Vec<(std::ops::Range<u32>, String)>,
        table: Vec<Option<u32>>,
    ) -> DataSymbols {
        functions.sort_by_key(|(body, _)| body.start);
        let mut symbols = Vec::new();
        let Some(dwarf) = dwarf else {
            return DataSymbols {
                symbols,
                functions,
                table,
            };
        };
        let mut headers = dwarf.units();
        while let Ok(Some(header)) = headers.next() {
            let Ok(unit) = dwarf.unit(header) else {
                continue;
            };
            let unit = unit.unit_ref(dwarf);
            if let Ok(mut tree) = unit.entries_tree(None) {
                if let Ok(root) = tree.root() {
                    collect(unit, root, "", 0, &mut symbols);
                }
            }
        }
        symbols.sort();
        symbols.dedup_by_key(|(start, _, _)| *start);
        DataSymbols {
            symbols,
            functions,
            table,
        }
    }

    /// `twice` for a function pointer: its value is a table index (as the guest's own function
    /// pointers are), else a module offset (as `&area` evaluates to).
    pub(crate) fn function_pointer_label(&self, value: u64) -> Option<String> {
        let in_table = usize::try_from(value)
            .ok()
            .and_then(|index| self.table.get(index).copied().flatten());
        self.code_label(in_table.map_or(value, u64::from))
    }

    /// `area`, `sum_list+34`: the function whose code a module offset is in.
    pub(crate) fn code_label(&self, offset: u64) -> Option<String> {
        let offset = u32::try_from(offset).ok()?;
        let at = self
            .functions
            .partition_point(|(body, _)| body.start <= offset);
        let (body, name) = self.functions.get(at.checked_sub(1)?)?;
        match offset - body.start {
            0 => Some(name.clone()),
            delta if offset < body.end => Some(format!("{name}+{delta}")),
            _ => None,
        }
    }

    /// `counter`, `inventory+64`: the global `address` is in.
    pub(crate) fn label(&self, address: u64) -> Option<String> {
        let at = self
            .symbols
            .partition_point(|(start, _, _)| *start <= address);
        let (start, size, name) = self.symbols.get(at.checked_sub(1)?)?;
        let offset = address - start;
        match offset {
            0 => Some(name.clone()),
            _ if offset < *size => Some(format!("{name}+{offset}")),
            _ => None,
        }
    }
}

fn collect(
    unit: UnitRef<'_, Reader>,
    node: gimli::EntriesTreeNode<'_, '_, Reader>,
    path: &str,
    depth: usize,
    symbols: &mut Vec<(u64, u64, String)>,
) {
    let mut children = node.children();
    while let Ok(Some(child)) = children.next() {
        let entry = child.entry();
        match entry.tag() {
            gimli::DW_TAG_variable => {
                if let Some((address, size, name)) = global(unit, entry) {
                    symbols.push((address, size, format!("{path}{name}")));
                }
            }
            gimli::DW_TAG_namespace if depth < MAX_NAMESPACE_DEPTH => {
                let inner = match die::own_name(unit, entry) {
                    Some(ns) => format!("{path}{ns}::"),
                    None => path.to_string(),
                };
                collect(unit, child, &inner, depth + 1, symbols);
            }
            _ => {}
        }
    }
}

/// A variable DIE's address (its location is exactly `DW_OP_addr A`), size and name.
fn global(unit: UnitRef<'_, Reader>, entry: &die::Entry) -> Option<(u64, u64, String)> {
    let AttributeValue::Exprloc(expression) = entry.attr_value(gimli::DW_AT_location)? else {
        return None;
    };
    let mut operations = expression.operations(unit.encoding());
    let gimli::Operation::Address { address } = operations.next().ok()?? else {
        return None;
    };
    if operations.next().ok()?.is_some() {
        return None;
    }
    let name = die::name(unit, entry)?;
    let ty = die::inherited(unit, entry, gimli::DW_AT_type).ok()??;
    let offset = die::reference(unit, &ty)?;
    let types = Types::new(Some(unit));
    let size = types
        .resolve(&TypeRef::Die(offset))
        .and_then(|ty| types.size_of(&ty))
        .ok()?;
    Some((address, size.max(1), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_labelled_by_the_global_or_function_holding_them() {
        let symbols = DataSymbols {
            symbols: vec![
                (0x1000, 4, "counter".into()),
                (0x1010, 64, "inventory".into()),
            ],
            functions: vec![(0x199..0x220, "area".into())],
            table: vec![None, Some(0x199)],
        };
        // A function pointer's value is a table index; `&area` is a module offset.
        assert_eq!(symbols.function_pointer_label(1).as_deref(), Some("area"));
        assert_eq!(
            symbols.function_pointer_label(0x199).as_deref(),
            Some("area")
        );
        assert_eq!(symbols.function_pointer_label(0), None);
        // Functions by module offset, apart from data addresses.
        assert_eq!(symbols.code_label(0x199).as_deref(), Some("area"));
        assert_eq!(symbols.code_label(0x1a7).as_deref(), Some("area+14"));
        assert_eq!(symbols.code_label(0x220), None);
        assert_eq!(symbols.label(0x1000).as_deref(), Some("counter"));
        assert_eq!(symbols.label(0x1030).as_deref(), Some("inventory+32"));
        // Between globals, past the last one and before the first: nothing.
        assert_eq!(symbols.label(0x1004), None);
        assert_eq!(symbols.label(0x1010 + 64), None);
        assert_eq!(symbols.label(0x10), None);
    }
}

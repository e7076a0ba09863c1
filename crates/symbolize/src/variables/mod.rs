//! Source variables for the debugger: which are visible at a pc, where DWARF says they are, and
//! how they print (gdb-style).
//!
//! The debugger hands over a stopped frame as a [`FrameState`] (wasm locals, globals, operand
//! stack and linear memory); [`ModuleSymbols::variables`] lists what is in scope,
//! [`ModuleSymbols::format_variable`] prints one, [`ModuleSymbols::evaluate`] runs a `print`
//! expression.
//!
//! # Supported
//!
//! Locations: `DW_OP_WASM_location` (locals, globals, operand stack), `DW_OP_fbreg` against the
//! function's `DW_AT_frame_base`, `DW_OP_addr`, `DW_OP_stack_value`, `DW_OP_piece`, arithmetic,
//! location lists, `DW_AT_const_value`. Types: C base types, pointers, typedefs, qualifiers,
//! structs, unions, classes (base classes, bit fields), arrays, enums; Rust structs, tuples, enums
//! with data (`DW_TAG_variant_part`), `&str`, slices, `String`, `Vec`. Not supported: DWARF
//! registers (not used by wasm), `DW_OP_entry_value`, implicit pointers, type units, globals
//! defined in another compilation unit than the pc's, Rust `HashMap` and other std
//! collections (they print field by field). Rust aggregates are named as rustc names them, without
//! their module path (`Range<u64>`, not `core::ops::range::Range<u64>`).
//!
//! # Errors
//!
//! Malformed DWARF or unreadable memory never panics: listing yields fewer variables, printing
//! yields `<error: …>` in place of the value that could not be read, `<optimized out>` where the
//! DWARF has no location for the pc.
//!
//! # Cost
//!
//! Every call walks the DIEs of the pc's function (and, for `evaluate` of a global, its unit's
//! top level) and loads the types it prints, cached for that call only. That is microseconds
//! to milliseconds: fine for a debugger stop, not meant for a profiler's hot path.

mod arith;
mod cast;
mod class_type;
mod data_symbols;
mod die;
mod error;
mod eval;
mod expr;
mod format;
mod libcxx;
mod location;
mod names;
mod read_type;
mod rust;
mod scope;
mod text;
mod types;
mod value;

use std::rc::Rc;

use gimli::{AttributeValue, DebugInfoOffset, UnitRef};

use crate::dwarf::{Dwarf, Reader};
use crate::ModuleSymbols;
pub(crate) use data_symbols::DataSymbols;
use error::{EvalError, EvalResult};
use format::{integer, Printer};
use location::Piece;
use scope::Found;
use types::{Language, Type, Types, MAX_VALUE_SIZE};
use value::{Place, Value};

/// A wasm value as the debugger reads it from a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WasmValue {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`.
    F32(f32),
    /// An `f64`.
    F64(f64),
}

/// What a stopped frame lets the evaluator read. Implemented by the debugger.
pub trait FrameState {
    /// Wasm local `index` of this frame (parameters first).
    fn local(&self, index: u32) -> Option<WasmValue>;
    /// Wasm global `index` of the frame's instance (e.g. `__stack_pointer` is usually global 0).
    fn global(&self, index: u32) -> Option<WasmValue>;
    /// Operand stack slot `index` (0 = bottom).
    fn stack(&self, index: u32) -> Option<WasmValue>;
    /// `len` bytes of linear memory 0 at `address`; None when out of bounds.
    fn memory(&self, address: u64, len: usize) -> Option<Vec<u8>>;
    /// Which source frame at this wasm frame's pc expressions see: 0 the innermost inlined
    /// call, 1 the function it is inlined into, … (gdb's `up` into an inlined caller).
    fn inline_depth(&self) -> usize {
        0
    }
    /// Writes `bytes` to linear memory 0 at `address` (`set var`); false when it cannot.
    fn write_memory(&self, address: u64, bytes: &[u8]) -> bool {
        let _ = (address, bytes);
        false
    }
}

/// The largest value a watchpoint watches (every instruction compares it).
const MAX_WATCHED_BYTES: u64 = 4096;

/// A source variable visible at a pc.
#[derive(Debug, Clone)]
pub struct Variable {
    /// The name in the source.
    pub name: String,
    /// True for a function parameter.
    pub is_parameter: bool,
    /// The type as gdb names it (`struct Point`, `char *`, `int [4]`, `&str`).
    pub type_name: String,
    /// A structure, union, class or array: gdb shows it as `...` among a frame's arguments.
    pub is_aggregate: bool,
    handle: Handle,
}

/// Where to find a variable's DIE data again when it is printed.
#[derive(Debug, Clone)]
struct Handle {
    unit: DebugInfoOffset<usize>,
    found: Found,
    frame_base: Option<AttributeValue<Reader>>,
}

/// gdb's answer when there is no DWARF at all.
const NO_SYMBOLS: &str = "No symbol table is loaded.  Use the \"file\" command.";

impl ModuleSymbols {
    /// The addr2line context and the raw DWARF, when DWARF is used.
    /// The module's global variables by address and functions by offset (read once).
    fn data_symbols(&self) -> Option<&DataSymbols> {
        Some(self.data_symbols.get_or_init(|| {
            let functions = self
                .function_bodies()
                .map(|(index, body)| (body, self.symbol_name(index)))
                .collect();
            let table = self
                .layout
                .table_functions
                .iter()
                .map(|index| Some(self.function_body(index.as_ref().copied()?)?.start))
                .collect();
            // Without DWARF, functions still have names (and globals none).
            DataSymbols::read(
                self.debug_sections().map(|(_, dwarf)| dwarf),
                functions,
                table,
            )
        }))
    }

    /// `area`, `sum_list+34`: the function module offset `offset` is in, as gdb labels code.
    pub fn code_symbol(&self, offset: u32) -> Option<String> {
        self.data_symbols()?.code_label(u64::from(offset))
    }

    /// `counter`, `inventory+64`: the global variable `address` is in, as gdb labels a pointer.
    pub fn data_symbol(&self, address: u64) -> Option<String> {
        self.data_symbols()?.label(address)
    }

    fn debug_sections(&self) -> Option<(&addr2line::Context<Reader>, &gimli::Dwarf<Reader>)> {
        match &self.dwarf {
            Dwarf::Usable(context, dwarf) => Some((context, dwarf)),
            _ => None,
        }
    }

    /// Parameters and locals visible at module-file offset `pc`, for the innermost source frame
    /// (an inlined function's own variables when pc is inside an inlined call): parameters in
    /// declaration order, then locals, innermost lexical block first. Empty when there is no
    /// DWARF.
    pub fn variables(&self, pc: u32) -> Vec<Variable> {
        self.variables_at_depth(pc, 0)
    }

    /// Same for one of the inlined frames at pc: depth 0 = innermost (as `lookup(pc)[0]`).
    pub fn variables_at_depth(&self, pc: u32, depth: usize) -> Vec<Variable> {
        let Some((context, _)) = self.debug_sections() else {
            return Vec::new();
        };
        let Some(address) = self.dwarf_address(pc) else {
            return Vec::new();
        };
        let Some(unit) = context.find_dwarf_and_unit(address).skip_all_loads() else {
            return Vec::new();
        };
        let functions = scope::function_dies(context, address);
        let Ok(Some(scope)) = scope::scope(unit, &functions, depth, address) else {
            return Vec::new();
        };
        let types = Types::new(Some(unit));
        let unit_offset = DebugInfoOffset(unit.header.offset().0);
        scope
            .variables
            .into_iter()
            .map(|found| Variable {
                name: found.name.clone(),
                is_parameter: found.is_parameter,
                type_name: types
                    .resolve(&found.ty.into())
                    .map(|ty| types.name(&ty))
                    .unwrap_or_else(|err| err.placeholder()),
                is_aggregate: types
                    .resolve(&found.ty.into())
                    .is_ok_and(|ty| is_aggregate(&types, &ty)),
                handle: Handle {
                    unit: unit_offset,
                    found,
                    frame_base: scope.frame_base.clone(),
                },
            })
            .collect()
    }

    /// Evaluates and formats a variable gdb-style, e.g. `42`, `0x1040 "hello"`,
    /// `{x = 2, y = 3}`, `{10, 20, 30, 40}`, `BLUE`, `<optimized out>` (only where the DWARF has
    /// no location for pc), `<error: …>` where something could not be read.
    pub fn format_variable(&self, pc: u32, variable: &Variable, frame: &dyn FrameState) -> String {
        let address = self.dwarf_address(pc);
        let handle = &variable.handle;
        self.with_unit(address, handle.unit, |unit| {
            let types = Types::new(Some(unit));
            let printer = Printer::new(&types, frame).with_data_symbols(self.data_symbols());
            match read_variable(
                &types,
                &handle.found,
                handle.frame_base.as_ref(),
                address,
                frame,
            ) {
                Ok(value) => printer.top(&value),
                Err(err) => err.placeholder(),
            }
        })
        .unwrap_or_else(|| "<error: the variable's debug info is not readable>".to_string())
    }

    /// Evaluates a `print` expression at pc: a variable name, `a.b`, `p->next->value`, `a[2]`,
    /// `*p`, `&x`, integer literals; returns (type name, formatted value) or a one-line error
    /// message such as `No symbol "foo" in current context.` (gdb's wording).
    pub fn evaluate(
        &self,
        pc: u32,
        expression: &str,
        frame: &dyn FrameState,
    ) -> Result<(String, String), String> {
        self.evaluate_formatted(pc, expression, frame, None)
    }

    /// [`ModuleSymbols::evaluate`] for `print/FMT`: integers, characters, enums and pointers shown
    /// in `format` (`x` hex, `z` zero-padded hex, `o` octal, `t` binary, `d` signed, `u` unsigned,
    /// `c` character, `a` address), inside structures and arrays too.
    pub fn evaluate_formatted(
        &self,
        pc: u32,
        expression: &str,
        frame: &dyn FrameState,
        format: Option<char>,
    ) -> Result<(String, String), String> {
        self.evaluate_with(pc, expression, frame, format, |types, printer, value, _| {
            check_readable(types, value, frame).map_err(message)?;
            Ok((types.name(&value.ty), printer.top(value)))
        })?
    }

    /// Where `expression`'s value lives in linear memory, how many bytes it has, and whether it
    /// names a local (the watch ends with the frame), for a watchpoint (`watch total`); an
    /// error for a value in a wasm local or computed.
    pub fn watch_range(
        &self,
        pc: u32,
        expression: &str,
        frame: &dyn FrameState,
    ) -> Result<(u64, u64, bool), String> {
        self.evaluate_with(pc, expression, frame, None, |types, _, value, local| {
            let Place::Memory(address) = value.place else {
                return Err(format!(
                    "Cannot watch `{expression}': it is not in linear memory (wasm locals and computed values cannot be watched)."
                ));
            };
            let size = types.size_of(&value.ty).map_err(message)?;
            match size {
                1..=MAX_WATCHED_BYTES => Ok((address, size, local)),
                _ => Err(format!("Cannot watch `{expression}': {size} bytes.")),
            }
        })?
    }

    /// The address `expression` stands for (`info symbol`): a pointer's or an integer's value, or
    /// a function's module offset.
    pub fn evaluate_address(
        &self,
        pc: u32,
        expression: &str,
        frame: &dyn FrameState,
    ) -> Result<u64, String> {
        self.evaluate_with(pc, expression, frame, None, |types, printer, value, _| {
            if let Ok(types::Type::Function { .. }) = types.strip(&value.ty).as_deref() {
                return value.address().ok_or_else(|| "Invalid number.".to_string());
            }
            eval::scalar(printer, value)
                .map(|operand| operand.value as u64)
                .map_err(message)
        })?
    }

    /// A breakpoint condition at pc: whether `expression` is true as C tests it (nonzero).
    pub fn condition_holds(
        &self,
        pc: u32,
        expression: &str,
        frame: &dyn FrameState,
    ) -> Result<bool, String> {
        self.evaluate_with(pc, expression, frame, None, |_, printer, value, _| {
            eval::is_true(printer, value).map_err(message)
        })?
    }

    /// gdb's `ptype EXPR`: the expression's type with a structure's, union's or enum's body
    /// spelled out (`struct Point {\n    int x;\n    int y;\n}`).
    pub fn ptype(
        &self,
        pc: u32,
        expression: &str,
        frame: &dyn FrameState,
    ) -> Result<String, String> {
        self.evaluate_with(pc, expression, frame, None, |types, _, value, _| {
            types.ptype(&value.ty)
        })
    }

    /// `ptype TYPE` and `whatis TYPE` for a type name (`struct Point`, `uint`): the body spelled
    /// out (`expand`), or the name with one typedef unrolled, as gdb's `whatis` shows a type
    /// name. `None` when `text` is not a type name.
    pub fn describe_type(
        &self,
        pc: u32,
        text: &str,
        expand: bool,
    ) -> Option<Result<String, String>> {
        let name = expr::parse_type(text)?;
        let (context, _) = self.debug_sections()?;
        let address = self.dwarf_address(pc);
        let unit = address.and_then(|a| context.find_dwarf_and_unit(a).skip_all_loads());
        let types = Types::new(unit);
        let described = cast::resolve_in(&types, &name).and_then(|ty| match expand {
            true => Ok(types.ptype(&ty)),
            false => match &*ty {
                types::Type::Typedef { target, .. } if name.pointers == 0 => {
                    types.resolve(target).map(|target| types.name(&target))
                }
                _ => Ok(types.name(&ty)),
            },
        });
        Some(described.map_err(message))
    }

    /// Evaluates `expression` at pc and hands the value, its unit's types, a printer and whether
    /// the expression named a local variable (or a member of `this`) to `f`.
    fn evaluate_with<R>(
        &self,
        pc: u32,
        expression: &str,
        frame: &dyn FrameState,
        format: Option<char>,
        f: impl FnOnce(&Types<'_>, &Printer<'_, '_>, &Value, bool) -> R,
    ) -> Result<R, String> {
        let Some((context, _)) = self.debug_sections() else {
            return Err(NO_SYMBOLS.to_string());
        };
        let parsed = expr::parse(expression)?;
        let address = self.dwarf_address(pc);
        let unit = address.and_then(|a| context.find_dwarf_and_unit(a).skip_all_loads());
        let scope = match (unit, address) {
            (Some(unit), Some(address)) => {
                let functions = scope::function_dies(context, address);
                scope::scope(unit, &functions, frame.inline_depth(), address)
                    .ok()
                    .flatten()
            }
            _ => None,
        };
        let types = Types::new(unit);
        let printer = Printer::new(&types, frame)
            .with_data_symbols(self.data_symbols())
            .with_format(format);
        let used_local = std::cell::Cell::new(false);
        let local = |name: &str| -> Option<EvalResult<Value>> {
            let scope = scope.as_ref()?;
            let found = scope.find(name)?;
            used_local.set(true);
            Some(read_variable(
                &types,
                found,
                scope.frame_base.as_ref(),
                address,
                frame,
            ))
        };
        let lookup = |name: &str| -> EvalResult<Value> {
            if let Some(value) = local(name) {
                return value;
            }
            // Inside a method the class's members are in scope, as `this->name` (C++'s lookup
            // order: block scopes, then the class, then namespaces).
            if name != "this" && local("this").is_some() {
                if let Ok(member) = expr::parse(&format!("this->{name}")) {
                    let this = |n: &str| match n {
                        "this" => local("this").unwrap_or_else(|| {
                            Err(EvalError::User(
                                "No symbol \"this\" in current context.".into(),
                            ))
                        }),
                        _ => Err(EvalError::User(format!(
                            "No symbol \"{n}\" in current context."
                        ))),
                    };
                    if let Ok(value) = eval::evaluate(&member, &printer, &this) {
                        return Ok(value);
                    }
                }
            }
            match unit
                .map(|unit| scope::global(unit, name))
                .transpose()?
                .flatten()
            {
                Some(found) => read_variable(&types, &found, None, address, frame),
                None => match unit.and_then(|unit| scope::function(unit, name)) {
                    // A function is its code: its "address" is its module offset, as breakpoint
                    // addresses are.
                    Some((offset, low_pc)) => Ok(Value {
                        ty: types.resolve(&types::TypeRef::Die(offset))?,
                        place: Place::Memory(low_pc + u64::from(self.code_start())),
                    }),
                    None => Err(EvalError::User(format!(
                        "No symbol \"{name}\" in current context."
                    ))),
                },
            }
        };
        let value = eval::evaluate(&parsed, &printer, &lookup).map_err(message)?;
        Ok(f(&types, &printer, &value, used_local.get()))
    }

    /// Formats `value`, what the function containing `callee_pc` returned, with its DWARF return
    /// type (for `finish`'s `Value returned is $N = …`); for a C aggregate, `value` is the hidden
    /// result pointer the caller passed. `None` when the function returns nothing (`void`) or has
    /// no DWARF.
    pub fn format_return_value(
        &self,
        callee_pc: u32,
        value: WasmValue,
        frame: &dyn FrameState,
    ) -> Option<String> {
        let (context, _) = self.debug_sections()?;
        let address = self.dwarf_address(callee_pc)?;
        let unit = context.find_dwarf_and_unit(address).skip_all_loads()?;
        let physical = (*scope::function_dies(context, address).last()?)?;
        let entry = unit.entry(physical).ok()?;
        let link = types::type_link(unit, &entry);
        if matches!(link, types::TypeLink::Void) {
            return None;
        }
        let types = Types::new(Some(unit));
        let ty = types.resolve(&link.into()).ok()?;
        let printer = Printer::new(&types, frame).with_data_symbols(self.data_symbols());
        if types.language() != Language::Rust && held_by_address(&types, &ty).ok()? {
            // Returned through the hidden result pointer `value` (see `held_by_address`).
            let WasmValue::I32(address) = value else {
                return None;
            };
            let place = Place::Memory(u64::from(address as u32));
            return Some(printer.top(&Value { ty, place }));
        }
        let size = usize::try_from(types.size_of(&ty).ok()?).ok()?;
        let mut bytes = match value {
            WasmValue::I32(v) => v.to_le_bytes().to_vec(),
            WasmValue::I64(v) => v.to_le_bytes().to_vec(),
            WasmValue::F32(v) => v.to_le_bytes().to_vec(),
            WasmValue::F64(v) => v.to_le_bytes().to_vec(),
        };
        if size > bytes.len() {
            return None;
        }
        bytes.truncate(size);
        Some(printer.top(&Value::from_bytes(ty, bytes)))
    }

    /// Runs `f` on unit `offset`: the unit addr2line already parsed for `address` when it is
    /// that one, else the unit parsed afresh.
    fn with_unit<T>(
        &self,
        address: Option<u64>,
        offset: DebugInfoOffset<usize>,
        f: impl FnOnce(UnitRef<'_, Reader>) -> T,
    ) -> Option<T> {
        let (context, dwarf) = self.debug_sections()?;
        if let Some(unit) = address.and_then(|a| context.find_dwarf_and_unit(a).skip_all_loads()) {
            if unit.header.offset().0 == offset.0 {
                return Some(f(unit));
            }
        }
        let header = dwarf.debug_info.header_from_offset(offset).ok()?;
        let unit = dwarf.unit(header).ok()?;
        Some(f(unit.unit_ref(dwarf)))
    }
}

/// The one-line message for an expression that failed (gdb's wording where gdb has one).
fn message(err: EvalError) -> String {
    match err {
        EvalError::User(message) => message,
        EvalError::OptimizedOut => "value has been optimized out".to_string(),
        other => other.to_string(),
    }
}

/// gdb refuses to print a value whose memory cannot be read at all.
fn check_readable(types: &Types<'_>, value: &Value, frame: &dyn FrameState) -> EvalResult<()> {
    let Some(address) = value.address() else {
        return Ok(());
    };
    let ty = types.strip(&value.ty)?;
    if matches!(&*ty, Type::Function { .. } | Type::Void) {
        return Ok(());
    }
    let Ok(size) = types.size_of(&ty) else {
        return Ok(());
    };
    let size = size.clamp(1, MAX_VALUE_SIZE);
    match frame.memory(address, size as usize) {
        Some(bytes) if bytes.len() as u64 == size => Ok(()),
        _ => Err(EvalError::Memory(address)),
    }
}

/// The value of a variable at DWARF address `address`.
fn read_variable(
    types: &Types<'_>,
    found: &Found,
    frame_base: Option<&AttributeValue<Reader>>,
    address: Option<u64>,
    frame: &dyn FrameState,
) -> EvalResult<Value> {
    let unit = types
        .unit()
        .ok_or_else(|| EvalError::unsupported("variable outside any unit"))?;
    let ty = types.resolve(&found.ty.into())?;
    if let Some(constant) = &found.const_value {
        return constant_value(types, ty, constant);
    }
    let unavailable = |ty| Value {
        ty,
        place: Place::Unavailable,
    };
    let Some(location) = &found.location else {
        return Ok(unavailable(ty));
    };
    let Some(expression) = location::expression_at(unit, location, address)? else {
        return Ok(unavailable(ty));
    };
    if expression.0.is_empty() {
        return Ok(unavailable(ty));
    }
    let mut base = || frame_base_value(unit, frame_base, address, frame);
    let pieces = location::evaluate(unit, &expression, frame, &mut base)?;
    if let [(Piece::Value(bytes), None)] = pieces.as_slice() {
        if types.language() != Language::Rust && held_by_address(types, &ty)? {
            let address = integer(&bytes[..bytes.len().min(8)], false) as u64;
            return Ok(Value {
                ty,
                place: Place::Memory(address),
            });
        }
    }
    Ok(Value {
        ty,
        place: value::place(pieces, frame)?,
    })
}

/// A structure, union, class or array, or a C++ reference to one (gdb's `print
/// frame-arguments scalars` shows them all as `...`).
fn is_aggregate(types: &Types<'_>, ty: &Rc<Type>) -> bool {
    let Ok(ty) = types.strip(ty) else {
        return false;
    };
    match &*ty {
        Type::Struct(_) | Type::Array { .. } => true,
        Type::Pointer(pointer) if pointer.kind != types::PointerKind::Pointer => types
            .resolve(&pointer.pointee)
            .and_then(|pointee| types.strip(&pointee))
            .is_ok_and(|pointee| matches!(&*pointee, Type::Struct(_) | Type::Array { .. })),
        _ => false,
    }
}

/// Whether a C or C++ object of type `ty` whose location is a wasm local is held there by address:
/// wasm32's C ABI passes an aggregate by value through a pointer (clang's DWARF then names the
/// local holding the pointer as the parameter's location), except a record of a single scalar,
/// which travels as that scalar.
fn held_by_address(types: &Types<'_>, ty: &Rc<Type>) -> EvalResult<bool> {
    let ty = types.strip(ty)?;
    Ok(matches!(&*ty, Type::Struct(_) | Type::Array { .. }) && scalars(types, &ty, 0)? > 1)
}

/// How many scalars make up `ty` (counting stops past 2: only "one or more" matters).
fn scalars(types: &Types<'_>, ty: &Rc<Type>, depth: usize) -> EvalResult<u64> {
    if depth > 16 {
        return Ok(2);
    }
    let ty = types.strip(ty)?;
    Ok(match &*ty {
        Type::Struct(s) => {
            let mut count = 0;
            for member in &s.members {
                count += scalars(types, &types.resolve(&member.ty)?, depth + 1)?;
                if count > 1 {
                    break;
                }
            }
            count
        }
        Type::Array { element, count } => {
            let each = scalars(types, &types.resolve(element)?, depth + 1)?;
            each.saturating_mul(count.unwrap_or(2))
        }
        Type::Void | Type::Function { .. } => 0,
        _ => 1,
    })
}

/// The frame base (`DW_AT_frame_base`) of the function, for `DW_OP_fbreg`.
fn frame_base_value(
    unit: UnitRef<'_, Reader>,
    frame_base: Option<&AttributeValue<Reader>>,
    address: Option<u64>,
    frame: &dyn FrameState,
) -> EvalResult<u64> {
    let attribute = frame_base
        .ok_or_else(|| EvalError::unsupported("DW_OP_fbreg in a function without a frame base"))?;
    let expression =
        location::expression_at(unit, attribute, address)?.ok_or(EvalError::OptimizedOut)?;
    let mut no_base = || {
        Err(EvalError::unsupported(
            "frame base defined in terms of itself",
        ))
    };
    let pieces = location::evaluate(unit, &expression, frame, &mut no_base)?;
    match pieces.as_slice() {
        [(Piece::Memory(address), None)] => Ok(*address),
        [(Piece::Value(bytes), None)] => Ok(integer(&bytes[..bytes.len().min(8)], false) as u64),
        _ => Err(EvalError::unsupported(
            "frame base is not a single location",
        )),
    }
}

/// A variable the compiler replaced by a constant (`DW_AT_const_value`).
fn constant_value(
    types: &Types<'_>,
    ty: std::rc::Rc<Type>,
    constant: &AttributeValue<Reader>,
) -> EvalResult<Value> {
    use gimli::Reader as _;
    let size = types.size_of(&ty).unwrap_or(8).clamp(1, 16) as usize;
    let bytes = match constant {
        AttributeValue::Block(data) => data.to_slice()?.into_owned(),
        AttributeValue::Sdata(v) => i128::from(*v).to_le_bytes()[..size].to_vec(),
        other => match other.udata_value() {
            Some(v) => u128::from(v).to_le_bytes()[..size].to_vec(),
            None => return Err(EvalError::unsupported("constant of an unknown form")),
        },
    };
    Ok(Value::from_bytes(ty, bytes))
}

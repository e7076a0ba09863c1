//! Guests: core modules and components. What differs between the kinds is only how a guest's
//! code units are found in compiled code, and how it is linked, instantiated and entered
//! ([`module`]: WASI preview 1, `_start` or `--invoke`; [`component`]: WASI 0.2, `wasi:cli/run`).
//! Sampling, supervision, tracing and fuel are shared ([`crate::run`]).

pub(crate) mod component;
pub(crate) mod module;

use std::ops::Range;
use std::sync::Arc;

use wobs_events::{ProbeMap, RawFrame};

use crate::engine::CallSites;
use crate::run::{consumed, GuestWasi, Host};
use crate::tracer::Tracer;
use crate::{CompiledComponent, CompiledModule};

/// A program compiled to run.
#[derive(Clone)]
pub enum CompiledGuest {
    /// Core modules: the main one first, then the `--preload`s, linked under their names. Each
    /// is one code unit.
    Modules(Vec<CompiledModule>),
    /// A component: its code units are its nested core modules.
    Component(CompiledComponent),
}

impl CompiledGuest {
    /// Each code unit's `wobs.map`, when it was instrumented.
    pub fn probes(&self) -> Vec<Option<Arc<ProbeMap>>> {
        match self {
            CompiledGuest::Modules(modules) => modules.iter().map(|m| m.probes.clone()).collect(),
            CompiledGuest::Component(component) => component.probes.clone(),
        }
    }

    /// Per code unit: what names the host function a call site calls.
    pub(crate) fn call_sites(&self) -> Vec<Arc<CallSites>> {
        match self {
            CompiledGuest::Modules(modules) => modules.iter().map(|m| m.calls.clone()).collect(),
            CompiledGuest::Component(component) => component.calls.clone(),
        }
    }

    /// Where the code units' compiled code is.
    pub(crate) fn code(&self) -> GuestCode {
        match self {
            CompiledGuest::Modules(modules) => {
                GuestCode::Modules(modules.iter().map(|m| m.module.clone()).collect())
            }
            CompiledGuest::Component(component) => GuestCode::Component {
                component: component.component.clone(),
                ranges: component.ranges.clone(),
            },
        }
    }
}

/// What a store's data gives the probes of an instrumented component.
pub(crate) trait ProbeHost: Sized + Send + 'static {
    /// The tracer the probes report to, when there is one.
    fn tracer(&mut self) -> Option<&mut Tracer>;
    /// Now, on the probes' clock.
    fn probe_now(cx: &wasmtime::StoreContextMut<'_, Self>) -> u64;
    /// Samples the guest's stack from inside a probe when a tick is due.
    fn sample_if_due(cx: &mut wasmtime::StoreContextMut<'_, Self>);
}

impl ProbeHost for Host {
    fn tracer(&mut self) -> Option<&mut Tracer> {
        Some(&mut self.tracer)
    }

    fn probe_now(cx: &wasmtime::StoreContextMut<'_, Self>) -> u64 {
        probe_now(cx)
    }

    fn sample_if_due(cx: &mut wasmtime::StoreContextMut<'_, Self>) {
        sample_if_due(cx)
    }
}

/// A served request's store: spans only, on the wall clock; its samples are taken at epoch
/// checks, not in probes.
impl ProbeHost for GuestWasi {
    fn tracer(&mut self) -> Option<&mut Tracer> {
        self.probes.as_deref_mut()
    }

    fn probe_now(cx: &wasmtime::StoreContextMut<'_, Self>) -> u64 {
        cx.data().probes.as_ref().map_or(0, |t| t.elapsed())
    }

    fn sample_if_due(_: &mut wasmtime::StoreContextMut<'_, Self>) {}
}

/// The probes' clock: fuel consumed when the engine counts it, else ns since the guest started.
pub(crate) fn probe_now(cx: &impl wasmtime::AsContext<Data = Host>) -> u64 {
    let cx = cx.as_context();
    match cx.data().fuel {
        true => consumed(cx.get_fuel().ok()),
        false => cx.data().tracer.elapsed(),
    }
}

/// Samples the guest's stack from inside a probe when a tick is due: the probe's caller is the
/// probed function, so the sample lands exactly where the guest is.
pub(crate) fn sample_if_due(cx: &mut impl wasmtime::AsContextMut<Data = Host>) {
    if cx.as_context().data().sampler.tick_due() {
        let trace = wasmtime::WasmBacktrace::capture(cx.as_context());
        let mut cx = cx.as_context_mut();
        let host = cx.data_mut();
        let span = host.tracer.sample_span();
        host.sampler.record_at_probe(&trace, span);
    }
}

/// The compiled code of a guest: turns wasmtime's frames, and program counters, into code units
/// and offsets in them.
#[derive(Clone)]
pub(crate) enum GuestCode {
    /// One compiled module per code unit.
    Modules(Vec<wasmtime::Module>),
    /// One compiled text for every unit; its wasm offsets are offsets in the component's bytes,
    /// `ranges` says which unit holds each.
    Component {
        component: wasmtime::component::Component,
        ranges: Arc<Vec<Range<usize>>>,
    },
}

/// One stretch of compiled code and how its wasm offsets name code units.
pub(crate) struct CodeText<'a> {
    /// The machine code.
    pub text: &'a [u8],
    /// Text offset → wasm offset runs, as wasmtime's `address_map` gives them.
    pub address_map: Vec<(usize, Option<u32>)>,
    /// Compiled functions' `[start, end)` text offsets.
    pub functions: Vec<(usize, usize)>,
    /// How a wasm offset of this text becomes a frame.
    pub units: Units,
}

impl<'a> CodeText<'a> {
    /// From what wasmtime says of a module's or a component's compiled code.
    fn new(
        text: &'a [u8],
        address_map: Option<impl Iterator<Item = (usize, Option<u32>)>>,
        functions: impl Iterator<Item = wasmtime::ModuleFunction>,
        units: Units,
    ) -> CodeText<'a> {
        CodeText {
            text,
            address_map: address_map.map(Iterator::collect).unwrap_or_default(),
            functions: functions.map(|f| (f.offset, f.offset + f.len)).collect(),
            units,
        }
    }
}

/// How the wasm offsets of one compiled text name code units.
#[derive(Clone)]
pub(crate) enum Units {
    /// All of it is this unit's, offsets as they are.
    One(u32),
    /// Offsets are in a component's bytes; the unit is the range that holds the offset.
    Ranges(Arc<Vec<Range<usize>>>),
}

impl Units {
    /// The frame at wasm offset `offset`.
    pub fn frame(&self, offset: u32) -> Option<RawFrame> {
        match self {
            Units::One(module) => Some(RawFrame {
                module: *module,
                offset,
            }),
            Units::Ranges(ranges) => frame_in(ranges, offset),
        }
    }
}

/// The frame at offset `offset` of a component whose units are at `ranges` (sorted).
fn frame_in(ranges: &[Range<usize>], offset: u32) -> Option<RawFrame> {
    let at = offset as usize;
    let unit = ranges
        .partition_point(|range| range.start <= at)
        .checked_sub(1)?;
    let range = &ranges[unit];
    (at < range.end).then(|| RawFrame {
        module: unit as u32,
        offset: (at - range.start) as u32,
    })
}

impl GuestCode {
    /// Every stretch of compiled code with its maps (reading the maps takes a while: do it off
    /// the guest thread).
    pub fn texts(&self) -> Vec<CodeText<'_>> {
        match self {
            GuestCode::Modules(modules) => modules
                .iter()
                .enumerate()
                .map(|(index, module)| {
                    CodeText::new(
                        module.text(),
                        module.address_map(),
                        module.functions(),
                        Units::One(index as u32),
                    )
                })
                .collect(),
            GuestCode::Component { component, ranges } => vec![CodeText::new(
                component.text(),
                component.address_map(),
                component.functions(),
                Units::Ranges(ranges.clone()),
            )],
        }
    }

    /// Where each stretch of compiled code is in memory, `[start, end)`, in [`Self::texts`] order.
    pub fn text_ranges(&self) -> Vec<(usize, usize)> {
        let range = |text: &[u8]| (text.as_ptr() as usize, text.as_ptr() as usize + text.len());
        match self {
            GuestCode::Modules(modules) => modules.iter().map(|m| range(m.text())).collect(),
            GuestCode::Component { component, .. } => vec![range(component.text())],
        }
    }

    /// A wasmtime frame as a code unit and an offset in it; `None` for frames of code that is not
    /// this guest's, or without an address.
    pub fn raw_frame(&self, frame: &wasmtime::FrameInfo) -> Option<RawFrame> {
        match self {
            GuestCode::Modules(modules) => crate::invoke::raw_frame(modules, frame),
            GuestCode::Component { ranges, .. } => {
                frame_in(ranges, u32::try_from(frame.module_offset()?).ok()?)
            }
        }
    }
}

//! The `wobs.map` custom section as walrus emits it: the probe table is known before emission, the
//! offset map only once walrus has laid out the new code (`apply_code_transform`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use walrus::{CodeTransform, CustomSection, FunctionId, IdsToIndices};
use wobs_events::{MovedFunction, ProbeMap, PROBE_MAP_SECTION};

/// `wobs.map`, filled in during emission.
#[derive(Debug)]
pub(crate) struct MapSection {
    /// The map; offsets and function moves are filled in by `apply_code_transform`.
    pub map: ProbeMap,
    /// Each local function's body range in the original module.
    pub original_bodies: HashMap<FunctionId, Range<u32>>,
}

impl CustomSection for MapSection {
    fn name(&self) -> &str {
        PROBE_MAP_SECTION
    }

    fn data(&self, _ids: &IdsToIndices) -> Cow<'_, [u8]> {
        Cow::Owned(self.map.encode())
    }

    fn apply_code_transform(&mut self, transform: &CodeTransform) {
        // Instructions walrus parsed carry their original module offset as location; probe code
        // we inserted carries the default location and has no original.
        let pairs: Vec<(u32, u32)> = transform
            .instruction_map
            .iter()
            .filter(|(loc, _)| !loc.is_default())
            .filter_map(|(loc, new)| Some((u32::try_from(*new).ok()?, loc.data())))
            .collect();
        self.map.set_offsets(pairs);
        let mut functions: Vec<MovedFunction> = transform
            .function_ranges
            .iter()
            .filter_map(|(id, new)| {
                let old = self.original_bodies.get(id)?.clone();
                let new = u32::try_from(new.start).ok()?..u32::try_from(new.end).ok()?;
                Some(MovedFunction { new, old })
            })
            .collect();
        functions.sort_by_key(|f| f.new.start);
        self.map.functions = functions;
    }
}

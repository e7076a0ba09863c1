//! The `wobs.map` custom section as walrus emits it: the probe table is known before emission, the
//! offset map only once walrus has laid out the new code (`apply_code_transform`).

use std::borrow::Cow;

use walrus::{CodeTransform, CustomSection, IdsToIndices};
use wobs_events::{ProbeMap, PROBE_MAP_SECTION};

/// `wobs.map`, filled in during emission.
#[derive(Debug)]
pub(crate) struct MapSection(pub ProbeMap);

impl CustomSection for MapSection {
    fn name(&self) -> &str {
        PROBE_MAP_SECTION
    }

    fn data(&self, _ids: &IdsToIndices) -> Cow<'_, [u8]> {
        Cow::Owned(self.0.encode())
    }

    fn apply_code_transform(&mut self, transform: &CodeTransform) {
        // Instructions walrus parsed carry their original module offset as location; probe code
        // we inserted carries the default location and has no original.
        let mut offsets: Vec<(u32, u32)> = transform
            .instruction_map
            .iter()
            .filter(|(loc, _)| !loc.is_default())
            .filter_map(|(loc, new)| Some((u32::try_from(*new).ok()?, loc.data())))
            .collect();
        offsets.sort_unstable();
        self.0.offsets = offsets;
    }
}

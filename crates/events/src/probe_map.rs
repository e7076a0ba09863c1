//! The `wobs.map` custom section: what an instrumented module's probes mean.
//!
//! Written by `wobs-instrument`, read by the runtime (to name probe ids) and by symbolization (to map
//! offsets in the instrumented code back to the original module). Binary, little-endian, LEB128:
//!
//! ```text
//! magic "wobsmap" u8 version(=1) u8 abi(0 = wobs, 1 = observe, 2 = counted)
//! uleb probe_count  { uleb id  uleb name_len  name (utf-8)  uleb code_start  uleb code_end }*
//! uleb fn_count     { uleb new_start  uleb new_len  uleb old_start  uleb old_len }*
//! uleb run_count    { uleb (new_offset - previous new_offset)  sleb (shift - previous shift) }*
//!                   where shift = old_offset - new_offset
//! [uleb original_code_start]   (absent in maps written before it existed)
//! ```
//! Probe ids are original function indices; code ranges and offsets are module-file offsets.
//! Offsets are run-length encoded: an entry starts a run of instructions that all moved by the
//! same amount, which keeps the map to a few bytes per function (a 69 MB module: ~1 MB).

/// Name of the custom section.
pub const PROBE_MAP_SECTION: &str = "wobs.map";
/// Prefix of the custom sections that carry the original module's `.debug_*` sections unchanged
/// when they could not be rewritten for the instrumented code (`wobs.debug_info`, …). Their
/// addresses are the original module's: translate through [`ProbeMap::original_offset`] and
/// subtract [`ProbeMap::original_code_start`].
pub const CARRIED_DEBUG_PREFIX: &str = "wobs";
const MAGIC: &[u8; 7] = b"wobsmap";
/// Version of the encoding written by [`ProbeMap::encode`].
pub const PROBE_MAP_VERSION: u8 = 1;

/// In an instrumented component, what the import name of a code unit's probe instance starts
/// with; the unit's number follows (`wobs-probes-u3`). With [`ProbeAbi::Counted`] the instance has
/// `enter-counted: func(id: u32, calls: u64)`, `exit-counted: func(id: u32, calls: u64) -> u32`,
/// with [`ProbeAbi::Wobs`] `enter: func(id: u32)` and `exit: func(id: u32)`; both have
/// `memory-grow: func(pages: u32, result: u32)`.
pub const COMPONENT_PROBE_PREFIX: &str = "wobs-probes-u";

/// In an instrumented component, what the export name of a counted code unit's counts instance
/// starts with (`wobs-counts-u3`); it has `count: func(id: u32) -> u64`.
pub const COMPONENT_COUNTS_PREFIX: &str = "wobs-counts-u";

/// Probe ids are function indices, and no module has more functions than wasm's implementation
/// limit (wasmparser's `MAX_WASM_FUNCTIONS`): a map naming a higher id is rejected, so a damaged
/// one cannot make a host allocate a table for billions of functions.
pub const MAX_PROBE_ID: u32 = 1_000_000;

/// Which host interface the probes call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProbeAbi {
    /// wobs ABI v1, `wobs` module: every call calls `enter(i32 id)` and `exit(i32 id)`;
    /// `memory_grow(i32 pages, i32 result)`.
    #[default]
    Wobs,
    /// The Dylibso Observe SDK's `dylibso:observe/instrument`: `enter`, `exit`, `memory-grow`.
    Observe,
    /// wobs ABI v2, `wobs` module: calls are counted in the module itself ([`CountedLayout`]),
    /// and only the calls of functions the host still times call
    /// `enter_counted(i32 id, i64 calls)` and `exit_counted(i32 id, i64 calls) -> i32 throttle`.
    Counted,
}

/// Where a module instrumented with [`ProbeAbi::Counted`] keeps its counts.
///
/// The module exports a memory [`CountedLayout::MEMORY`], an `i64` global
/// [`CountedLayout::CALLS`] and a reader of one count, [`CountedLayout::COUNT`]. Every
/// instrumented function, at entry, adds one to the global (calls
/// of every instrumented function so far) and to its own `u64` at byte `8 * id` of the memory,
/// then reads its throttle byte at `gates + id`: while that is 0 the call is timed (the probes
/// pass the global's value, so the host knows how many calls ran between two of its probes), and
/// the exit probe's result is stored into the byte. Whether a call was timed is kept in a local,
/// so a call that was timed at entry is timed at exit even if the byte changed in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedLayout {
    /// Highest probe id + 1: the number of counters.
    pub slots: u32,
}

impl CountedLayout {
    /// Export name of the counters' memory.
    pub const MEMORY: &'static str = "wobs.counts";
    /// Export name of the calls-so-far global.
    pub const CALLS: &'static str = "wobs.calls";
    /// Export name of `(func (param i32 id) (result i64))`, probe `id`'s count: for hosts that
    /// cannot read the memory (components).
    pub const COUNT: &'static str = "wobs.count";

    /// The layout of `map`'s module.
    pub fn of(map: &ProbeMap) -> CountedLayout {
        CountedLayout {
            slots: map.probes.iter().map(|p| p.id + 1).max().unwrap_or(0),
        }
    }

    /// Byte offset of probe `id`'s counter.
    pub fn count(id: u32) -> u64 {
        u64::from(id) * 8
    }

    /// Byte offset of probe `id`'s throttle byte.
    pub fn gate(self, id: u32) -> u64 {
        u64::from(self.slots) * 8 + u64::from(id)
    }

    /// Bytes the memory needs.
    pub fn bytes(self) -> u64 {
        u64::from(self.slots) * 9
    }

    /// The call count of every probe id from the memory's bytes (missing bytes read as 0).
    pub fn counts(self, memory: &[u8]) -> Vec<u64> {
        (0..self.slots)
            .map(|id| {
                let at = Self::count(id) as usize;
                memory
                    .get(at..at + 8)
                    .and_then(|b| b.try_into().ok())
                    .map_or(0, u64::from_le_bytes)
            })
            .collect()
    }
}

/// Import names of a probe ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbiNames {
    /// Import module.
    pub module: &'static str,
    /// Entry probe, `(param i32 id)`.
    pub enter: &'static str,
    /// Exit probe, `(param i32 id)`.
    pub exit: &'static str,
    /// Memory growth probe: `(param i32 pages)`, plus `(param i32 result)` when `grow_with_result`.
    pub memory_grow: &'static str,
    /// Whether the growth probe also receives `memory.grow`'s result.
    pub grow_with_result: bool,
}

impl ProbeAbi {
    /// Every ABI.
    pub const ALL: [ProbeAbi; 3] = [ProbeAbi::Wobs, ProbeAbi::Observe, ProbeAbi::Counted];

    /// The imports an instrumented module uses under this ABI.
    pub fn names(self) -> AbiNames {
        match self {
            ProbeAbi::Wobs => AbiNames {
                module: "wobs",
                enter: "enter",
                exit: "exit",
                memory_grow: "memory_grow",
                grow_with_result: true,
            },
            ProbeAbi::Observe => AbiNames {
                module: "dylibso:observe/instrument",
                enter: "enter",
                exit: "exit",
                memory_grow: "memory-grow",
                grow_with_result: false,
            },
            ProbeAbi::Counted => AbiNames {
                module: "wobs",
                enter: "enter_counted",
                exit: "exit_counted",
                memory_grow: "memory_grow",
                grow_with_result: true,
            },
        }
    }
}

/// One instrumented function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Probe id: the function's index in the original module.
    pub id: u32,
    /// Demangled name (name section), or `wasm-function[N]`.
    pub name: String,
    /// The function body's byte range in the original module.
    pub code: std::ops::Range<u32>,
}

/// Where one function body went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedFunction {
    /// Body range in the instrumented module.
    pub new: std::ops::Range<u32>,
    /// Body range in the original module.
    pub old: std::ops::Range<u32>,
}

/// Contents of a `wobs.map` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProbeMap {
    /// The probe ABI the module imports.
    pub abi: ProbeAbi,
    /// Instrumented functions, by id.
    pub probes: Vec<Probe>,
    /// Every function body, sorted by new position.
    pub functions: Vec<MovedFunction>,
    /// Starts of runs of original instructions that moved by the same amount:
    /// (instrumented offset, original offset), sorted by the first.
    pub offsets: Vec<(u32, u32)>,
    /// Module-file offset of the original code section's contents (where its DWARF addresses
    /// start), when recorded.
    pub original_code_start: Option<u32>,
}

impl ProbeMap {
    /// Serializes the map.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.probes.len() * 24 + self.offsets.len() * 3);
        out.extend_from_slice(MAGIC);
        out.push(PROBE_MAP_VERSION);
        out.push(match self.abi {
            ProbeAbi::Wobs => 0,
            ProbeAbi::Observe => 1,
            ProbeAbi::Counted => 2,
        });
        uleb(&mut out, self.probes.len() as u64);
        for probe in &self.probes {
            uleb(&mut out, u64::from(probe.id));
            uleb(&mut out, probe.name.len() as u64);
            out.extend_from_slice(probe.name.as_bytes());
            uleb(&mut out, u64::from(probe.code.start));
            uleb(&mut out, u64::from(probe.code.end));
        }
        uleb(&mut out, self.functions.len() as u64);
        for f in &self.functions {
            for value in [
                f.new.start,
                f.new.end - f.new.start,
                f.old.start,
                f.old.end - f.old.start,
            ] {
                uleb(&mut out, u64::from(value));
            }
        }
        uleb(&mut out, self.offsets.len() as u64);
        // Shifts change by a few bytes from run to run (re-encoded LEBs, inserted probes), so their
        // differences encode in one byte where the shifts themselves would take three or four.
        let (mut previous, mut previous_shift) = (0u32, 0i64);
        for &(new, old) in &self.offsets {
            let shift = i64::from(old) - i64::from(new);
            uleb(&mut out, u64::from(new.wrapping_sub(previous)));
            sleb(&mut out, shift - previous_shift);
            (previous, previous_shift) = (new, shift);
        }
        if let Some(start) = self.original_code_start {
            uleb(&mut out, u64::from(start));
        }
        out
    }

    /// Parses a map; `None` if it is not one this version understands.
    pub fn decode(data: &[u8]) -> Option<ProbeMap> {
        let mut reader = Reader { data, at: 0 };
        if reader.take(MAGIC.len())? != MAGIC || reader.byte()? != PROBE_MAP_VERSION {
            return None;
        }
        let abi = match reader.byte()? {
            0 => ProbeAbi::Wobs,
            1 => ProbeAbi::Observe,
            2 => ProbeAbi::Counted,
            _ => return None,
        };
        let count = reader.uleb()?;
        let mut probes = Vec::with_capacity(count.min(1 << 20) as usize);
        for _ in 0..count {
            let id = reader.u32()?;
            // Hosts size tables by the highest id: one no module can have is a damaged map.
            if id >= MAX_PROBE_ID {
                return None;
            }
            let len = reader.uleb()? as usize;
            let name = String::from_utf8(reader.take(len)?.to_vec()).ok()?;
            let code = reader.u32()?..reader.u32()?;
            probes.push(Probe { id, name, code });
        }
        let count = reader.uleb()?;
        let mut functions = Vec::with_capacity(count.min(1 << 20) as usize);
        for _ in 0..count {
            let new_start = reader.u32()?;
            let new = new_start..new_start.checked_add(reader.u32()?)?;
            let old_start = reader.u32()?;
            let old = old_start..old_start.checked_add(reader.u32()?)?;
            functions.push(MovedFunction { new, old });
        }
        let count = reader.uleb()?;
        let mut offsets = Vec::with_capacity(count.min(1 << 24) as usize);
        let (mut new, mut shift) = (0u32, 0i64);
        for _ in 0..count {
            new = new.checked_add(reader.u32()?)?;
            shift = shift.checked_add(reader.sleb()?)?;
            let old = u32::try_from(i64::from(new) + shift).ok()?;
            offsets.push((new, old));
        }
        let original_code_start = if reader.at < reader.data.len() {
            Some(reader.u32()?)
        } else {
            None
        };
        Some(ProbeMap {
            abi,
            probes,
            functions,
            offsets,
            original_code_start,
        })
    }

    /// The `wobs.map` of a module file, if it has a readable one. Scans section headers only.
    pub fn from_module(wasm: &[u8]) -> Option<ProbeMap> {
        let mut reader = Reader { data: wasm, at: 8 };
        if wasm.get(..4)? != b"\0asm" {
            return None;
        }
        while reader.at < wasm.len() {
            let id = reader.byte()?;
            let size = reader.uleb()? as usize;
            let contents = reader.take(size)?;
            if id == 0 {
                let mut section = Reader {
                    data: contents,
                    at: 0,
                };
                let name_len = section.uleb()? as usize;
                if section.take(name_len)? == PROBE_MAP_SECTION.as_bytes() {
                    return ProbeMap::decode(&contents[section.at..]);
                }
            }
        }
        None
    }

    /// Builds the run-length offset table from one (instrumented, original) pair per original
    /// instruction.
    pub fn set_offsets(&mut self, mut pairs: Vec<(u32, u32)>) {
        pairs.sort_unstable();
        let mut runs: Vec<(u32, u32)> = Vec::new();
        let mut delta = None;
        for (new, old) in pairs {
            let this = i64::from(old) - i64::from(new);
            if delta != Some(this) {
                runs.push((new, old));
                delta = Some(this);
            }
        }
        self.offsets = runs;
    }

    /// The original offset of the code at `offset` in the instrumented module. Inside a function,
    /// it is the original instruction at or before it; code wobs inserted before the first
    /// original instruction (the entry probe) maps to the function's first original byte, so it
    /// is attributed to the right function. `None` outside every function body.
    pub fn original_offset(&self, offset: u32) -> Option<u32> {
        let after = self.functions.partition_point(|f| f.new.start <= offset);
        let function = self.functions.get(after.checked_sub(1)?)?;
        if !function.new.contains(&offset) {
            return None;
        }
        let after = self.offsets.partition_point(|&(new, _)| new <= offset);
        let run = after
            .checked_sub(1)
            .and_then(|i| self.offsets.get(i))
            .filter(|(new, _)| function.new.contains(new));
        let old = match run {
            Some(&(new, old)) => old + (offset - new),
            None => function.old.start,
        };
        Some(old.clamp(
            function.old.start,
            function.old.end.saturating_sub(1).max(function.old.start),
        ))
    }
}

fn uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let bytes = self.data.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        Some(bytes)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn sleb(&mut self) -> Option<i64> {
        let mut value = 0i64;
        let mut shift = 0;
        loop {
            let byte = self.byte()?;
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1 << shift;
                }
                return Some(value);
            }
            if shift >= 64 {
                return None;
            }
        }
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uleb()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_no_module_can_have_is_a_damaged_map() {
        let map = |id| ProbeMap {
            abi: ProbeAbi::Counted,
            probes: vec![Probe {
                id,
                name: "f".into(),
                code: 0..1,
            }],
            ..ProbeMap::default()
        };
        assert!(ProbeMap::decode(&map(MAX_PROBE_ID - 1).encode()).is_some());
        assert!(ProbeMap::decode(&map(u32::MAX).encode()).is_none());
    }

    #[test]
    fn round_trips_and_maps_offsets() {
        let mut map = ProbeMap {
            abi: ProbeAbi::Observe,
            probes: vec![Probe {
                id: 7,
                name: "fib".into(),
                code: 100..180,
            }],
            functions: vec![
                MovedFunction {
                    new: 110..200,
                    old: 100..180,
                },
                MovedFunction {
                    new: 300..500,
                    old: 90_000..90_150,
                },
                MovedFunction {
                    new: 600..700,
                    old: 1000..1010,
                },
            ],
            offsets: Vec::new(),
            original_code_start: Some(95),
        };
        // Two runs in the first function (code inserted after 104), one in the second.
        map.set_offsets(vec![
            (120, 100),
            (122, 102),
            (124, 104),
            (140, 106),
            (141, 107),
            (400, 90_000),
            (600, 1000),
        ]);
        assert_eq!(
            map.offsets,
            vec![(120, 100), (140, 106), (400, 90_000), (600, 1000)]
        );
        let bytes = map.encode();
        assert_eq!(ProbeMap::decode(&bytes), Some(map.clone()));
        assert_eq!(map.original_offset(122), Some(102));
        assert_eq!(map.original_offset(141), Some(107));
        // The entry probe before the first original instruction: the function's start.
        assert_eq!(map.original_offset(112), Some(100));
        // Never past the function's original end, never into another function.
        assert_eq!(map.original_offset(199), Some(165));
        assert_eq!(map.original_offset(690), Some(1009));
        assert_eq!(map.original_offset(305), Some(90_000));
        assert_eq!(map.original_offset(250), None);
        // Truncation anywhere is a clean None, never a panic; a map from before the code start
        // was recorded (the last byte here) still reads.
        let last = bytes.len() - 1;
        for cut in 0..last {
            assert_eq!(ProbeMap::decode(&bytes[..cut]), None);
        }
        let older = ProbeMap::decode(&bytes[..last]).unwrap();
        assert_eq!(older.original_code_start, None);
        assert_eq!(older.offsets, map.offsets);
    }
}

//! The `wobs.map` custom section: what an instrumented module's probes mean.
//!
//! Written by `wobs-instrument`, read by the runtime (to name probe ids) and by symbolization (to map
//! offsets in the instrumented code back to the original module). Binary, little-endian, LEB128:
//!
//! ```text
//! magic "wobsmap" u8 version(=1) u8 abi(0 = wobs, 1 = observe)
//! uleb probe_count  { uleb id  uleb name_len  name (utf-8)  uleb code_start  uleb code_end }*
//! uleb pair_count   { uleb (new_offset - previous new_offset)  sleb (old_offset - new_offset) }*
//! ```
//! Probe ids are original function indices; code ranges and offsets are module-file offsets.

/// Name of the custom section.
pub const PROBE_MAP_SECTION: &str = "wobs.map";
const MAGIC: &[u8; 7] = b"wobsmap";
/// Version of the encoding written by [`ProbeMap::encode`].
pub const PROBE_MAP_VERSION: u8 = 1;

/// Which host interface the probes call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProbeAbi {
    /// `wobs` module: `enter(i32 id)`, `exit(i32 id)`, `memory_grow(i32 pages, i32 result)`.
    #[default]
    Wobs,
    /// The Dylibso Observe SDK's `dylibso:observe/instrument`: `enter`, `exit`, `memory-grow`.
    Observe,
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
    /// Both ABIs.
    pub const ALL: [ProbeAbi; 2] = [ProbeAbi::Wobs, ProbeAbi::Observe];

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

/// Contents of a `wobs.map` section.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProbeMap {
    /// The probe ABI the module imports.
    pub abi: ProbeAbi,
    /// Instrumented functions, by id.
    pub probes: Vec<Probe>,
    /// (instrumented offset, original offset) for every original instruction, sorted by the first.
    pub offsets: Vec<(u32, u32)>,
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
        });
        uleb(&mut out, self.probes.len() as u64);
        for probe in &self.probes {
            uleb(&mut out, u64::from(probe.id));
            uleb(&mut out, probe.name.len() as u64);
            out.extend_from_slice(probe.name.as_bytes());
            uleb(&mut out, u64::from(probe.code.start));
            uleb(&mut out, u64::from(probe.code.end));
        }
        uleb(&mut out, self.offsets.len() as u64);
        let mut previous = 0u32;
        for &(new, old) in &self.offsets {
            uleb(&mut out, u64::from(new.wrapping_sub(previous)));
            sleb(&mut out, i64::from(old) - i64::from(new));
            previous = new;
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
            _ => return None,
        };
        let count = reader.uleb()?;
        let mut probes = Vec::with_capacity(count.min(1 << 20) as usize);
        for _ in 0..count {
            let id = reader.u32()?;
            let len = reader.uleb()? as usize;
            let name = String::from_utf8(reader.take(len)?.to_vec()).ok()?;
            let code = reader.u32()?..reader.u32()?;
            probes.push(Probe { id, name, code });
        }
        let count = reader.uleb()?;
        let mut offsets = Vec::with_capacity(count.min(1 << 24) as usize);
        let mut new = 0u32;
        for _ in 0..count {
            new = new.checked_add(reader.u32()?)?;
            let old = u32::try_from(i64::from(new) + reader.sleb()?).ok()?;
            offsets.push((new, old));
        }
        Some(ProbeMap {
            abi,
            probes,
            offsets,
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

    /// The original offset of the instruction at `offset` in the instrumented module: the nearest
    /// mapped instruction at or before it (inserted probe code maps to the instruction before it).
    pub fn original_offset(&self, offset: u32) -> Option<u32> {
        let after = self.offsets.partition_point(|&(new, _)| new <= offset);
        self.offsets.get(after.checked_sub(1)?).map(|&(_, old)| old)
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
    fn round_trips_and_maps_offsets() {
        let map = ProbeMap {
            abi: ProbeAbi::Observe,
            probes: vec![Probe {
                id: 7,
                name: "fib".into(),
                code: 100..180,
            }],
            offsets: vec![(120, 100), (130, 102), (400, 90_000)],
        };
        let bytes = map.encode();
        assert_eq!(ProbeMap::decode(&bytes), Some(map.clone()));
        assert_eq!(map.original_offset(125), Some(100));
        assert_eq!(map.original_offset(130), Some(102));
        assert_eq!(map.original_offset(119), None);
        assert_eq!(map.original_offset(1000), Some(90_000));
        // Truncation anywhere is a clean None, never a panic.
        for cut in 0..bytes.len() {
            assert_eq!(ProbeMap::decode(&bytes[..cut]), None);
        }
    }
}

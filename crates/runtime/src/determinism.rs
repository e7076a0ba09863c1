//! What makes a bench run repeatable: WASI clocks that advance by a fixed step per reading and
//! seeded randomness, so a guest that reads the time or random bytes executes the same operators
//! every run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// The wall clock's first reading: 2000-01-01T00:00:00Z.
pub const START_UNIX_SECONDS: u64 = 946_684_800;
/// How far each clock reading advances the clocks.
pub const STEP: Duration = Duration::from_millis(1);
/// Seed of the random bytes.
pub const RANDOM_SEED: u64 = 0x5eed;

/// A clock that advances by [`STEP`] every time it is read.
#[derive(Default)]
pub(crate) struct SteppingClock {
    readings: AtomicU64,
}

impl SteppingClock {
    fn next(&self) -> Duration {
        STEP * self.readings.fetch_add(1, Ordering::Relaxed) as u32
    }
}

impl HostWallClock for SteppingClock {
    fn resolution(&self) -> Duration {
        STEP
    }

    fn now(&self) -> Duration {
        Duration::from_secs(START_UNIX_SECONDS) + self.next()
    }
}

impl HostMonotonicClock for SteppingClock {
    fn resolution(&self) -> u64 {
        STEP.as_nanos() as u64
    }

    fn now(&self) -> u64 {
        self.next().as_nanos() as u64
    }
}

/// 64 KiB of SplitMix64 output from [`RANDOM_SEED`], repeated.
pub(crate) fn random() -> wasmtime_wasi::Deterministic {
    let mut state = RANDOM_SEED;
    let bytes = (0..8192)
        .flat_map(|_| splitmix64(&mut state).to_le_bytes())
        .collect();
    wasmtime_wasi::Deterministic::new(bytes)
}

/// SplitMix64: advances `state` and returns the next output. The output function is a bijection,
/// so distinct states give distinct outputs.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

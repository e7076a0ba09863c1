//! demo.rs — Rust guest with mangled names and a known 1:2 self-time split.
//!
//! `workloads::Worker::work_one` runs n rounds, `workloads::Worker::work_two`
//! runs 2n rounds of the same loop body; both are #[inline(never)], so their
//! (legacy-mangled, `_ZN4demo9workloads6Worker8work_one17h…E`) names appear
//! in the name section and DWARF.  Inclusive split 1:2 (loops call Range::next).
//!
//! Build: /usr/bin/rustc --target wasm32-wasi -g -C opt-level=1 (see ../build.sh)
//! Usage: demo.wasm [scale]

mod workloads {
    pub struct Worker {
        pub seed: u32,
    }

    impl Worker {
        #[inline(never)]
        pub fn work_one(&self, n: u64) -> u32 {
            let mut x = self.seed;
            for _ in 0..n {
                x ^= x << 13; x ^= x >> 17; x ^= x << 5; // HOT LOOP work_one
            }
            x
        }

        #[inline(never)]
        pub fn work_two(&self, n: u64) -> u32 {
            let mut x = self.seed;
            for _ in 0..2 * n {
                x ^= x << 13; x ^= x >> 17; x ^= x << 5; // HOT LOOP work_two
            }
            x
        }
    }
}

const BASE_ITERS: u64 = 100_000_000;

fn main() {
    let scale: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let w = workloads::Worker { seed: 0x9E37_79B9 };
    let a = w.work_one(BASE_ITERS * scale);
    let b = w.work_two(BASE_ITERS * scale);
    println!("demo: checksum {:08x}", a ^ b);
}

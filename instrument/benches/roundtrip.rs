//! Instrumenting vs the floor: a walrus parse + emit of the same module with no changes, measured
//! side by side (median of several runs each). Run with `cargo bench -p wobs-instrument`.
//!
//! Modules: our examples, plus the third-party programs `bench/fetch-third-party.sh` downloads
//! (`$WOBS_THIRD_PARTY_DIR`, default `~/.cache/wobs/third-party`) when present.

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let third_party = std::env::var_os("WOBS_THIRD_PARTY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/wobs/third-party")
        });
    let mut modules = vec![
        root.join("examples/wasm/demo.wasm"),
        root.join("examples/wasm/malloc_heavy.wasm"),
    ];
    for name in ["quickjs", "python", "avr-cc1", "yosys", "llvm"] {
        let path = third_party.join(format!("{name}.wasm"));
        if path.exists() {
            modules.push(path);
        } else {
            eprintln!("skipping {}: not downloaded", path.display());
        }
    }
    println!(
        "{:<40} {:>9} {:>12} {:>12} {:>7}",
        "module", "MB", "walrus (s)", "wobs (s)", "ratio"
    );
    for path in modules {
        let Ok(wasm) = std::fs::read(&path) else {
            continue;
        };
        let runs = if wasm.len() > 20_000_000 { 3 } else { 5 };
        let round_trip = time(runs, || {
            let mut config = walrus::ModuleConfig::new();
            config
                .generate_dwarf(true)
                .generate_name_section(true)
                .generate_producers_section(true);
            let mut module = config.parse(&wasm).expect("walrus parses");
            std::hint::black_box(module.emit_wasm());
        });
        let options = wobs_instrument::Options::default();
        let instrumented = time(runs, || {
            std::hint::black_box(
                wobs_instrument::instrument(&wasm, &options).expect("instruments"),
            );
        });
        let out = wobs_instrument::instrument(&wasm, &options)
            .expect("instruments")
            .wasm;
        let validate = time(1, || {
            let mut validator =
                wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
            validator.validate_all(&out).expect("valid");
        });
        eprintln!(
            "  (of which validating the output: {:.3} s)",
            validate.as_secs_f64()
        );
        println!(
            "{:<40} {:>9.1} {:>12.3} {:>12.3} {:>6.2}x",
            path.file_name().unwrap_or_default().to_string_lossy(),
            wasm.len() as f64 / 1e6,
            round_trip.as_secs_f64(),
            instrumented.as_secs_f64(),
            instrumented.as_secs_f64() / round_trip.as_secs_f64()
        );
    }
}

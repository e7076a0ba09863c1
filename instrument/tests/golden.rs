//! Golden files: each `golden/NAME.wat` is instrumented (every function; `memory_*` also with
//! memory probes) and printed; the text must equal `golden/NAME.instrumented.wat`.
//! Regenerate with `WOBS_BLESS=1 cargo test -p wobs-instrument --test golden`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use wobs_instrument::{instrument, Options};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The instrumented module as text, without the binary `wobs.map` and producers sections.
fn print(wasm: &[u8]) -> String {
    let text = wasmprinter::print_bytes(wasm).expect("prints");
    text.lines()
        .filter(|line| !line.contains("(@custom \"wobs.map\"") && !line.contains("(@producers"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn instrumented_output_matches_golden_files() {
    let bless = std::env::var_os("WOBS_BLESS").is_some();
    let mut checked = 0;
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy().ends_with(".wat")
                && !p.to_string_lossy().ends_with(".instrumented.wat")
        })
        .collect();
    inputs.sort();
    for input in inputs {
        let name = input.file_stem().unwrap().to_string_lossy().into_owned();
        let wasm = wat::parse_file(&input).unwrap();
        let mut options = Options::default();
        options.min_size = 0;
        options.memory = name.starts_with("memory_");
        let out = instrument(&wasm, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        let actual = print(&out.wasm);
        let expected_path = golden_dir().join(format!("{name}.instrumented.wat"));
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        } else {
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
                panic!("missing {}; run with WOBS_BLESS=1", expected_path.display())
            });
            assert_eq!(
                actual, expected,
                "{name}: instrumented output changed (WOBS_BLESS=1 to accept)"
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} golden files");
}

#[test]
fn refuses_to_instrument_twice_and_rejects_garbage() {
    let wasm = wat::parse_str("(module (func (export \"f\")))").unwrap();
    let once = instrument(&wasm, &Options::default()).unwrap();
    let err = instrument(&once.wasm, &Options::default()).unwrap_err();
    assert!(err.to_string().contains("already instrumented"), "{err}");
    let err = instrument(b"\0asm\x01\0\0\0\x05\x03garbage", &Options::default()).unwrap_err();
    assert!(err.to_string().contains("not a valid wasm module"), "{err}");
    assert!(instrument(b"", &Options::default()).is_err());
}

#[test]
fn filters_select_functions() {
    let wasm = wat::parse_str(
        r#"(module
            (func $work_one (export "work_one") (call $helper))
            (func $work_two (call $helper))
            (func $helper))"#,
    )
    .unwrap();
    let count = |configure: &dyn Fn(&mut Options)| {
        let mut options = Options::default();
        configure(&mut options);
        instrument(&wasm, &options).unwrap().report.instrumented
    };
    // Default: the tiny leaf `helper` is skipped, callers are kept.
    assert_eq!(count(&|_| {}), 2);
    assert_eq!(count(&|o| o.min_size = 0), 3);
    assert_eq!(count(&|o| o.include = vec!["work_*".into()]), 2);
    assert_eq!(
        count(&|o| {
            o.min_size = 0;
            o.exclude = vec!["helper".into()]
        }),
        2
    );
    assert_eq!(count(&|o| o.exports_only = true), 1);
}

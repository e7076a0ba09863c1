//! Instrumented copies of guests, cached by what made them. Instrumenting CPython's 26 MB takes
//! ~3 s (walrus parse and emit, DWARF rewrite) where reading the copy back takes tens of ms, and
//! `run --trace` / `--otlp` instrument in memory on every run.
//!
//! A copy is named by the SHA-256 of the input, the instrumenter's options and wobs's version, so
//! a changed input, option or wobs never reads a stale copy. The cache is best effort: a copy
//! that cannot be read or written is made again.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::write::write_atomic;

/// The instrumented copy of `input` made with `options` from the cache in `dir`, else `make`'s
/// result (stored there for next time). `kind` names what `make` does (module or component).
pub(crate) fn instrumented(
    dir: Option<&Path>,
    kind: &str,
    input: &[u8],
    options: &wobs_instrument::Options,
    make: impl FnOnce() -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<Vec<u8>> {
    let Some(dir) = dir else {
        return make();
    };
    let mut key = Sha256::new();
    key.update(env!("CARGO_PKG_VERSION"));
    key.update(kind);
    key.update(format!("{options:?}"));
    key.update(input);
    let path = dir.join(format!("{}.wasm", crate::guest::hex(&key.finalize())));
    if let Ok(copy) = std::fs::read(&path) {
        if wobs_events::ProbeMap::from_module(&copy).is_some() || kind == "component" {
            return Ok(copy);
        }
    }
    let copy = make()?;
    if std::fs::create_dir_all(dir).is_ok() {
        // A cache that cannot be written costs the next run the time this one took, no more.
        let _ = write_atomic(&path, &copy);
    }
    Ok(copy)
}

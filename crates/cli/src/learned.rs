//! Functions learned short, per module: the probes a span run can do without.
//!
//! A run that makes spans throttles the functions whose calls averaged under `--span-min`
//! (none of them could have become a span on average). Their ids are remembered by the SHA-256
//! of the module, with the duration they averaged under; a later span run of the same module
//! whose `--span-min` is at least that long counts their calls in wasm and never calls the host
//! for them: not even the first `--throttle` calls that proving them short took, nor the check of
//! the throttle flag on every call. Their calls still count in `wobs.filtered_calls`.
//!
//! The cache is best effort: a file that cannot be read is as good as none.

use std::path::{Path, PathBuf};

use crate::write::write_atomic;

/// What an earlier run learned of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Learned {
    /// The functions averaged under this many ns.
    pub below_ns: u64,
    /// Function indices in the module.
    pub ids: Vec<u32>,
}

fn path(dir: &Path, digest: &str) -> PathBuf {
    dir.join(format!("{digest}.txt"))
}

/// What was learned of the module whose SHA-256 is `digest`, if anything.
pub(crate) fn read(dir: Option<&Path>, digest: &str) -> Option<Learned> {
    let text = std::fs::read_to_string(path(dir?, digest)).ok()?;
    let mut words = text.split_whitespace();
    if words.next()? != "below_ns" {
        return None;
    }
    let below_ns = words.next()?.parse().ok()?;
    let ids = words.map(str::parse).collect::<Result<_, _>>().ok()?;
    Some(Learned { below_ns, ids })
}

/// Remembers `learned` for the module whose SHA-256 is `digest`.
pub(crate) fn write(dir: Option<&Path>, digest: &str, learned: &Learned) {
    let Some(dir) = dir else { return };
    let mut text = format!("below_ns {}\n", learned.below_ns);
    for id in &learned.ids {
        text.push_str(&id.to_string());
        text.push('\n');
    }
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = write_atomic(&path(dir, digest), text.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_is_read_back_and_garbage_is_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let learned = Learned {
            below_ns: 100_000,
            ids: vec![3, 17, 4096],
        };
        write(Some(dir.path()), "abc", &learned);
        assert_eq!(read(Some(dir.path()), "abc"), Some(learned));
        assert_eq!(read(Some(dir.path()), "other"), None);
        std::fs::write(dir.path().join("bad.txt"), "below_ns x\n1\n").unwrap();
        assert_eq!(read(Some(dir.path()), "bad"), None);
        assert_eq!(read(None, "abc"), None);
    }
}

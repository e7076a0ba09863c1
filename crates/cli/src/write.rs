//! Atomic output files: written to a temporary sibling, then renamed into place, so a reader never
//! sees half a file and an interrupted wobs never leaves one (tempfile removes it on failure).

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if path.file_name().is_none() {
        anyhow::bail!("{} is not a file path", path.display());
    }
    let write = || -> std::io::Result<()> {
        let mut file = temporary_beside(path, dir)?;
        file.write_all(contents)?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

/// A temporary file beside `path` with the mode the output should end with: an existing file's
/// own, else what `creat` gives (0666 less the umask, which the kernel applies). tempfile's
/// default, 0600, would make a flamegraph meant for a teammate or a web server unreadable to them.
fn temporary_beside(path: &Path, dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(path) {
            Ok(existing) if existing.is_file() => existing.permissions(),
            _ => std::fs::Permissions::from_mode(0o666),
        };
        builder.permissions(mode);
    }
    #[cfg(not(unix))]
    let _ = path;
    builder.tempfile_in(dir)
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::write_atomic;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// The process umask, as the kernel reports it.
    fn umask() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
    }

    #[test]
    fn a_new_output_gets_the_umask_mode_and_an_old_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.svg");
        write_atomic(&fresh, b"one").unwrap();
        assert_eq!(mode(&fresh), 0o666 & !umask());

        let existing = dir.path().join("existing.svg");
        std::fs::write(&existing, b"old").unwrap();
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&existing, b"new").unwrap();
        assert_eq!(mode(&existing), 0o640);
        assert_eq!(std::fs::read(&existing).unwrap(), b"new");
    }
}

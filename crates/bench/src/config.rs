//! `wobs-bench.toml`: the cases to run.
//!
//! ```toml
//! threshold = 0.5                  # optional, percent; the default for every case
//!
//! [[case]]
//! name = "parse"                   # optional: the module's file stem
//! module = "target/app.wasm"       # relative to the file's directory
//! args = ["input.json"]
//! dirs = ["data::/data"]           # HOST[::GUEST], HOST relative to the file's directory
//! env = ["MODE=fast"]
//! invoke = "run"                   # optional export instead of _start
//! stdin = "input.txt"              # optional file fed to stdin
//! threshold = 1.0                  # optional, percent
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchConfig {
    /// Default case threshold, percent.
    pub threshold: Option<f64>,
    /// The cases.
    #[serde(rename = "case", default)]
    pub cases: Vec<CaseSpec>,
}

/// One case as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    /// Name; the module's file stem when absent.
    pub name: Option<String>,
    /// Module path.
    pub module: PathBuf,
    /// Guest arguments after the module.
    #[serde(default)]
    pub args: Vec<String>,
    /// `HOST[::GUEST]` directories.
    #[serde(default)]
    pub dirs: Vec<String>,
    /// `NAME=VALUE` variables.
    #[serde(default)]
    pub env: Vec<String>,
    /// Export to call instead of `_start`.
    pub invoke: Option<String>,
    /// File fed to stdin.
    pub stdin: Option<PathBuf>,
    /// This case's threshold, percent.
    pub threshold: Option<f64>,
}

impl BenchConfig {
    /// Parses `text` (the contents of `path`); relative paths become relative to `path`'s
    /// directory.
    pub fn parse(text: &str, path: &Path) -> Result<BenchConfig, String> {
        let mut config: BenchConfig =
            toml::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
        if config.cases.is_empty() {
            return Err(format!("{}: no [[case]]", path.display()));
        }
        let base = path.parent().unwrap_or(Path::new(""));
        for case in &mut config.cases {
            case.module = base.join(&case.module);
            case.stdin = case.stdin.as_ref().map(|s| base.join(s));
            for dir in &mut case.dirs {
                let (host, guest) = dir.split_once("::").unwrap_or((dir.as_str(), dir.as_str()));
                *dir = format!("{}::{guest}", base.join(host).display());
            }
        }
        let mut names = std::collections::HashSet::new();
        for case in &config.cases {
            if !names.insert(case.name()) {
                return Err(format!(
                    "{}: two cases named {:?}",
                    path.display(),
                    case.name()
                ));
            }
        }
        Ok(config)
    }
}

impl CaseSpec {
    /// The case's name.
    pub fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            self.module
                .file_stem()
                .map_or_else(|| "case".to_string(), |s| s.to_string_lossy().into_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_file_and_names_default_to_the_stem() {
        let text = "threshold = 1.5\n[[case]]\nmodule = \"a/fib.wasm\"\nargs = [\"20\"]\n\
                    dirs = [\"data::/d\"]\n[[case]]\nname = \"x\"\nmodule = \"b.wasm\"\n";
        let config = BenchConfig::parse(text, Path::new("ci/wobs-bench.toml")).unwrap();
        assert_eq!(config.threshold, Some(1.5));
        assert_eq!(config.cases[0].name(), "fib");
        assert_eq!(config.cases[0].module, Path::new("ci/a/fib.wasm"));
        assert_eq!(config.cases[0].dirs, ["ci/data::/d"]);
        assert_eq!(config.cases[1].name(), "x");
    }

    #[test]
    fn mistakes_are_errors() {
        let p = Path::new("b.toml");
        assert!(BenchConfig::parse("", p)
            .unwrap_err()
            .contains("no [[case]]"));
        assert!(BenchConfig::parse("[[case]]\nmodul = \"x\"\n", p).is_err());
        let twice = "[[case]]\nmodule = \"a.wasm\"\n[[case]]\nmodule = \"a.wasm\"\n";
        assert!(BenchConfig::parse(twice, p)
            .unwrap_err()
            .contains("two cases"));
    }
}

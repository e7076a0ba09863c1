//! The results file (`--save-baseline`, `--json`): versioned, with a fingerprint of everything
//! that decides fuel counts besides the module itself.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Value of [`BenchResults::format`].
pub const RESULTS_FORMAT: &str = "wobs-bench";
/// The schema version written and the newest read.
pub const RESULTS_VERSION: u32 = 1;

/// Every case of one `wobs bench` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchResults {
    /// Always [`RESULTS_FORMAT`].
    pub format: String,
    /// [`RESULTS_VERSION`].
    pub version: u32,
    /// What must match for two results to be compared.
    pub fingerprint: Fingerprint,
    /// The cases, in the order they ran.
    pub cases: Vec<CaseResult>,
}

/// What decides fuel counts besides the module: two results compare only when these match
/// (`wobs` itself is informational).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// wobs version (informational).
    pub wobs: String,
    /// wasmtime version: fuel costs change between versions.
    pub wasmtime: String,
    /// Compiler (fuel differs under Winch).
    pub compiler: String,
    /// Probe ABI version: what a probe costs.
    pub probe_abi: u32,
    /// The fuel cost table.
    pub fuel_costs: String,
    /// The deterministic WASI configuration (clocks, random).
    pub wasi: String,
}

impl Fingerprint {
    /// Why results made under `self` and `other` cannot be compared, if they cannot.
    pub fn incompatibility(&self, other: &Fingerprint) -> Option<String> {
        let fields = [
            ("wasmtime", &self.wasmtime, &other.wasmtime),
            ("compiler", &self.compiler, &other.compiler),
            ("fuel cost table", &self.fuel_costs, &other.fuel_costs),
            ("WASI configuration", &self.wasi, &other.wasi),
        ];
        for (what, a, b) in fields {
            if a != b {
                return Some(format!("{what} differs: {b:?} in the baseline, {a:?} now"));
            }
        }
        (self.probe_abi != other.probe_abi).then(|| {
            format!(
                "probe ABI differs: {} in the baseline, {} now",
                other.probe_abi, self.probe_abi
            )
        })
    }
}

/// How one case was run: what must match for it to be compared (the module may differ — that is
/// the point).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseConfig {
    /// Guest arguments after the module.
    pub args: Vec<String>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// Guest paths of preopened directories.
    pub dirs: Vec<String>,
    /// Export called instead of `_start`.
    pub invoke: Option<String>,
    /// SHA-256 of the stdin file, if any.
    pub stdin_sha256: Option<String>,
    /// Which functions were probed (the instrumenter's filters).
    pub probes: String,
}

impl CaseConfig {
    /// A short hash that identifies the configuration.
    pub fn id(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&json)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One case's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Case name.
    pub name: String,
    /// The module as given.
    pub module: String,
    /// SHA-256 of the module (informational).
    pub module_sha256: String,
    /// How it was run.
    pub config: CaseConfig,
    /// [`CaseConfig::id`].
    pub config_id: String,
    /// Fuel of the uninstrumented program: probes' own fuel is subtracted.
    pub fuel: FuelTotals,
    /// The guest's exit code (a bench case is expected to exit 0).
    pub exit_code: i32,
    /// Per probed function, by self fuel (largest first). Unprobed functions (the default filter
    /// skips small leaves) are charged to their callers; fuel outside any probed function is the
    /// row [`OUTSIDE_PROBES`].
    pub functions: Vec<FunctionFuel>,
    /// Self fuel per call path (`a;b;c`), for the differential flamegraph.
    pub paths: Vec<PathFuel>,
    /// Wall time of plain runs (`--metric time`): informational, never compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeFigures>,
}

/// Wall time of plain runs (no fuel, no probes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeFigures {
    /// Runs.
    pub runs: usize,
    /// Median, ms.
    pub median_ms: f64,
    /// Fastest, ms.
    pub min_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

/// Name of the row holding fuel spent outside every probed function.
pub const OUTSIDE_PROBES: &str = "[outside probed functions]";

/// A run's fuel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuelTotals {
    /// The whole run.
    pub total: u64,
    /// Of which instantiation (start functions, `_initialize`).
    pub instantiation: u64,
}

/// One function's fuel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionFuel {
    /// Demangled name (qualified by module for preloads).
    pub name: String,
    /// Calls.
    pub calls: u64,
    /// Fuel in the function itself and its unprobed callees.
    pub self_fuel: u64,
    /// Fuel from entry to exit, callees included; recursion counted once.
    pub inclusive_fuel: u64,
}

/// Self fuel along one call path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathFuel {
    /// `root;…;leaf`.
    pub stack: String,
    /// Fuel.
    pub self_fuel: u64,
}

impl BenchResults {
    /// Results with no cases yet.
    pub fn new(fingerprint: Fingerprint) -> BenchResults {
        BenchResults {
            format: RESULTS_FORMAT.to_string(),
            version: RESULTS_VERSION,
            fingerprint,
            cases: Vec::new(),
        }
    }

    /// Parses a results file, refusing other formats and newer versions.
    pub fn parse(text: &[u8]) -> Result<BenchResults, String> {
        let results: BenchResults =
            serde_json::from_slice(text).map_err(|e| format!("not wobs bench results: {e}"))?;
        if results.format != RESULTS_FORMAT {
            return Err(format!(
                "not wobs bench results (format {:?})",
                results.format
            ));
        }
        if results.version > RESULTS_VERSION {
            return Err(format!(
                "results version {} is newer than this wobs reads ({RESULTS_VERSION})",
                results.version
            ));
        }
        Ok(results)
    }
}

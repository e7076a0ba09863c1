//! Flags shared by every command that runs a guest, named as in `wasmtime run`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;

/// How the guest is run: its capabilities, linking and limits.
#[derive(Args, Debug, Clone)]
pub struct GuestFlags {
    /// Grant access to a host directory: `HOST` or `HOST::GUEST` (no file access without it).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,

    /// Set an environment variable for the guest; `NAME` alone copies it from the host.
    /// Nothing is inherited otherwise.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub env: Vec<String>,

    /// Call this export instead of `_start` (for reactors); guest arguments become its parameters.
    /// For a component, the whole call in WAVE, as `wasmtime run --invoke`: `'add(1, 2)'`.
    #[arg(long, value_name = "NAME | 'NAME(ARGS)'")]
    pub invoke: Option<String>,

    /// Link another module under an import name, e.g. `--preload lib=lib.wasm`.
    #[arg(long = "preload", value_name = "NAME=PATH")]
    pub preloads: Vec<String>,

    /// Stop the guest after this long (e.g. `10s`, `500ms`); exits 134 like a trap.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Make unknown imports trap when called instead of failing to link.
    #[arg(long)]
    pub trap_unknown_imports: bool,

    /// Do not use the caches of compiled code and of instrumented copies.
    #[arg(long)]
    pub no_cache: bool,

    /// What a component may import, as `wasmtime run -S`: `cli` (on; WASI 0.2's command
    /// interfaces), `http` (wasi:http outgoing requests), `inherit-network` (the host's network
    /// for sockets and name lookups). `NAME=n` turns one off.
    #[arg(short = 'S', value_name = "NAME[=y|n]")]
    pub wasi: Vec<String>,
}

/// What `-S` allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WasiOptions {
    /// `-S http`.
    pub http: bool,
    /// `-S inherit-network`.
    pub inherit_network: bool,
}

impl GuestFlags {
    /// `--dir` values as (host, guest) pairs.
    pub fn dirs(&self) -> anyhow::Result<Vec<(PathBuf, String)>> {
        self.dirs
            .iter()
            .map(|spec| {
                let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
                if host.is_empty() || guest.is_empty() {
                    bail!("--dir {spec:?}: expected HOST or HOST::GUEST");
                }
                Ok((PathBuf::from(host), guest.to_string()))
            })
            .collect()
    }

    /// The `-S` options; an unknown name or value is an error naming it.
    pub fn wasi_options(&self) -> anyhow::Result<WasiOptions> {
        let mut options = WasiOptions {
            http: false,
            inherit_network: false,
        };
        for spec in self.wasi.iter().flat_map(|s| s.split(',')) {
            let (name, value) = spec.split_once('=').unwrap_or((spec, "y"));
            let on = match value {
                "y" | "yes" | "true" => true,
                "n" | "no" | "false" => false,
                _ => bail!("-S {spec}: expected {name}=y or {name}=n"),
            };
            match name {
                "cli" if on => {}
                "cli" => bail!("-S cli=n: wobs runs commands, which need wasi:cli"),
                "http" => options.http = on,
                "inherit-network" => options.inherit_network = on,
                _ => bail!("-S {name}: unknown (wobs knows cli, http, inherit-network)"),
            }
        }
        Ok(options)
    }

    /// `--env` values resolved against the host environment.
    pub fn env(&self) -> anyhow::Result<Vec<(String, String)>> {
        self.env
            .iter()
            .map(|spec| match spec.split_once('=') {
                Some((name, value)) => Ok((name.to_string(), value.to_string())),
                None => std::env::var(spec)
                    .map(|value| (spec.clone(), value))
                    .with_context(|| format!("--env {spec}: not set in the host environment")),
            })
            .collect()
    }

    /// `--preload` values as (import name, path) pairs.
    pub fn preloads(&self) -> anyhow::Result<Vec<(String, PathBuf)>> {
        self.preloads
            .iter()
            .map(|spec| match spec.split_once('=') {
                Some((name, path)) if !name.is_empty() && !path.is_empty() => {
                    Ok((name.to_string(), PathBuf::from(path)))
                }
                _ => bail!("--preload {spec:?}: expected NAME=PATH"),
            })
            .collect()
    }

    /// Where compiled code is cached: `wasmtime/` in wobs's cache directory.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        Some(self.cache_root()?.join("wasmtime"))
    }

    /// Where instrumented copies of guests are cached: `instrumented/` in wobs's cache directory.
    pub fn instrument_cache_dir(&self) -> Option<PathBuf> {
        Some(self.cache_root()?.join("instrumented"))
    }

    /// Where functions learned short are remembered: `learned/` in wobs's cache directory.
    pub fn learned_dir(&self) -> Option<PathBuf> {
        Some(self.cache_root()?.join("learned"))
    }

    /// wobs's cache directory: `$WOBS_CACHE_DIR`, else `wobs/` in the user's cache directory;
    /// `None` with `--no-cache`.
    fn cache_root(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        if let Some(dir) = std::env::var_os("WOBS_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
        Some(base.join("wobs"))
    }
}

/// Parses `10s`, `500ms`, `1m 30s`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Ok(Duration::from_secs_f64(seconds));
        }
    }
    humantime::parse_duration(text).map_err(|e| format!("{e} (try e.g. 10s or 500ms)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1").is_err());
    }
}

/// Which functions get probes and which ABI they call (`wobs instrument`, `wobs run --trace`).
#[derive(Args, Debug, Clone)]
pub struct InstrumentFlags {
    /// Only instrument functions whose demangled name matches (`*`, `?`); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Do not instrument functions whose demangled name matches; repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Skip leaf functions (no calls) smaller than N instructions; 0 instruments everything.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub min_size: u64,

    /// Only instrument exported functions.
    #[arg(long)]
    pub exports_only: bool,

    /// Probe imports to emit: `wobs` (calls counted in the module, the host called only for
    /// timed calls), `wobs-v1` (the host called on every call), or `observe` for the Dylibso
    /// Observe SDK's hosts (modules only).
    #[arg(long, value_enum, default_value_t = AbiFlag::Wobs)]
    pub abi: AbiFlag,

    /// Also probe `memory.grow`.
    #[arg(long)]
    pub memory: bool,
}

/// `--abi` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum AbiFlag {
    /// wobs's `wobs` imports, ABI v2: counted in the module, timed calls call the host.
    Wobs,
    /// wobs's `wobs` imports, ABI v1: every call calls the host.
    WobsV1,
    /// `dylibso:observe/instrument` imports.
    Observe,
}

impl InstrumentFlags {
    /// The instrumenter's options.
    pub fn options(&self) -> wobs_instrument::Options {
        let mut options = wobs_instrument::Options::default();
        options.include = self.include.clone();
        options.exclude = self.exclude.clone();
        options.min_size = self.min_size;
        options.exports_only = self.exports_only;
        options.abi = match self.abi {
            AbiFlag::Wobs => wobs_events::ProbeAbi::Counted,
            AbiFlag::WobsV1 => wobs_events::ProbeAbi::Wobs,
            AbiFlag::Observe => wobs_events::ProbeAbi::Observe,
        };
        options.memory = self.memory;
        options
    }
}

//! `wobs bench`: deterministic fuel figures per case and function, compared against a baseline.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};
use wobs_bench::config::{BenchConfig, CaseSpec};
use wobs_bench::fuel::{figures, FuelFigures};
use wobs_bench::report::{self, JsonReport};
use wobs_bench::results::{CaseConfig, CaseResult, FuelTotals, TimeFigures};
use wobs_bench::{BenchResults, Comparison, Fingerprint, Thresholds};
use wobs_events::{ProbeAbi, ProbeMap, RawOutcome};
use wobs_runtime::{determinism, CompiledGuest, Engine, EngineOptions, RunOptions};

use crate::flags::{GuestFlags, InstrumentFlags};
use crate::guest::{compile, flush_guest_stdout, hex, load, module_name, Loaded, LoadedComponent};
use crate::write::write_atomic;

/// Exit code when a case regressed.
const EXIT_REGRESSION: i32 = 3;
/// Exit code when the baseline cannot be compared.
const EXIT_NOT_COMPARABLE: i32 = 4;

/// Measure fuel (wasm operators executed: exact, identical run to run) per case and function,
/// and gate on a baseline. Exit 0: no regression; 1: error; 3: regression; 4: baseline not
/// comparable.
#[derive(Args, Debug)]
#[command(trailing_var_arg = true)]
pub struct BenchCommand {
    #[command(flatten)]
    guest: GuestFlags,

    #[command(flatten)]
    filters: InstrumentFlags,

    /// Run every case listed in this file (`wobs-bench.toml`) instead of one module.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    /// Name of the single case (default: the module's file stem).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Feed this file to the guest's stdin.
    #[arg(long, value_name = "PATH")]
    stdin: Option<PathBuf>,

    /// Write the results (JSON) to compare later runs against.
    #[arg(long, value_name = "PATH")]
    save_baseline: Option<PathBuf>,

    /// Compare against results written by `--save-baseline`.
    #[arg(long, value_name = "PATH")]
    baseline: Option<PathBuf>,

    /// A case regresses when its fuel grows by more than this many percent (default 0.5, or the
    /// config file's `threshold`).
    #[arg(long, value_name = "PCT")]
    threshold: Option<f64>,

    /// Function rows are marked when their self fuel changes by more than this many percent.
    #[arg(long, value_name = "PCT", default_value_t = 2.0)]
    function_threshold: f64,

    /// Let a function's regression fail the gate too (inlining moves cost between functions).
    #[arg(long)]
    gate_functions: bool,

    /// Write results and comparison as JSON.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,

    /// Write a markdown report (for `$GITHUB_STEP_SUMMARY` or a pull-request comment).
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,

    /// Write differential flamegraphs of fuel by call path against the baseline: PATH in head's
    /// shape, and PATH with `-baseline` before `.svg` in the baseline's (removed code shows).
    #[arg(long, value_name = "PATH")]
    diff_flamegraph: Option<PathBuf>,

    /// `fuel` (the gate), or also `time`: wall time of plain runs, informational only.
    #[arg(long, value_enum, default_value_t = Metric::Fuel)]
    metric: Metric,

    /// Totals only: run the modules without probes (no function rows; faster).
    #[arg(long)]
    no_probes: bool,

    /// Runs per case for `--metric time`.
    #[arg(long, value_name = "N", default_value_t = 5)]
    runs: usize,

    /// The module or component and its arguments (one case), unless `--config` is given.
    #[arg(value_name = "WASM [ARGS]...", allow_hyphen_values = true)]
    module_and_args: Vec<String>,
}

/// `--metric` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Metric {
    /// wasmtime fuel: deterministic.
    Fuel,
    /// Fuel, plus wall time of plain runs (median of `--runs`; never gates).
    Time,
}

impl BenchCommand {
    /// Runs the cases, writes the outputs and returns the exit code.
    pub fn execute(self) -> anyhow::Result<i32> {
        if !self.guest.preloads.is_empty() {
            bail!("wobs bench does not take --preload yet");
        }
        for (flag, pct) in [
            ("--threshold", self.threshold.unwrap_or(0.0)),
            ("--function-threshold", self.function_threshold),
        ] {
            if !(pct.is_finite() && pct >= 0.0) {
                bail!("{flag} {pct}: expected a percentage, 0 or more");
            }
        }
        let baseline = self.read_baseline()?;
        let (cases, default_threshold) = self.cases()?;
        let mut engine_options = EngineOptions::default();
        engine_options.cache_dir = self.guest.cache_dir();
        engine_options.fuel = true;
        let engine = Engine::new(&engine_options)?;
        let mut results = BenchResults::new(fingerprint());
        for case in &cases {
            results.cases.push(self.run_case(&engine, case)?);
        }

        let thresholds = {
            let mut t = Thresholds::default();
            t.case_pct = self.threshold.or(default_threshold).unwrap_or(t.case_pct);
            t.function_pct = self.function_threshold;
            t.gate_functions = self.gate_functions;
            t.per_case = cases
                .iter()
                .filter_map(|c| Some((c.name(), c.threshold?)))
                .collect();
            t
        };
        let comparison = baseline
            .as_ref()
            .map(|base| Comparison::new(base, &results, thresholds));
        eprint!("{}", report::table(&results, comparison.as_ref()));
        self.write_outputs(&results, comparison.as_ref(), baseline.as_ref())?;

        Ok(match &comparison {
            Some(c) if c.regressions() > 0 => EXIT_REGRESSION,
            Some(c) if c.not_comparable.is_some() || c.has_incomparable() => EXIT_NOT_COMPARABLE,
            _ => 0,
        })
    }

    fn read_baseline(&self) -> anyhow::Result<Option<BenchResults>> {
        let Some(path) = &self.baseline else {
            return Ok(None);
        };
        let text =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        BenchResults::parse(&text)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// The cases to run and the config file's default threshold.
    fn cases(&self) -> anyhow::Result<(Vec<CaseSpec>, Option<f64>)> {
        if let Some(path) = &self.config {
            if !self.module_and_args.is_empty() {
                bail!("give either --config or a module, not both");
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let config = BenchConfig::parse(&text, path).map_err(anyhow::Error::msg)?;
            return Ok((config.cases, config.threshold));
        }
        let Some((module, args)) = self.module_and_args.split_first() else {
            bail!("give a module to run, or --config wobs-bench.toml");
        };
        let case = CaseSpec {
            name: self.name.clone(),
            module: PathBuf::from(module),
            args: args.to_vec(),
            dirs: self.guest.dirs.clone(),
            env: self.guest.env.clone(),
            invoke: self.guest.invoke.clone(),
            stdin: self.stdin.clone(),
            threshold: None,
        };
        Ok((vec![case], None))
    }

    fn run_case(&self, engine: &Engine, case: &CaseSpec) -> anyhow::Result<CaseResult> {
        let name = case.name();
        let loaded = load(&case.module, module_name(&case.module))?;
        // The file as read: what the timed runs run, and what names the case.
        let file = loaded.clone();
        let (guest, names) = self.prepare(engine, loaded)?;
        let stdin = match &case.stdin {
            Some(path) => Some(
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
            ),
            None => None,
        };
        let options = self.case_options(case, &file, stdin.clone())?;
        let result = wobs_runtime::run(engine, &guest, &options);
        flush_guest_stdout();
        let exit_code = match &result.outcome {
            RawOutcome::Exited(code) => *code,
            RawOutcome::Returned(_) => 0,
            other => bail!("case {name}: the guest did not finish: {}", describe(other)),
        };
        if exit_code != 0 {
            eprintln!("wobs bench: warning: case {name} exited with {exit_code}");
        }
        let Some(fuel) = result.fuel else {
            bail!("case {name}: no fuel figures (a wobs bug)");
        };
        let figures = match result.trace.as_ref() {
            Some(trace) => figures(fuel.total, fuel.instantiation, trace, |unit, id| {
                names.name(unit, id)
            }),
            None => FuelFigures {
                totals: FuelTotals {
                    total: fuel.total,
                    instantiation: fuel.instantiation,
                },
                functions: Vec::new(),
                paths: Vec::new(),
            },
        };
        let time = match self.metric {
            Metric::Time => Some(self.time_case(case, &file, stdin.clone())?),
            Metric::Fuel => None,
        };
        let config = CaseConfig {
            args: case.args.clone(),
            env: options.env.clone(),
            dirs: options
                .dirs
                .iter()
                .map(|(_, guest)| guest.clone())
                .collect(),
            invoke: case.invoke.clone(),
            stdin_sha256: stdin.as_ref().map(|s| hex(&Sha256::digest(s))),
            probes: match self.no_probes {
                true => "none".to_string(),
                false => format!("{:?}", self.filters),
            },
        };
        Ok(CaseResult {
            name,
            module: case.module.display().to_string(),
            module_sha256: crate::guest::digest(file.bytes()),
            config_id: config.id(),
            config,
            fuel: FuelTotals {
                total: figures.totals.total,
                instantiation: figures.totals.instantiation,
            },
            exit_code,
            functions: figures.functions,
            paths: figures.paths,
            time,
        })
    }

    /// The case's program compiled with probes (unless `--no-probes`, or it has them already),
    /// and what names its probes.
    fn prepare(
        &self,
        engine: &Engine,
        loaded: Loaded,
    ) -> anyhow::Result<(CompiledGuest, ProbeNames)> {
        let mut options = self.filters.options();
        // Fuel per function subtracts the probes' fuel exactly only when every call runs the
        // same probe code: ABI v1. (Counted probes cost more fuel while a function is timed.)
        if options.abi == ProbeAbi::Counted {
            options.abi = ProbeAbi::Wobs;
        }
        if let Some(component) = LoadedComponent::from_file(&loaded)? {
            let probed = component
                .modules
                .iter()
                .any(|m| ProbeMap::from_module(m.bytes()).is_some());
            let component = match self.no_probes || probed {
                true => component,
                false => component
                    .instrumented(&options, self.guest.instrument_cache_dir().as_deref())?,
            };
            let guest = component.compile(engine)?;
            let names = ProbeNames {
                units: component
                    .modules
                    .iter()
                    .map(|m| m.info.name.clone())
                    .collect(),
                probes: guest.probes(),
            };
            return Ok((guest, names));
        }
        let map = ProbeMap::from_module(loaded.bytes());
        if map.as_ref().is_some_and(|m| m.abi == ProbeAbi::Counted) {
            anyhow::bail!(
                "{}: its probes count calls in the module (ABI v2), which makes fuel per function \
                 inexact; bench the original module, or one from `wobs instrument --abi wobs-v1`",
                loaded.info.path
            );
        }
        let probed = map.is_some();
        let instrumented = match self.no_probes || probed {
            true => loaded,
            false => loaded.instrumented(&options, self.guest.instrument_cache_dir().as_deref())?,
        };
        let guest = CompiledGuest::Modules(vec![compile(engine, &instrumented)?]);
        let names = ProbeNames {
            units: Vec::new(),
            probes: guest.probes(),
        };
        Ok((guest, names))
    }

    fn case_options(
        &self,
        case: &CaseSpec,
        module: &Loaded,
        stdin: Option<Vec<u8>>,
    ) -> anyhow::Result<RunOptions> {
        let mut guest = self.guest.clone();
        guest.dirs = case.dirs.clone();
        guest.env = case.env.clone();
        guest.invoke = case.invoke.clone();
        let mut options = crate::guest::run_options(&guest, module, &case.args)?;
        // argv[0] as the file is named, not the path it was found at: the same in every checkout.
        if let Some(first) = options.args.first_mut() {
            *first = module_name(&case.module) + ".wasm";
        }
        options.interval = None;
        options.deterministic = true;
        options.call_paths = true;
        options.stdin = stdin;
        Ok(options)
    }

    /// Wall time of `--runs` plain runs (no fuel, no probes): informational.
    fn time_case(
        &self,
        case: &CaseSpec,
        module: &Loaded,
        stdin: Option<Vec<u8>>,
    ) -> anyhow::Result<TimeFigures> {
        let mut engine_options = EngineOptions::default();
        engine_options.cache_dir = self.guest.cache_dir();
        let engine = Engine::new(&engine_options)?;
        let original = match LoadedComponent::from_file(module)? {
            Some(component) => component.compile(&engine)?,
            None => CompiledGuest::Modules(vec![compile(&engine, module)?]),
        };
        let mut options = self.case_options(case, module, stdin)?;
        options.call_paths = false;
        let mut times: Vec<Duration> = (0..self.runs.max(1))
            .map(|_| {
                let started = Instant::now();
                let _ = wobs_runtime::run(&engine, &original, &options);
                started.elapsed()
            })
            .collect();
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        Ok(TimeFigures {
            runs: times.len(),
            median_ms: ms(times[times.len() / 2]),
            min_ms: ms(times[0]),
            max_ms: ms(times[times.len() - 1]),
        })
    }

    fn write_outputs(
        &self,
        results: &BenchResults,
        comparison: Option<&Comparison>,
        baseline: Option<&BenchResults>,
    ) -> anyhow::Result<()> {
        if let Some(path) = &self.save_baseline {
            write_atomic(path, &serde_json::to_vec_pretty(results)?)?;
        }
        if let Some(path) = &self.json {
            let report = JsonReport {
                results,
                comparison,
            };
            write_atomic(path, &serde_json::to_vec_pretty(&report)?)?;
        }
        if let Some(path) = &self.markdown {
            write_atomic(path, report::markdown(results, comparison).as_bytes())?;
        }
        if let Some(path) = &self.diff_flamegraph {
            let Some(baseline) = baseline else {
                bail!("--diff-flamegraph needs --baseline");
            };
            self.write_flamegraphs(path, results, baseline)?;
        }
        Ok(())
    }

    /// One pair of SVGs per case present in both; with several cases, the case name is added to
    /// each file name.
    fn write_flamegraphs(
        &self,
        path: &Path,
        results: &BenchResults,
        baseline: &BenchResults,
    ) -> anyhow::Result<()> {
        let several = results.cases.len() > 1;
        for head in &results.cases {
            let Some(base) = baseline.cases.iter().find(|c| c.name == head.name) else {
                continue;
            };
            let title = format!("wobs bench {}: fuel, head vs baseline", head.name);
            let (grown, removed) = wobs_bench::flamegraph::differential(base, head, &title)
                .context("cannot draw the differential flamegraph")?;
            let suffix = if several {
                format!("-{}", head.name)
            } else {
                String::new()
            };
            write_atomic(&with_suffix(path, &suffix), &grown)?;
            write_atomic(&with_suffix(path, &format!("{suffix}-baseline")), &removed)?;
        }
        Ok(())
    }
}

/// `dir/name.svg` + `-x` → `dir/name-x.svg`.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let ext = path
        .extension()
        .map_or_else(|| "svg".to_string(), |e| e.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}{suffix}.{ext}"))
}

/// Everything that decides fuel counts besides the module.
fn fingerprint() -> Fingerprint {
    Fingerprint {
        wobs: env!("CARGO_PKG_VERSION").to_string(),
        wasmtime: wobs_events::WASMTIME_VERSION.to_string(),
        compiler: "cranelift".to_string(),
        probe_abi: 1,
        fuel_costs: "wasmtime default: 1 per operator, 0 for nop/drop/block/loop/end/else/\
                     unreachable/return, +1 per call"
            .to_string(),
        wasi: format!(
            "preview1; wall clock from {} s, monotonic from 0, both +{} ms per reading; random \
             seed {:#x}",
            determinism::START_UNIX_SECONDS,
            determinism::STEP.as_millis(),
            determinism::RANDOM_SEED
        ),
    }
}

/// Names the functions of a case's probes: `name` in a module, `unit!name` in a component (whose
/// units may each have a `main` or a `malloc`).
struct ProbeNames {
    /// The component's code units' names; empty for a module.
    units: Vec<String>,
    /// Each code unit's probe map.
    probes: Vec<Option<std::sync::Arc<ProbeMap>>>,
}

impl ProbeNames {
    fn name(&self, unit: u32, id: u32) -> String {
        let name = self
            .probes
            .get(unit as usize)
            .and_then(Option::as_ref)
            .and_then(|map| map.probes.iter().find(|p| p.id == id))
            .map_or_else(|| format!("wasm-function[{id}]"), |p| p.name.clone());
        match self.units.get(unit as usize) {
            Some(unit) => format!("{unit}!{name}"),
            None => name,
        }
    }
}

fn describe(outcome: &RawOutcome) -> String {
    match outcome {
        RawOutcome::Trapped { message, .. } => message.clone(),
        RawOutcome::TimedOut(ms) => format!("time limit of {ms} ms reached"),
        RawOutcome::Interrupted => "interrupted".to_string(),
        RawOutcome::Failed(message) => message.clone(),
        RawOutcome::Exited(code) => format!("exit {code}"),
        RawOutcome::Returned(_) => "returned".to_string(),
    }
}

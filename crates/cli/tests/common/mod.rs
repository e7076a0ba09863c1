//! Helpers for running the real `wobs` binary on the committed example modules.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

use wobs_events::{FunctionSummary, Recording};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A committed example module.
pub fn example(name: &str) -> String {
    format!("examples/wasm/{name}.wasm")
}

/// The line (1-based) of `examples/c/{source}` holding `marker` — the example sources mark the
/// lines tests check (`// LINE A`), so editing a source does not silently shift a test's truth.
pub fn marked_line(source: &str, marker: &str) -> u32 {
    let path = root().join("examples/c").join(source);
    let text = std::fs::read_to_string(&path).expect("example source");
    let index = text
        .lines()
        .position(|line| line.contains(marker))
        .unwrap_or_else(|| panic!("no line of {} holds {marker:?}", path.display()));
    index as u32 + 1
}

/// What one `wobs` invocation did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `wobs ARGS` from the repository root with a test-local compile cache.
pub fn wobs(args: &[&str]) -> Run {
    wobs_env(args, &[])
}

/// `wobs ARGS`, to run from the repository root with a test-local compile cache and no
/// OpenTelemetry settings inherited from the host.
pub fn wobs_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wobs"));
    for (name, _) in std::env::vars() {
        if name.starts_with("OTEL_") || name == "TRACEPARENT" || name == "TRACESTATE" {
            command.env_remove(name);
        }
    }
    command.args(args).current_dir(root()).env(
        "WOBS_CACHE_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"),
    );
    command
}

/// Waits for `child` to exit, failing the test after `limit`.
pub fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("wobs still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `wobs ARGS` with `env` set and no OpenTelemetry settings inherited from the host.
pub fn wobs_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let output: Output = wobs_command(args)
        .envs(env.iter().copied())
        .output()
        .expect("spawn wobs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "wobs panicked: {}",
        run.stderr
    );
    run
}

/// A fresh directory for output files.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Runs `wobs run -o REC ARGS...` and returns the run and the parsed recording.
pub fn record(dir: &Path, args: &[&str]) -> (Run, Recording) {
    record_env(dir, args, &[])
}

/// [`record`] with environment variables `env` set.
pub fn record_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Run, Recording) {
    let rec = dir.join("rec.json");
    let rec_arg = rec.to_str().expect("utf-8 path");
    let mut full = vec!["run", "-q", "-o", rec_arg];
    full.extend_from_slice(args);
    let run = wobs_env(&full, env);
    let text = std::fs::read(&rec).unwrap_or_else(|e| panic!("no recording: {e}; {}", run.stderr));
    let recording: Recording = serde_json::from_slice(&text).expect("recording parses");
    (run, recording)
}

/// The summary row of function `name` (exact match).
pub fn function<'a>(recording: &'a Recording, name: &str) -> &'a FunctionSummary {
    recording
        .functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| {
            let names: Vec<_> = recording.functions.iter().map(|f| &f.name).collect();
            panic!("no function {name} in {names:?}")
        })
}

/// A third-party module downloaded by `bench/fetch-third-party.sh NAME`, or `None` (with a message
/// saying how to get it) when it is not there.
pub fn third_party(name: &str) -> Option<PathBuf> {
    cached(
        &format!("{name}.wasm"),
        &format!("bench/fetch-third-party.sh {name}"),
    )
}

/// A third-party component built by `bench/fetch-components.sh NAME`, or `None` (with a message).
pub fn third_party_component(name: &str) -> Option<PathBuf> {
    cached(
        &format!("components/{name}.wasm"),
        &format!("bench/fetch-components.sh {name}"),
    )
}

/// `file` in the third-party cache, or `None` with a message naming the `script` that makes it.
fn cached(file: &str, script: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("WOBS_THIRD_PARTY_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/wobs/third-party"))
        })?;
    let path = dir.join(file);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: {} not there (run {script})", path.display());
        None
    }
}

/// Parses an SVG (inferno's have a DOCTYPE), failing the test if it is not well-formed XML.
pub fn parse_svg(text: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, options).expect("SVG parses")
}

/// How many standard deviations of a binomial share a measured share may be off. Two-sided 4σ: a
/// correct profiler fails one such check in about 16,000 runs, however few samples a loaded
/// machine leaves it (the tolerance widens as the count drops; `min_samples` bounds how far).
pub const SIGMAS: f64 = 4.0;

/// Asserts that `part` of `whole` samples of `rec` is the share `expected` (0–1) within
/// [`SIGMAS`] standard deviations of a binomial share of the draws those samples are worth
/// ([`draws_per_sample`]: on a loaded machine one exact-sampler signal can stand for many ticks),
/// plus `systematic` (a share, 0–1) where the truth itself may be off — a split of instructions,
/// say, whose time split moves with the machine. At least `min_samples` samples are needed
/// (fewer would make the tolerance meaningless).
pub fn assert_recorded_share(
    rec: &Recording,
    what: &str,
    part: u64,
    whole: u64,
    expected: f64,
    systematic: f64,
    min_samples: u64,
) {
    assert!(
        whole >= min_samples,
        "{what}: {whole} samples, fewer than the {min_samples} that make the check meaningful"
    );
    let measured = part as f64 / whole as f64;
    let draws = (whole as f64 * draws_per_sample(rec)).max(1.0);
    let tolerance = systematic + SIGMAS * (expected * (1.0 - expected) / draws).sqrt();
    assert!(
        (measured - expected).abs() <= tolerance,
        "{what}: {part} of {whole} samples = {:.1}%, expected {:.1}% ± {:.1} ({SIGMAS}σ of \
         {draws:.0} draws, plus {:.1} systematic)",
        measured * 100.0,
        expected * 100.0,
        tolerance * 100.0,
        systematic * 100.0
    );
}

/// How many independent draws of where the guest was each of `rec`'s samples is worth (0–1).
/// The exact sampler's signals merge while the guest waits for a core (or the pacer for one),
/// and the handler's sample then stands for every tick owed: the recording repeats it once per
/// tick, `interval_ns` apart, with the same stack. That is one draw, not several: the share's
/// variance is that of (Σw)² / Σw² draws over the signals' weights w (the effective sample size
/// of a weighted mean), which is what the tolerance must come from under load.
pub fn draws_per_sample(rec: &Recording) -> f64 {
    let interval = rec.run.interval_ns;
    let mut weights: Vec<f64> = Vec::new();
    let mut previous: Option<&wobs_events::Sample> = None;
    for sample in &rec.samples {
        let repeated = previous.is_some_and(|p| {
            p.stack == sample.stack && sample.time_ns.checked_sub(p.time_ns) == Some(interval)
        });
        match (repeated, weights.last_mut()) {
            (true, Some(weight)) => *weight += 1.0,
            _ => weights.push(1.0),
        }
        previous = Some(sample);
    }
    let total: f64 = weights.iter().sum();
    let squares: f64 = weights.iter().map(|w| w * w).sum();
    match total > 0.0 {
        true => (total * total / squares) / total,
        false => 1.0,
    }
}

/// Our example `name` as a component: the core module wrapped by `wit-component` with wasmtime's
/// preview-1 adapter (`command`, `reactor` or `proxy`), written into `dir`. Its code units are the
/// example's module, the adapter and wit-component's shims (with their debug names, as
/// `wasm-tools component new` writes them).
pub fn component(dir: &Path, name: &str, adapter: &str) -> String {
    use wasi_preview1_component_adapter_provider as adapters;
    let module = std::fs::read(root().join(example(name))).expect("example module");
    let adapter_bytes = match adapter {
        "command" => adapters::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
        "reactor" => adapters::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        "proxy" => adapters::WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER,
        other => panic!("no adapter {other}"),
    };
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .expect("module with the adapter's imports")
        .adapter(adapters::WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, adapter_bytes)
        .expect("adapter")
        .validate(true)
        .debug_names(true)
        .encode()
        .expect("component encodes");
    let path = dir.join(format!("{name}.component.wasm"));
    std::fs::write(&path, component).expect("component written");
    path.to_str().expect("utf-8 path").to_string()
}

/// Asserts that `out` holds each of `needles`, showing `out` when one is missing.
pub fn assert_contains(out: &str, needles: &[&str]) {
    for needle in needles {
        assert!(out.contains(needle), "no {needle:?} in:\n{out}");
    }
}

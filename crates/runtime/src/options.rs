//! Options for the engine and for one run.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// How to build the [`crate::Engine`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct EngineOptions {
    /// Directory for wasmtime's compiled-code cache; `None` (the default) disables caching.
    pub cache_dir: Option<PathBuf>,
    /// Compile for a [`crate::DebugSession`] (wasmtime's guest debugging: breakpoints, frame
    /// inspection; slower code). Default: false.
    pub guest_debug: bool,
    /// Compile without epoch checks: a plain run's speed, but the guest cannot be stopped by
    /// `timeout` or `interrupt` (the caller must supervise it). Default: false (checks on).
    pub no_epoch_checks: bool,
    /// Count executed operators with wasmtime's fuel (deterministic run to run; `wobs bench`).
    /// Also refuses threads, whose interleaving would not be. Default: false.
    pub fuel: bool,
}

/// How to run one guest.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunOptions {
    /// `argv` as the guest sees it, `argv[0]` included. Default: empty.
    pub args: Vec<String>,
    /// Environment variables; nothing is inherited. Default: empty.
    pub env: Vec<(String, String)>,
    /// Preopened directories as `(host path, guest path)`. Default: none (no file access).
    pub dirs: Vec<(PathBuf, String)>,
    /// Export to call instead of `_start`; its parameters are parsed from `args[1..]`.
    /// Default: `None`.
    pub invoke: Option<String>,
    /// Stop the guest after this long. Default: `None` (no limit).
    pub timeout: Option<Duration>,
    /// Sampling interval; `None` turns sampling off. Default: 1 ms.
    pub interval: Option<Duration>,
    /// Samples kept at most; later ticks are counted as dropped. Default: 20 million
    /// (about 5½ hours at 1 ms, ~320 MB).
    pub max_samples: usize,
    /// Unknown imports become functions that trap when called, instead of a link error.
    /// Default: false.
    pub trap_unknown_imports: bool,
    /// Set to `true` (e.g. from a Ctrl-C handler) to stop the guest at its next check.
    /// Default: a flag nobody sets.
    pub interrupt: Arc<AtomicBool>,
    /// Capture the guest's stdout and stderr here (and give it an empty stdin) instead of sharing
    /// the terminal: for a terminal UI. Default: `None` (inherit).
    pub capture_output: Option<CapturedOutput>,
    /// Emit a span for every probed call that lasts long enough (instrumented modules only).
    /// Default: `None` (no spans).
    pub spans: Option<crate::SpanOptions>,
    /// WASI clocks advance by a fixed step per reading from a fixed start, and random bytes come
    /// from a fixed seed ([`crate::determinism`]). Default: false.
    pub deterministic: bool,
    /// The guest's stdin. Default: `None` (the terminal's, or empty with `capture_output`).
    pub stdin: Option<Vec<u8>>,
    /// Keep the exact call tree by call path (`RawTrace::paths`), for differential flamegraphs.
    /// Default: false.
    pub call_paths: bool,
    /// When a function of a module with counted probes stops being timed (its calls are still
    /// counted); `None` times every call. Default: [`Throttle::default`].
    pub throttle: Option<crate::Throttle>,
    /// How samples are taken. Default: [`SamplerKind::Epoch`].
    pub sampler: SamplerKind,
    /// Which clock paces the exact sampler. Default: [`SampleClock::Wall`].
    pub clock: SampleClock,
    /// A component may make outgoing wasi:http requests (`-S http`). Default: false.
    pub http: bool,
    /// The guest's sockets and name lookups use the host's network (`-S inherit-network`).
    /// Default: false.
    pub inherit_network: bool,
    /// Where the exact sampler also publishes its samples while the guest runs. Default: `None`.
    pub live_samples: Option<crate::LiveSamples>,
}

/// The clock that paces exact samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SampleClock {
    /// Wall-clock time: what the user waits for, including time blocked in host calls (sleeps,
    /// reads), which shows on host frames.
    #[default]
    Wall,
    /// CPU time of the guest thread: time blocked in host calls takes no samples.
    Cpu,
}

/// How stack samples are taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SamplerKind {
    /// At the guest's next epoch check after each tick (function entries, loop headers).
    #[default]
    Epoch,
    /// Exact PC: a signal interrupts the guest thread wherever it is (Linux x86_64; elsewhere
    /// the epoch sampler is used).
    Signal,
}

/// The guest's stdout and stderr, interleaved as written, kept in memory (up to 64 MiB; writes
/// beyond fail in the guest). Cheap to clone; readable from any thread while the guest runs.
#[derive(Clone)]
pub struct CapturedOutput {
    pub(crate) pipe: wasmtime_wasi::p2::pipe::MemoryOutputPipe,
}

impl CapturedOutput {
    /// An empty capture.
    pub fn new() -> CapturedOutput {
        CapturedOutput {
            pipe: wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(64 << 20),
        }
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.pipe.contents().to_vec()
    }
}

impl Default for CapturedOutput {
    fn default() -> Self {
        CapturedOutput::new()
    }
}

impl std::fmt::Debug for CapturedOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapturedOutput").finish_non_exhaustive()
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            args: Vec::new(),
            env: Vec::new(),
            dirs: Vec::new(),
            invoke: None,
            timeout: None,
            interval: Some(Duration::from_millis(1)),
            max_samples: 20_000_000,
            trap_unknown_imports: false,
            interrupt: Arc::new(AtomicBool::new(false)),
            capture_output: None,
            spans: None,
            deterministic: false,
            stdin: None,
            call_paths: false,
            throttle: Some(crate::Throttle::default()),
            sampler: SamplerKind::Epoch,
            clock: SampleClock::Wall,
            http: false,
            inherit_network: false,
            live_samples: None,
        }
    }
}

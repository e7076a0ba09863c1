//! Bad input never panics, aborts or hangs in any verb: every input of the fuzz corpus
//! (`fuzz/corpus/<verb>/`, found by `fuzz/mutate-verbs.py`) goes through its verb and must end
//! within a bound, by itself (no signal), without "panicked", with the exit code and message its
//! manifest (`fuzz/corpus/expect.txt`) names; a failure is a one-line `error:`. `wobs report`'s
//! outputs are written complete or not at all. A few fresh seeded mutants of an example module
//! and of a recording go through the same checks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use common::{root, scratch, wait_at_most, wobs_command};

/// Every run must end well within this (the guest runs under `--timeout 5s`).
const LIMIT: Duration = Duration::from_secs(60);

/// What one bounded `wobs` run did.
struct Ended {
    what: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ended {
    /// The exit code; fails the test on an exit by signal (abort, SIGSEGV).
    fn code(&self) -> i32 {
        match self.status.code() {
            Some(code) => code,
            None => {
                use std::os::unix::process::ExitStatusExt;
                panic!(
                    "{}: killed by signal {:?}\n{}",
                    self.what,
                    self.status.signal(),
                    tail(&self.stderr)
                )
            }
        }
    }

    /// No signal, no panic, and a failure (exit 1) says why in exactly one `error:` line.
    fn assert_sane(&self) -> i32 {
        let code = self.code();
        for (stream, text) in [("stderr", &self.stderr), ("stdout", &self.stdout)] {
            assert!(
                !text.contains("panicked"),
                "{}: panicked ({stream}):\n{}",
                self.what,
                tail(text)
            );
        }
        if code == 1 {
            // `debug` prints its messages on stdout, after the guest's own output (which need
            // not end in a newline), so there the message may start mid-line.
            let errors = self
                .stderr
                .lines()
                .filter(|l| l.starts_with("error:"))
                .count()
                + self
                    .stdout
                    .lines()
                    .filter(|l| l.contains("error: "))
                    .count();
            assert_eq!(
                errors,
                1,
                "{}: exit 1 without exactly one `error:` line\nstdout:\n{}\nstderr:\n{}",
                self.what,
                tail(&self.stdout),
                tail(&self.stderr)
            );
        }
        code
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Runs `wobs ARGS` with stdin closed, its output in files (a full pipe cannot stall it), and
/// fails the test if it is still running after [`LIMIT`].
fn run_bounded(what: &str, dir: &Path, args: &[&str]) -> Ended {
    let out = dir.join("stdout.txt");
    let err = dir.join("stderr.txt");
    let mut child = wobs_command(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("spawn wobs");
    let status = wait_at_most(&mut child, LIMIT);
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    Ended {
        what: format!("{what}: wobs {}", args.join(" ")),
        status,
        stdout: read(&out),
        stderr: read(&err),
    }
}

/// The outputs `wobs report` is asked for, by flag.
const REPORT_OUTPUTS: [(&str, &str); 5] = [
    ("--flamegraph", "out.svg"),
    ("--folded", "out.folded"),
    ("--speedscope", "out.speedscope.json"),
    ("--chrome-trace", "out.trace.json"),
    ("--pprof", "out.pb.gz"),
];

/// Runs `input` through `verb` (as `fuzz/mutate-verbs.py` does) and checks what every verb
/// promises; returns how it ended.
fn through(verb: &str, input: &Path, dir: &Path) -> Ended {
    let input_arg = input.to_str().unwrap().to_string();
    let dir_arg = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let session = root().join("fuzz/corpus/session.gdb");
    let args: Vec<String> = match verb {
        "run" => vec!["run", "-q", "--timeout", "5s", &input_arg]
            .into_iter()
            .map(String::from)
            .collect(),
        "trace" => vec!["run", "-q", "--trace", "--timeout", "5s", &input_arg]
            .into_iter()
            .map(String::from)
            .collect(),
        "instrument" => vec![
            "instrument".to_string(),
            input_arg.clone(),
            "-o".to_string(),
            dir_arg("out.wasm"),
        ],
        "debug" => vec![
            "debug".to_string(),
            "--batch".to_string(),
            "--timeout".to_string(),
            "5s".to_string(),
            "-x".to_string(),
            session.to_str().unwrap().to_string(),
            input_arg.clone(),
        ],
        "bench" => vec![
            "bench".to_string(),
            "--timeout".to_string(),
            "5s".to_string(),
            "--json".to_string(),
            dir_arg("bench.json"),
            input_arg.clone(),
        ],
        "report" => {
            let mut args = vec![
                "report".to_string(),
                input_arg.clone(),
                "--format".to_string(),
                "json".to_string(),
            ];
            for (flag, name) in REPORT_OUTPUTS {
                args.push(flag.to_string());
                args.push(dir_arg(name));
            }
            args
        }
        other => panic!("unknown verb {other}"),
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    let ended = run_bounded(&format!("{verb} {name}"), dir, &args);
    let code = ended.assert_sane();
    if verb == "report" {
        check_report_outputs(&ended.what, dir, code);
    }
    ended
}

/// Each requested output exists complete (all of them after exit 0) or not at all.
fn check_report_outputs(what: &str, dir: &Path, code: i32) {
    for (flag, name) in REPORT_OUTPUTS {
        let path = dir.join(name);
        let Ok(bytes) = std::fs::read(&path) else {
            assert_ne!(code, 0, "{what}: exit 0 but no {flag} output");
            continue;
        };
        let complete = match flag {
            "--flamegraph" => common::parse_svg(std::str::from_utf8(&bytes).unwrap())
                .root_element()
                .has_tag_name("svg"),
            "--speedscope" | "--chrome-trace" => {
                serde_json::from_slice::<serde_json::Value>(&bytes).is_ok()
            }
            "--pprof" => {
                use std::io::Read;
                let mut inflated = Vec::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_end(&mut inflated)
                    .is_ok()
            }
            _ => std::str::from_utf8(&bytes).is_ok_and(|text| {
                text.lines().all(|line| {
                    line.rsplit_once(' ')
                        .is_some_and(|(_, n)| n.parse::<u64>().is_ok())
                })
            }),
        };
        assert!(complete, "{what}: {flag} output is torn");
        std::fs::remove_file(&path).unwrap();
    }
}

/// One line of `fuzz/corpus/expect.txt`: `VERB/FILE EXIT TEXT...`.
struct Expectation {
    verb: String,
    path: PathBuf,
    code: i32,
    text: String,
}

fn manifest() -> Vec<Expectation> {
    let corpus = root().join("fuzz/corpus");
    let text = std::fs::read_to_string(corpus.join("expect.txt")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut parts = line.splitn(3, char::is_whitespace);
            let file = parts.next().unwrap();
            let code = parts.next().unwrap().parse().unwrap();
            let text = parts.next().unwrap_or("").trim().to_string();
            let verb = file.split('/').next().unwrap().to_string();
            Expectation {
                verb,
                path: corpus.join(file),
                code,
                text,
            }
        })
        .collect()
}

/// Every committed input ends as its manifest line says.
#[test]
fn corpus_inputs_end_as_expected() {
    let expectations = manifest();
    // Every file of the corpus is listed: none is silently left out.
    let corpus = root().join("fuzz/corpus");
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let folder = entry.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&folder).unwrap() {
            let file = file.unwrap().path();
            assert!(
                expectations.iter().any(|e| e.path == file),
                "{} is not in fuzz/corpus/expect.txt",
                file.display()
            );
        }
    }
    for expected in &expectations {
        let dir = scratch();
        let ended = through(&expected.verb, &expected.path, dir.path());
        assert_eq!(
            ended.code(),
            expected.code,
            "{}\nstdout:\n{}\nstderr:\n{}",
            ended.what,
            tail(&ended.stdout),
            tail(&ended.stderr)
        );
        assert!(
            ended.stdout.contains(&expected.text) || ended.stderr.contains(&expected.text),
            "{}: output lacks {:?}\nstdout:\n{}\nstderr:\n{}",
            ended.what,
            expected.text,
            tail(&ended.stdout),
            tail(&ended.stderr)
        );
    }
}

/// xorshift64: deterministic mutants without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Byte ranges of the module's code section and `.debug_*` sections (payloads).
fn ranges(wasm: &[u8]) -> (std::ops::Range<usize>, Vec<std::ops::Range<usize>>) {
    let mut code = 0..0;
    let mut debug = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            wasmparser::Payload::CodeSectionStart { range, .. } => code = range,
            wasmparser::Payload::CustomSection(reader) if reader.name().starts_with(".debug_") => {
                debug.push(reader.data_offset()..reader.data_offset() + reader.data().len());
            }
            _ => {}
        }
    }
    (code, debug)
}

/// Fresh seeded mutants of an example module through `run`, `instrument` and `debug`: truncated,
/// with a broken code section, and with broken DWARF in a module that still validates.
#[test]
fn seeded_module_mutants_end_cleanly() {
    let original = std::fs::read(root().join("examples/wasm/debugme.wasm")).unwrap();
    let (code, debug) = ranges(&original);
    let verbs = ["run", "instrument", "debug"];
    mutants_end_cleanly(&original, &[code], &debug, 0x5EED_0016, "mutant", &verbs);
}

/// Six seeded mutants of `original` — truncated, bytes of one of the `code` ranges flipped, bytes
/// of the `debug` ranges overwritten — each through `verbs`; broken DWARF must still run to the
/// end.
fn mutants_end_cleanly(
    original: &[u8],
    code: &[std::ops::Range<usize>],
    debug: &[std::ops::Range<usize>],
    seed: u64,
    name: &str,
    verbs: &[&str],
) {
    let mut rng = Rng(seed);
    let dir = scratch();
    for i in 0..6 {
        let mut wasm = original.to_vec();
        let kind = match i % 3 {
            0 => {
                wasm.truncate(rng.below(wasm.len()));
                "truncated"
            }
            1 => {
                let section = &code[rng.below(code.len())];
                for _ in 0..4 {
                    let at = section.start + rng.below(section.len());
                    wasm[at] ^= 1 << rng.below(8);
                }
                "code"
            }
            _ => {
                for _ in 0..40 {
                    let section = &debug[rng.below(debug.len())];
                    let at = section.start + rng.below(section.len());
                    wasm[at] = rng.next() as u8;
                }
                "dwarf"
            }
        };
        let path = dir.path().join(format!("{name}-{i}-{kind}.wasm"));
        std::fs::write(&path, &wasm).unwrap();
        for verb in verbs {
            let ended = through(verb, &path, dir.path());
            if kind == "dwarf" {
                // Broken DWARF leaves a valid program: it still runs to its end.
                assert_eq!(ended.code(), 0, "{}\n{}", ended.what, tail(&ended.stderr));
            }
        }
    }
}

/// Byte ranges of a component's core modules whose code (`code`) or DWARF (`debug`) can be
/// broken in place: the code section and the `.debug_*` payloads of each nested module.
fn component_ranges(
    component: &[u8],
) -> (Vec<std::ops::Range<usize>>, Vec<std::ops::Range<usize>>) {
    let (mut code, mut debug) = (Vec::new(), Vec::new());
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        if let Ok(wasmparser::Payload::ModuleSection {
            unchecked_range, ..
        }) = payload
        {
            let module = &component[unchecked_range.clone()];
            let (module_code, module_debug) = ranges(module);
            let at = |r: std::ops::Range<usize>| {
                r.start + unchecked_range.start..r.end + unchecked_range.start
            };
            if !module_code.is_empty() {
                code.push(at(module_code));
            }
            debug.extend(module_debug.into_iter().map(at));
        }
    }
    (code, debug)
}

/// Fresh seeded mutants of an example wrapped as a component (the preview-1 adapter and its
/// shims besides the example's own module) through `run`, `trace`, `instrument`, `debug` and
/// `bench`: truncated, with a nested module's code broken, and with a nested module's DWARF
/// broken in a component that still validates.
#[test]
fn seeded_component_mutants_end_cleanly() {
    let dir = scratch();
    let original = std::fs::read(common::component(dir.path(), "debugme", "command")).unwrap();
    let (code, debug) = component_ranges(&original);
    assert!(code.len() >= 2 && !debug.is_empty(), "{code:?} {debug:?}");
    let verbs = ["run", "trace", "instrument", "debug", "bench"];
    mutants_end_cleanly(
        &original,
        &code,
        &debug,
        0x5EED_0017,
        "component-mutant",
        &verbs,
    );
}

/// Fresh seeded mutants of a recording through `report` with every output.
#[test]
fn seeded_recording_mutants_end_cleanly() {
    let dir = scratch();
    let rec = dir.path().join("rec.json");
    let rec_arg = rec.to_str().unwrap();
    let made = run_bounded(
        "record",
        dir.path(),
        &[
            "run",
            "-q",
            "--trace",
            "-o",
            rec_arg,
            "examples/wasm/exit_code.wasm",
        ],
    );
    assert!(rec.exists(), "no recording: {}", made.stderr);
    let text = std::fs::read_to_string(&rec).unwrap();
    let mut rng = Rng(0x0016_5EED);
    for i in 0..12 {
        let mutant = match i % 4 {
            0 => text[..rng.below(text.len())].to_string(),
            1 => {
                // A number somewhere replaced by a huge, negative or fractional one.
                let digits: Vec<usize> = text
                    .char_indices()
                    .filter(|(_, c)| c.is_ascii_digit())
                    .map(|(i, _)| i)
                    .collect();
                let at = digits[rng.below(digits.len())];
                let end = text[at..]
                    .find(|c: char| !c.is_ascii_digit())
                    .map_or(text.len(), |n| at + n);
                let by = ["4294967295", "18446744073709551615", "-1", "0.5", "1e300"];
                format!("{}{}{}", &text[..at], by[rng.below(by.len())], &text[end..])
            }
            2 => {
                // A value of the wrong type.
                let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i + 1).collect();
                let at = colons[rng.below(colons.len())];
                format!("{}null, \"x\": {}", &text[..at], &text[at..])
            }
            _ => {
                let mut bytes = text.clone().into_bytes();
                for _ in 0..3 {
                    let at = rng.below(bytes.len());
                    bytes[at] = b"{}[],:\"0a"[rng.below(9)];
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
        };
        let path = dir.path().join(format!("mutant-{i}.json"));
        std::fs::write(&path, mutant).unwrap();
        through("report", &path, dir.path());
    }
}

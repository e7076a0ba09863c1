//! `wobs serve` on a real wasi:http/proxy component (componentize-py's, built by
//! bench/fetch-components.sh python-http), requests sent over real TCP, spans received by the
//! in-process OTLP receiver.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test

mod common;
mod otlp_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{scratch, wobs, wobs_command};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, Metric};
use otlp_support::Received;

/// A `wobs serve` child and the port it listens on.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `wobs serve` on a free loopback port and waits until it listens.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = wobs_command(&[&["serve", "--addr", "127.0.0.1:0"], args].concat());
        command
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("wobs serve starts");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let port = loop {
            line.clear();
            assert!(
                stderr.read_line(&mut line).unwrap() > 0,
                "wobs serve ended before listening"
            );
            if let Some(rest) = line
                .trim()
                .strip_prefix("Serving HTTP on http://127.0.0.1:")
            {
                break rest.trim_end_matches('/').parse().unwrap();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
        });
        Server { child, port }
    }

    /// [`Server::start`] with spans, metrics and logs going to `receiver` over OTLP/HTTP, serving
    /// `component` with `flags` before it.
    fn start_exporting(
        receiver: &otlp_support::Receiver,
        flags: &[&str],
        component: &std::path::Path,
        env: &[(&str, &str)],
    ) -> Server {
        let otlp = [
            "--otlp-endpoint",
            &receiver.endpoint,
            "--otlp-protocol",
            "http/protobuf",
        ];
        let args = [&otlp[..], flags, &[component.to_str().unwrap()]].concat();
        Server::start(&args, env)
    }

    /// `GET path` with extra header lines; the status and the whole response text.
    fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: wobs-test\r\nConnection: close\r\n",
            self.port
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, response)
    }

    /// SIGTERM, then the exit code and stdout.
    fn stop(mut self) -> (i32, String) {
        let pid = self.child.id().to_string();
        assert!(std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = common::wait_at_most(&mut self.child, Duration::from_secs(60));
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        (status.code().unwrap_or(-1), stdout)
    }
}

/// Spans only: metrics and logs off, as for a backend that takes traces only.
const TRACES_ONLY: &[(&str, &str)] = &[
    ("OTEL_METRICS_EXPORTER", "none"),
    ("OTEL_LOGS_EXPORTER", "none"),
];

fn traceparent(trace: &str, parent: u64, flags: &str) -> String {
    format!("00-{trace}-{parent:016x}-{flags}")
}

#[test]
fn a_python_handler_is_served_with_a_span_per_request_in_the_callers_trace() {
    let Some(component) = common::third_party_component("python-http") else {
        return;
    };
    let receiver = otlp_support::http();
    let server = Server::start_exporting(
        &receiver,
        &[],
        &component,
        &[
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "60000"),
        ],
    );
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut sampled = Vec::new();
    for i in 1..=3u64 {
        let (status, text) = server.get(
            &format!("/hello?n={i}"),
            &[("traceparent", &traceparent(TRACE, i, "01"))],
        );
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("hello from python 332833500"), "{text}");
        sampled.push(i);
    }
    // The handler raises: the component traps, the client gets a 500, the server goes on.
    let (status, text) = server.get("/trap", &[("traceparent", &traceparent(TRACE, 9, "01"))]);
    assert_eq!(status, 500, "{text}");
    // The caller did not sample this one: no span (parentbased_always_on).
    let (status, _) = server.get("/hello", &[("traceparent", &traceparent(TRACE, 10, "00"))]);
    assert_eq!(status, 200);
    // No traceparent: a trace of its own.
    let (status, _) = server.get("/fresh", &[]);
    assert_eq!(status, 200);
    // A second server on the same port says so in one line.
    let busy = wobs(&[
        "serve",
        "--addr",
        &format!("127.0.0.1:{}", server.port),
        component.to_str().unwrap(),
    ]);
    assert_eq!(busy.code, 1, "{}", busy.stderr);
    assert_eq!(busy.stderr.trim().lines().count(), 1, "{}", busy.stderr);
    assert!(
        busy.stderr.contains("cannot listen on 127.0.0.1:"),
        "{}",
        busy.stderr
    );

    let (code, stdout) = server.stop();
    assert_eq!(code, 0, "{stdout}");
    // The guest's output, each line with its request's number.
    assert!(
        stdout.contains("stdout [1] :: handling /hello?n=1"),
        "{stdout}"
    );

    let spans: Vec<Received> = receiver.inbox.spans();
    let paths: Vec<String> = spans.iter().filter_map(|s| s.attr("url.path")).collect();
    assert_eq!(spans.len(), 5, "{paths:?}");
    for span in &spans {
        // SERVER spans named by the method, as the HTTP semantic conventions name them.
        assert_eq!(span.span.kind, 2, "{:?}", span.span);
        assert_eq!(span.span.name, "GET");
        assert_eq!(span.attr("http.request.method").as_deref(), Some("GET"));
        assert_eq!(span.attr("url.scheme").as_deref(), Some("http"));
        assert_eq!(
            span.attr("user_agent.original").as_deref(),
            Some("wobs-test")
        );
        assert_eq!(span.attr("server.address").as_deref(), Some("127.0.0.1"));
        assert!(span.span.end_time_unix_nano >= span.span.start_time_unix_nano);
    }
    for i in sampled {
        let span = spans
            .iter()
            .find(|s| s.attr("url.query") == Some(format!("n={i}")))
            .unwrap_or_else(|| panic!("no span for request {i}: {paths:?}"));
        assert_eq!(span.trace_id(), TRACE);
        assert_eq!(span.parent_id(), format!("{i:016x}"));
        assert_eq!(
            span.attr("http.response.status_code").as_deref(),
            Some("200")
        );
        let body = "hello from python 332833500\n".len().to_string();
        assert_eq!(span.attr("http.response.body.size"), Some(body));
        assert_eq!(span.span.status.as_ref().map_or(0, |s| s.code), 0);
    }
    let trap = spans
        .iter()
        .find(|s| s.attr("url.path").as_deref() == Some("/trap"))
        .expect("the failed request's span");
    check_metrics(&receiver.inbox.metrics());
    // The guest's output lines are log records in their request's trace and span.
    let logs = receiver.inbox.logs();
    let first = spans
        .iter()
        .find(|s| s.attr("url.query").as_deref() == Some("n=1"))
        .unwrap();
    let line = logs
        .iter()
        .find(|l| log_body(l) == "handling /hello?n=1")
        .unwrap_or_else(|| panic!("no log record of request 1: {logs:?}"));
    assert_eq!(otlp_support::hex(&line.trace_id), TRACE);
    assert_eq!(otlp_support::hex(&line.span_id), first.span_id());
    assert_eq!(line.severity_text, "INFO");
    // The traceback the failing handler printed on stderr, next to the trap's span.
    let traceback = logs
        .iter()
        .find(|l| log_body(l).contains("RuntimeError: asked to fail"))
        .unwrap_or_else(|| panic!("no traceback record: {logs:?}"));
    assert_eq!(otlp_support::hex(&traceback.span_id), trap.span_id());
    assert_eq!(traceback.severity_text, "WARN");
    assert_eq!(trap.parent_id(), format!("{:016x}", 9));
    assert_eq!(
        trap.attr("http.response.status_code").as_deref(),
        Some("500")
    );
    assert_eq!(trap.span.status.as_ref().map(|s| s.code), Some(2), "ERROR");
    let exception = trap
        .span
        .events
        .iter()
        .find(|e| e.name == "exception")
        .expect("an exception event");
    let stacktrace = otlp_support::attr(&exception.attributes, "exception.stacktrace").unwrap();
    // The trap's frames, symbolized in the unit they are in (componentize-py's runtime library).
    assert!(
        stacktrace.contains("libcomponentize_py_runtime.so!"),
        "{stacktrace}"
    );
    let fresh = spans
        .iter()
        .find(|s| s.attr("url.path").as_deref() == Some("/fresh"))
        .expect("the span of the request without traceparent");
    assert_ne!(fresh.trace_id(), TRACE);
    assert!(fresh.span.parent_span_id.is_empty() || fresh.parent_id() == "0000000000000000");
}

fn log_body(record: &LogRecord) -> String {
    match record.body.as_ref().and_then(|b| b.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        _ => String::new(),
    }
}

/// The metrics flushed at shutdown (the export interval is a minute): every request counted in
/// `http.server.request.duration` by status code, the trap in `wobs.serve.traps`, none active.
fn check_metrics(metrics: &[Metric]) {
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    let last = |name: &str| {
        metrics
            .iter()
            .rev()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no {name} in {names:?}"))
    };
    let Some(metric::Data::Histogram(duration)) = &last("http.server.request.duration").data else {
        panic!("http.server.request.duration is not a histogram");
    };
    let count_of = |status: &str| -> u64 {
        duration
            .data_points
            .iter()
            .filter(|p| {
                otlp_support::attr(&p.attributes, "http.response.status_code").as_deref()
                    == Some(status)
            })
            .map(|p| p.count)
            .sum()
    };
    assert_eq!((count_of("200"), count_of("500")), (5, 1), "{duration:?}");
    let Some(metric::Data::Sum(traps)) = &last("wobs.serve.traps").data else {
        panic!("wobs.serve.traps is not a sum");
    };
    let traps: i64 = traps
        .data_points
        .iter()
        .map(|p| match p.value {
            Some(number_data_point::Value::AsInt(n)) => n,
            _ => 0,
        })
        .sum();
    assert_eq!(traps, 1);
    let Some(metric::Data::Sum(active)) = &last("http.server.active_requests").data else {
        panic!("http.server.active_requests is not a sum");
    };
    for point in &active.data_points {
        assert_eq!(
            point.value,
            Some(number_data_point::Value::AsInt(0)),
            "{active:?}"
        );
    }
}

#[test]
fn what_is_not_a_proxy_component_is_refused_in_one_line() {
    let dir = scratch();
    let module = common::root().join(common::example("twice"));
    let run = wobs(&["serve", "--addr", "127.0.0.1:0", module.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("a core module; `wobs serve` serves a wasi:http/proxy component"),
        "{}",
        run.stderr
    );
    let command = common::component(dir.path(), "twice", "command");
    let run = wobs(&["serve", "--addr", "127.0.0.1:0", &command]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("does not export wasi:http/incoming-handler"),
        "{}",
        run.stderr
    );
}

/// What the Pyroscope stand-in received: each push's request target and body size.
type Pushes = std::sync::Arc<std::sync::Mutex<Vec<(String, usize)>>>;

/// A stand-in for Grafana Pyroscope's `/ingest` on a free port: records each push's query and
/// body size. (Pyroscope itself cannot be installed here.)
fn pyroscope() -> (String, Pushes) {
    let pushes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = pushes.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap();
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let target = request.split_whitespace().nth(1).unwrap_or("").to_string();
            seen.lock().unwrap().push((target, body.len()));
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (format!("http://127.0.0.1:{port}"), pushes)
}

/// The samples of each request, labelled with its span id, in the pprof files of `--profile-dir`
/// and pushed to Pyroscope; a request past `--request-timeout` gets a 504 and an ERROR span.
#[test]
fn requests_are_profiled_by_span_and_a_runaway_one_times_out() {
    let Some(component) = common::third_party_component("python-http") else {
        return;
    };
    let dir = scratch();
    let profiles = dir.path().join("profiles");
    let receiver = otlp_support::http();
    let (pyroscope_url, pushes) = pyroscope();
    let server = Server::start_exporting(
        &receiver,
        &[
            "--profile-dir",
            profiles.to_str().unwrap(),
            "--pyroscope",
            &pyroscope_url,
            "--request-timeout",
            "2s",
        ],
        &component,
        TRACES_ONLY,
    );
    for _ in 0..20 {
        let (status, text) = server.get("/hello", &[]);
        assert_eq!(status, 200, "{text}");
    }
    let (status, text) = server.get("/spin", &[]);
    assert_eq!(status, 504, "{text}");
    let (status, _) = server.get("/hello", &[]);
    assert_eq!(status, 200, "the server goes on after a timeout");
    let (code, stdout) = server.stop();
    assert_eq!(code, 0, "{stdout}");

    let spans = receiver.inbox.spans();
    let spin = spans
        .iter()
        .find(|s| s.attr("url.path").as_deref() == Some("/spin"))
        .expect("the timed-out request's span");
    assert_eq!(
        spin.attr("http.response.status_code").as_deref(),
        Some("504")
    );
    assert_eq!(spin.span.status.as_ref().map(|s| s.code), Some(2), "ERROR");
    let ids: std::collections::HashSet<String> = spans.iter().map(Received::span_id).collect();

    let mut labelled = Vec::new();
    let mut functions = std::collections::HashSet::new();
    let files: Vec<_> = std::fs::read_dir(&profiles).unwrap().flatten().collect();
    assert!(!files.is_empty(), "no profile written");
    for file in &files {
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(file.path()).unwrap())
            .read_to_end(&mut bytes)
            .unwrap();
        let profile =
            <wobs_collector::export::pprof::Profile as prost::Message>::decode(bytes.as_slice())
                .unwrap();
        let strings = &profile.string_table;
        let key = strings.iter().position(|s| s == "span_id").unwrap_or(0) as i64;
        for sample in &profile.sample {
            for label in sample.label.iter().filter(|l| l.key == key) {
                labelled.push(strings[label.str as usize].clone());
            }
        }
        for function in &profile.function {
            functions.insert(strings[function.name as usize].clone());
        }
    }
    // The runaway request ran for 2 s at 1 ms: most samples are its own.
    assert!(labelled.len() >= 200, "{} labelled samples", labelled.len());
    for id in &labelled {
        assert!(
            ids.contains(id),
            "a sample names span {id}, which was not exported"
        );
    }
    // Grafana links a request's span to its profile.
    assert_eq!(spin.attr("pyroscope.profile.id"), Some(spin.span_id()));
    let in_spin = labelled.iter().filter(|id| **id == spin.span_id()).count();
    assert!(
        in_spin * 2 > labelled.len(),
        "{in_spin} of {}",
        labelled.len()
    );
    // CPython's interpreter loop, named from libpython's own symbols.
    assert!(
        functions.iter().any(|f| f.contains("_PyEval_EvalFrame")),
        "{functions:?}"
    );
    let pushes = pushes.lock().unwrap();
    assert!(!pushes.is_empty(), "nothing pushed to Pyroscope");
    for (target, size) in pushes.iter() {
        assert!(
            target.starts_with("/ingest?name=python-http&from="),
            "{target}"
        );
        assert!(target.contains("format=pprof"), "{target}");
        assert!(*size > 0);
    }
}

/// A downstream service on a free port: answers every request with 418 and records its headers.
fn downstream() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let headers = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = headers.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                seen.lock().unwrap().push(line.trim().to_ascii_lowercase());
            }
            let mut stream = stream;
            let _ = stream.write_all(
                b"HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (port, headers)
}

/// An outgoing request the handler makes carries the trace on (`traceparent` naming its CLIENT
/// span), and the CLIENT span sits under the request's SERVER span.
#[test]
fn outgoing_requests_carry_the_trace_and_get_client_spans() {
    let Some(component) = common::third_party_component("python-http") else {
        return;
    };
    let receiver = otlp_support::http();
    let (port, headers) = downstream();
    let server = Server::start_exporting(&receiver, &[], &component, TRACES_ONLY);
    const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
    let (status, text) = server.get(
        &format!("/fetch?port={port}"),
        &[("traceparent", &traceparent(TRACE, 7, "01"))],
    );
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("downstream said 418"), "{text}");
    let (code, stdout) = server.stop();
    assert_eq!(code, 0, "{stdout}");

    let spans = receiver.inbox.spans();
    let server_span = spans
        .iter()
        .find(|s| s.span.kind == 2)
        .expect("the SERVER span");
    let client = spans
        .iter()
        .find(|s| s.span.kind == 3)
        .unwrap_or_else(|| panic!("no CLIENT span: {spans:?}"));
    assert_eq!(client.trace_id(), TRACE);
    assert_eq!(client.parent_id(), server_span.span_id());
    assert_eq!(client.span.name, "GET");
    assert_eq!(
        client.attr("url.full"),
        Some(format!("http://127.0.0.1:{port}/downstream"))
    );
    assert_eq!(client.attr("server.port"), Some(port.to_string()));
    assert_eq!(
        client.attr("http.response.status_code").as_deref(),
        Some("418")
    );
    assert_eq!(
        client.span.status.as_ref().map(|s| s.code),
        Some(2),
        "4xx is a client error"
    );
    let sent = headers.lock().unwrap().clone();
    let expected = format!("traceparent: 00-{TRACE}-{}-01", client.span_id());
    assert!(sent.contains(&expected), "{expected:?} not in {sent:?}");
}

/// With `--span-min`, the guest's calls that last that long are spans in the request's trace,
/// each under its direct kept caller and the outermost under the SERVER span, starting after it
/// did (a handler goes on after its response is complete, so a call may start or end after the
/// SERVER span ends); CPython's eval loop is among them, named and placed in its module, and
/// every request has a call directly under its SERVER span.
#[test]
fn guest_calls_in_a_request_are_spans_under_its_server_span() {
    let Some(component) = common::third_party_component("python-http") else {
        return;
    };
    let receiver = otlp_support::http();
    // A cache of its own, to read the component it instrumented.
    let cache = scratch();
    let env = [
        TRACES_ONLY,
        &[("WOBS_CACHE_DIR", cache.path().to_str().unwrap())],
    ]
    .concat();
    let server = Server::start_exporting(&receiver, &["--span-min", "100us"], &component, &env);
    const TRACES: [&str; 2] = [
        "1af7651916cd43dd8448eb211c80319c",
        "2af7651916cd43dd8448eb211c80319c",
    ];
    for trace in TRACES {
        let (status, text) = server.get("/", &[("traceparent", &traceparent(trace, 7, "01"))]);
        assert_eq!(status, 200, "{text}");
    }
    let (code, stdout) = server.stop();
    assert_eq!(code, 0, "{stdout}");
    // Counted probes (calls counted in the component, the host called only for timed calls), not
    // ABI v1's host call on every call: the instrumented component imports `enter-counted`.
    let instrumented: Vec<_> = std::fs::read_dir(cache.path().join("instrumented"))
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(instrumented.len(), 1);
    assert!(
        instrumented[0]
            .windows(b"enter-counted".len())
            .any(|w| w == b"enter-counted"),
        "the served component was instrumented without counted probes"
    );

    let spans = receiver.inbox.spans();
    for trace in TRACES {
        let in_trace: Vec<&Received> = spans.iter().filter(|s| s.trace_id() == trace).collect();
        let request = in_trace
            .iter()
            .find(|s| s.span.kind == 2)
            .unwrap_or_else(|| panic!("no SERVER span in {trace}: {spans:?}"));
        assert!(request.attr("wobs.filtered_calls").is_some());
        let calls: Vec<&&Received> = in_trace.iter().filter(|s| s.span.kind == 1).collect();
        // Later requests may find the eval loop throttled by the totals of earlier ones.
        assert!(
            trace != TRACES[0]
                || calls
                    .iter()
                    .any(|s| s.span.name == "_PyEval_EvalFrameDefault"
                        && s.attr("wobs.wasm.module").as_deref() == Some("libpython3.14.so")),
            "no span of the eval loop in {trace}: {calls:?}"
        );
        let ids: std::collections::HashSet<String> = in_trace.iter().map(|s| s.span_id()).collect();
        for call in &calls {
            // A kept call's parent is a kept call of the same request, or the request itself.
            assert!(ids.contains(&call.parent_id()), "{call:?}");
            assert!(call.span.start_time_unix_nano >= request.span.start_time_unix_nano);
            let lasted = call.span.end_time_unix_nano - call.span.start_time_unix_nano;
            assert!(lasted >= 100_000, "{lasted} ns: {call:?}");
            assert!(call.attr("wobs.filtered_calls").is_some());
        }
        assert!(
            calls.iter().any(|s| s.parent_id() == request.span_id()),
            "no call directly under the request span"
        );
    }
}

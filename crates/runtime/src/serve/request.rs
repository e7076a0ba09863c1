//! One request: a store and an instance of its own, the handler called on a task of its own (a
//! handler may go on streaming the body after it set the response), and a [`RequestRecord`] once
//! both the handler and the response body are done.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;
use wobs_events::{
    OutputStream, RawFrame, RequestCalls, RequestFailure, RequestRecord, RequestTrace,
};

use super::output::RequestOutput;
use super::Server;
use crate::run::{wasi_builder, GuestWasi};
use crate::spans::SpanOptions;
use crate::tracer::Tracer;

/// The response hyper sends: the guest's body, or wobs's own for a failed handler, counted.
pub(crate) type Response = hyper::Response<Metered>;

impl Server {
    /// Serves one request; never fails (a failed handler is a 500 and a record saying why).
    pub(crate) async fn handle(
        self: Arc<Self>,
        request: hyper::Request<Incoming>,
        peer: SocketAddr,
    ) -> Response {
        let id = self.last_id.fetch_add(1, Ordering::SeqCst) + 1;
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let trace = self
            .observer
            .arrived(request.method().as_str(), request.headers());
        let record = self.record_head(id, &request, peer, trace);
        let pending = Pending::new(self.clone(), record);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let mut store = match self.store(id, &pending) {
            Ok(store) => store,
            Err(e) => return pending.failed(failure(&self, &e)),
        };
        let resources = (|| {
            let mut http = store.data_mut().http();
            let request = http.new_incoming_request(Scheme::Http, request)?;
            let out = http.new_response_outparam(sender)?;
            wasmtime::Result::Ok((request, out))
        })();
        let (request, out) = match resources {
            Ok(resources) => resources,
            Err(e) => return pending.failed(failure(&self, &e)),
        };
        let handler = tokio::spawn({
            let server = self.clone();
            let pending = pending.clone();
            async move {
                let proxy = server.pre.instantiate_async(&mut store).await?;
                let handled = proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, request, out)
                    .await;
                pending.calls(server.finished_calls(&mut store));
                handled
            }
        });
        let answer = match self.options.request_timeout {
            Some(limit) => match tokio::time::timeout(limit, receiver).await {
                Ok(answer) => answer,
                // The guest yields at its epoch checks, so the task stops at the next one.
                Err(_) => {
                    handler.abort();
                    return pending.timed_out(limit);
                }
            },
            None => receiver.await,
        };
        match answer {
            Ok(Ok(response)) => {
                // The handler may still be writing the body: its end completes the record.
                let watcher = pending.clone();
                tokio::spawn(async move {
                    let outcome = handler.await;
                    watcher.handler_done(ended(&watcher.server, outcome));
                });
                pending.respond(response)
            }
            Ok(Err(code)) => {
                let watcher = pending.clone();
                tokio::spawn(async move {
                    let _ = handler.await;
                    watcher.handler_done(Some(RequestFailure {
                        message: format!("the handler answered with an error: {code:?}"),
                        backtrace: Vec::new(),
                        timed_out: false,
                    }));
                });
                pending.error_response(500)
            }
            // The handler dropped its response outparam: it returned or trapped without one.
            Err(_) => {
                let failure = ended(&self, handler.await).unwrap_or_else(|| RequestFailure {
                    message: "the handler returned without setting a response".into(),
                    backtrace: Vec::new(),
                    timed_out: false,
                });
                pending.failed(failure)
            }
        }
    }

    /// A store for request `id`: WASI as the server's options say, output prefixed and observed,
    /// stacks sampled into `pending` and the guest yielding at epoch ticks when asked to.
    fn store(&self, id: u64, pending: &Pending) -> wasmtime::Result<Store<GuestWasi>> {
        let trace = &pending.trace();
        let mut builder = wasi_builder(&self.options.guest)?;
        let output = |stream: OutputStream| RequestOutput {
            id,
            stream,
            trace: trace.clone(),
            observer: self.observer.clone(),
            prefix: match self.options.log_prefix {
                true => format!("{} [{id}] :: ", stream.name()).into(),
                false => "".into(),
            },
        };
        builder
            .stdout(output(OutputStream::Stdout))
            .stderr(output(OutputStream::Stderr))
            .env("REQUEST_ID", id.to_string());
        let mut wasi = GuestWasi::new(builder);
        wasi.hooks = Some(Box::new(super::outgoing::TracedHooks {
            request_id: id,
            trace: trace.clone(),
            observer: self.observer.clone(),
        }));
        wasi.probes = self.tracer(trace);
        let mut store = Store::new(self.pre.engine(), wasi);
        let sampling = self.options.sample_interval.is_some();
        let yielding = self.options.request_timeout.is_some();
        if sampling || yielding {
            store.set_epoch_deadline(1);
            let code = self.code.clone();
            let pending = pending.clone();
            store.epoch_deadline_callback(move |cx| {
                if sampling {
                    let trace = wasmtime::WasmBacktrace::capture(&cx);
                    let stack: Vec<RawFrame> = trace
                        .frames()
                        .iter()
                        .rev()
                        .filter_map(|f| code.raw_frame(f))
                        .collect();
                    pending.sample(stack);
                }
                Ok(match yielding {
                    true => wasmtime::UpdateDeadline::Yield(1),
                    false => wasmtime::UpdateDeadline::Continue(1),
                })
            });
        }
        Ok(store)
    }

    /// A tracer for the guest's calls in a request of `trace`, when they make spans: its root is
    /// the request's span.
    fn tracer(&self, trace: &RequestTrace) -> Option<Box<Tracer>> {
        let min = self.options.span_min.filter(|_| trace.sampled)?;
        if self.probes.iter().all(Option::is_none) {
            return None;
        }
        let spans = SpanOptions::kept(min, trace.span_id, super::MAX_SPANS_PER_REQUEST);
        let (start, start_unix_ns) = (std::time::Instant::now(), unix_ns());
        // A finished request's tracer, if one is free: its per-function figures are allocated
        // once, not per request.
        let reused = self.tracers.lock().ok().and_then(|mut free| free.pop());
        if let Some(mut tracer) = reused {
            tracer.reuse(Some(spans), start, start_unix_ns);
            return Some(tracer);
        }
        let mut tracer = Tracer::new(
            self.probes.clone(),
            Some(spans),
            false,
            None,
            self.options.guest.throttle,
        );
        tracer.share_throttle(self.throttled.clone());
        tracer.start_clock(start, start_unix_ns);
        Some(Box::new(tracer))
    }

    /// The guest's calls in the request `store` served, once its handler returned: calls still
    /// open (a trap) end now. The tracer goes back to the free ones.
    fn finished_calls(&self, store: &mut Store<GuestWasi>) -> Option<RequestCalls> {
        let mut tracer = store.data_mut().probes.take()?;
        let now = tracer.elapsed();
        let totals = tracer.finish_spans(now);
        if let Ok(mut free) = self.tracers.lock() {
            if free.len() < super::MAX_FREE_TRACERS {
                free.push(tracer);
            }
        }
        let totals = totals?;
        Some(RequestCalls {
            filtered_calls: totals.root_filtered_calls,
            dropped: totals.dropped,
            spans: totals.spans,
        })
    }

    /// What is known of a request when it arrives.
    fn record_head(
        &self,
        id: u64,
        request: &hyper::Request<Incoming>,
        peer: SocketAddr,
        trace: RequestTrace,
    ) -> RequestRecord {
        let header = |name: http::header::HeaderName| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let host = header(http::header::HOST);
        let (server_address, server_port) = match host.as_deref().map(split_host) {
            Some((address, port)) => (Some(address), port.unwrap_or(self.port)),
            None => (None, self.port),
        };
        RequestRecord {
            id,
            method: request.method().as_str().to_string(),
            scheme: "http".into(),
            path: request.uri().path().to_string(),
            query: request.uri().query().map(str::to_string),
            server_address,
            server_port,
            client_address: Some(peer.ip().to_string()),
            protocol_version: protocol_version(request.version()).into(),
            user_agent: header(http::header::USER_AGENT),
            request_body_size: header(http::header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            response_body_size: None,
            status: 0,
            start_unix_ns: unix_ns(),
            end_unix_ns: 0,
            trace,
            failure: None,
            samples: Vec::new(),
            calls: None,
        }
    }
}

/// `host[:port]` (or `[v6]:port`) as the address and the port.
fn split_host(host: &str) -> (String, Option<u16>) {
    match host.rsplit_once(':') {
        Some((address, port)) if !address.ends_with(']') || host.starts_with('[') => {
            match port.parse() {
                Ok(port) => (address.trim_matches(['[', ']']).to_string(), Some(port)),
                Err(_) => (host.to_string(), None),
            }
        }
        _ => (host.to_string(), None),
    }
}

fn protocol_version(version: http::Version) -> &'static str {
    match version {
        http::Version::HTTP_09 => "0.9",
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_2 => "2",
        http::Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

pub(super) fn unix_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// How the handler task ended: `None` when it returned.
fn ended(
    server: &Server,
    outcome: Result<wasmtime::Result<()>, tokio::task::JoinError>,
) -> Option<RequestFailure> {
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(failure(server, &e)),
        Err(e) => Some(RequestFailure {
            message: format!("the handler task failed: {e}"),
            backtrace: Vec::new(),
            timed_out: false,
        }),
    }
}

/// A handler's error as a failure: the trap and its wasm frames when it trapped.
fn failure(server: &Server, error: &wasmtime::Error) -> RequestFailure {
    let code = &server.code;
    let backtrace: Vec<RawFrame> = error
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .map(|trace| {
            trace
                .frames()
                .iter()
                .filter_map(|f| code.raw_frame(f))
                .collect()
        })
        .unwrap_or_default();
    let message = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => crate::one_line(&format!("{error:#}")),
    };
    RequestFailure {
        message,
        backtrace,
        timed_out: false,
    }
}

/// A request whose record waits for its handler and its response body to end.
#[derive(Clone)]
struct Pending {
    server: Arc<Server>,
    state: Arc<Mutex<PendingState>>,
}

struct PendingState {
    /// Taken when sent.
    record: Option<RequestRecord>,
    handler_done: bool,
    body_done: bool,
}

impl Pending {
    fn new(server: Arc<Server>, record: RequestRecord) -> Pending {
        Pending {
            server,
            state: Arc::new(Mutex::new(PendingState {
                record: Some(record),
                handler_done: false,
                body_done: false,
            })),
        }
    }

    fn trace(&self) -> RequestTrace {
        self.with(|state| state.record.as_ref().map(|r| r.trace.clone()))
            .flatten()
            .unwrap_or_else(|| RequestTrace {
                trace_id: Default::default(),
                span_id: Default::default(),
                remote_parent: None,
                trace_state: None,
                sampled: false,
            })
    }

    fn with<R>(&self, f: impl FnOnce(&mut PendingState) -> R) -> Option<R> {
        self.state.lock().ok().map(|mut state| f(&mut state))
    }

    /// The guest's response, its body counted.
    fn respond(&self, response: hyper::Response<HyperOutgoingBody>) -> Response {
        let status = response.status().as_u16();
        self.with(|state| {
            if let Some(record) = &mut state.record {
                record.status = status;
            }
        });
        response.map(|body| Metered {
            body,
            bytes: 0,
            pending: Some(self.clone()),
        })
    }

    /// The guest's calls in the request, once its handler returned.
    fn calls(&self, calls: Option<RequestCalls>) {
        self.with(|state| {
            if let Some(record) = &mut state.record {
                record.calls = calls;
            }
        });
    }

    /// One stack sampled while the handler runs (dropped beyond the per-request bound).
    fn sample(&self, stack: Vec<RawFrame>) {
        if stack.is_empty() {
            return;
        }
        self.with(|state| {
            if let Some(record) = &mut state.record {
                if record.samples.len() < super::MAX_SAMPLES_PER_REQUEST {
                    record.samples.push(stack);
                }
            }
        });
    }

    /// A handler still running at the request timeout: 504.
    fn timed_out(&self, limit: std::time::Duration) -> Response {
        self.handler_done(Some(RequestFailure {
            message: format!("the handler ran past the request timeout ({limit:?})"),
            backtrace: Vec::new(),
            timed_out: true,
        }));
        self.error_response(504)
    }

    /// A handler that produced no response: 500, and the record says why.
    fn failed(&self, failure: RequestFailure) -> Response {
        self.handler_done(Some(failure));
        self.error_response(500)
    }

    /// wobs's own response with `status`.
    fn error_response(&self, status: u16) -> Response {
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let body = http_body_util::Full::new(Bytes::from(format!("{status} {reason}\n")))
            .map_err(|never| match never {})
            .boxed_unsync();
        let mut response = hyper::Response::new(body);
        *response.status_mut() =
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        self.respond(response)
    }

    fn handler_done(&self, failure: Option<RequestFailure>) {
        self.with(|state| {
            state.handler_done = true;
            if let Some(record) = &mut state.record {
                if failure.is_some() && record.failure.is_none() {
                    record.failure = failure;
                }
            }
        });
        self.send_if_done();
    }

    fn body_done(&self, bytes: u64) {
        self.with(|state| {
            state.body_done = true;
            if let Some(record) = &mut state.record {
                record.response_body_size = Some(bytes);
                record.end_unix_ns = unix_ns();
            }
        });
        self.send_if_done();
    }

    fn send_if_done(&self) {
        let record = self
            .with(|state| match state.handler_done && state.body_done {
                true => state.record.take(),
                false => None,
            })
            .flatten();
        // A handler that fails after its response started leaves the status the client got;
        // the record's failure says the request failed.
        if let Some(record) = record {
            // Handed over before the count drops: a shutdown waiting for it then flushes it.
            self.server.observer.finished(record);
            self.server.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.server.finished.notify_waiters();
        }
    }
}

/// A response body that counts its bytes and tells the request when it ends (or is dropped,
/// when the client goes away first).
pub(crate) struct Metered {
    body: HyperOutgoingBody,
    bytes: u64,
    pending: Option<Pending>,
}

impl Metered {
    fn done(&mut self) {
        if let Some(pending) = self.pending.take() {
            pending.body_done(self.bytes);
        }
    }
}

impl Body for Metered {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.bytes += data.len() as u64;
                }
                if self.body.is_end_stream() {
                    self.done();
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => self.done(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        self.done();
    }
}

//! What `wobs serve` observes of each HTTP request, handed from the runtime (which serves it) to
//! the collector (which makes its span, metrics and logs).

use serde::{Deserialize, Serialize};

use crate::{RawFrame, RawSpan, SpanId, TraceId};

/// The trace a request belongs to, decided when it arrives: the caller's (W3C `traceparent`) or
/// a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTrace {
    /// The trace.
    pub trace_id: TraceId,
    /// The request's own (SERVER) span.
    pub span_id: SpanId,
    /// The caller's span, from `traceparent`.
    pub remote_parent: Option<SpanId>,
    /// `tracestate` that came with it.
    pub trace_state: Option<String>,
    /// Whether the request's spans are recorded and exported (the sampler's decision).
    pub sampled: bool,
}

/// How one request went, from arrival to the last byte of its response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The request's number in this server's life, from 1 (the guest's output is prefixed with it).
    pub id: u64,
    /// `GET`, `POST`, …
    pub method: String,
    /// `http` (wobs serves plain HTTP).
    pub scheme: String,
    /// The path, without the query.
    pub path: String,
    /// The query, without `?`.
    pub query: Option<String>,
    /// The host the client addressed (`Host` header), without the port.
    pub server_address: Option<String>,
    /// The port the client addressed, else the one served.
    pub server_port: u16,
    /// The client's address.
    pub client_address: Option<String>,
    /// `1.1`, `2`, …
    pub protocol_version: String,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `Content-Length` of the request, when it had one.
    pub request_body_size: Option<u64>,
    /// Bytes of response body sent.
    pub response_body_size: Option<u64>,
    /// The response's status; 500 when the handler trapped or set no response, 504 when it ran
    /// out of time.
    pub status: u16,
    /// Arrival, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
    /// The end of the response (or of the handler, when it set none).
    pub end_unix_ns: u64,
    /// Its trace.
    pub trace: RequestTrace,
    /// Why the handler failed, when it did.
    pub failure: Option<RequestFailure>,
    /// Stacks sampled while the handler ran (each root first, leaf last), when the server samples.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Vec<RawFrame>>,
    /// What the guest's functions did inside the request, when the server traces them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<RequestCalls>,
}

/// The guest's function calls inside one request (an instrumented component): the calls that
/// lasted at least the span threshold, as spans under the request's span, and a count of the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCalls {
    /// Kept calls, each a span; the outermost ones name the request's span as their parent.
    pub spans: Vec<RawSpan>,
    /// Calls outside every kept call that were too short to keep: the request span's
    /// `wobs.filtered_calls`.
    pub filtered_calls: u64,
    /// Kept calls beyond what a request may carry ([`RequestCalls::spans`] is bounded), dropped.
    pub dropped: u64,
}

/// A handler that did not produce its response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFailure {
    /// What happened: wasmtime's trap message, "the handler set no response", a timeout.
    pub message: String,
    /// Physical wasm frames at the trap, innermost first (empty when it did not trap).
    pub backtrace: Vec<RawFrame>,
    /// The handler ran past the request timeout (the client got a 504).
    #[serde(default)]
    pub timed_out: bool,
}

/// Which of the guest's output streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputStream {
    /// stdout.
    Stdout,
    /// stderr.
    Stderr,
}

impl OutputStream {
    /// `stdout` or `stderr`.
    pub fn name(self) -> &'static str {
        match self {
            OutputStream::Stdout => "stdout",
            OutputStream::Stderr => "stderr",
        }
    }
}

/// An outgoing HTTP request a handler made (wasi:http/outgoing-handler), for its CLIENT span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The served request it was made in.
    pub request_id: u64,
    /// The served request's trace; its span is the parent.
    pub trace: RequestTrace,
    /// The CLIENT span's id (sent as the parent in the outgoing `traceparent`).
    pub span_id: SpanId,
    /// `GET`, `POST`, …
    pub method: String,
    /// The whole URL.
    pub url: String,
    /// The host addressed.
    pub server_address: Option<String>,
    /// The port addressed (the scheme's default when the URL names none).
    pub server_port: Option<u16>,
    /// The response's status, when one came.
    pub status: Option<u16>,
    /// Why no response came.
    pub error: Option<String>,
    /// Sent, nanoseconds since the Unix epoch.
    pub start_unix_ns: u64,
    /// The response's head arrived (or the request failed).
    pub end_unix_ns: u64,
}

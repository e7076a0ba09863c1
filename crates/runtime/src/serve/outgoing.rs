//! Outgoing requests a handler makes (wasi:http/outgoing-handler): the served request's trace
//! goes with them (the headers come from the observer, where W3C propagation lives for incoming
//! and outgoing requests alike), so a chain of services is one trace, and each becomes a
//! [`ClientRecord`] for the observer's CLIENT span. The request itself is sent by wasmtime-wasi-http's default sender.

use std::future::Future;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};
use wobs_events::{ClientRecord, RequestTrace};

use super::request::unix_ns;
use super::RequestObserver;

/// The wasi:http hooks of one served request's store.
pub(crate) struct TracedHooks {
    pub(crate) request_id: u64,
    pub(crate) trace: RequestTrace,
    pub(crate) observer: Arc<dyn RequestObserver>,
}

/// What a hook's send returns (wasmtime-wasi-http's signature).
type Sent = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for TracedHooks {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Sent {
        drop(fut);
        let trace = &self.trace;
        let (span_id, propagation) = self.observer.outgoing(trace);
        for (name, value) in propagation {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(&value),
            ) {
                request.headers_mut().insert(name, value);
            }
        }
        let uri = request.uri();
        let mut record = ClientRecord {
            request_id: self.request_id,
            trace: trace.clone(),
            span_id,
            method: request.method().as_str().to_string(),
            url: uri.to_string(),
            server_address: uri.host().map(str::to_string),
            server_port: uri.port_u16().or(match uri.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            }),
            status: None,
            error: None,
            start_unix_ns: unix_ns(),
            end_unix_ns: 0,
        };
        let observer = self.observer.clone();
        Box::new(async move {
            let sent = wasmtime_wasi_http::default_send_request(request, options).await;
            record.end_unix_ns = unix_ns();
            match &sent {
                Ok((response, _)) => record.status = Some(response.status().as_u16()),
                Err(e) => record.error = Some(e.to_string()),
            }
            observer.sent(record);
            let (response, io) = sent?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

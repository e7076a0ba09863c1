//! `wobs serve`: serves a `wasi:http/proxy` component as `wasmtime serve` does — linked and
//! pre-instantiated once, a fresh store and instance per request, requests handled concurrently
//! on a multi-threaded tokio runtime — and tells a [`RequestObserver`] about every request.
//!
//! # Cost
//!
//! Per request, beyond what `wasmtime serve` does: one call to [`RequestObserver::arrived`] and
//! one to [`RequestObserver::finished`] (the CLI's observer queues the record for the collector
//! thread without waiting), a clock read at each end, and a body wrapper that counts bytes.
//!
//! # Shutdown
//!
//! SIGINT or SIGTERM stops accepting connections; requests in flight finish (at most
//! [`ServeOptions::shutdown_timeout`]), then [`serve`] returns what it served.

mod outgoing;
mod output;
mod request;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wobs_events::{ClientRecord, OutputStream, ProbeMap, RequestRecord, RequestTrace, SpanId};

use crate::guest::component::{define_probes, link, Calls};
use crate::guest::{CompiledGuest, GuestCode};
use crate::run::GuestWasi;
use crate::tracer::SharedThrottle;
use crate::{CompiledComponent, Engine, RunOptions};

/// How to serve.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// What each request's instance sees (`--dir`, `--env`, `-S cli`); wasi:http is always on.
    pub guest: RunOptions,
    /// Where to listen. Default `0.0.0.0:8080`, as `wasmtime serve`.
    pub addr: SocketAddr,
    /// How long requests in flight may take to finish after SIGINT/SIGTERM. Default 10 s.
    pub shutdown_timeout: Duration,
    /// Prefix each line of the guest's output with `stdout [ID] :: ` (as `wasmtime serve`).
    /// Default on.
    pub log_prefix: bool,
    /// Sample each request's wasm stack this often (at the guest's epoch checks: the engine must
    /// be built with them). Default off.
    pub sample_interval: Option<Duration>,
    /// End a request still running after this long with 504 (the guest yields at its epoch
    /// checks, so the engine must be built with them). Default off.
    pub request_timeout: Option<Duration>,
    /// Calls of an instrumented component's functions lasting at least this become spans under
    /// their sampled request's span ([`wobs_events::RequestRecord::calls`]); the probes throttle
    /// as `guest.throttle` says, what one request throttled applying to the later ones.
    /// Default off (the probes then count nothing).
    pub span_min: Option<Duration>,
}

/// How often the epoch advances when only `request_timeout` needs it.
const TIMEOUT_TICK: Duration = Duration::from_millis(10);

/// Samples kept per request (~a minute at 1 ms): beyond, a request's samples are dropped.
pub(crate) const MAX_SAMPLES_PER_REQUEST: usize = 65_536;

/// Spans of guest calls kept per request: beyond, they are dropped and counted.
pub(crate) const MAX_SPANS_PER_REQUEST: usize = 16_384;

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            guest: RunOptions::default(),
            addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            shutdown_timeout: Duration::from_secs(10),
            log_prefix: true,
            sample_interval: None,
            request_timeout: None,
            span_min: None,
        }
    }
}

/// What the server tells its embedder. Called on the server's worker threads: keep each call
/// short and never block on the network.
pub trait RequestObserver: Send + Sync + 'static {
    /// The server listens on `addr` (the port chosen, when asked for port 0).
    fn listening(&self, addr: SocketAddr);
    /// A `method` request arrived with `headers`: decide its trace (the caller's `traceparent`,
    /// or new).
    fn arrived(&self, method: &str, headers: &http::HeaderMap) -> RequestTrace;
    /// The guest wrote `line` (without its newline) while handling request `id`.
    fn output(&self, id: u64, trace: &RequestTrace, stream: OutputStream, line: &str);
    /// Request `record.id` is over: its response was sent (or the client went away) and its
    /// handler returned.
    fn finished(&self, record: RequestRecord);
    /// An outgoing request is made while serving a request of `trace`: its CLIENT span's id and
    /// the headers that carry the trace on (`traceparent`, `tracestate`).
    fn outgoing(&self, trace: &RequestTrace) -> (SpanId, Vec<(String, String)>);
    /// An outgoing request a handler made got its response (or failed).
    fn sent(&self, record: ClientRecord);
}

/// What a server did, once it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeReport {
    /// Requests that arrived.
    pub requests: u64,
    /// Requests still running when the shutdown timeout ran out (their connections were closed).
    pub abandoned: u64,
}

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The component is not a `wasi:http/proxy` or cannot be linked.
    #[error("{0}")]
    Component(String),
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// Where.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the server's runtime: {0}")]
    Runtime(String),
}

/// Serves `component` until SIGINT or SIGTERM.
pub fn serve(
    engine: &Engine,
    component: &CompiledComponent,
    options: &ServeOptions,
    observer: Arc<dyn RequestObserver>,
) -> Result<ServeReport, ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("wobs-serve")
        .build()
        .map_err(|e| ServeError::Runtime(e.to_string()))?;
    runtime.block_on(serve_until_signalled(engine, component, options, observer))
}

/// One server's shared state.
pub(crate) struct Server {
    pre: ProxyPre<GuestWasi>,
    /// Where the component's code units are in its compiled code (for samples and traps).
    code: GuestCode,
    options: ServeOptions,
    observer: Arc<dyn RequestObserver>,
    /// The last request id given.
    last_id: AtomicU64,
    /// Requests whose handler is running or whose response is being sent.
    in_flight: AtomicU64,
    /// Notified whenever a request's record is complete.
    finished: tokio::sync::Notify,
    /// The port served, for `server.port` when the client sent no `Host`.
    port: u16,
    /// Each code unit's probes, when the component is instrumented and spans are wanted.
    probes: Vec<Option<Arc<ProbeMap>>>,
    /// The functions any request throttled.
    throttled: Arc<SharedThrottle>,
    /// Tracers of finished requests, for the next ones (at most [`MAX_FREE_TRACERS`]). Boxed as a
    /// request's store holds them, so they move between the two without being copied.
    #[allow(clippy::vec_box)]
    tracers: std::sync::Mutex<Vec<Box<crate::tracer::Tracer>>>,
}

/// Finished requests' tracers kept for reuse: enough for the requests that run at once on a
/// machine of a few dozen cores; beyond that a tracer is freed.
const MAX_FREE_TRACERS: usize = 64;

async fn serve_until_signalled(
    engine: &Engine,
    component: &CompiledComponent,
    options: &ServeOptions,
    observer: Arc<dyn RequestObserver>,
) -> Result<ServeReport, ServeError> {
    let mut guest = options.guest.clone();
    guest.http = true;
    let component_error =
        |e: wasmtime::Error| ServeError::Component(crate::one_line(&format!("{e:#}")));
    let mut linker =
        link::<GuestWasi>(engine, component, &guest, Calls::Async).map_err(component_error)?;
    define_probes(engine, component, &mut linker).map_err(component_error)?;
    let pre = linker
        .instantiate_pre(&component.component)
        .map_err(component_error)?;
    let pre = ProxyPre::new(pre).map_err(|e| {
        ServeError::Component(format!(
            "this component does not export wasi:http/incoming-handler, so it cannot serve \
             HTTP ({}); `wobs run` runs a wasi:cli/command",
            crate::one_line(&e.to_string())
        ))
    })?;
    let listener = TcpListener::bind(options.addr)
        .await
        .map_err(|e| ServeError::Listen {
            addr: options.addr,
            reason: e.to_string(),
        })?;
    let local = listener.local_addr().map_err(|e| ServeError::Listen {
        addr: options.addr,
        reason: e.to_string(),
    })?;
    // Epoch ticks pace the samples and let a request past its timeout yield to be ended.
    let _ticker = match (options.sample_interval, options.request_timeout) {
        (None, None) => None,
        (interval, _) => Some(crate::sampler::Ticker::start(
            &engine.inner,
            Some(interval.unwrap_or(TIMEOUT_TICK)),
            Arc::new(AtomicU64::new(0)),
        )),
    };
    let server = Arc::new(Server {
        pre,
        code: CompiledGuest::Component(component.clone()).code(),
        options: ServeOptions {
            guest,
            ..options.clone()
        },
        observer,
        last_id: AtomicU64::new(0),
        in_flight: AtomicU64::new(0),
        finished: tokio::sync::Notify::new(),
        port: local.port(),
        probes: match options.span_min {
            Some(_) => component.probes.clone(),
            None => Vec::new(),
        },
        throttled: Arc::new(SharedThrottle::new(&component.probes)),
        tracers: Default::default(),
    });
    server.observer.listening(local);

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, a connection reset before it was accepted: keep
                // serving the others.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let server = server.clone();
        let service = hyper::service::service_fn(move |req| {
            let server = server.clone();
            async move { Ok::<_, Infallible>(server.handle(req, peer).await) }
        });
        let connection = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away mid-request is the client's business.
            let _ = connection.await;
        });
    }
    drop(listener);
    // Connections close once their responses are sent, but a handler may still be running after
    // its response (its record, and so its span, comes when it returns): wait for both.
    let drained = tokio::time::timeout(options.shutdown_timeout, async {
        graceful.shutdown().await;
        server.all_finished().await;
    })
    .await
    .is_ok();
    Ok(ServeReport {
        requests: server.last_id.load(Ordering::SeqCst),
        abandoned: match drained {
            true => 0,
            false => server.in_flight.load(Ordering::SeqCst),
        },
    })
}

impl Server {
    /// Resolves when no request is in flight.
    async fn all_finished(&self) {
        loop {
            let finished = self.finished.notified();
            if self.in_flight.load(Ordering::SeqCst) == 0 {
                return;
            }
            finished.await;
        }
    }
}

/// Resolves at the first SIGINT or SIGTERM (or never, when they cannot be listened for).
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

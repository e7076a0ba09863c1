//! A real OTLP trace receiver, in process: a tonic gRPC server and an HTTP/1.1 server, both built
//! on the OTLP protobuf definitions (opentelemetry-proto), decoding exactly what wobs sends.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a failed unwrap is a failed test
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use opentelemetry_proto::tonic::metrics::v1::Metric;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// One span as received, with its resource's attributes.
#[derive(Clone, Debug)]
pub struct Received {
    pub span: Span,
    pub resource: Vec<KeyValue>,
}

impl Received {
    /// A span attribute as text (strings as they are, numbers and booleans printed).
    pub fn attr(&self, key: &str) -> Option<String> {
        attr(&self.span.attributes, key)
    }

    /// A resource attribute as text.
    pub fn resource_attr(&self, key: &str) -> Option<String> {
        attr(&self.resource, key)
    }

    pub fn span_id(&self) -> String {
        hex(&self.span.span_id)
    }

    pub fn parent_id(&self) -> String {
        hex(&self.span.parent_span_id)
    }

    pub fn trace_id(&self) -> String {
        hex(&self.span.trace_id)
    }
}

pub fn attr(list: &[KeyValue], key: &str) -> Option<String> {
    let value = list
        .iter()
        .find(|kv| kv.key == key)?
        .value
        .as_ref()?
        .value
        .as_ref()?;
    Some(match value {
        any_value::Value::StringValue(s) => s.clone(),
        any_value::Value::IntValue(i) => i.to_string(),
        any_value::Value::BoolValue(b) => b.to_string(),
        any_value::Value::DoubleValue(d) => d.to_string(),
        any_value::Value::ArrayValue(a) => format!("{:?}", a.values),
        other => format!("{other:?}"),
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Everything a receiver got: spans, (HTTP) the request headers, metrics and log records.
#[derive(Clone, Default)]
pub struct Inbox(
    Arc<Mutex<Vec<Received>>>,
    Arc<Mutex<Vec<(String, String)>>>,
    Arc<Mutex<Vec<Metric>>>,
    Arc<Mutex<Vec<LogRecord>>>,
);

impl Inbox {
    fn take(&self, request: ExportTraceServiceRequest) {
        let mut inbox = self.0.lock().unwrap();
        for resource_spans in request.resource_spans {
            let resource = resource_spans
                .resource
                .map(|r| r.attributes)
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    inbox.push(Received {
                        span,
                        resource: resource.clone(),
                    });
                }
            }
        }
    }

    /// Spans received so far.
    pub fn spans(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }

    /// Metrics received so far (HTTP), every export's.
    pub fn metrics(&self) -> Vec<Metric> {
        self.2.lock().unwrap().clone()
    }

    /// Log records received so far (HTTP).
    pub fn logs(&self) -> Vec<LogRecord> {
        self.3.lock().unwrap().clone()
    }

    /// Headers of the HTTP requests so far (names in lowercase).
    pub fn headers(&self) -> Vec<(String, String)> {
        self.1.lock().unwrap().clone()
    }
}

/// A running receiver.
pub struct Receiver {
    /// What to pass as `--otlp-endpoint`.
    pub endpoint: String,
    pub inbox: Inbox,
}

struct Service(Inbox);

#[tonic::async_trait]
impl TraceService for Service {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.take(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// An OTLP/gRPC receiver on a free loopback port, served until the test process ends.
pub fn grpc() -> Receiver {
    let inbox = Inbox::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let service = Service(inbox.clone());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(service))
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
                .await
                .unwrap();
        });
    });
    Receiver {
        endpoint: format!("http://127.0.0.1:{port}"),
        inbox,
    }
}

/// An OTLP/HTTP (protobuf) receiver on a free loopback port: `POST /v1/traces`, `/v1/metrics`,
/// `/v1/logs`.
pub fn http() -> Receiver {
    let inbox = Inbox::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let thread_inbox = inbox.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let inbox = thread_inbox.clone();
            std::thread::spawn(move || serve_http(stream, &inbox));
        }
    });
    Receiver {
        endpoint: format!("http://127.0.0.1:{port}"),
        inbox,
    }
}

/// Serves requests on one keep-alive connection.
fn serve_http(stream: std::net::TcpStream, inbox: &Inbox) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        let mut protobuf = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            inbox
                .1
                .lock()
                .unwrap()
                .push((name.to_ascii_lowercase(), value.trim().to_string()));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "content-type" => protobuf = value.trim() == "application/x-protobuf",
                _ => {}
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let path = request_line.split_whitespace().nth(1).unwrap_or("");
        let ok = request_line.starts_with("POST ") && protobuf;
        let ok = ok
            && match path {
                "/v1/traces" => {
                    inbox.take(ExportTraceServiceRequest::decode(body.as_slice()).unwrap());
                    true
                }
                "/v1/metrics" => {
                    let request = ExportMetricsServiceRequest::decode(body.as_slice()).unwrap();
                    let metrics = request
                        .resource_metrics
                        .into_iter()
                        .flat_map(|r| r.scope_metrics)
                        .flat_map(|s| s.metrics);
                    inbox.2.lock().unwrap().extend(metrics);
                    true
                }
                "/v1/logs" => {
                    let request = ExportLogsServiceRequest::decode(body.as_slice()).unwrap();
                    let records = request
                        .resource_logs
                        .into_iter()
                        .flat_map(|r| r.scope_logs)
                        .flat_map(|s| s.log_records);
                    inbox.3.lock().unwrap().extend(records);
                    true
                }
                _ => false,
            };
        let status = if ok { "200 OK" } else { "404 Not Found" };
        let response = ExportTraceServiceResponse {
            partial_success: None,
        }
        .encode_to_vec();
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            response.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&response).is_err() {
            return;
        }
    }
}

/// A port nothing listens on (bound, then closed).
pub fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A port that accepts connections and never answers: a collector that hangs.
pub fn silent_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().flatten() {
            open.push(stream);
        }
    });
    format!("http://127.0.0.1:{port}")
}

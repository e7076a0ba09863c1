//! wobs spans → OpenTelemetry `SpanData`, built directly (the SDK's span builder cannot set ids or
//! end times). Attribute names follow the current semantic conventions (`code.*`, `process.*`,
//! `exception.*`); wobs's own are under `wobs.`.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{Event, SpanContext, SpanKind, Status, TraceFlags, TraceState};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use wobs_events::{
    ClientRecord, MemoryGrow, Outcome, Recording, RequestRecord, RequestTrace, SpanFunction,
    SpanId, SpanRecord,
};

use crate::export::render_backtrace;
use crate::trace_context::TraceContext;

/// Everything spans share.
pub(crate) struct SpanContextParts {
    trace_id: opentelemetry::trace::TraceId,
    trace_state: TraceState,
    scope: InstrumentationScope,
    context: TraceContext,
}

impl SpanContextParts {
    pub(crate) fn new(context: &TraceContext) -> SpanContextParts {
        let trace_state = context
            .trace_state
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        SpanContextParts {
            trace_id: opentelemetry::trace::TraceId::from(context.trace_id.0),
            trace_state,
            scope: InstrumentationScope::builder("wobs")
                .with_version(env!("CARGO_PKG_VERSION"))
                .build(),
            context: context.clone(),
        }
    }

    fn span_context(&self, id: SpanId) -> SpanContext {
        SpanContext::new(
            self.trace_id,
            opentelemetry::trace::SpanId::from(id.0),
            TraceFlags::SAMPLED,
            false,
            self.trace_state.clone(),
        )
    }

    /// A span with its ids, name and times; attributes, events and status are the caller's.
    fn span(
        &self,
        id: SpanId,
        parent: Option<SpanId>,
        name: String,
        (start, end): (u64, u64),
    ) -> SpanData {
        let remote = parent.is_some() && parent == self.context.remote_parent;
        self.bare(
            self.span_context(id),
            (parent, remote),
            SpanKind::Internal,
            name,
            (start, end),
        )
    }

    /// A span with its context, parent (and whether the parent is remote), kind, name and times,
    /// and nothing else.
    fn bare(
        &self,
        context: SpanContext,
        (parent, remote): (Option<SpanId>, bool),
        kind: SpanKind,
        name: String,
        (start, end): (u64, u64),
    ) -> SpanData {
        SpanData {
            span_context: context,
            parent_span_id: opentelemetry::trace::SpanId::from(parent.map_or(0, |p| p.0)),
            parent_span_is_remote: remote,
            span_kind: kind,
            name: Cow::Owned(name),
            start_time: unix(start),
            end_time: unix(end.max(start)),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: self.scope.clone(),
        }
    }

    /// One probed call.
    pub(crate) fn call(
        &self,
        span: &SpanRecord,
        function: &SpanFunction,
        module: &str,
    ) -> SpanData {
        let mut data = self.span(
            span.span_id,
            Some(span.parent_span_id),
            function.name.clone(),
            (span.start_unix_ns, span.end_unix_ns),
        );
        Self::describe_call(&mut data, span, function, module);
        data
    }

    /// One probed call inside a served request of `trace`.
    pub(crate) fn request_call(
        &self,
        trace: &RequestTrace,
        span: &SpanRecord,
        function: &SpanFunction,
        module: &str,
    ) -> SpanData {
        let mut data = self.http_span(
            trace,
            (span.span_id, Some(span.parent_span_id)),
            SpanKind::Internal,
            &function.name,
            (span.start_unix_ns, span.end_unix_ns),
        );
        data.parent_span_is_remote = false;
        Self::describe_call(&mut data, span, function, module);
        data
    }

    /// A probed call's attributes and events.
    fn describe_call(
        data: &mut SpanData,
        span: &SpanRecord,
        function: &SpanFunction,
        module: &str,
    ) {
        let mut attributes = vec![
            KeyValue::new("code.function.name", function.name.clone()),
            KeyValue::new("wobs.wasm.module", module.to_string()),
            KeyValue::new("wobs.wasm.function_index", i64::from(function.index)),
            KeyValue::new("wobs.filtered_calls", span.filtered_calls as i64),
        ];
        if let Some(file) = &function.file {
            attributes.push(KeyValue::new("code.file.path", file.clone()));
        }
        if let Some(line) = function.line {
            attributes.push(KeyValue::new("code.line.number", i64::from(line)));
        }
        if span.unfinished {
            attributes.push(KeyValue::new("wobs.unfinished", true));
        }
        data.attributes = attributes;
        data.events = span_events(memory_events(&span.memory_grows));
    }

    /// The run itself: module, arguments, how it ended. `profile_linked`: a pprof file labels its
    /// samples with span ids, so Grafana can offer "profile for this span".
    pub(crate) fn root(&self, recording: &Recording, profile_linked: bool) -> SpanData {
        let spans = recording.spans.as_ref();
        let main = recording.modules.first();
        let mut attributes = Vec::new();
        if let Some(main) = main {
            attributes.extend([
                KeyValue::new("wobs.wasm.module", main.name.clone()),
                KeyValue::new("wobs.wasm.module.path", main.path.clone()),
                KeyValue::new("wobs.wasm.module.size", main.size as i64),
                KeyValue::new("wobs.wasm.module.sha256", main.sha256.clone()),
            ]);
        }
        let args: Vec<StringValue> = recording.run.args.iter().cloned().map(Into::into).collect();
        attributes.push(KeyValue::new(
            "process.command_args",
            Value::Array(Array::String(args)),
        ));
        if let Some(invoke) = &recording.run.invoke {
            attributes.push(KeyValue::new("wobs.invoke", invoke.clone()));
        }
        attributes.push(KeyValue::new(
            "process.exit.code",
            i64::from(recording.run.outcome.exit_code()),
        ));
        attributes.push(KeyValue::new(
            "wobs.filtered_calls",
            spans.map_or(0, |s| s.root_filtered_calls) as i64,
        ));
        attributes.push(KeyValue::new(
            "wobs.samples",
            recording.run.samples_taken as i64,
        ));
        if profile_linked {
            attributes.push(KeyValue::new(
                "pyroscope.profile.id",
                self.context.root_span_id.to_string(),
            ));
        }
        let mut events = spans.map_or_else(Vec::new, |s| memory_events(&s.root_memory_grows));
        let status = match &recording.run.outcome {
            Outcome::Exited { code: 0 } | Outcome::Returned { .. } => Status::Unset,
            Outcome::Exited { code } => Status::error(format!("exit code {code}")),
            Outcome::Trapped { message, backtrace } => {
                events.push(Event::new(
                    "exception",
                    unix(spans.map_or(0, |s| s.root_end_unix_ns)),
                    vec![
                        KeyValue::new("exception.type", "wasm trap"),
                        KeyValue::new("exception.message", message.clone()),
                        KeyValue::new(
                            "exception.stacktrace",
                            render_backtrace(backtrace, &recording.modules),
                        ),
                    ],
                    0,
                ));
                Status::error(message.clone())
            }
            Outcome::TimedOut { limit_ms } => {
                Status::error(format!("time limit of {limit_ms} ms reached"))
            }
            Outcome::Interrupted => Status::error("interrupted"),
            Outcome::Failed { message } => Status::error(message.clone()),
        };
        let (start, end) = match spans {
            Some(s) => (s.root_start_unix_ns, s.root_end_unix_ns),
            None => {
                let start = recording.run.start_unix_ms * 1_000_000;
                (start, start + recording.run.duration_ns)
            }
        };
        let name = match main {
            Some(main) => format!("wobs run {}", main.path),
            None => "wobs run".to_string(),
        };
        let mut data = self.span(
            self.context.root_span_id,
            self.context.remote_parent,
            name,
            (start, end),
        );
        data.attributes = attributes;
        data.events = span_events(events);
        data.status = status;
        data
    }
}

impl SpanContextParts {
    /// A request `wobs serve` served: a SERVER span in the request's own trace, named by its
    /// method (no route is known) with the HTTP semantic conventions' attributes; an ERROR for
    /// 5xx and failed handlers, with an `exception` event holding `stacktrace` when it trapped.
    /// `profile_linked`: profiles label the request's samples with its span id, so Grafana can
    /// offer "profile for this span".
    pub(crate) fn request(
        &self,
        record: &RequestRecord,
        stacktrace: Option<String>,
        profile_linked: bool,
    ) -> SpanData {
        let trace = &record.trace;
        let mut attributes = vec![
            KeyValue::new("http.request.method", record.method.clone()),
            KeyValue::new("url.path", record.path.clone()),
            KeyValue::new("url.scheme", record.scheme.clone()),
            KeyValue::new("http.response.status_code", i64::from(record.status)),
            KeyValue::new("server.port", i64::from(record.server_port)),
            KeyValue::new("network.protocol.version", record.protocol_version.clone()),
            KeyValue::new("wobs.request.id", record.id as i64),
        ];
        if profile_linked {
            attributes.push(KeyValue::new(
                "pyroscope.profile.id",
                trace.span_id.to_string(),
            ));
        }
        let optional = [
            ("url.query", record.query.clone()),
            ("server.address", record.server_address.clone()),
            ("client.address", record.client_address.clone()),
            ("user_agent.original", record.user_agent.clone()),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                attributes.push(KeyValue::new(key, value));
            }
        }
        for (key, size) in [
            ("http.request.body.size", record.request_body_size),
            ("http.response.body.size", record.response_body_size),
        ] {
            if let Some(size) = size {
                attributes.push(KeyValue::new(key, size as i64));
            }
        }
        if let Some(calls) = &record.calls {
            attributes.push(KeyValue::new(
                "wobs.filtered_calls",
                calls.filtered_calls as i64,
            ));
            if calls.dropped > 0 {
                attributes.push(KeyValue::new("wobs.dropped_spans", calls.dropped as i64));
            }
        }
        let mut events = Vec::new();
        let status = match &record.failure {
            Some(failure) => {
                let mut exception = vec![
                    KeyValue::new("exception.type", "wasm trap"),
                    KeyValue::new("exception.message", failure.message.clone()),
                ];
                if let Some(stacktrace) = stacktrace {
                    exception.push(KeyValue::new("exception.stacktrace", stacktrace));
                }
                events.push(Event::new(
                    "exception",
                    unix(record.end_unix_ns),
                    exception,
                    0,
                ));
                attributes.push(KeyValue::new("error.type", "wasm trap"));
                Status::error(failure.message.clone())
            }
            None if record.status >= 500 => {
                attributes.push(KeyValue::new("error.type", record.status.to_string()));
                Status::error(format!("HTTP {}", record.status))
            }
            None => Status::Unset,
        };
        let mut data = self.http_span(
            trace,
            (trace.span_id, trace.remote_parent),
            SpanKind::Server,
            &record.method,
            (record.start_unix_ns, record.end_unix_ns),
        );
        data.attributes = attributes;
        data.events = span_events(events);
        data.status = status;
        data
    }

    /// An outgoing request a served handler made: a CLIENT span under the request's SERVER
    /// span; an ERROR for 4xx, 5xx and requests that got no response, as the HTTP semantic
    /// conventions say for clients.
    pub(crate) fn client(&self, record: &ClientRecord) -> SpanData {
        let mut attributes = vec![
            KeyValue::new("http.request.method", record.method.clone()),
            KeyValue::new("url.full", record.url.clone()),
            KeyValue::new("wobs.request.id", record.request_id as i64),
        ];
        if let Some(address) = &record.server_address {
            attributes.push(KeyValue::new("server.address", address.clone()));
        }
        if let Some(port) = record.server_port {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
        if let Some(status) = record.status {
            attributes.push(KeyValue::new(
                "http.response.status_code",
                i64::from(status),
            ));
        }
        let status = match (record.status, &record.error) {
            (_, Some(error)) => {
                attributes.push(KeyValue::new("error.type", "request failed"));
                Status::error(error.clone())
            }
            (Some(code), None) if code >= 400 => {
                attributes.push(KeyValue::new("error.type", code.to_string()));
                Status::error(format!("HTTP {code}"))
            }
            _ => Status::Unset,
        };
        let trace = &record.trace;
        let mut data = self.http_span(
            trace,
            (record.span_id, Some(trace.span_id)),
            SpanKind::Client,
            &record.method,
            (record.start_unix_ns, record.end_unix_ns),
        );
        data.parent_span_is_remote = false;
        data.attributes = attributes;
        data.status = status;
        data
    }

    /// A span of a served request's trace, `(id, parent)`, named `name`; attributes, events and
    /// status are the caller's.
    fn http_span(
        &self,
        trace: &RequestTrace,
        (id, parent): (SpanId, Option<SpanId>),
        kind: SpanKind,
        name: &str,
        (start, end): (u64, u64),
    ) -> SpanData {
        let trace_state = trace
            .trace_state
            .as_deref()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        let context = SpanContext::new(
            opentelemetry::trace::TraceId::from(trace.trace_id.0),
            opentelemetry::trace::SpanId::from(id.0),
            TraceFlags::SAMPLED,
            false,
            trace_state,
        );
        self.bare(
            context,
            (parent, parent.is_some()),
            kind,
            name.to_string(),
            (start, end),
        )
    }
}

fn memory_events(grows: &[MemoryGrow]) -> Vec<Event> {
    grows
        .iter()
        .map(|g| {
            Event::new(
                "memory.grow",
                unix(g.time_unix_ns),
                vec![KeyValue::new(
                    "wobs.wasm.memory.grow.pages",
                    i64::from(g.pages),
                )],
                0,
            )
        })
        .collect()
}

fn span_events(events: Vec<Event>) -> SpanEvents {
    let mut all = SpanEvents::default();
    all.events = events;
    all
}

fn unix(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

//! Spans as Chrome trace-event JSON (`{"traceEvents": [...]}`), which Perfetto UI and
//! `chrome://tracing` open with no server: one complete (`"ph": "X"`) event per span, times in
//! microseconds since the guest started, nested by time on one track.

use serde_json::{json, Value};
use wobs_events::Recording;

use super::ExportError;

/// The recording's spans as Chrome trace-event JSON; the root span covers the whole run. A
/// recording without spans (an uninstrumented run) gives just the root.
pub fn chrome_trace_json(recording: &Recording) -> Result<String, ExportError> {
    let start_ns = recording
        .spans
        .as_ref()
        .map_or(recording.run.start_unix_ms * 1_000_000, |s| {
            s.root_start_unix_ns
        });
    let micros = |unix_ns: u64| unix_ns.saturating_sub(start_ns) as f64 / 1000.0;
    let run_name = format!(
        "wobs run {}",
        recording.modules.first().map_or("", |m| m.path.as_str())
    );
    let mut events = vec![
        json!({"ph": "M", "pid": 1, "name": "process_name", "args": {"name": run_name}}),
        json!({"ph": "M", "pid": 1, "tid": 1, "name": "thread_name", "args": {"name": "guest"}}),
    ];
    let (root_start, root_end) = match &recording.spans {
        Some(s) => (s.root_start_unix_ns, s.root_end_unix_ns),
        None => (start_ns, start_ns + recording.run.duration_ns),
    };
    let mut root_args = json!({"exit_code": recording.run.outcome.exit_code()});
    if let Some(spans) = &recording.spans {
        root_args["span_id"] = json!(spans.root_span_id.to_string());
        root_args["trace_id"] = json!(spans.trace_id.to_string());
        root_args["filtered_calls"] = json!(spans.root_filtered_calls);
    }
    events.push(json!({
        "ph": "X", "pid": 1, "tid": 1, "cat": "run",
        "name": run_name,
        "ts": micros(root_start), "dur": micros(root_end) - micros(root_start),
        "args": root_args,
    }));
    if let Some(spans) = &recording.spans {
        for span in &spans.spans {
            let Some(function) = spans.functions.get(span.function as usize) else {
                continue;
            };
            let mut args = json!({
                "span_id": span.span_id.to_string(),
                "function_index": function.index,
                "filtered_calls": span.filtered_calls,
            });
            if let Some(file) = &function.file {
                args["file"] = Value::String(match function.line {
                    Some(line) => format!("{file}:{line}"),
                    None => file.clone(),
                });
            }
            if span.unfinished {
                args["unfinished"] = json!(true);
            }
            events.push(json!({
                "ph": "X", "pid": 1, "tid": 1, "cat": "call",
                "name": function.name,
                "ts": micros(span.start_unix_ns),
                "dur": micros(span.end_unix_ns) - micros(span.start_unix_ns),
                "args": args,
            }));
            for grow in &span.memory_grows {
                events.push(json!({
                    "ph": "i", "s": "t", "pid": 1, "tid": 1, "cat": "memory",
                    "name": "memory.grow", "ts": micros(grow.time_unix_ns),
                    "args": {"pages": grow.pages},
                }));
            }
        }
    }
    Ok(serde_json::to_string(
        &json!({"traceEvents": events, "displayTimeUnit": "ns"}),
    )?)
}

//! Gzipped pprof (`profile.proto`), read by `go tool pprof`, Grafana Pyroscope and most profile
//! viewers. Samples taken inside a kept span carry a `span_id` label (the span's hex id), the
//! convention Pyroscope uses to link a trace span to its profile ("profile for this span").
//!
//! Sample types are `samples/count` and `cpu/nanoseconds` (one sampling interval per sample),
//! with period type `cpu/nanoseconds`: Pyroscope files this as `process_cpu`.

use std::collections::HashMap;
use std::io::Write;

use prost::Message;
use wobs_events::Recording;

use super::ExportError;

/// The recording's samples as a gzipped pprof profile.
pub fn pprof_gz(recording: &Recording) -> Result<Vec<u8>, ExportError> {
    let profile = build(recording);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&profile.encode_to_vec())
        .and_then(|_| gz.finish())
        .map_err(|e| ExportError::Pprof(e.to_string()))
}

fn build(recording: &Recording) -> Profile {
    let mut strings = StringTable::default();
    let interval = recording.run.interval_ns.max(1) as i64;
    let cpu = ValueType {
        r#type: strings.id("cpu"),
        unit: strings.id("nanoseconds"),
    };
    let sample_type = vec![
        ValueType {
            r#type: strings.id("samples"),
            unit: strings.id("count"),
        },
        cpu.clone(),
    ];
    let mut functions: Vec<Function> = Vec::new();
    let mut function_ids: HashMap<(&str, Option<&str>), u64> = HashMap::new();
    let locations: Vec<Location> = recording
        .frames
        .iter()
        .enumerate()
        .map(|(index, frame)| {
            let key = (frame.function.as_str(), frame.file.as_deref());
            let function_id = *function_ids.entry(key).or_insert_with(|| {
                let id = functions.len() as u64 + 1;
                let name = strings.id(&frame.function);
                functions.push(Function {
                    id,
                    name,
                    system_name: name,
                    filename: strings.id(frame.file.as_deref().unwrap_or("")),
                    start_line: 0,
                });
                id
            });
            Location {
                id: index as u64 + 1,
                mapping_id: 0,
                address: 0,
                line: vec![Line {
                    function_id,
                    line: frame.line.map_or(0, i64::from),
                    column: frame.column.map_or(0, i64::from),
                }],
                is_folded: false,
            }
        })
        .collect();
    let span_key = strings.id("span_id");
    let samples = recording
        .samples
        .iter()
        .filter_map(|sample| {
            let stack = recording.stacks.get(sample.stack as usize)?;
            Some(Sample {
                location_id: stack
                    .frames
                    .iter()
                    .rev()
                    .map(|&f| u64::from(f) + 1)
                    .collect(),
                value: vec![1, interval],
                label: sample
                    .span_id
                    .map(|span| Label {
                        key: span_key,
                        str: strings.id(&span.to_string()),
                        num: 0,
                        num_unit: 0,
                    })
                    .into_iter()
                    .collect(),
            })
        })
        .collect();
    Profile {
        sample_type,
        sample: samples,
        mapping: Vec::new(),
        location: locations,
        function: functions,
        string_table: strings.strings,
        drop_frames: 0,
        keep_frames: 0,
        time_nanos: (recording.run.start_unix_ms * 1_000_000) as i64,
        duration_nanos: recording.run.duration_ns as i64,
        period_type: Some(cpu),
        period: interval,
        comment: Vec::new(),
        default_sample_type: 1,
    }
}

/// pprof's string table: index 0 is always "".
struct StringTable {
    strings: Vec<String>,
    ids: HashMap<String, i64>,
}

impl Default for StringTable {
    fn default() -> Self {
        StringTable {
            strings: vec![String::new()],
            ids: HashMap::from([(String::new(), 0)]),
        }
    }
}

impl StringTable {
    fn id(&mut self, text: &str) -> i64 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.strings.len() as i64;
        self.strings.push(text.to_string());
        self.ids.insert(text.to_string(), id);
        id
    }
}

// The messages of github.com/google/pprof/proto/profile.proto that wobs writes.

/// `perftools.profiles.Profile`.
#[derive(Clone, PartialEq, Message)]
pub struct Profile {
    /// What each sample value measures.
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    /// The samples.
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    /// Binaries (unused: wasm modules are not mapped).
    #[prost(message, repeated, tag = "3")]
    pub mapping: Vec<Mapping>,
    /// Code locations.
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    /// Functions.
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    /// Every string; index 0 is "".
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    /// Unused.
    #[prost(int64, tag = "7")]
    pub drop_frames: i64,
    /// Unused.
    #[prost(int64, tag = "8")]
    pub keep_frames: i64,
    /// Start, ns since the Unix epoch.
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    /// Length, ns.
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    /// What the period measures.
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    /// Sampling period.
    #[prost(int64, tag = "12")]
    pub period: i64,
    /// Free-form comments (string ids).
    #[prost(int64, repeated, tag = "13")]
    pub comment: Vec<i64>,
    /// Index of the sample type shown by default.
    #[prost(int64, tag = "14")]
    pub default_sample_type: i64,
}

/// `ValueType`.
#[derive(Clone, PartialEq, Message)]
pub struct ValueType {
    /// String id of the type.
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    /// String id of the unit.
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

/// `Sample`.
#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    /// Location ids, leaf first.
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    /// One value per sample type.
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
    /// Labels.
    #[prost(message, repeated, tag = "3")]
    pub label: Vec<Label>,
}

/// `Label`.
#[derive(Clone, PartialEq, Message)]
pub struct Label {
    /// String id of the key.
    #[prost(int64, tag = "1")]
    pub key: i64,
    /// String id of the value.
    #[prost(int64, tag = "2")]
    pub str: i64,
    /// Numeric value.
    #[prost(int64, tag = "3")]
    pub num: i64,
    /// String id of the numeric value's unit.
    #[prost(int64, tag = "4")]
    pub num_unit: i64,
}

/// `Mapping`.
#[derive(Clone, PartialEq, Message)]
pub struct Mapping {
    /// Mapping id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
}

/// `Location`.
#[derive(Clone, PartialEq, Message)]
pub struct Location {
    /// Location id (non-zero).
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// 0: none.
    #[prost(uint64, tag = "2")]
    pub mapping_id: u64,
    /// 0: none.
    #[prost(uint64, tag = "3")]
    pub address: u64,
    /// Source lines.
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
    /// Inlined into its caller.
    #[prost(bool, tag = "5")]
    pub is_folded: bool,
}

/// `Line`.
#[derive(Clone, PartialEq, Message)]
pub struct Line {
    /// Function id.
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    /// Line number.
    #[prost(int64, tag = "2")]
    pub line: i64,
    /// Column.
    #[prost(int64, tag = "3")]
    pub column: i64,
}

/// `Function`.
#[derive(Clone, PartialEq, Message)]
pub struct Function {
    /// Function id (non-zero).
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// String id of the name.
    #[prost(int64, tag = "2")]
    pub name: i64,
    /// String id of the mangled name.
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    /// String id of the file.
    #[prost(int64, tag = "4")]
    pub filename: i64,
    /// First line.
    #[prost(int64, tag = "5")]
    pub start_line: i64,
}

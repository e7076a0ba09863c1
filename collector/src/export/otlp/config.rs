//! Where and how to send a signal (traces, metrics, logs), resolved the OpenTelemetry way: flags,
//! then the signal-specific `OTEL_EXPORTER_OTLP_TRACES_*` (`_METRICS_*`, `_LOGS_*`) variables, then
//! the general `OTEL_EXPORTER_OTLP_*` ones, then the specification's defaults. Headers (`OTEL_EXPORTER_OTLP_HEADERS`) are read by the exporter
//! itself; resource attributes (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`) by the SDK.

use std::time::Duration;

use super::OtlpError;

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// OTLP/gRPC (default port 4317).
    Grpc,
    /// OTLP/HTTP with protobuf bodies (default port 4318, path `/v1/traces`).
    HttpProtobuf,
}

impl OtlpProtocol {
    /// Parses the specification's names: `grpc`, `http/protobuf`.
    pub fn parse(text: &str) -> Result<OtlpProtocol, OtlpError> {
        match text.trim() {
            "grpc" => Ok(OtlpProtocol::Grpc),
            "http/protobuf" | "http" => Ok(OtlpProtocol::HttpProtobuf),
            other => Err(OtlpError::Config(format!(
                "OTLP protocol {other:?} is not supported (use grpc or http/protobuf)"
            ))),
        }
    }

    /// The specification's name.
    pub fn name(self) -> &'static str {
        match self {
            OtlpProtocol::Grpc => "grpc",
            OtlpProtocol::HttpProtobuf => "http/protobuf",
        }
    }
}

/// What is exported: each has its own variables and its own HTTP path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Spans (`/v1/traces`).
    Traces,
    /// Metrics (`/v1/metrics`).
    Metrics,
    /// Log records (`/v1/logs`).
    Logs,
}

impl Signal {
    /// `TRACES`, as in `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`.
    fn variable(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
            Signal::Logs => "LOGS",
        }
    }

    /// `/v1/traces`, the OTLP/HTTP path.
    fn path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Metrics => "/v1/metrics",
            Signal::Logs => "/v1/logs",
        }
    }
}

/// How to export.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OtlpConfig {
    /// Full URL spans are sent to (for HTTP including `/v1/traces`).
    pub endpoint: String,
    /// Transport.
    pub protocol: OtlpProtocol,
    /// Per request, and the most wobs waits for the last spans after the guest ends. Default 10 s.
    pub timeout: Duration,
    /// `service.name` unless `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` set one.
    pub service_name: String,
    /// Spans per request (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
    pub batch_size: usize,
    /// Longest a finished span waits before it is sent (`OTEL_BSP_SCHEDULE_DELAY`, default 1 s,
    /// so a long-running guest shows up live).
    pub batch_delay: Duration,
    /// Batches waiting for the network at most (`OTEL_BSP_MAX_QUEUE_SIZE` / batch size; default
    /// 32768 spans); beyond, batches are dropped and counted.
    pub queued_batches: usize,
}

impl OtlpConfig {
    /// Resolves the configuration from the environment; `endpoint` and `protocol` (from flags)
    /// win over it. `endpoint` is a base URL like `OTEL_EXPORTER_OTLP_ENDPOINT`: for HTTP,
    /// `/v1/traces` is appended unless already there.
    pub fn from_env(
        endpoint: Option<&str>,
        protocol: Option<&str>,
        service_name: &str,
    ) -> Result<OtlpConfig, OtlpError> {
        Self::from_env_for(Signal::Traces, endpoint, protocol, service_name)
    }

    /// [`Self::from_env`] for `signal`: its variables, and its path appended to a base URL.
    pub fn from_env_for(
        signal: Signal,
        endpoint: Option<&str>,
        protocol: Option<&str>,
        service_name: &str,
    ) -> Result<OtlpConfig, OtlpError> {
        Self::resolve(signal, endpoint, protocol, service_name, |name| {
            std::env::var(name).ok().filter(|v| !v.trim().is_empty())
        })
    }

    fn resolve(
        signal: Signal,
        endpoint: Option<&str>,
        protocol: Option<&str>,
        service_name: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<OtlpConfig, OtlpError> {
        let own = |name: &str| format!("OTEL_EXPORTER_OTLP_{}_{name}", signal.variable());
        let protocol = match protocol
            .map(str::to_string)
            .or_else(|| env(&own("PROTOCOL")))
            .or_else(|| env("OTEL_EXPORTER_OTLP_PROTOCOL"))
        {
            Some(name) => OtlpProtocol::parse(&name)?,
            None => OtlpProtocol::HttpProtobuf,
        };
        let endpoint = match (endpoint, env(&own("ENDPOINT"))) {
            (Some(base), _) => signal_url(base, protocol, signal),
            (None, Some(exact)) => exact,
            (None, None) => match env("OTEL_EXPORTER_OTLP_ENDPOINT") {
                Some(base) => signal_url(&base, protocol, signal),
                None => match protocol {
                    OtlpProtocol::Grpc => "http://localhost:4317".to_string(),
                    OtlpProtocol::HttpProtobuf => {
                        format!("http://localhost:4318{}", signal.path())
                    }
                },
            },
        };
        let given = endpoint.strip_suffix(signal.path()).unwrap_or(&endpoint);
        if !(given.starts_with("http://") || given.starts_with("https://")) {
            return Err(OtlpError::Config(format!(
                "OTLP endpoint {given:?} must start with http:// or https://"
            )));
        }
        let timeout = match env(&own("TIMEOUT")).or_else(|| env("OTEL_EXPORTER_OTLP_TIMEOUT")) {
            Some(ms) => Duration::from_millis(ms.trim().parse().map_err(|_| {
                OtlpError::Config(format!(
                    "OTEL_EXPORTER_OTLP_TIMEOUT {ms:?} is not milliseconds"
                ))
            })?),
            None => Duration::from_secs(10),
        };
        // The batch span processor's variables, with wobs's defaults: a run is a burst, so the
        // queue is larger than the SDK's 2048 and the delay shorter than its 5 s.
        let number = |name: &str, default: u64| -> Result<u64, OtlpError> {
            env(name).map_or(Ok(default), |v| {
                v.trim()
                    .parse()
                    .map_err(|_| OtlpError::Config(format!("{name} {v:?} is not a number")))
            })
        };
        let batch_size = number("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512)?.clamp(1, 1 << 16) as usize;
        // The queue is allocated up front: a huge value must not abort the process.
        let queue = number("OTEL_BSP_MAX_QUEUE_SIZE", 32_768)?.min(1 << 22) as usize;
        Ok(OtlpConfig {
            endpoint,
            protocol,
            timeout,
            service_name: service_name.to_string(),
            batch_size,
            batch_delay: Duration::from_millis(number("OTEL_BSP_SCHEDULE_DELAY", 1000)?),
            queued_batches: (queue / batch_size).max(1),
        })
    }
}

/// The URL of `signal` for a base endpoint (a flag's URL may name the traces path already: the
/// other signals replace it with theirs).
fn signal_url(base: &str, protocol: OtlpProtocol, signal: Signal) -> String {
    let base = base.trim();
    match protocol {
        OtlpProtocol::Grpc => base.to_string(),
        OtlpProtocol::HttpProtobuf => {
            let base = base.trim_end_matches('/');
            let base = base.strip_suffix(Signal::Traces.path()).unwrap_or(base);
            let base = base.strip_suffix(signal.path()).unwrap_or(base);
            format!("{base}{}", signal.path())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(
        endpoint: Option<&str>,
        protocol: Option<&str>,
        env: &[(&str, &str)],
    ) -> Result<OtlpConfig, OtlpError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        OtlpConfig::resolve(Signal::Traces, endpoint, protocol, "app", |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_follow_the_specification() {
        let c = resolve(None, None, &[]).unwrap();
        assert_eq!(c.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(c.endpoint, "http://localhost:4318/v1/traces");
        assert_eq!(c.timeout, Duration::from_secs(10));
        let c = resolve(None, Some("grpc"), &[]).unwrap();
        assert_eq!(c.endpoint, "http://localhost:4317");
    }

    #[test]
    fn signal_variables_win_and_flags_win_over_both() {
        let env = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "250"),
        ];
        let c = resolve(None, None, &env).unwrap();
        assert_eq!(c.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(c.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(c.timeout, Duration::from_millis(250));
        let exact = [("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://x:1/custom")];
        assert_eq!(
            resolve(None, None, &exact).unwrap().endpoint,
            "http://x:1/custom"
        );
        let c = resolve(Some("http://flag:9/v1/traces"), Some("grpc"), &env).unwrap();
        assert_eq!(
            (c.protocol, c.endpoint.as_str()),
            (OtlpProtocol::Grpc, "http://flag:9/v1/traces")
        );
    }

    #[test]
    fn each_signal_has_its_path_and_variables() {
        let env = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "grpc"),
        ];
        let get = |name: &str| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let metrics = OtlpConfig::resolve(Signal::Metrics, None, None, "app", get).unwrap();
        assert_eq!(metrics.endpoint, "http://collector:4318/v1/metrics");
        let logs = OtlpConfig::resolve(Signal::Logs, None, None, "app", get).unwrap();
        assert_eq!(logs.protocol, OtlpProtocol::Grpc);
        let flag = Some("http://flag:4318/v1/traces");
        let logs = OtlpConfig::resolve(Signal::Logs, flag, Some("http/protobuf"), "app", |_| None);
        assert_eq!(logs.unwrap().endpoint, "http://flag:4318/v1/logs");
    }

    #[test]
    fn huge_queues_are_capped() {
        let env = [("OTEL_BSP_MAX_QUEUE_SIZE", "18446744073709551615")];
        let c = resolve(None, None, &env).unwrap();
        assert!(c.queued_batches * c.batch_size <= 1 << 22);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(resolve(None, Some("http/json"), &[]).is_err());
        assert!(resolve(Some("collector:4317"), None, &[]).is_err());
        assert!(resolve(None, None, &[("OTEL_EXPORTER_OTLP_TIMEOUT", "soon")]).is_err());
    }
}

//! Metrics and logs go out through the OpenTelemetry SDK's own pipelines (a periodic metric
//! reader, a batch log processor), which call their exporter from threads of their own. The HTTP
//! exporter's blocking client works there; tonic's gRPC client needs a tokio runtime, so a gRPC
//! exporter gets a single-threaded runtime of its own ([`OnRuntime`]) and runs each export to
//! completion on it.

use std::fmt;
use std::time::Duration;

use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::Resource;

use super::{resource, OtlpConfig, OtlpError, OtlpProtocol};

/// A meter provider exporting every `interval` to `config`'s endpoint (cumulative temporality, as
/// the specification's default).
pub fn meter_provider(
    config: &OtlpConfig,
    interval: Duration,
) -> Result<SdkMeterProvider, OtlpError> {
    let runtime = grpc_runtime(config)?;
    let _inside = runtime.as_ref().map(tokio::runtime::Runtime::enter);
    let built = otlp_exporter!(MetricExporter, config);
    let exporter = built.map_err(|e| setup(config, e))?;
    drop(_inside);
    let reader = PeriodicReader::builder(OnRuntime {
        runtime,
        inner: exporter,
    })
    .with_interval(interval)
    .build();
    Ok(SdkMeterProvider::builder()
        .with_reader(reader)
        .with_resource(resource(config))
        .build())
}

/// A logger provider batching records to `config`'s endpoint.
pub fn logger_provider(config: &OtlpConfig) -> Result<SdkLoggerProvider, OtlpError> {
    let runtime = grpc_runtime(config)?;
    let _inside = runtime.as_ref().map(tokio::runtime::Runtime::enter);
    let built = otlp_exporter!(LogExporter, config);
    let exporter = built.map_err(|e| setup(config, e))?;
    drop(_inside);
    Ok(SdkLoggerProvider::builder()
        .with_batch_exporter(OnRuntime {
            runtime,
            inner: exporter,
        })
        .with_resource(resource(config))
        .build())
}

/// A runtime for a gRPC exporter; none for HTTP.
fn grpc_runtime(config: &OtlpConfig) -> Result<Option<tokio::runtime::Runtime>, OtlpError> {
    match config.protocol {
        OtlpProtocol::HttpProtobuf => Ok(None),
        OtlpProtocol::Grpc => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(Some)
            .map_err(|e| setup(config, e)),
    }
}

fn setup(config: &OtlpConfig, error: impl fmt::Display) -> OtlpError {
    OtlpError::Setup {
        endpoint: config.endpoint.clone(),
        reason: error.to_string(),
    }
}

/// An exporter whose exports run to completion on its own runtime (gRPC) or on the calling
/// thread (HTTP).
struct OnRuntime<E> {
    runtime: Option<tokio::runtime::Runtime>,
    inner: E,
}

impl<E> OnRuntime<E> {
    fn run<F: std::future::Future>(&self, export: F) -> F::Output {
        match &self.runtime {
            Some(runtime) => runtime.block_on(export),
            None => futures_executor::block_on(export),
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for OnRuntime<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<E: PushMetricExporter> PushMetricExporter for OnRuntime<E> {
    fn export(
        &self,
        metrics: &ResourceMetrics,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.run(self.inner.export(metrics)))
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

impl<E: LogExporter> LogExporter for OnRuntime<E> {
    fn export(
        &self,
        batch: LogBatch<'_>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        std::future::ready(self.run(self.inner.export(batch)))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

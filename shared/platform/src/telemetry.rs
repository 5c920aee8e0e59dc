//! Logs, traces and metrics.
//!
//! `tracing` is filtered first (default `info`), so disabled spans and events cost next to nothing.
//! Every RPC gets a span following the OpenTelemetry RPC conventions, parented on the caller's W3C
//! `traceparent`; its trace id is a field of the span, so human and JSON logs carry it. Traces and
//! metrics go out over OTLP (gRPC) in batches when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and the
//! standard `OTEL_*` variables (service name, resource attributes, sampler) are honoured.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry::{KeyValue, global};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;

/// Log filter used when none is configured: our own info, chatty dependencies only when they warn.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,h2=warn,hyper=warn,hyper_util=warn,tower=warn,opentelemetry=warn,opentelemetry_sdk=warn";

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Telemetry settings.
#[derive(Debug, Clone, clap::Args)]
pub struct TelemetryConfig {
    /// Log filter in `tracing` EnvFilter syntax, e.g. `info` or `info,logistics_customers=debug`.
    #[arg(long = "log", env = "LOGISTICS_LOG", default_value = DEFAULT_LOG_FILTER, global = true)]
    pub log_filter: String,

    /// Log format.
    #[arg(long, env = "LOGISTICS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// OTLP/gRPC endpoint for traces and metrics, e.g. `http://otel-collector:4317`; nothing is
    /// exported when unset. The other standard `OTEL_*` variables apply as usual.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,
}

/// Keeps the exporters alive; flushes what is buffered when dropped.
#[must_use = "dropping the guard shuts telemetry down"]
pub struct TelemetryGuard {
    tracer_provider: SdkTracerProvider,
    meter_provider: Option<SdkMeterProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Err(error) = self.tracer_provider.shutdown() {
            eprintln!("telemetry: flushing traces failed: {error}");
        }
        if let Some(meter_provider) = &self.meter_provider
            && let Err(error) = meter_provider.shutdown()
        {
            eprintln!("telemetry: flushing metrics failed: {error}");
        }
    }
}

/// Installs the global subscriber writing logs to stderr. Call once, from `main`.
pub fn init(config: &TelemetryConfig, service_name: &str) -> anyhow::Result<TelemetryGuard> {
    init_with_writer(config, service_name, std::io::stderr)
}

/// Installs the global subscriber writing logs to `writer`: tests pass a buffer to read them back.
pub fn init_with_writer<W>(
    config: &TelemetryConfig,
    service_name: &str,
    writer: W,
) -> anyhow::Result<TelemetryGuard>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    global::set_text_map_propagator(TraceContextPropagator::new());

    let endpoint = config
        .otlp_endpoint
        .as_deref()
        .filter(|url| !url.is_empty());
    // Without an endpoint the provider still mints trace ids (for logs and propagation) but exports nothing.
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(
            std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| service_name.to_owned()),
        )
        .build();
    let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
    let mut meter_provider = None;
    if let Some(endpoint) = endpoint {
        // Batched: spans are queued and sent from a background task, never on the call's path.
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        tracer_builder = tracer_builder.with_batch_exporter(spans);
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()?;
        let provider = SdkMeterProvider::builder()
            .with_periodic_exporter(metrics)
            .with_resource(resource)
            .build();
        global::set_meter_provider(provider.clone());
        meter_provider = Some(provider);
    }
    let tracer_provider = tracer_builder.build();
    global::set_tracer_provider(tracer_provider.clone());

    tracing::subscriber::set_global_default(subscriber(config, writer, &tracer_provider)?)?;
    if let Some(endpoint) = endpoint {
        tracing::info!(endpoint, "exporting traces and metrics over OTLP");
    }
    Ok(TelemetryGuard {
        tracer_provider,
        meter_provider,
    })
}

/// The `tracing` subscriber: the log filter first, so whatever it disables costs next to nothing
/// in the layers after it; then spans into OpenTelemetry; then log lines to `writer`.
pub fn subscriber<W>(
    config: &TelemetryConfig,
    writer: W,
    tracer_provider: &SdkTracerProvider,
) -> anyhow::Result<Box<dyn tracing::Subscriber + Send + Sync>>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&config.log_filter)
        .map_err(|error| anyhow::anyhow!("invalid log filter {:?}: {error}", config.log_filter))?;
    let otel = tracing_opentelemetry::layer()
        .with_tracer(tracer_provider.tracer("logistics"))
        .with_tracked_inactivity(false)
        .with_threads(false);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    Ok(match config.log_format {
        LogFormat::Pretty => {
            Box::new(registry.with(tracing_subscriber::fmt::layer().with_writer(writer)))
        }
        LogFormat::Json => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            ),
        ),
    })
}

/// Reads W3C trace context from HTTP/2 headers.
struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes W3C trace context into gRPC request metadata.
struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// Adds the current span's trace context to an outgoing call, so one trace spans services.
pub fn inject_trace_context(metadata: &mut tonic::metadata::MetadataMap) {
    let context = tracing::Span::current().context();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(metadata));
    });
}

/// Tower layer giving every incoming RPC its span, its trace parent and its duration metric.
#[derive(Clone)]
pub struct RpcTelemetryLayer {
    duration: opentelemetry::metrics::Histogram<f64>,
}

impl RpcTelemetryLayer {
    /// Builds the layer; call after [`init`] so the metric goes to the installed provider.
    pub fn new() -> Self {
        let duration = global::meter("logistics")
            .f64_histogram("rpc.server.call.duration")
            .with_unit("s")
            .with_description("Duration of incoming RPCs, until the response headers")
            .build();
        Self { duration }
    }
}

impl Default for RpcTelemetryLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> tower::Layer<S> for RpcTelemetryLayer {
    type Service = RpcTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTelemetry {
            inner,
            duration: self.duration.clone(),
        }
    }
}

/// The service made by [`RpcTelemetryLayer`].
#[derive(Clone)]
pub struct RpcTelemetry<S> {
    inner: S,
    duration: opentelemetry::metrics::Histogram<f64>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for RpcTelemetry<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        let (service, method) = split_grpc_path(path);
        let span = tracing::info_span!(
            "rpc",
            otel.name = path,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            rpc.grpc.status_code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        let parent = global::get_text_map_propagator(|propagator| {
            propagator.extract(&HeaderExtractor(request.headers()))
        });
        let _ = span.set_parent(parent);
        let trace_id = span.context().span().span_context().trace_id();
        if trace_id != opentelemetry::trace::TraceId::INVALID {
            span.record("trace_id", tracing::field::display(trace_id));
        }
        let attributes = [
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", service.to_owned()),
            KeyValue::new("rpc.method", method.to_owned()),
        ];

        let duration = self.duration.clone();
        let started = Instant::now();
        let response = self.inner.call(request);
        Box::pin(
            async move {
                let result = response.await;
                // Handlers that fail answer trailers-only, so the status is in the headers; a
                // response that starts normally is OK as far as its headers go.
                let code = match &result {
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok()?.parse::<i64>().ok())
                        .unwrap_or(0),
                    Err(_) => 2,
                };
                let elapsed = started.elapsed();
                tracing::Span::current().record("rpc.grpc.status_code", code);
                tracing::debug!(
                    code,
                    elapsed_ms = elapsed.as_secs_f64() * 1e3,
                    "rpc finished"
                );
                let mut attributes = attributes.to_vec();
                attributes.push(KeyValue::new("rpc.grpc.status_code", code));
                duration.record(elapsed.as_secs_f64(), &attributes);
                result
            }
            .instrument(span),
        )
    }
}

/// Splits `/package.Service/Method` into its service and method.
pub fn split_grpc_path(path: &str) -> (&str, &str) {
    path.trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_paths_split_into_service_and_method() {
        assert_eq!(
            split_grpc_path("/logistics.customers.v1.CustomerService/GetCustomer"),
            ("logistics.customers.v1.CustomerService", "GetCustomer")
        );
        assert_eq!(split_grpc_path("/odd"), ("/odd", ""));
    }
}

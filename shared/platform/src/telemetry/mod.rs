//! Logs, traces and metrics.
//!
//! `tracing` is filtered first (default `info`), so disabled spans and events cost next to nothing.
//! Every RPC gets a span following the OpenTelemetry RPC conventions ([`server`] for incoming
//! calls, [`client`] for calls to peers), parented on the caller's W3C `traceparent`; the lines
//! logged during a call carry its method and trace id, human-readable and JSON ([`log_lines`]).
//! Traces and metrics go out over OTLP (gRPC) in batches when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set, and the standard `OTEL_*` variables (resource attributes, sampler, batch sizes) are
//! honoured. Spans are written into OTLP's protobuf where they end ([`span_batches`]) and sent
//! as written ([`span_export`]): the official exporter's copies cost the hot path a tenth of its
//! CPU with every span exported.
//!
//! Each service exports under its own resource ([`service`]), also when `logistics up` runs all of
//! them in one process: a backend must tell customers' calls from orders' calls.

pub mod client;
mod exported_spans;
mod log_fields;
mod log_lines;
mod providers;
pub mod server;
mod span_batches;
mod span_encoding;
mod span_export;

use opentelemetry::global;
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;

pub use client::{ClientTelemetry, ClientTelemetryLayer};
pub use providers::{ServiceTelemetry, TelemetryGuard, service, service_resource_name};
pub use server::{KnownMethods, OTHER, RpcTelemetry, RpcTelemetryLayer};

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

/// Installs the global subscriber writing logs to stderr. Call once, from `main`.
///
/// `process_name` names what the process does outside any service (migrations, the load tool);
/// `OTEL_SERVICE_NAME` overrides it. Each service's own telemetry is named by [`service`].
pub fn init(config: &TelemetryConfig, process_name: &str) -> anyhow::Result<TelemetryGuard> {
    init_with_writer(config, process_name, std::io::stderr)
}

/// Installs the global subscriber writing logs to `writer`: tests pass a buffer to read them back.
pub fn init_with_writer<W>(
    config: &TelemetryConfig,
    process_name: &str,
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
    let guard = providers::install(process_name, endpoint)?;
    tracing::subscriber::set_global_default(subscriber(
        config,
        writer,
        guard.process_tracer_provider(),
    )?)?;
    if let Some(endpoint) = endpoint {
        tracing::info!(endpoint, "exporting traces and metrics over OTLP");
    }
    Ok(guard)
}

/// The `tracing` subscriber: the log filter first, so whatever it disables costs next to nothing
/// in the layers after it; then spans into OpenTelemetry; then log lines to `writer`.
///
/// Spans go to the tracer of the service they run in (see [`ServiceTelemetry`]), and to
/// `tracer_provider`'s when they run in none.
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
        .with_tracer(providers::RoutingTracer::new(tracer_provider))
        .with_tracked_inactivity(false)
        .with_threads(false)
        // Every span names what it does; the same source line and module on each exported span
        // were a third of its attributes and told nothing.
        .with_location(false)
        .with_target(false);
    let otel = exported_spans::ExportedSpans::new(otel);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    Ok(match config.log_format {
        // Colours only for a person at a terminal: a log file or collector gets plain text, and
        // the server skips the escape codes on every span it formats.
        LogFormat::Pretty => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .fmt_fields(log_fields::LogFields)
                    .event_format(log_lines::PrettyLines)
                    .with_writer(writer),
            ),
        ),
        LogFormat::Json => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .event_format(log_lines::JsonLines(
                        tracing_subscriber::fmt::format()
                            .json()
                            .with_current_span(true)
                            .with_span_list(false),
                    ))
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

/// Writes W3C trace context into HTTP/2 headers.
struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
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

/// Adds the current trace context to an outgoing call, so one trace spans services.
///
/// Calls through a [`ClientTelemetry`] channel replace it with their CLIENT span's context.
pub fn inject_trace_context(metadata: &mut tonic::metadata::MetadataMap) {
    // Current in a call (its SERVER span) and in every exported `tracing` span (the layer
    // attaches a span's context while it is entered).
    let context = opentelemetry::Context::current();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(metadata));
    });
}

/// Splits `/package.Service/Method` into its service and method.
pub fn split_grpc_path(path: &str) -> (&str, &str) {
    path.trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""))
}

/// The gRPC status code in a response's headers: a failing call answers trailers-only, so its
/// status is there; a response that starts normally is OK as far as its headers go.
fn status_in_headers(headers: &http::HeaderMap) -> i64 {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok()?.parse::<i64>().ok())
        .unwrap_or(0)
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

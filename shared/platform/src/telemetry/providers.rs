//! One OpenTelemetry resource per service.
//!
//! `logistics up` runs every service in one process behind one `tracing` subscriber, yet a
//! backend must see customers' spans and metrics under `service.name=logistics-customers` and
//! orders' under `logistics-orders`. So each service gets its own tracer and meter provider (each
//! with its own span batches and exporter), and the one `tracing-opentelemetry` layer routes every
//! span to the provider of the service it runs in: the server span's parent context carries the
//! service's [`ServiceTelemetry`], and every descendant inherits it through its parent context.
//! Spans outside any service (start-up, migrations, the load tool) go to the process's own provider.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::{SpanBuilder, TracerProvider as _};
use opentelemetry::{Context, global};
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

use super::log_lines::RpcCall;
use super::span_batches::{BatchLimits, EncodingSpanProcessor};
use super::span_export::ExportSettings;

/// The instrumentation scope of our spans and metrics.
const SCOPE: &str = "logistics";

/// The `service.name` a service's telemetry is exported under, e.g. `logistics-customers`.
pub fn service_resource_name(service: &str) -> String {
    format!("logistics-{service}")
}

/// A tracer provider and, when exporting, a meter provider sharing one resource.
#[derive(Clone)]
struct Providers {
    tracer: SdkTracerProvider,
    meter: Option<SdkMeterProvider>,
}

impl Providers {
    /// Without an endpoint the tracer provider still mints trace ids (for logs and propagation)
    /// but exports nothing, and there is no meter provider.
    fn build(service_name: String, endpoint: Option<&str>) -> anyhow::Result<Self> {
        // The default detectors keep OTEL_RESOURCE_ATTRIBUTES; the name set here wins over theirs.
        let resource = Resource::builder().with_service_name(service_name).build();
        let mut tracer = SdkTracerProvider::builder().with_resource(resource.clone());
        let mut meter = None;
        if let Some(endpoint) = endpoint {
            // Batched: spans are encoded as they end and sent from a background thread, never on
            // the call's path.
            let var = |name: &str| std::env::var(name).ok();
            let settings = ExportSettings::read(endpoint, var)?;
            let processor = EncodingSpanProcessor::new(settings, BatchLimits::read(var)?)?;
            tracer = tracer.with_span_processor(processor);
            let metrics = opentelemetry_otlp::MetricExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()?;
            meter = Some(
                SdkMeterProvider::builder()
                    .with_periodic_exporter(metrics)
                    .with_resource(resource)
                    .build(),
            );
        }
        Ok(Self {
            tracer: tracer.build(),
            meter,
        })
    }

    fn flush(&self) {
        if let Err(error) = self.tracer.force_flush() {
            eprintln!("telemetry: flushing traces failed: {error}");
        }
        if let Some(meter) = &self.meter
            && let Err(error) = meter.force_flush()
        {
            eprintln!("telemetry: flushing metrics failed: {error}");
        }
    }

    fn shutdown(&self) {
        if let Err(error) = self.tracer.shutdown() {
            eprintln!("telemetry: flushing traces failed: {error}");
        }
        if let Some(meter) = &self.meter
            && let Err(error) = meter.shutdown()
        {
            eprintln!("telemetry: flushing metrics failed: {error}");
        }
    }
}

/// What [`init`](super::init) installed: the process's providers and those made for services.
struct Registry {
    endpoint: Option<String>,
    process: Providers,
    process_tracer: SdkTracer,
    services: Mutex<HashMap<String, (ServiceTelemetry, Option<Providers>)>>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// Installs the process's providers as the global ones and remembers the export settings for the
/// services' providers.
pub(super) fn install(
    process_name: &str,
    endpoint: Option<&str>,
) -> anyhow::Result<TelemetryGuard> {
    // Checked first: a second call must not replace the global providers the first installed.
    anyhow::ensure!(
        REGISTRY.get().is_none(),
        "telemetry is initialised once per process"
    );
    let name = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| process_name.to_owned());
    let process = Providers::build(name, endpoint)?;
    global::set_tracer_provider(process.tracer.clone());
    if let Some(meter) = &process.meter {
        global::set_meter_provider(meter.clone());
    }
    let registry = Registry {
        endpoint: endpoint.map(str::to_owned),
        process_tracer: process.tracer.tracer(SCOPE),
        process,
        services: Mutex::default(),
    };
    REGISTRY
        .set(registry)
        .map_err(|_| anyhow::anyhow!("telemetry is initialised once per process"))?;
    let registry = REGISTRY.get().expect("just set");
    Ok(TelemetryGuard { registry })
}

/// Keeps the exporters alive; flushes what is buffered when dropped.
#[must_use = "dropping the guard shuts telemetry down"]
pub struct TelemetryGuard {
    registry: &'static Registry,
}

impl TelemetryGuard {
    pub(super) fn process_tracer_provider(&self) -> &SdkTracerProvider {
        &self.registry.process.tracer
    }

    /// Exports every span and metric buffered so far, of the process and of every service; blocks
    /// until the exporters answered, so call it off the async runtime (`spawn_blocking`).
    pub fn flush(&self) {
        self.registry.process.flush();
        for providers in self.service_providers() {
            providers.flush();
        }
    }

    fn service_providers(&self) -> Vec<Providers> {
        let services = self
            .registry
            .services
            .lock()
            .expect("telemetry registry lock");
        services
            .values()
            .filter_map(|(_, providers)| providers.clone())
            .collect()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        for providers in self.service_providers() {
            providers.shutdown();
        }
        self.registry.process.shutdown();
    }
}

/// One service's telemetry: the tracer and meter of its own resource.
///
/// Put it in a span's parent context ([`ServiceTelemetry::context`]) and that span and its
/// descendants are exported under the service's resource.
#[derive(Clone)]
pub struct ServiceTelemetry {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    /// The tracer of the service's own resource; none when it rides on the process's.
    tracer: Option<SdkTracer>,
    /// Whether its spans leave the process (to the service's or the process's exporter).
    exports: bool,
    meter: Meter,
}

impl std::fmt::Debug for ServiceTelemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceTelemetry")
            .field("name", &self.inner.name)
            .finish_non_exhaustive()
    }
}

impl ServiceTelemetry {
    /// Telemetry that rides on the process's providers: nothing exports, nothing is installed,
    /// or the service's own exporter could not be made (`exports` then says the process's does).
    fn shared(name: String, exports: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                name,
                tracer: None,
                exports,
                meter: global::meter(SCOPE),
            }),
        }
    }

    /// The `service.name` this service exports under.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The tracer the service's spans are made with: its own, or the process's; none before
    /// [`init`](super::init).
    pub(super) fn tracer(&self) -> Option<&SdkTracer> {
        self.inner
            .tracer
            .as_ref()
            .or_else(|| Some(&REGISTRY.get()?.process_tracer))
    }

    /// Whether the service's spans are exported, not only made for their ids.
    pub(super) fn exports_traces(&self) -> bool {
        self.inner.exports
    }

    /// The meter of the service's resource.
    pub fn meter(&self) -> &Meter {
        &self.inner.meter
    }

    /// `parent` marked as belonging to this service, for a span that starts the service's work.
    pub fn context(&self, parent: Context) -> Context {
        // Work done for a call (a call to a peer) still names that call in its log lines.
        let call = parent.get::<InService>().and_then(|within| within.call);
        parent.with_value(InService {
            telemetry: self.clone(),
            call,
        })
    }

    /// `parent` marked as the context of `call`, which this service serves: one value for both,
    /// made on every call.
    pub(super) fn call_context(&self, parent: Context, call: RpcCall) -> Context {
        parent.with_value(InService {
            telemetry: self.clone(),
            call: Some(call),
        })
    }
}

/// What a context knows of the service it runs in: its telemetry, and the call it serves if any.
pub(super) struct InService {
    telemetry: ServiceTelemetry,
    pub(super) call: Option<RpcCall>,
}

/// The telemetry of the service `service` (e.g. "customers"), exported as
/// [`service_resource_name`]. Made on first use and shared after, so every server of one service
/// in a process adds to the same series.
pub fn service(service: &str) -> ServiceTelemetry {
    let name = service_resource_name(service);
    let Some(registry) = REGISTRY.get() else {
        return ServiceTelemetry::shared(name, false);
    };
    let mut services = registry.services.lock().expect("telemetry registry lock");
    if let Some((telemetry, _)) = services.get(service) {
        return telemetry.clone();
    }
    let Some(endpoint) = registry.endpoint.as_deref() else {
        // Nothing is exported, so no resource is ever seen: the process's tracer mints the ids.
        return ServiceTelemetry::shared(name, false);
    };
    let (telemetry, providers) = match Providers::build(name.clone(), Some(endpoint)) {
        Ok(providers) => {
            let telemetry = ServiceTelemetry {
                inner: Arc::new(Inner {
                    name,
                    tracer: Some(providers.tracer.tracer(SCOPE)),
                    exports: true,
                    meter: providers
                        .meter
                        .as_ref()
                        .map_or_else(|| global::meter(SCOPE), |meter| meter.meter(SCOPE)),
                }),
            };
            (telemetry, Some(providers))
        }
        Err(error) => {
            tracing::warn!(service, error = %error, "telemetry: exporting under the process's name");
            (ServiceTelemetry::shared(name, true), None)
        }
    };
    services.insert(service.to_owned(), (telemetry.clone(), providers));
    telemetry
}

/// The tracer behind the `tracing` layer: builds each span with the tracer of the service its
/// parent context names, or the process's when it names none.
#[derive(Clone)]
pub(super) struct RoutingTracer {
    process: SdkTracer,
}

impl RoutingTracer {
    pub(super) fn new(process: &SdkTracerProvider) -> Self {
        Self {
            process: process.tracer(SCOPE),
        }
    }
}

impl opentelemetry::trace::Tracer for RoutingTracer {
    type Span = opentelemetry_sdk::trace::Span;

    fn build_with_context(&self, builder: SpanBuilder, parent_cx: &Context) -> Self::Span {
        let tracer = parent_cx
            .get::<InService>()
            .and_then(|within| within.telemetry.inner.tracer.as_ref())
            .unwrap_or(&self.process);
        tracer.build_with_context(builder, parent_cx)
    }
}

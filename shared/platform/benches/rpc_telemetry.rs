//! What the per-RPC telemetry layer costs one call, in process: the layer around a service that
//! answers at once, with logs off, at the default level, and without the layer at all.
//!
//!   cargo bench -p logistics-platform --bench rpc_telemetry
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the layer's cases export every span as `logistics up`
//! does (encoded into its batch where the call ends; sent from a thread of its own, off the
//! measured path, so a collector that is not there will do):
//!
//!   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9 cargo bench -p logistics-platform \
//!     --bench rpc_telemetry

use std::convert::Infallible;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use logistics_platform::telemetry::{
    self, DEFAULT_LOG_FILTER, KnownMethods, LogFormat, RpcTelemetryLayer, TelemetryConfig,
    subscriber,
};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tower::{Layer as _, ServiceExt as _};

const PATH: &str = "/logistics.customers.v1.CustomerService/GetCustomer";

fn request() -> http::Request<()> {
    http::Request::builder()
        .uri(PATH)
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(())
        .expect("a valid request")
}

fn answer_at_once() -> impl tower::Service<
    http::Request<()>,
    Response = http::Response<()>,
    Error = Infallible,
    Future = impl Future<Output = Result<http::Response<()>, Infallible>> + Send + 'static,
> + Clone {
    tower::service_fn(|_request| async { Ok::<_, Infallible>(http::Response::new(())) })
}

async fn call<S>(service: &mut S) -> http::Response<()>
where
    S: tower::Service<http::Request<()>, Response = http::Response<()>>,
    S::Error: std::fmt::Debug,
{
    let service = service.ready().await.expect("ready");
    service.call(request()).await.expect("answered")
}

fn rpc_telemetry(c: &mut Criterion) {
    let config = |filter: &str| TelemetryConfig {
        log_filter: filter.to_owned(),
        log_format: LogFormat::Pretty,
        otlp_endpoint: None,
    };
    // The metrics exporter's connection is made on the runtime current when it is built.
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let _entered = runtime.enter();
    // As `logistics up` does: the process's providers (exporting nothing unless the endpoint is
    // set, every span sampled) and the default subscriber, logging to a sink.
    let installed = TelemetryConfig {
        otlp_endpoint: std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok(),
        ..config(DEFAULT_LOG_FILTER)
    };
    let _guard = telemetry::init_with_writer(&installed, "bench", std::io::sink)
        .expect("telemetry installed once");
    let mut group = c.benchmark_group("rpc_call");

    group.bench_function("no_layer", |b| {
        let mut service = answer_at_once();
        b.iter(|| futures::executor::block_on(call(&mut service)))
    });
    let layered = || {
        let known = KnownMethods::new(&[], &[], [PATH]).expect("known methods");
        RpcTelemetryLayer::new(
            telemetry::service("customers"),
            known,
            Duration::from_secs(30),
        )
        .layer(answer_at_once())
    };
    let logs_off = subscriber(&config("off"), std::io::sink, &SdkTracerProvider::default())
        .expect("a subscriber");
    tracing::subscriber::with_default(logs_off, || {
        let mut service = layered();
        group.bench_function("layer_logs_off", |b| {
            b.iter(|| futures::executor::block_on(call(&mut service)))
        });
    });
    let mut service = layered();
    group.bench_function("layer_default_info", |b| {
        b.iter(|| futures::executor::block_on(call(&mut service)))
    });
    group.finish();
}

criterion_group!(benches, rpc_telemetry);
criterion_main!(benches);

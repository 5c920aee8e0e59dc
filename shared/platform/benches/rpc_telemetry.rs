//! What the per-RPC telemetry layer costs one call, in process: the layer around a service that
//! answers at once, with logs off, at the default level, and without the layer at all.
//!
//!   cargo bench -p logistics-platform --bench rpc_telemetry

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
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let provider = SdkTracerProvider::builder().build();
    let mut group = c.benchmark_group("rpc_call");

    group.bench_function("no_layer", |b| {
        let mut service = answer_at_once();
        b.iter(|| futures::executor::block_on(call(&mut service)))
    });
    for (name, filter) in [
        ("layer_logs_off", "off"),
        ("layer_default_info", DEFAULT_LOG_FILTER),
    ] {
        let config = TelemetryConfig {
            log_filter: filter.to_owned(),
            log_format: LogFormat::Pretty,
            otlp_endpoint: None,
        };
        let subscriber = subscriber(&config, std::io::sink, &provider).expect("a subscriber");
        tracing::subscriber::with_default(subscriber, || {
            let known = KnownMethods::new(&[], &[], [PATH]).expect("known methods");
            let layer = RpcTelemetryLayer::new(
                telemetry::service("customers"),
                known,
                Duration::from_secs(30),
            );
            let mut service = layer.layer(answer_at_once());
            group.bench_function(name, |b| {
                b.iter(|| futures::executor::block_on(call(&mut service)))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, rpc_telemetry);
criterion_main!(benches);

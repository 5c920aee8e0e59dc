//! Real OTLP export and W3C trace propagation, against an in-process OTLP collector.
//!
//! Telemetry installs process-wide state (the subscriber, the exporters and their channels), so
//! every test of this binary shares one collector, one telemetry set-up, one runtime and one app;
//! each test tells its own calls apart by trace id, method or status.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use logistics_contracts::customers::{
    CreateCustomerRequest, Customer, CustomerKind, GetCustomerRequest, UpdateCustomerRequest,
};
use logistics_platform::telemetry::{self, LogFormat, TelemetryConfig, TelemetryGuard};
use logistics_tests::orders::road_order;
use logistics_tests::{TestApp, lock_customer_row, request_id};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsServiceServer;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceServiceServer;
use opentelemetry_proto::tonic::trace::v1::{Span, span};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::Request;
use tower::{Service as _, ServiceExt as _};

use collector::{Exported, LogBuffer, Point, Received, attribute, is_error};

mod collector;

/// What every test shares. The runtime outlives each test: the exporters' channels live on it.
struct Shared {
    runtime: tokio::runtime::Runtime,
    received: Received,
    logs: LogBuffer,
    guard: TelemetryGuard,
    app: TestApp,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let received = Received::default();
        let logs = LogBuffer::default();
        let (guard, app) = runtime.block_on(async {
            let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let collector_address = collector.local_addr().unwrap();
            tokio::spawn(
                tonic::transport::Server::builder()
                    .add_service(TraceServiceServer::new(received.clone()))
                    .add_service(MetricsServiceServer::new(received.clone()))
                    .serve_with_incoming(TcpListenerStream::new(collector)),
            );
            let config = TelemetryConfig {
                log_filter: "info,logistics_platform=debug".to_owned(),
                log_format: LogFormat::Json,
                otlp_endpoint: Some(format!("http://{collector_address}")),
            };
            let guard =
                telemetry::init_with_writer(&config, "logistics-test", logs.clone()).unwrap();
            (guard, TestApp::spawn().await)
        });
        Shared {
            runtime,
            received,
            logs,
            guard,
            app,
        }
    })
}

/// Exports what is buffered, then waits (a bounded poll) until `found` finds what it looks for
/// in what the collector received.
async fn exported<T>(what: &str, mut found: impl FnMut(&Received) -> Option<T>) -> T {
    let shared = shared();
    for _ in 0..50 {
        tokio::task::spawn_blocking(|| shared.guard.flush())
            .await
            .unwrap();
        if let Some(found) = found(&shared.received) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("never exported: {what}");
}

/// Calls `path` with an empty request and no credentials; returns the `grpc-status` answered.
async fn call_path(
    channel: &mut tonic::transport::Channel,
    address: SocketAddr,
    path: &str,
) -> i64 {
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{address}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(tonic::body::Body::empty())
        .unwrap();
    let response = channel.ready().await.unwrap().call(request).await.unwrap();
    response
        .headers()
        .get("grpc-status")
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .unwrap_or(0)
}

fn new_customer(name: &str) -> CreateCustomerRequest {
    CreateCustomerRequest {
        customer: Some(Customer {
            kind: CustomerKind::Individual.into(),
            display_name: name.to_owned(),
            ..Default::default()
        }),
        request_id: request_id(),
    }
}

#[test]
fn a_call_carrying_a_traceparent_is_exported_in_that_trace_and_logged_with_its_id() {
    let shared = shared();
    shared.runtime.block_on(async {
        let mut client = shared.app.customers_client().await;
        let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let mut request = Request::new(GetCustomerRequest {
            id: "C000404".to_owned(),
        });
        request.metadata_mut().insert(
            "traceparent",
            format!("00-{trace_id}-00f067aa0ba902b7-01")
                .parse()
                .unwrap(),
        );
        let status = client.get_customer(request).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::NotFound);

        let rpc = exported("the GetCustomer span", |received| {
            received
                .spans()
                .into_iter()
                .find(|exported| hex::encode(&exported.span.trace_id) == trace_id)
        })
        .await;
        assert_eq!(
            rpc.span.name, "logistics.customers.v1.CustomerService/GetCustomer",
            "named package.Service/Method, without a leading slash"
        );
        assert_eq!(rpc.span.kind, span::SpanKind::Server as i32);
        assert_eq!(hex::encode(&rpc.span.parent_span_id), "00f067aa0ba902b7");
        assert!(
            shared
                .received
                .spans()
                .iter()
                .all(|exported| exported.span.name != "rpc"),
            "the calls' log spans are not exported"
        );
        assert_eq!(rpc.service, "logistics-customers");
        assert!(
            !is_error(&rpc.span),
            "NOT_FOUND is the caller's doing, not the server's: {:?}",
            rpc.span.status
        );

        let series = shared.received.series("rpc.server.call.duration");
        assert!(
            series
                .iter()
                .any(|point| point.service == "logistics-customers"),
            "{series:?}"
        );

        let logs = String::from_utf8(shared.logs.0.lock().unwrap().clone()).unwrap();
        let rpc_line = logs
            .lines()
            .find(|line| line.contains("rpc finished") && line.contains(trace_id))
            .expect("a log line for the call, with its trace id");
        for field in [
            r#""rpc.service":"logistics.customers.v1.CustomerService""#,
            r#""rpc.method":"GetCustomer""#,
        ] {
            assert!(rpc_line.contains(field), "{field} in {rpc_line}");
        }
    });
}

#[test]
fn a_hundred_made_up_methods_add_one_metric_series_and_end_in_error_spans_named_other() {
    let shared = shared();
    shared.runtime.block_on(async {
        let address = shared.app.customers;
        let mut channel = logistics_tests::channel(address).await;
        for n in 0..100 {
            let path = format!("/made.up.v{n}.Service{n}/Invented{n}");
            // Nobody serves it: the router answers UNIMPLEMENTED, whoever asks.
            assert_eq!(call_path(&mut channel, address, &path).await, 12);
        }

        let series = exported("the made-up calls' series", |received| {
            let series: Vec<Point> = received
                .series("rpc.server.call.duration")
                .into_iter()
                .filter(|point| point.service == "logistics-customers")
                .collect();
            series
                .iter()
                .any(|point| {
                    point
                        .attributes
                        .contains(&("rpc.grpc.status_code".into(), "12".into()))
                })
                .then_some(series)
        })
        .await;
        let unimplemented: Vec<_> = series
            .iter()
            .filter(|point| {
                point
                    .attributes
                    .contains(&("rpc.grpc.status_code".into(), "12".into()))
            })
            .collect();
        assert_eq!(
            unimplemented.len(),
            1,
            "one series, not one per path: {unimplemented:?}"
        );
        for key in ["rpc.service", "rpc.method"] {
            assert!(
                unimplemented[0]
                    .attributes
                    .contains(&(key.into(), "_OTHER".into())),
                "{unimplemented:?}"
            );
        }
        assert!(
            series
                .iter()
                .flat_map(|point| &point.attributes)
                .all(|(_, value)| !value.contains("Invented") && !value.contains("made.up")),
            "no made-up name reaches a series: {series:?}"
        );

        let spans = exported("the made-up calls' spans", |received| {
            let spans: Vec<Span> = received
                .spans()
                .into_iter()
                .map(|exported| exported.span)
                .filter(|span| {
                    attribute(&span.attributes, "rpc.grpc.status_code").as_deref() == Some("12")
                })
                .collect();
            (spans.len() >= 100).then_some(spans)
        })
        .await;
        for span in &spans {
            assert_eq!(span.name, "_OTHER");
            assert_eq!(
                attribute(&span.attributes, "rpc.method").as_deref(),
                Some("_OTHER")
            );
            assert!(
                is_error(span),
                "UNIMPLEMENTED is a server error: {:?}",
                span.status
            );
        }
        let all = shared.received.spans();
        assert!(
            all.iter()
                .all(|exported| !exported.span.name.starts_with('/')
                    && !exported.span.name.contains("Invented")),
            "span names are bounded and have no leading slash"
        );
    });
}

#[test]
fn made_up_methods_of_a_served_service_keep_the_service_but_not_the_method() {
    let shared = shared();
    shared.runtime.block_on(async {
        let address = shared.app.customers;
        let mut channel = logistics_tests::channel(address).await;
        for n in 0..20 {
            let path = format!("/logistics.customers.v1.CustomerService/Invented{n}");
            // A served service refuses a method with no scope: PERMISSION_DENIED.
            assert_eq!(call_path(&mut channel, address, &path).await, 7);
        }
        let denied = exported("the denied calls' series", |received| {
            let denied: Vec<Point> = received
                .series("rpc.server.call.duration")
                .into_iter()
                .filter(|point| {
                    point
                        .attributes
                        .contains(&("rpc.grpc.status_code".into(), "7".into()))
                })
                .collect();
            (!denied.is_empty()).then_some(denied)
        })
        .await;
        assert_eq!(denied.len(), 1, "{denied:?}");
        let attributes = &denied[0].attributes;
        assert!(attributes.contains(&("rpc.method".into(), "_OTHER".into())));
        assert!(attributes.contains(&(
            "rpc.service".into(),
            "logistics.customers.v1.CustomerService".into()
        )));
    });
}

#[test]
fn a_call_cut_by_its_deadline_still_records_deadline_exceeded_and_its_duration() {
    let shared = shared();
    shared.runtime.block_on(async {
        let mut client = shared.app.customers_client().await;
        let created = client
            .create_customer(new_customer("Zhao Lei"))
            .await
            .unwrap()
            .into_inner();
        let pool = shared.app.schema_pool("customers").await;
        let blocker = lock_customer_row(&pool, &created.id).await;
        let mut request = Request::new(UpdateCustomerRequest {
            customer: Some(Customer {
                id: created.id.clone(),
                notes: "waits for the lock past its deadline".to_owned(),
                ..Default::default()
            }),
            update_mask: None,
        });
        request.set_timeout(Duration::from_millis(300));
        client.update_customer(request).await.unwrap_err();

        // The row stays locked until the server has given up: released as the caller's deadline
        // passes, the update could still finish on a loaded machine and answer OK to no one.
        let span = exported("the cut call's span", |received| {
            received.spans().into_iter().find(|exported| {
                exported.span.name == "logistics.customers.v1.CustomerService/UpdateCustomer"
                    && attribute(&exported.span.attributes, "rpc.grpc.status_code").as_deref()
                        == Some("4")
            })
        })
        .await;
        blocker.rollback().await.unwrap();
        assert!(is_error(&span.span), "{:?}", span.span.status);
        let series = shared.received.series("rpc.server.call.duration");
        assert!(
            series.iter().any(|point| {
                point
                    .attributes
                    .contains(&("rpc.method".into(), "UpdateCustomer".into()))
                    && point
                        .attributes
                        .contains(&("rpc.grpc.status_code".into(), "4".into()))
            }),
            "{series:?}"
        );
    });
}

#[test]
fn creating_an_order_traces_a_client_span_between_the_orders_and_customers_server_spans() {
    let shared = shared();
    shared.runtime.block_on(async {
        let mut customers = shared.app.customers_client().await;
        let customer = customers
            .create_customer(new_customer("Li Na"))
            .await
            .unwrap()
            .into_inner();
        let trace_id = "0af7651916cd43dd8448eb211c80319c";
        let mut orders = shared.app.orders_client().await;
        let mut request = Request::new(logistics_contracts::orders::CreateOrderRequest {
            order: Some(road_order(&customer.id)),
            request_id: request_id(),
            ..Default::default()
        });
        request.metadata_mut().insert(
            "traceparent",
            format!("00-{trace_id}-b7ad6b7169203331-01")
                .parse()
                .unwrap(),
        );
        orders.create_order(request).await.unwrap();

        let in_trace = |received: &Received, name: &str, kind: span::SpanKind| {
            received.spans().into_iter().find(|exported| {
                hex::encode(&exported.span.trace_id) == trace_id
                    && exported.span.name == name
                    && exported.span.kind == kind as i32
            })
        };
        let (orders_server, client, customers_server) =
            exported("CreateOrder's trace", |received| {
                Some((
                    in_trace(
                        received,
                        "logistics.orders.v1.OrderService/CreateOrder",
                        span::SpanKind::Server,
                    )?,
                    in_trace(
                        received,
                        "logistics.customers.v1.CustomerService/GetServiceLevel",
                        span::SpanKind::Client,
                    )?,
                    in_trace(
                        received,
                        "logistics.customers.v1.CustomerService/GetServiceLevel",
                        span::SpanKind::Server,
                    )?,
                ))
            })
            .await;
        assert_eq!(
            hex::encode(&orders_server.span.parent_span_id),
            "b7ad6b7169203331"
        );
        assert_eq!(client.span.parent_span_id, orders_server.span.span_id);
        assert_eq!(customers_server.span.parent_span_id, client.span.span_id);

        let attributes = &client.span.attributes;
        assert_eq!(attribute(attributes, "rpc.system").as_deref(), Some("grpc"));
        assert_eq!(
            attribute(attributes, "rpc.service").as_deref(),
            Some("logistics.customers.v1.CustomerService")
        );
        assert_eq!(
            attribute(attributes, "rpc.method").as_deref(),
            Some("GetServiceLevel")
        );
        assert_eq!(
            attribute(attributes, "server.address").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            attribute(attributes, "server.port"),
            Some(shared.app.customers.port().to_string())
        );
        assert_eq!(
            attribute(attributes, "rpc.grpc.status_code").as_deref(),
            Some("0")
        );

        // Each service under its own name, though all run in this one process.
        assert_eq!(orders_server.service, "logistics-orders");
        assert_eq!(client.service, "logistics-orders");
        assert_eq!(customers_server.service, "logistics-customers");
        let series = shared.received.series("rpc.server.call.duration");
        for (service, method) in [
            ("logistics-orders", "CreateOrder"),
            ("logistics-customers", "GetServiceLevel"),
        ] {
            assert!(
                series.iter().any(|point| point.service == service
                    && point
                        .attributes
                        .contains(&("rpc.method".into(), method.into()))),
                "{service} {method}: {series:?}"
            );
        }
    });
}

#[test]
fn a_peer_that_is_down_ends_the_server_span_and_every_client_attempt_in_error() {
    let shared = shared();
    shared.runtime.block_on(async {
        // An app of its own: stopping customers must not disturb the other tests.
        let mut app = TestApp::spawn().await;
        let customer = app
            .customers_client()
            .await
            .create_customer(new_customer("Sun Mei"))
            .await
            .unwrap()
            .into_inner();
        let mut orders = app.orders_client().await;
        app.stop_customers().await;

        let trace_id = "5b8efff798038103d269b633813fc60c";
        let mut request = Request::new(logistics_contracts::orders::CreateOrderRequest {
            order: Some(road_order(&customer.id)),
            request_id: request_id(),
            ..Default::default()
        });
        request.metadata_mut().insert(
            "traceparent",
            format!("00-{trace_id}-eee19b7ec3c1b174-01")
                .parse()
                .unwrap(),
        );
        let status = orders.create_order(request).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");

        let spans = exported("the failed CreateOrder's trace", |received| {
            let spans: Vec<Exported> = received
                .spans()
                .into_iter()
                .filter(|exported| hex::encode(&exported.span.trace_id) == trace_id)
                .collect();
            spans
                .iter()
                .any(|exported| exported.span.kind == span::SpanKind::Server as i32)
                .then_some(spans)
        })
        .await;
        let server = spans
            .iter()
            .find(|exported| exported.span.kind == span::SpanKind::Server as i32)
            .unwrap();
        assert_eq!(
            server.span.name,
            "logistics.orders.v1.OrderService/CreateOrder"
        );
        assert_eq!(
            attribute(&server.span.attributes, "rpc.grpc.status_code").as_deref(),
            Some("14")
        );
        assert!(
            is_error(&server.span),
            "UNAVAILABLE is a server error: {:?}",
            server.span.status
        );
        // The warning logged during the call is an event of its span, as in a span `tracing`
        // exports itself.
        let warning = server
            .span
            .events
            .iter()
            .find(|event| event.name == "dependency unavailable")
            .unwrap_or_else(|| panic!("no warning among {:?}", server.span.events));
        assert_eq!(
            attribute(&warning.attributes, "level").as_deref(),
            Some("WARN")
        );
        assert!(
            attribute(&warning.attributes, "error").is_some(),
            "{warning:?}"
        );

        let attempts: Vec<&Exported> = spans
            .iter()
            .filter(|exported| exported.span.kind == span::SpanKind::Client as i32)
            .collect();
        assert!(!attempts.is_empty(), "{spans:?}");
        for attempt in attempts {
            assert_eq!(attempt.span.parent_span_id, server.span.span_id);
            assert_eq!(attempt.service, "logistics-orders");
            assert!(is_error(&attempt.span), "{:?}", attempt.span.status);
            assert_ne!(
                attribute(&attempt.span.attributes, "rpc.grpc.status_code").as_deref(),
                Some("0")
            );
        }
        let series = shared.received.series("rpc.client.call.duration");
        assert!(
            series
                .iter()
                .any(|point| point.service == "logistics-orders"
                    && point
                        .attributes
                        .contains(&("rpc.method".into(), "GetServiceLevel".into()))
                    && !point
                        .attributes
                        .contains(&("rpc.grpc.status_code".into(), "0".into()))),
            "{series:?}"
        );
    });
}

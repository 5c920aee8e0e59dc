//! Real OTLP export and W3C trace propagation, against an in-process OTLP collector.
//!
//! Telemetry installs process-wide state, so this binary holds exactly one test.

use std::io::Write;
use std::sync::{Arc, Mutex};

use logistics_contracts::customers::GetCustomerRequest;
use logistics_platform::telemetry::{self, LogFormat, TelemetryConfig};
use logistics_tests::TestApp;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

/// What the collector received.
#[derive(Clone, Default)]
struct Received {
    traces: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    metrics: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Received {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.traces.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Received {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.metrics.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Log lines, captured.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_carrying_a_traceparent_is_exported_in_that_trace_and_logged_with_its_id() {
    let received = Received::default();
    let collector = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_address = collector.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(received.clone()))
            .add_service(MetricsServiceServer::new(received.clone()))
            .serve_with_incoming(TcpListenerStream::new(collector)),
    );
    let logs = LogBuffer::default();
    let config = TelemetryConfig {
        log_filter: "info,logistics_platform=debug".to_owned(),
        log_format: LogFormat::Json,
        otlp_endpoint: Some(format!("http://{collector_address}")),
    };
    let guard = telemetry::init_with_writer(&config, "logistics-test", logs.clone()).unwrap();

    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
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
    app.stop().await;
    // Dropping the guard flushes the batch exporters.
    tokio::task::spawn_blocking(move || drop(guard))
        .await
        .unwrap();

    let spans: Vec<_> = received
        .traces
        .lock()
        .unwrap()
        .iter()
        .flat_map(|export| &export.resource_spans)
        .flat_map(|resource| &resource.scope_spans)
        .flat_map(|scope| scope.spans.clone())
        .collect();
    let rpc = spans
        .iter()
        .find(|span| span.name == "/logistics.customers.v1.CustomerService/GetCustomer")
        .expect("the RPC's span was exported");
    assert_eq!(
        hex::encode(&rpc.trace_id),
        trace_id,
        "the caller's trace continues"
    );
    assert_eq!(hex::encode(&rpc.parent_span_id), "00f067aa0ba902b7");

    let metric_names: Vec<String> = received
        .metrics
        .lock()
        .unwrap()
        .iter()
        .flat_map(|export| &export.resource_metrics)
        .flat_map(|resource| &resource.scope_metrics)
        .flat_map(|scope| scope.metrics.iter().map(|metric| metric.name.clone()))
        .collect();
    assert!(
        metric_names
            .iter()
            .any(|name| name == "rpc.server.call.duration"),
        "{metric_names:?}"
    );

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let rpc_line = logs
        .lines()
        // Other calls log too (the customers service following the orders feed, from the start).
        .find(|line| line.contains("rpc finished") && line.contains("CustomerService/GetCustomer"))
        .expect("a log line for the call");
    assert!(rpc_line.contains(trace_id), "{rpc_line}");
}

//! The in-process OTLP collector the tests export to, and readers of what it received.

use std::io::Write;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::MetricsService;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::TraceService;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric;
use opentelemetry_proto::tonic::trace::v1::{Span, status};
use tonic::{Request, Response, Status};

/// What the collector received.
#[derive(Clone, Default)]
pub struct Received {
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

/// An exported span with the `service.name` of its resource.
#[derive(Debug, Clone)]
pub struct Exported {
    pub service: String,
    pub span: Span,
}

/// One data point of a metric: its resource's `service.name` and its attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Point {
    pub service: String,
    pub attributes: Vec<(String, String)>,
}

impl Received {
    pub fn spans(&self) -> Vec<Exported> {
        let traces = self.traces.lock().unwrap();
        let mut spans = Vec::new();
        for resource_spans in traces.iter().flat_map(|export| &export.resource_spans) {
            let service = service_name(resource_spans.resource.as_ref());
            for scope in &resource_spans.scope_spans {
                spans.extend(scope.spans.iter().map(|span| Exported {
                    service: service.clone(),
                    span: span.clone(),
                }));
            }
        }
        spans
    }

    /// Every series of the histogram `name`: metrics are cumulative, so a series is exported
    /// again at each flush; each is listed once.
    pub fn series(&self, name: &str) -> Vec<Point> {
        let metrics = self.metrics.lock().unwrap();
        let mut points = Vec::new();
        for resource_metrics in metrics.iter().flat_map(|export| &export.resource_metrics) {
            let service = service_name(resource_metrics.resource.as_ref());
            let histograms = resource_metrics
                .scope_metrics
                .iter()
                .flat_map(|scope| &scope.metrics)
                .filter(|metric| metric.name == name)
                .filter_map(|metric| match &metric.data {
                    Some(metric::Data::Histogram(histogram)) => Some(histogram),
                    _ => None,
                });
            for histogram in histograms {
                points.extend(histogram.data_points.iter().map(|point| {
                    let mut attributes: Vec<_> = point
                        .attributes
                        .iter()
                        .map(|kv| (kv.key.clone(), value(kv)))
                        .collect();
                    attributes.sort();
                    Point {
                        service: service.clone(),
                        attributes,
                    }
                }));
            }
        }
        points.sort();
        points.dedup();
        points
    }
}

fn value(kv: &KeyValue) -> String {
    match kv.value.as_ref().and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(any_value::Value::IntValue(number)) => number.to_string(),
        other => format!("{other:?}"),
    }
}

pub fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|kv| kv.key == key).map(value)
}

fn service_name(resource: Option<&opentelemetry_proto::tonic::resource::v1::Resource>) -> String {
    resource
        .and_then(|resource| attribute(&resource.attributes, "service.name"))
        .unwrap_or_default()
}

pub fn is_error(span: &Span) -> bool {
    span.status
        .as_ref()
        .is_some_and(|status| status.code == status::StatusCode::Error as i32)
}

/// Log lines, captured.
#[derive(Clone, Default)]
pub struct LogBuffer(pub Arc<Mutex<Vec<u8>>>);

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

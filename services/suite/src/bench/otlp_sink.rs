//! `logistics bench otlp-sink`: an OTLP/gRPC collector that keeps nothing but counts, so the cost
//! of telemetry is measured with traces and metrics really exported (an endpoint that is down
//! would spare the exporter its work).
//!
//! It shares the machine with the suite it measures, so it counts the spans of an export by
//! walking the request's bytes instead of decoding every span: decoding cost it about 1.5 µs of
//! CPU per span (a fortieth of the machine's under GetTracking load), which a collector running
//! elsewhere would not take from the suite.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::bytes::{Buf as _, Bytes};
use tonic::codegen::{Body, BoxFuture, Context, Poll, Service, StdError};
use tonic::{Request, Response, Status};

use crate::load::undecoded::UndecodedAnswers;

/// Settings of the sink.
#[derive(Debug, Clone, clap::Args)]
pub struct OtlpSinkArgs {
    /// Where to listen: point `OTEL_EXPORTER_OTLP_ENDPOINT` of the suite at it.
    #[arg(long, default_value = "127.0.0.1:4317")]
    pub listen: SocketAddr,
}

/// What arrived.
#[derive(Clone, Default)]
struct Counts {
    spans: Arc<AtomicU64>,
    metrics: Arc<AtomicU64>,
}

/// The one method of OTLP's trace service.
const TRACE_EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// OTLP's trace service, answering every export once it counted its spans.
#[derive(Clone)]
struct TraceSink(Counts);

impl tonic::server::NamedService for TraceSink {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
}

impl<B> Service<http::Request<B>> for TraceSink
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if request.uri().path() != TRACE_EXPORT {
            let refusal =
                Status::unimplemented(format!("the sink's trace service has only {TRACE_EXPORT}"));
            return Box::pin(async { Ok(refusal.into_http()) });
        }
        let counts = self.0.clone();
        Box::pin(async move {
            let codec = UndecodedAnswers::<ExportTraceServiceResponse>(PhantomData);
            Ok(tonic::server::Grpc::new(codec)
                .unary(CountSpans(counts), request)
                .await)
        })
    }
}

/// One export, counted.
struct CountSpans(Counts);

impl tonic::server::UnaryService<Bytes> for CountSpans {
    type Response = ExportTraceServiceResponse;
    type Future = std::future::Ready<Result<Response<ExportTraceServiceResponse>, Status>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        // An `ExportTraceServiceRequest`: its `resource_spans` (field 1) hold `scope_spans`
        // (field 2), which hold the `spans` (field 2).
        let answer = match messages_at(request.into_inner(), &[1, 2, 2]) {
            Some(spans) => {
                self.0.spans.fetch_add(spans, Ordering::Relaxed);
                Ok(Response::new(ExportTraceServiceResponse::default()))
            }
            None => Err(Status::invalid_argument(
                "not an encoded ExportTraceServiceRequest",
            )),
        };
        std::future::ready(answer)
    }
}

/// How many messages the field path `path` leads to in the encoded message `message`; none when
/// its bytes are not a protobuf message.
fn messages_at(mut message: Bytes, path: &[u64]) -> Option<u64> {
    let Some((&field, below)) = path.split_first() else {
        return Some(1);
    };
    let mut found = 0;
    while message.has_remaining() {
        let key = varint(&mut message)?;
        let length = match key & 0b111 {
            0 => {
                varint(&mut message)?;
                0
            }
            1 => 8,
            2 => usize::try_from(varint(&mut message)?).ok()?,
            5 => 4,
            _ => return None, // groups, long deprecated, or no wire type at all
        };
        if length > message.remaining() {
            return None;
        }
        let value = message.split_to(length);
        if key >> 3 == field && key & 0b111 == 2 {
            found += messages_at(value, below)?;
        }
    }
    Some(found)
}

/// Reads a base-128 varint.
fn varint(bytes: &mut Bytes) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        if !bytes.has_remaining() {
            return None;
        }
        let byte = bytes.get_u8();
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[tonic::async_trait]
impl MetricsService for Counts {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let metrics: usize = request
            .get_ref()
            .resource_metrics
            .iter()
            .flat_map(|resource| &resource.scope_metrics)
            .map(|scope| scope.metrics.len())
            .sum();
        self.metrics.fetch_add(metrics as u64, Ordering::Relaxed);
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Receives until Ctrl-C or SIGTERM, then prints what arrived.
pub async fn run(args: &OtlpSinkArgs) -> anyhow::Result<()> {
    let counts = Counts::default();
    println!("OTLP sink listening on {}", args.listen);
    tonic::transport::Server::builder()
        .add_service(TraceSink(counts.clone()))
        .add_service(MetricsServiceServer::new(counts.clone()))
        .serve_with_shutdown(args.listen, crate::shutdown_signal())
        .await?;
    println!(
        "OTLP sink received {} spans and {} metrics",
        counts.spans.load(Ordering::Relaxed),
        counts.metrics.load(Ordering::Relaxed)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use prost::Message as _;

    use super::*;

    fn span(name: &str) -> Span {
        Span {
            trace_id: vec![7; 16],
            span_id: vec![9; 8],
            name: name.to_owned(),
            start_time_unix_nano: u64::MAX,
            attributes: vec![KeyValue {
                key: "rpc.method".to_owned(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::IntValue(i64::MIN)),
                }),
                ..KeyValue::default()
            }],
            ..Span::default()
        }
    }

    fn resource(scopes: Vec<Vec<Span>>) -> ResourceSpans {
        ResourceSpans {
            resource: Some(Resource::default()),
            scope_spans: scopes
                .into_iter()
                .map(|spans| ScopeSpans {
                    spans,
                    schema_url: "https://example.com/schema".to_owned(),
                    ..ScopeSpans::default()
                })
                .collect(),
            ..ResourceSpans::default()
        }
    }

    #[test]
    fn the_spans_of_an_export_are_counted_across_resources_and_scopes() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![
                resource(vec![vec![span("a"), span("b")], vec![], vec![span("c")]]),
                resource(vec![vec![span("d")]]),
                resource(vec![]),
            ],
        };
        let bytes = Bytes::from(request.encode_to_vec());
        assert_eq!(messages_at(bytes, &[1, 2, 2]), Some(4));
        assert_eq!(messages_at(Bytes::new(), &[1, 2, 2]), Some(0));
    }

    #[test]
    fn bytes_that_are_not_a_message_are_refused() {
        let request = ExportTraceServiceRequest {
            resource_spans: vec![resource(vec![vec![span("a")]])],
        };
        let mut bytes = request.encode_to_vec();
        bytes.pop();
        assert_eq!(messages_at(Bytes::from(bytes), &[1, 2, 2]), None);
        assert_eq!(messages_at(Bytes::from_static(&[0xff; 11]), &[1]), None);
        assert_eq!(messages_at(Bytes::from_static(&[0x0b]), &[1]), None);
    }
}

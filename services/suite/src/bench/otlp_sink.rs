//! `logistics bench otlp-sink`: an OTLP/gRPC collector that keeps nothing but counts, so the cost
//! of telemetry is measured with traces and metrics really exported (an endpoint that is down
//! would spare the exporter its work).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
use tonic::{Request, Response, Status};

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

#[tonic::async_trait]
impl TraceService for Counts {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let spans: usize = request
            .get_ref()
            .resource_spans
            .iter()
            .flat_map(|resource| &resource.scope_spans)
            .map(|scope| scope.spans.len())
            .sum();
        self.spans.fetch_add(spans as u64, Ordering::Relaxed);
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
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
        .add_service(TraceServiceServer::new(counts.clone()))
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

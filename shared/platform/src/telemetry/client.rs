//! The CLIENT span of every call to a peer service, after the OpenTelemetry RPC and gRPC semantic
//! conventions: the peer's SERVER span is its child, so a trace shows where the time went between
//! the two services (connecting, queueing, the network) and which attempt of a retried call failed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use opentelemetry::metrics::Histogram;
use opentelemetry::{KeyValue, global};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::{HeaderInjector, ServiceTelemetry, split_grpc_path, status_in_headers};

const CANCELLED: i64 = 1;
const DEADLINE_EXCEEDED: i64 = 4;
const UNAVAILABLE: i64 = 14;

/// Tower layer around a peer's channel giving every call its CLIENT span and its point in
/// `rpc.client.call.duration`.
#[derive(Debug, Clone)]
pub struct ClientTelemetryLayer {
    peer: Arc<Peer>,
}

struct Peer {
    caller: ServiceTelemetry,
    address: String,
    port: i64,
    duration: Histogram<f64>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("caller", &self.caller)
            .field("address", &self.address)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl ClientTelemetryLayer {
    /// The layer for calls by the service `caller` to `uri` (e.g. `http://customers:50051`),
    /// which names the peer's `server.address` and `server.port`.
    pub fn new(caller: ServiceTelemetry, uri: &http::Uri) -> Self {
        let default_port = if uri.scheme() == Some(&http::uri::Scheme::HTTPS) {
            443
        } else {
            80
        };
        let duration = caller
            .meter()
            .f64_histogram("rpc.client.call.duration")
            .with_unit("s")
            .with_description("Duration of calls to other services, until the response headers")
            .build();
        Self {
            peer: Arc::new(Peer {
                duration,
                caller,
                address: uri.host().unwrap_or_default().to_owned(),
                port: uri.port_u16().unwrap_or(default_port).into(),
            }),
        }
    }
}

impl<S> tower::Layer<S> for ClientTelemetryLayer {
    type Service = ClientTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientTelemetry {
            inner,
            peer: self.peer.clone(),
        }
    }
}

/// The service made by [`ClientTelemetryLayer`].
#[derive(Debug, Clone)]
pub struct ClientTelemetry<S> {
    inner: S,
    peer: Arc<Peer>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for ClientTelemetry<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: std::error::Error + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        let (service, method) = split_grpc_path(path);
        // Our clients call only generated methods, so every name here is bounded.
        let span = tracing::info_span!(
            "rpc.client",
            otel.name = path.trim_start_matches('/'),
            otel.kind = "client",
            rpc.system = "grpc",
            rpc.service = service,
            rpc.method = method,
            server.address = self.peer.address.as_str(),
            server.port = self.peer.port,
            rpc.grpc.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        let record = ClientCall {
            span: span.clone(),
            started: Instant::now(),
            attributes: [
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", service.to_owned()),
                KeyValue::new("rpc.method", method.to_owned()),
                KeyValue::new("server.address", self.peer.address.clone()),
                KeyValue::new("server.port", self.peer.port),
            ],
            duration: self.peer.duration.clone(),
            finished: false,
        };
        // The parent is the SERVER span of the call this one serves, or the exported `tracing`
        // span entered; the span is exported under the calling service's resource also when it
        // runs in neither (a feed follower's background task).
        let parent = opentelemetry::Context::current();
        let _ = span.set_parent(self.peer.caller.context(parent));
        // The peer's span is this span's child, not the caller's: replaces what the credentials
        // interceptor put there from the current span.
        let context = span.context();
        global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut HeaderInjector(request.headers_mut()));
        });
        let response = self.inner.call(request);
        Box::pin(
            async move {
                let mut record = record;
                let result = response.await;
                record.finish(match &result {
                    Ok(response) => status_in_headers(response.headers()),
                    Err(error) => transport_code(error),
                });
                result
            }
            .instrument(span),
        )
    }
}

/// The code tonic's client reports for a transport failure: the channel's own deadline, or a
/// peer that cannot be reached.
fn transport_code(error: &(dyn std::error::Error + 'static)) -> i64 {
    let mut source = Some(error);
    while let Some(error) = source {
        if error.is::<tonic::TimeoutExpired>() {
            return DEADLINE_EXCEEDED;
        }
        source = error.source();
    }
    UNAVAILABLE
}

/// Records the call's status and duration once: when it answers, or as CANCELLED when the
/// caller drops it.
struct ClientCall {
    span: tracing::Span,
    started: Instant,
    attributes: [KeyValue; 5],
    duration: Histogram<f64>,
    finished: bool,
}

impl ClientCall {
    fn finish(&mut self, code: i64) {
        self.finished = true;
        self.span.record("rpc.grpc.status_code", code);
        // A client sees every failure as one: the conventions mark each non-OK code ERROR.
        if code != 0 {
            self.span.record("otel.status_code", "ERROR");
        }
        let mut attributes = self.attributes.to_vec();
        attributes.push(KeyValue::new("rpc.grpc.status_code", code));
        self.duration
            .record(self.started.elapsed().as_secs_f64(), &attributes);
    }
}

impl Drop for ClientCall {
    fn drop(&mut self) {
        if !self.finished {
            self.finish(CANCELLED);
        }
    }
}

//! A safety net: a panic while handling a call answers that call INTERNAL and is logged with the
//! RPC path, instead of killing the HTTP/2 stream (the caller would see CANCELLED and nothing
//! would say which RPC broke). Every panic reachable from input is a bug to fix; this only makes
//! sure one such bug costs one call, not a confusing failure.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt as _;

use crate::error::ApiError;

/// Layer catching panics of the services below it.
#[derive(Clone)]
pub struct CatchPanicLayer {
    domain: &'static str,
}

impl CatchPanicLayer {
    /// Answers panics with an INTERNAL status in the service's error `domain`.
    pub fn new(domain: &'static str) -> Self {
        Self { domain }
    }
}

impl<S> tower::Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CatchPanic {
            inner,
            domain: self.domain,
        }
    }
}

/// The service made by [`CatchPanicLayer`].
#[derive(Clone)]
pub struct CatchPanic<S> {
    inner: S,
    domain: &'static str,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for CatchPanic<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The path is kept only as the URI (a reference-counted clone), read when a panic happens.
        let uri = request.uri().clone();
        let domain = self.domain;
        // `call` itself may panic before any future exists (a gate, a router).
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(future) => Box::pin(async move {
                match AssertUnwindSafe(future).catch_unwind().await {
                    Ok(answered) => answered,
                    Err(payload) => Ok(answer_panic(uri.path(), payload.as_ref(), domain)),
                }
            }),
            Err(payload) => {
                let response = answer_panic(uri.path(), payload.as_ref(), domain);
                Box::pin(std::future::ready(Ok(response)))
            }
        }
    }
}

/// Logs the panic with its RPC and builds the INTERNAL answer (status in the headers, as gRPC's
/// trailers-only response, not an HTTP error).
fn answer_panic<RB: Default>(
    path: &str,
    payload: &(dyn Any + Send),
    domain: &str,
) -> http::Response<RB> {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    tracing::error!(
        rpc.path = path,
        panic = message,
        "a call panicked; answered INTERNAL"
    );
    ApiError::Internal(anyhow::anyhow!("the handler of {path} panicked: {message}"))
        .into_status(domain)
        .into_http()
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tonic::Code;
    use tower::{Layer as _, ServiceExt as _};

    use super::*;

    #[tokio::test]
    async fn a_panic_in_the_future_or_in_call_answers_internal_in_the_headers() {
        let in_future = tower::service_fn(|request: http::Request<()>| async move {
            if request.uri().path() == "/boom" {
                panic!("boom");
            }
            Ok::<_, Infallible>(http::Response::new(()))
        });
        let service = CatchPanicLayer::new("logistics.test").layer(in_future);
        let boom = http::Request::get("/boom").body(()).unwrap();
        let response = service.clone().oneshot(boom).await.unwrap();
        assert_eq!(response.status(), http::StatusCode::OK);
        let status = tonic::Status::from_header_map(response.headers()).unwrap();
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("boom"));

        let fine = http::Request::get("/fine").body(()).unwrap();
        let response = service.oneshot(fine).await.unwrap();
        assert!(tonic::Status::from_header_map(response.headers()).is_none());

        let in_call = tower::service_fn(
            |_: http::Request<()>| -> std::future::Ready<Result<http::Response<()>, Infallible>> {
                panic!("boom before any future")
            },
        );
        let service = CatchPanicLayer::new("logistics.test").layer(in_call);
        let response = service.oneshot(http::Request::new(())).await.unwrap();
        let status = tonic::Status::from_header_map(response.headers()).unwrap();
        assert_eq!(status.code(), Code::Internal);
    }
}

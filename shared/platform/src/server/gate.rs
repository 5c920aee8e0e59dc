//! Gates: checks made before a call reaches its handler, each a tower layer.
//!
//! A gate either admits the call, handing back a ticket held until the response is ready (a
//! concurrency permit, say), or answers at once with a gRPC status. Answering from the layer is
//! cheaper than failing in the handler and keeps the rule in one place for every RPC.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use governor::{DefaultKeyedRateLimiter, Quota};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;

use crate::auth::Principal;
use crate::error::ApiError;

/// A check on an incoming call.
pub trait Gate: Clone + Send + Sync + 'static {
    /// Held from admission until the response is ready.
    type Ticket: Send + 'static;

    /// Admits the call (and may annotate it) or refuses it with the status to answer.
    fn admit<B>(&self, request: &mut http::Request<B>) -> Result<Self::Ticket, Status>;
}

/// Layer applying a [`Gate`].
#[derive(Clone)]
pub struct GateLayer<G>(pub G);

impl<S, G: Gate> tower::Layer<S> for GateLayer<G> {
    type Service = Gated<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Gated {
            inner,
            gate: self.0.clone(),
        }
    }
}

/// The service made by [`GateLayer`].
#[derive(Clone)]
pub struct Gated<S, G> {
    inner: S,
    gate: G,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, G, B, RB> tower::Service<http::Request<B>> for Gated<S, G>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    G: Gate,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.gate.admit(&mut request) {
            Ok(ticket) => {
                let response = self.inner.call(request);
                Box::pin(async move {
                    let response = response.await;
                    drop(ticket);
                    response
                })
            }
            Err(status) => Box::pin(std::future::ready(Ok(status.into_http()))),
        }
    }
}

/// Caps the calls in progress across all connections; past the cap, calls are shed at once with
/// RESOURCE_EXHAUSTED instead of queueing, so an overloaded server stays responsive.
#[derive(Clone)]
pub struct ConcurrencyGate {
    permits: Arc<Semaphore>,
    domain: &'static str,
}

impl ConcurrencyGate {
    /// At most `limit` calls in progress.
    pub fn new(limit: usize, domain: &'static str) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit)),
            domain,
        }
    }
}

impl Gate for ConcurrencyGate {
    type Ticket = OwnedSemaphorePermit;

    fn admit<B>(&self, _request: &mut http::Request<B>) -> Result<Self::Ticket, Status> {
        self.permits.clone().try_acquire_owned().map_err(|_| {
            ApiError::ResourceExhausted {
                reason: "SERVER_OVERLOADED",
                message: "the server is at its concurrency limit; retry with backoff".to_owned(),
            }
            .into_status(self.domain)
        })
    }
}

/// Limits each caller (principal) to a steady rate with a burst, answering RESOURCE_EXHAUSTED past it.
/// Calls without a principal (health, reflection) are not limited here.
#[derive(Clone)]
pub struct RateLimitGate {
    limiter: Option<Arc<DefaultKeyedRateLimiter<Arc<str>>>>,
    domain: &'static str,
}

impl RateLimitGate {
    /// `quota` per principal; `None` admits everything.
    pub fn new(quota: Option<Quota>, domain: &'static str) -> Self {
        Self {
            limiter: quota.map(|quota| Arc::new(DefaultKeyedRateLimiter::keyed(quota))),
            domain,
        }
    }
}

impl Gate for RateLimitGate {
    type Ticket = ();

    fn admit<B>(&self, request: &mut http::Request<B>) -> Result<(), Status> {
        let (Some(limiter), Some(principal)) =
            (&self.limiter, request.extensions().get::<Principal>())
        else {
            return Ok(());
        };
        limiter.check_key(&principal.name).map_err(|_| {
            ApiError::ResourceExhausted {
                reason: "RATE_LIMITED",
                message: format!(
                    "caller {:?} exceeded its request rate; retry with backoff",
                    principal.name
                ),
            }
            .into_status(self.domain)
        })
    }
}

//! Outgoing calls: one channel per peer, a deadline on every call, credentials and trace context.

use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, Endpoint};

use crate::telemetry::{ClientTelemetry, ClientTelemetryLayer, inject_trace_context};

/// A channel to a peer service whose every call has its CLIENT span.
pub type PeerChannel = ClientTelemetry<Channel>;

/// Where a service finds the others it calls, and the key it calls them with.
#[derive(Debug, Clone, clap::Args)]
pub struct PeersConfig {
    /// URL of the customers service, for the services that call it (e.g. `http://customers:50051`).
    /// `up` points it at its own customers service.
    #[arg(long, env = "LOGISTICS_CUSTOMERS_URL", global = true)]
    pub customers_url: Option<String>,

    /// URL of the orders service, for the services that call it or follow its change feed.
    /// `up` points it at its own orders service.
    #[arg(long, env = "LOGISTICS_ORDERS_URL", global = true)]
    pub orders_url: Option<String>,

    /// URL of the complaints service, for the services that follow its change feed (customers
    /// schedules its after-complaint follow-ups from it). `up` points it at its own complaints
    /// service.
    #[arg(long, env = "LOGISTICS_COMPLAINTS_URL", global = true)]
    pub complaints_url: Option<String>,

    /// This service's own API key, presented on its calls to the others. `up` mints one per
    /// service with the scopes it needs.
    #[arg(
        long,
        env = "LOGISTICS_SERVICE_API_KEY",
        hide_env_values = true,
        global = true
    )]
    pub service_api_key: Option<String>,

    /// Deadline of each call to another service, in milliseconds.
    #[arg(
        long,
        env = "LOGISTICS_PEER_TIMEOUT_MS",
        default_value_t = 2000,
        global = true
    )]
    pub peer_timeout_ms: u64,
}

impl Default for PeersConfig {
    /// No peers, and the same deadline as the command line's default.
    fn default() -> Self {
        Self {
            customers_url: None,
            orders_url: None,
            complaints_url: None,
            service_api_key: None,
            peer_timeout_ms: 2000,
        }
    }
}

impl PeersConfig {
    /// The deadline of each call to another service.
    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.peer_timeout_ms)
    }

    /// The URL and key for calling `peer`, or a message naming the settings that are missing.
    pub fn require(&self, peer: &str, url: Option<&String>) -> anyhow::Result<(String, String)> {
        let variable = format!("LOGISTICS_{}_URL", peer.to_uppercase());
        let url = url
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("set {variable}: this service calls {peer}"))?;
        let key = self.service_api_key.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "set LOGISTICS_SERVICE_API_KEY: this service calls {peer} with its own key"
            )
        })?;
        Ok((url, key))
    }
}

/// Opens a lazily connecting channel from the service `caller` (e.g. "orders") to `url` (e.g.
/// `http://127.0.0.1:50051`). Calls through it fail with DEADLINE_EXCEEDED after `call_timeout`
/// unless they set a shorter one, and each has its CLIENT span, exported under the caller's
/// resource, whose context it carries to the peer.
pub fn channel(caller: &str, url: &str, call_timeout: Duration) -> anyhow::Result<PeerChannel> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|error| anyhow::anyhow!("invalid peer URL {url:?}: {error}"))?
        .connect_timeout(Duration::from_secs(2))
        .timeout(call_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    let telemetry = ClientTelemetryLayer::new(crate::telemetry::service(caller), endpoint.uri());
    Ok(tower::Layer::layer(&telemetry, endpoint.connect_lazy()))
}

/// Adds `authorization: Bearer <key>` and the current trace context to every call.
#[derive(Clone, Debug)]
pub struct CallCredentials {
    authorization: MetadataValue<Ascii>,
}

impl CallCredentials {
    /// Credentials for an API key.
    pub fn bearer(api_key: &str) -> anyhow::Result<Self> {
        let authorization = format!("Bearer {api_key}")
            .parse()
            .map_err(|_| anyhow::anyhow!("an API key must be printable ASCII"))?;
        Ok(Self { authorization })
    }
}

impl tonic::service::Interceptor for CallCredentials {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.authorization.clone());
        inject_trace_context(request.metadata_mut());
        Ok(request)
    }
}

/// Attempts of an idempotent call before its UNAVAILABLE is passed on.
const ATTEMPTS: u32 = 3;
/// Pause before the first retry; it doubles with each attempt, plus up to as much again of jitter.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// Runs an idempotent `call`, retrying it (with jittered backoff) while it fails with UNAVAILABLE:
/// a peer restarting or a connection being re-established. Other errors, and non-idempotent
/// calls, must not be retried: the first attempt may have taken effect.
pub async fn retry_idempotent<T, F, Fut>(mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1.. {
        match call().await {
            Err(status) if status.code() == tonic::Code::Unavailable && attempt < ATTEMPTS => {
                let jitter = backoff.mul_f64(rand::random::<f64>());
                tracing::debug!(attempt, error = %status.message(), "peer unavailable; retrying");
                tokio::time::sleep(backoff + jitter).await;
                backoff *= 2;
            }
            outcome => return outcome,
        }
    }
    unreachable!("the loop returns by its last attempt")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn an_unavailable_peer_is_retried_until_it_answers() {
        let calls = AtomicU32::new(0);
        let answer = retry_idempotent(|| async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(tonic::Status::unavailable("restarting")),
                _ => Ok("answer"),
            }
        })
        .await;
        assert_eq!(answer.unwrap(), "answer");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retries_give_up_after_the_last_attempt() {
        let calls = AtomicU32::new(0);
        let answer: Result<(), _> = retry_idempotent(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(tonic::Status::unavailable("down"))
        })
        .await;
        assert_eq!(answer.unwrap_err().code(), tonic::Code::Unavailable);
        assert_eq!(calls.load(Ordering::SeqCst), ATTEMPTS);
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let answer: Result<(), _> = retry_idempotent(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(tonic::Status::not_found("no such customer"))
        })
        .await;
        assert_eq!(answer.unwrap_err().code(), tonic::Code::NotFound);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}

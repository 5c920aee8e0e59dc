//! Outgoing calls: one channel per peer, a deadline on every call, credentials and trace context.

use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, Endpoint};

use crate::telemetry::inject_trace_context;

/// Opens a lazily connecting channel to `url` (e.g. `http://127.0.0.1:50051`). Calls through it
/// fail with DEADLINE_EXCEEDED after `call_timeout` unless they set a shorter one.
pub fn channel(url: &str, call_timeout: Duration) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|error| anyhow::anyhow!("invalid peer URL {url:?}: {error}"))?
        .connect_timeout(Duration::from_secs(2))
        .timeout(call_timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    Ok(endpoint.connect_lazy())
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

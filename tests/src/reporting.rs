//! The kit's part for the reporting service: a client.

use logistics_contracts::reporting::reporting_service_client::ReportingServiceClient;
use logistics_platform::client::CallCredentials;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::{TestApp, channel};

/// A reporting client that sends an API key.
pub type ReportingClient = ReportingServiceClient<InterceptedService<Channel, CallCredentials>>;

impl TestApp {
    /// A reporting client with every scope.
    pub async fn reporting_client(&self) -> ReportingClient {
        let credentials = CallCredentials::bearer(&self.keys.admin).expect("printable key");
        ReportingServiceClient::with_interceptor(channel(self.reporting).await, credentials)
    }
}

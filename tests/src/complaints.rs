//! The kit's part for the complaints service: clients, and complaints ready to file.

use logistics_contracts::complaints::complaint_service_client::ComplaintServiceClient;
use logistics_contracts::complaints::sla_service_client::SlaServiceClient;
use logistics_contracts::complaints::{
    Complaint, ComplaintCategory, ComplaintChannel, ComplaintKind, FileComplaintRequest,
};
use logistics_platform::client::CallCredentials;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::{TestApp, channel, request_id};

/// A complaints client that sends an API key.
pub type ComplaintsClient = ComplaintServiceClient<InterceptedService<Channel, CallCredentials>>;
/// An SLA client that sends an API key.
pub type SlaClient = SlaServiceClient<InterceptedService<Channel, CallCredentials>>;

impl TestApp {
    /// A complaints client with every scope.
    pub async fn complaints_client(&self) -> ComplaintsClient {
        self.complaints_client_with(&self.keys.admin).await
    }

    /// A complaints client presenting `api_key`.
    pub async fn complaints_client_with(&self, api_key: &str) -> ComplaintsClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        ComplaintServiceClient::with_interceptor(channel(self.complaints).await, credentials)
    }

    /// An SLA client with every scope.
    pub async fn sla_client(&self) -> SlaClient {
        let credentials = CallCredentials::bearer(&self.keys.admin).expect("printable key");
        SlaServiceClient::with_interceptor(channel(self.complaints).await, credentials)
    }
}

/// A complaint of `kind` about `category` from `customer_id`, by hotline.
pub fn complaint(customer_id: &str, kind: ComplaintKind, category: ComplaintCategory) -> Complaint {
    Complaint {
        kind: kind.into(),
        channel: ComplaintChannel::Hotline.into(),
        category: category.into(),
        customer_id: customer_id.to_owned(),
        subject: "The carton arrived crushed".to_owned(),
        description: "Two of five cartons were crushed at one corner.".to_owned(),
        ..Complaint::default()
    }
}

/// Files `complaint` with a fresh request id; panics when refused.
pub async fn file(client: &mut ComplaintsClient, complaint: Complaint) -> Complaint {
    client
        .file_complaint(FileComplaintRequest {
            complaint: Some(complaint),
            request_id: request_id(),
        })
        .await
        .expect("filing a complaint")
        .into_inner()
}

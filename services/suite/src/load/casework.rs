//! Calls of the complaints and reporting services: FileComplaint (the intake write path, which
//! asks customers about the customer) and GetMonthlyStatement (a report from the rollups).

use logistics_contracts::complaints::complaint_service_client::ComplaintServiceClient;
use logistics_contracts::complaints::{
    Complaint, ComplaintCategory, ComplaintChannel, ComplaintKind, FileComplaintRequest,
};
use logistics_contracts::reporting::GetMonthlyStatementRequest;
use logistics_contracts::reporting::reporting_service_client::ReportingServiceClient;
use logistics_platform::client::CallCredentials;
use logistics_platform::time::company_time_zone;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::LoadCall;

type Complaints = ComplaintServiceClient<InterceptedService<Channel, CallCredentials>>;
type Reporting = ReportingServiceClient<InterceptedService<Channel, CallCredentials>>;

/// One worker's complaints or reporting calls, all about one seeded customer.
pub enum Worker {
    /// FileComplaint: an inquiry with a fresh request id each.
    File(Complaints, String),
    /// GetMonthlyStatement of this month so far.
    Statement(Reporting, GetMonthlyStatementRequest),
}

impl Worker {
    /// A worker making `call` about `customer_id` over `channel`.
    pub fn new(
        call: LoadCall,
        channel: Channel,
        credentials: CallCredentials,
        customer_id: String,
    ) -> Self {
        match call {
            LoadCall::FileComplaint => Self::File(
                ComplaintServiceClient::with_interceptor(channel, credentials),
                customer_id,
            ),
            LoadCall::GetMonthlyStatement => {
                let month = chrono::Utc::now()
                    .with_timezone(&company_time_zone())
                    .format("%Y-%m")
                    .to_string();
                Self::Statement(
                    ReportingServiceClient::with_interceptor(channel, credentials),
                    GetMonthlyStatementRequest { customer_id, month },
                )
            }
            other => unreachable!("{other:?} is not a complaints or reporting call"),
        }
    }

    /// Makes one call.
    pub async fn call(&mut self) -> Result<(), Status> {
        match self {
            Self::File(client, customer_id) => client
                .file_complaint(FileComplaintRequest {
                    complaint: Some(Complaint {
                        kind: ComplaintKind::Inquiry.into(),
                        channel: ComplaintChannel::Hotline.into(),
                        category: ComplaintCategory::Billing.into(),
                        customer_id: customer_id.clone(),
                        subject: "Invoice for last month".to_owned(),
                        description: "Which orders does the invoice cover?".to_owned(),
                        ..Complaint::default()
                    }),
                    request_id: uuid::Uuid::new_v4().to_string(),
                })
                .await
                .map(drop),
            Self::Statement(client, request) => client
                .get_monthly_statement(request.clone())
                .await
                .map(drop),
        }
    }
}

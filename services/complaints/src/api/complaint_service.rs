//! `logistics.complaints.v1.ComplaintService`: complaints from filing to closing. Decode and
//! check each request, call its use case in `app`, answer.

use logistics_contracts::complaints::complaint_service_server::ComplaintService;
use logistics_contracts::complaints::{
    self as pb, AcknowledgeComplaintRequest, AddComplaintNoteRequest, AssignComplaintRequest,
    CloseComplaintRequest, ComplaintView, CountComplaintsRequest, CountComplaintsResponse,
    FileComplaintRequest, GetComplaintRequest, ListComplaintsRequest, ListComplaintsResponse,
    MarkClaimPaidRequest, ProposeResolutionRequest, RateResolutionRequest,
    RecordInvestigationRequest, ReopenComplaintRequest, ResolveComplaintRequest,
    ResumeComplaintRequest, ReviewClaimRequest, SetComplaintPriorityRequest, StreamChangesRequest,
    StreamChangesResponse, WaitForCustomerRequest,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::changefeed::ChangeFeed;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::{ApiError, ServiceContext};
use prost::Message as _;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::complaint_fields::{self as fields, complaint_ref};
use super::{principal_name, respond};
use crate::DOMAIN;
use crate::app::Complaints;
use crate::app::changes::{Step, Target};
use crate::app::filing::Filing;
use crate::store::complaint_lists::ListPosition;

/// The scope each RPC of ComplaintService needs.
pub(crate) const SCOPES: ScopeTable = logistics_platform::scope_table!(
    "logistics.complaints.v1.ComplaintService" {
        FileComplaint => "complaints:write",
        GetComplaint => "complaints:read",
        ListComplaints => "complaints:read",
        CountComplaints => "complaints:read",
        AcknowledgeComplaint => "complaints:write",
        AssignComplaint => "complaints:write",
        SetComplaintPriority => "complaints:write",
        RecordInvestigation => "complaints:write",
        ProposeResolution => "complaints:write",
        WaitForCustomer => "complaints:write",
        ResumeComplaint => "complaints:write",
        ResolveComplaint => "complaints:write",
        CloseComplaint => "complaints:write",
        ReopenComplaint => "complaints:write",
        AddComplaintNote => "complaints:write",
        ReviewClaim => "complaints:write",
        MarkClaimPaid => "complaints:write",
        RateResolution => "complaints:write",
        StreamChanges => "complaints:read",
    }
);

/// The complaints API over its use cases.
#[derive(Clone)]
pub(crate) struct ComplaintsApi {
    app: Complaints,
    page_tokens: PageTokens,
    feed: ChangeFeed,
}

impl ComplaintsApi {
    /// The API over `app`.
    pub(crate) fn new(app: Complaints, context: &ServiceContext) -> Self {
        Self {
            page_tokens: PageTokens::new(context.token_key.clone(), "complaints.list"),
            feed: ChangeFeed::start(
                app.pool().clone(),
                crate::SCHEMA,
                context.token_key.clone(),
                DOMAIN,
                context.shutdown.clone(),
            ),
            app,
        }
    }

    async fn file(
        &self,
        principal: &str,
        request: FileComplaintRequest,
    ) -> Result<pb::Complaint, ApiError> {
        let (new, request_id) = fields::new_complaint(&request)?;
        let filing = Filing {
            principal,
            request_id,
            request: &request,
        };
        self.app.file(filing, new).await
    }

    async fn get(&self, request: GetComplaintRequest) -> Result<pb::Complaint, ApiError> {
        let reference = complaint_ref("id", &request.id)?;
        let full = match ComplaintView::try_from(request.view) {
            Ok(ComplaintView::Full) => true,
            Ok(ComplaintView::Basic | ComplaintView::Unspecified) => false,
            Err(_) => return Err(ApiError::invalid_field("view", "is not a known view")),
        };
        self.app.get(&reference, &request.id, full).await
    }

    async fn list(
        &self,
        request: ListComplaintsRequest,
    ) -> Result<ListComplaintsResponse, ApiError> {
        let limit = page_size(request.page_size)?;
        let filter = fields::filter(request.filter.as_ref())?;
        let fingerprint = request.filter.unwrap_or_default().encode_to_vec();
        let after: Option<ListPosition> =
            self.page_tokens.open(&fingerprint, &request.page_token)?;
        let query = self
            .app
            .query_with(filter.query, filter.customer.as_ref())
            .await?;
        let page = self.app.list(&query, after, limit).await?;
        Ok(ListComplaintsResponse {
            complaints: page.complaints,
            next_page_token: page
                .next
                .map(|next| self.page_tokens.issue(&fingerprint, &next))
                .unwrap_or_default(),
        })
    }

    async fn count(
        &self,
        request: CountComplaintsRequest,
    ) -> Result<CountComplaintsResponse, ApiError> {
        let filter = fields::filter(request.filter.as_ref())?;
        let query = self
            .app
            .query_with(filter.query, filter.customer.as_ref())
            .await?;
        self.app.count(&query).await
    }

    /// Takes `step` on the complaint `id` names, for `request`'s caller.
    async fn step<T>(
        &self,
        request: &Request<T>,
        id: &str,
        etag: &str,
        step: Step,
    ) -> Result<pb::Complaint, ApiError> {
        let reference = complaint_ref("id", id)?;
        let actor = principal_of(request)?;
        let target = Target {
            reference: &reference,
            named: id,
            etag,
            actor: &actor,
        };
        self.app.take_step(target, step).await
    }
}

/// The caller's name, as an ApiError when there is none.
fn principal_of<T>(request: &Request<T>) -> Result<String, ApiError> {
    logistics_platform::auth::principal_of(request).map(|principal| principal.name.to_string())
}

#[tonic::async_trait]
impl ComplaintService for ComplaintsApi {
    async fn file_complaint(
        &self,
        request: Request<FileComplaintRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let principal = principal_name(&request)?;
        respond(self.file(&principal, request.into_inner()).await)
    }

    async fn get_complaint(
        &self,
        request: Request<GetComplaintRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        respond(self.get(request.into_inner()).await)
    }

    async fn list_complaints(
        &self,
        request: Request<ListComplaintsRequest>,
    ) -> Result<Response<ListComplaintsResponse>, Status> {
        respond(self.list(request.into_inner()).await)
    }

    async fn count_complaints(
        &self,
        request: Request<CountComplaintsRequest>,
    ) -> Result<Response<CountComplaintsResponse>, Status> {
        respond(self.count(request.into_inner()).await)
    }

    async fn acknowledge_complaint(
        &self,
        request: Request<AcknowledgeComplaintRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let message = fields::required("message", &body.message, fields::MESSAGE_CHARS)?;
            let step = Step::Acknowledge { message };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn assign_complaint(
        &self,
        request: Request<AssignComplaintRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let (agent, team) = fields::assignment(body)?;
            let step = Step::Assign { agent, team };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn set_complaint_priority(
        &self,
        request: Request<SetComplaintPriorityRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let (priority, reason) = fields::priority_change(body)?;
            let step = Step::SetPriority { priority, reason };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn record_investigation(
        &self,
        request: Request<RecordInvestigationRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let (findings, responsible_party, root_cause) = fields::investigation(body)?;
            let step = Step::Investigate {
                findings,
                responsible_party,
                root_cause,
            };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn propose_resolution(
        &self,
        request: Request<ProposeResolutionRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let (actions, message) = fields::proposal(body)?;
            let step = Step::Propose { actions, message };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn wait_for_customer(
        &self,
        request: Request<WaitForCustomerRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let reason = fields::required("reason", &body.reason, fields::MESSAGE_CHARS)?;
            let step = Step::WaitForCustomer { reason };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn resume_complaint(
        &self,
        request: Request<ResumeComplaintRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let note = fields::optional_long("note", &body.note, fields::MESSAGE_CHARS)?;
            let step = Step::Resume { note };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn resolve_complaint(
        &self,
        request: Request<ResolveComplaintRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let feedback =
                fields::required_long("feedback", &body.feedback, fields::LONG_TEXT_CHARS)?;
            let step = Step::Resolve { feedback };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn close_complaint(
        &self,
        request: Request<CloseComplaintRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        respond(self.step(&request, &body.id, &body.etag, Step::Close).await)
    }

    async fn reopen_complaint(
        &self,
        request: Request<ReopenComplaintRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let reason = fields::required("reason", &body.reason, fields::REASON_CHARS)?;
            let step = Step::Reopen { reason };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn add_complaint_note(
        &self,
        request: Request<AddComplaintNoteRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let note = fields::required_long("note", &body.note, fields::LONG_TEXT_CHARS)?;
            self.step(&request, &body.id, "", Step::Note { note }).await
        };
        respond(answer.await)
    }

    async fn review_claim(
        &self,
        request: Request<ReviewClaimRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let decision = fields::decision(body)?;
            let step = Step::ReviewClaim(decision);
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn mark_claim_paid(
        &self,
        request: Request<MarkClaimPaidRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let reference = fields::required(
                "payment_reference",
                &body.payment_reference,
                fields::REFERENCE_CHARS,
            )?;
            let step = Step::MarkClaimPaid { reference };
            self.step(&request, &body.id, &body.etag, step).await
        };
        respond(answer.await)
    }

    async fn rate_resolution(
        &self,
        request: Request<RateResolutionRequest>,
    ) -> Result<Response<pb::Complaint>, Status> {
        let body = request.get_ref();
        let answer = async {
            let (score, comment) = fields::rating(body)?;
            self.step(&request, &body.id, "", Step::Rate { score, comment })
                .await
        };
        respond(answer.await)
    }

    type StreamChangesStream = ReceiverStream<Result<StreamChangesResponse, Status>>;

    async fn stream_changes(
        &self,
        request: Request<StreamChangesRequest>,
    ) -> Result<Response<Self::StreamChangesStream>, Status> {
        let request = request.into_inner();
        respond(
            self.feed
                .subscribe(request.start, request.event_types)
                .await,
        )
    }
}

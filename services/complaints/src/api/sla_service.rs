//! `logistics.complaints.v1.SlaService`: the business calendar, the SLA policy and the sweep.

use logistics_contracts::complaints::sla_service_server::SlaService;
use logistics_contracts::complaints::{
    self as pb, GetBusinessCalendarRequest, GetSlaPolicyRequest, RunSlaSweepRequest,
    RunSlaSweepResponse, UpdateBusinessCalendarRequest, UpdateSlaPolicyRequest,
};
use logistics_platform::ApiError;
use logistics_platform::auth::ScopeTable;
use logistics_platform::jobs::Job;
use tonic::{Request, Response, Status};

use super::sla_fields::{calendar, calendar_to_proto, policy, policy_to_proto};
use super::{principal_name, respond};
use crate::app::Complaints;

/// The scope each RPC of SlaService needs.
pub(crate) const SCOPES: ScopeTable = logistics_platform::scope_table!(
    "logistics.complaints.v1.SlaService" {
        GetBusinessCalendar => "complaints:read",
        UpdateBusinessCalendar => "complaints:admin",
        GetSlaPolicy => "complaints:read",
        UpdateSlaPolicy => "complaints:admin",
        RunSlaSweep => "complaints:admin",
    }
);

/// The SLA API over the use cases, and the sweep's job (so a RunSlaSweep waits for a run in
/// progress instead of overlapping it).
#[derive(Clone)]
pub(crate) struct SlaApi {
    app: Complaints,
    sweep: Job,
}

impl SlaApi {
    /// The API over `app`, running the sweep as `sweep`.
    pub(crate) fn new(app: Complaints, sweep: Job) -> Self {
        Self { app, sweep }
    }

    async fn get_calendar(
        &self,
        request: GetBusinessCalendarRequest,
    ) -> Result<pb::BusinessCalendar, ApiError> {
        let version = match request.version {
            0 => None,
            version if version < 0 => {
                return Err(ApiError::invalid_field(
                    "version",
                    "must be 0 (current) or more",
                ));
            }
            version => Some(version),
        };
        Ok(calendar_to_proto(&self.app.calendar(version).await?))
    }

    async fn update_calendar(
        &self,
        actor: &str,
        request: UpdateBusinessCalendarRequest,
    ) -> Result<pb::BusinessCalendar, ApiError> {
        let (business, names, etag) = calendar(request.calendar.as_ref())?;
        let updated = self
            .app
            .update_calendar(business, names, &etag, actor)
            .await?;
        Ok(calendar_to_proto(&updated))
    }

    async fn update_policy(
        &self,
        actor: &str,
        request: UpdateSlaPolicyRequest,
    ) -> Result<pb::SlaPolicy, ApiError> {
        let (checked, etag) = policy(request.policy.as_ref())?;
        let updated = self.app.update_policy(checked, &etag, actor).await?;
        Ok(policy_to_proto(&updated))
    }
}

#[tonic::async_trait]
impl SlaService for SlaApi {
    async fn get_business_calendar(
        &self,
        request: Request<GetBusinessCalendarRequest>,
    ) -> Result<Response<pb::BusinessCalendar>, Status> {
        respond(self.get_calendar(request.into_inner()).await)
    }

    async fn update_business_calendar(
        &self,
        request: Request<UpdateBusinessCalendarRequest>,
    ) -> Result<Response<pb::BusinessCalendar>, Status> {
        let actor = principal_name(&request)?;
        respond(self.update_calendar(&actor, request.into_inner()).await)
    }

    async fn get_sla_policy(
        &self,
        _request: Request<GetSlaPolicyRequest>,
    ) -> Result<Response<pb::SlaPolicy>, Status> {
        respond(
            self.app
                .policy()
                .await
                .map(|policy| policy_to_proto(&policy)),
        )
    }

    async fn update_sla_policy(
        &self,
        request: Request<UpdateSlaPolicyRequest>,
    ) -> Result<Response<pb::SlaPolicy>, Status> {
        let actor = principal_name(&request)?;
        respond(self.update_policy(&actor, request.into_inner()).await)
    }

    async fn run_sla_sweep(
        &self,
        _request: Request<RunSlaSweepRequest>,
    ) -> Result<Response<RunSlaSweepResponse>, Status> {
        respond(self.sweep.run_now(self.app.sweep()).await)
    }
}

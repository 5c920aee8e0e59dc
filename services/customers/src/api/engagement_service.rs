//! `logistics.customers.v1.EngagementService`: the interaction log, follow-ups (return visits) and
//! satisfaction surveys. Decodes and validates each request, calls its use case in
//! `app::engagement`, encodes the answer.

use chrono::Utc;
use logistics_contracts::customers::engagement_service_server::EngagementService;
use logistics_contracts::customers::{
    self as pb, CancelFollowUpRequest, CompleteFollowUpRequest, ListFollowUpsRequest,
    ListFollowUpsResponse, ListInteractionsRequest, ListInteractionsResponse, ListSurveysRequest,
    ListSurveysResponse, LogInteractionRequest, RecordSurveyRequest, RunFollowUpSweepRequest,
    RunFollowUpSweepResponse, SampleSurveyTargetsRequest, SampleSurveyTargetsResponse,
    ScheduleFollowUpRequest,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::idempotency::IdempotencyKey;
use logistics_platform::jobs::Job;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::{ApiError, ServiceContext};
use prost::Message as _;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::engagement_fields::{
    MAX_OUTCOME, MAX_OUTCOME_NOTES, past_time, validate_follow_up, validate_follow_up_filter,
    validate_interaction, validate_interaction_filter, validate_survey, validate_survey_filter,
};
use super::{principal_name, respond, survey_sampling};
use crate::app::engagement::{self, Completion};
use crate::app::events::{follow_up_to_proto, interaction_to_proto, survey_to_proto};
use crate::app::follow_up_sweep;
use crate::store::engagement::{self as store, TimePosition};
use crate::store::surveys;

/// The scope each RPC of EngagementService needs.
pub(crate) const SCOPES: ScopeTable = &[
    (
        "/logistics.customers.v1.EngagementService/LogInteraction",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.EngagementService/ListInteractions",
        "customers:read",
    ),
    (
        "/logistics.customers.v1.EngagementService/ScheduleFollowUp",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.EngagementService/CompleteFollowUp",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.EngagementService/CancelFollowUp",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.EngagementService/ListFollowUps",
        "customers:read",
    ),
    (
        "/logistics.customers.v1.EngagementService/RunFollowUpSweep",
        "customers:admin",
    ),
    (
        "/logistics.customers.v1.EngagementService/RecordSurvey",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.EngagementService/ListSurveys",
        "customers:read",
    ),
    (
        "/logistics.customers.v1.EngagementService/SampleSurveyTargets",
        "customers:read",
    ),
];

/// The engagement API over the customers database.
#[derive(Clone)]
pub(crate) struct EngagementApi {
    pool: PgPool,
    interaction_pages: PageTokens,
    follow_up_pages: PageTokens,
    survey_pages: PageTokens,
    follow_up_sweep: Job,
}

impl EngagementApi {
    /// The API over `pool`, sealing page tokens with the context's key.
    pub(crate) fn new(pool: PgPool, context: &ServiceContext) -> Self {
        let tokens = |purpose| PageTokens::new(context.token_key.clone(), purpose);
        Self {
            interaction_pages: tokens("interactions.list"),
            follow_up_pages: tokens("follow_ups.list"),
            survey_pages: tokens("surveys.list"),
            follow_up_sweep: Job::new(follow_up_sweep::JOB, pool.clone()),
            pool,
        }
    }

    /// The follow-up sweep's job, for the service to schedule.
    pub(crate) fn follow_up_sweep_job(&self) -> Job {
        self.follow_up_sweep.clone()
    }

    async fn log_interaction(
        &self,
        principal: &str,
        request: LogInteractionRequest,
    ) -> Result<pb::Interaction, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let new = match &request.interaction {
            Some(interaction) => validate_interaction(interaction, Utc::now(), &mut violations),
            None => {
                violations.add("interaction", "is required");
                None
            }
        };
        let (Some(request_id), Some(new)) = (request_id, new) else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let key = idempotency_key(principal, "LogInteraction", request_id);
        engagement::log_interaction(&self.pool, &key, &request, &new).await
    }

    async fn list_interactions(
        &self,
        request: ListInteractionsRequest,
    ) -> Result<ListInteractionsResponse, ApiError> {
        let mut violations = Violations::new();
        let filter = validate_interaction_filter(request.filter.as_ref(), &mut violations);
        violations.finish()?;
        let size = page_size(request.page_size)?;
        // A token is bound to the filter, not to the page size.
        let query = request.filter.unwrap_or_default().encode_to_vec();
        let after: Option<TimePosition> =
            self.interaction_pages.open(&query, &request.page_token)?;
        let (rows, next) =
            store::list_interactions(&self.pool, &filter, after.as_ref(), size).await?;
        Ok(ListInteractionsResponse {
            interactions: rows
                .iter()
                .map(interaction_to_proto)
                .collect::<Result<_, _>>()?,
            next_page_token: next
                .map(|position| self.interaction_pages.issue(&query, &position))
                .unwrap_or_default(),
        })
    }

    async fn schedule_follow_up(
        &self,
        principal: &str,
        request: ScheduleFollowUpRequest,
    ) -> Result<pb::FollowUp, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let new = match &request.follow_up {
            Some(follow_up) => validate_follow_up(follow_up, Utc::now(), &mut violations),
            None => {
                violations.add("follow_up", "is required");
                None
            }
        };
        let (Some(request_id), Some(new)) = (request_id, new) else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let key = idempotency_key(principal, "ScheduleFollowUp", request_id);
        engagement::schedule_follow_up(&self.pool, &key, &request, &new).await
    }

    async fn complete_follow_up(
        &self,
        request: CompleteFollowUpRequest,
    ) -> Result<pb::FollowUp, ApiError> {
        let mut violations = Violations::new();
        let id = parse_uuid(&mut violations, "id", &request.id);
        violations.require_text("outcome", &request.outcome, MAX_OUTCOME);
        violations.limit_multiline_text("notes", &request.notes, MAX_OUTCOME_NOTES);
        let complete_time = past_time(
            &mut violations,
            "complete_time",
            request.complete_time.as_ref(),
            Utc::now(),
        );
        let Some(id) = id else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let completion = Completion {
            outcome: request.outcome.trim(),
            notes: &request.notes,
            complete_time,
        };
        engagement::complete_follow_up(&self.pool, id, &request.id, &request.etag, &completion)
            .await
    }

    async fn cancel_follow_up(
        &self,
        request: CancelFollowUpRequest,
    ) -> Result<pb::FollowUp, ApiError> {
        let mut violations = Violations::new();
        let Some(id) = parse_uuid(&mut violations, "id", &request.id) else {
            return Err(violations.into_error());
        };
        engagement::cancel_follow_up(&self.pool, id, &request.id, &request.etag).await
    }

    async fn list_follow_ups(
        &self,
        request: ListFollowUpsRequest,
    ) -> Result<ListFollowUpsResponse, ApiError> {
        let mut violations = Violations::new();
        let filter = validate_follow_up_filter(request.filter.as_ref(), &mut violations);
        violations.finish()?;
        let size = page_size(request.page_size)?;
        let query = request.filter.unwrap_or_default().encode_to_vec();
        let after: Option<TimePosition> = self.follow_up_pages.open(&query, &request.page_token)?;
        let (rows, next) =
            store::list_follow_ups(&self.pool, &filter, after.as_ref(), size).await?;
        Ok(ListFollowUpsResponse {
            follow_ups: rows
                .iter()
                .map(follow_up_to_proto)
                .collect::<Result<_, _>>()?,
            next_page_token: next
                .map(|position| self.follow_up_pages.issue(&query, &position))
                .unwrap_or_default(),
        })
    }

    async fn run_follow_up_sweep(&self) -> Result<RunFollowUpSweepResponse, ApiError> {
        let outcome = self
            .follow_up_sweep
            .run_now(follow_up_sweep::sweep(&self.pool))
            .await?;
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(RunFollowUpSweepResponse {
            missed_count: count(outcome.missed),
            reviews_created_count: count(outcome.reviews_created),
            review_month: outcome.review_month.to_string(),
        })
    }

    async fn record_survey(
        &self,
        principal: &str,
        request: RecordSurveyRequest,
    ) -> Result<pb::Survey, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let new = match &request.survey {
            Some(survey) => validate_survey(survey, Utc::now(), &mut violations),
            None => {
                violations.add("survey", "is required");
                None
            }
        };
        let (Some(request_id), Some(new)) = (request_id, new) else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let key = idempotency_key(principal, "RecordSurvey", request_id);
        engagement::record_survey(&self.pool, &key, &request, &new).await
    }

    async fn list_surveys(
        &self,
        request: ListSurveysRequest,
    ) -> Result<ListSurveysResponse, ApiError> {
        let mut violations = Violations::new();
        let filter = validate_survey_filter(request.filter.as_ref(), &mut violations);
        violations.finish()?;
        let size = page_size(request.page_size)?;
        let query = request.filter.unwrap_or_default().encode_to_vec();
        let after: Option<TimePosition> = self.survey_pages.open(&query, &request.page_token)?;
        let (rows, next) = surveys::list_surveys(&self.pool, &filter, after.as_ref(), size).await?;
        Ok(ListSurveysResponse {
            surveys: rows.iter().map(survey_to_proto).collect(),
            next_page_token: next
                .map(|position| self.survey_pages.issue(&query, &position))
                .unwrap_or_default(),
        })
    }
}

fn idempotency_key(principal: &str, method: &'static str, request_id: Uuid) -> IdempotencyKey {
    IdempotencyKey {
        principal: principal.to_owned(),
        method,
        request_id,
    }
}

#[tonic::async_trait]
impl EngagementService for EngagementApi {
    async fn log_interaction(
        &self,
        request: Request<LogInteractionRequest>,
    ) -> Result<Response<pb::Interaction>, Status> {
        let principal = principal_name(&request)?;
        respond(self.log_interaction(&principal, request.into_inner()).await)
    }

    async fn list_interactions(
        &self,
        request: Request<ListInteractionsRequest>,
    ) -> Result<Response<ListInteractionsResponse>, Status> {
        respond(self.list_interactions(request.into_inner()).await)
    }

    async fn schedule_follow_up(
        &self,
        request: Request<ScheduleFollowUpRequest>,
    ) -> Result<Response<pb::FollowUp>, Status> {
        let principal = principal_name(&request)?;
        respond(
            self.schedule_follow_up(&principal, request.into_inner())
                .await,
        )
    }

    async fn complete_follow_up(
        &self,
        request: Request<CompleteFollowUpRequest>,
    ) -> Result<Response<pb::FollowUp>, Status> {
        respond(self.complete_follow_up(request.into_inner()).await)
    }

    async fn cancel_follow_up(
        &self,
        request: Request<CancelFollowUpRequest>,
    ) -> Result<Response<pb::FollowUp>, Status> {
        respond(self.cancel_follow_up(request.into_inner()).await)
    }

    async fn list_follow_ups(
        &self,
        request: Request<ListFollowUpsRequest>,
    ) -> Result<Response<ListFollowUpsResponse>, Status> {
        respond(self.list_follow_ups(request.into_inner()).await)
    }

    async fn run_follow_up_sweep(
        &self,
        _request: Request<RunFollowUpSweepRequest>,
    ) -> Result<Response<RunFollowUpSweepResponse>, Status> {
        respond(self.run_follow_up_sweep().await)
    }

    async fn record_survey(
        &self,
        request: Request<RecordSurveyRequest>,
    ) -> Result<Response<pb::Survey>, Status> {
        let principal = principal_name(&request)?;
        respond(self.record_survey(&principal, request.into_inner()).await)
    }

    async fn list_surveys(
        &self,
        request: Request<ListSurveysRequest>,
    ) -> Result<Response<ListSurveysResponse>, Status> {
        respond(self.list_surveys(request.into_inner()).await)
    }

    async fn sample_survey_targets(
        &self,
        request: Request<SampleSurveyTargetsRequest>,
    ) -> Result<Response<SampleSurveyTargetsResponse>, Status> {
        respond(survey_sampling::sample(&self.pool, request.into_inner()).await)
    }
}

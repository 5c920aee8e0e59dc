//! `logistics.customers.v1.EngagementService`: the interaction log, follow-ups (return visits) and
//! satisfaction surveys. Decode and validate each request, call the store in one transaction with
//! its change event, encode the response.

use crate::reasons::Reason;
use chrono::Utc;
use logistics_contracts::customers::engagement_service_server::EngagementService;
use logistics_contracts::customers::{
    self as pb, CancelFollowUpRequest, CompleteFollowUpRequest, FollowUpCancelled,
    FollowUpCompleted, InteractionLogged, ListFollowUpsRequest, ListFollowUpsResponse,
    ListInteractionsRequest, ListInteractionsResponse, ListSurveysRequest, ListSurveysResponse,
    LogInteractionRequest, RecordSurveyRequest, RunFollowUpSweepRequest, RunFollowUpSweepResponse,
    SampleSurveyTargetsRequest, SampleSurveyTargetsResponse, ScheduleFollowUpRequest,
    SurveyRecorded, stream_changes_response::Event,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::changefeed;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::etag;
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use logistics_platform::jobs::Job;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::time::timestamp;
use logistics_platform::{ApiError, ServiceContext};
use prost::Message as _;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::engagement_fields::{
    MAX_OUTCOME, MAX_OUTCOME_NOTES, follow_up_to_proto, interaction_to_proto, past_time,
    survey_to_proto, validate_follow_up, validate_follow_up_filter, validate_interaction,
    validate_interaction_filter, validate_survey, validate_survey_filter,
};
use super::{principal_name, respond, survey_sampling};
use crate::app::events::{follow_up_reason_to_proto, follow_up_status_to_proto};
use crate::app::follow_up_sweep;
use crate::domain::follow_up::{FollowUpAction, transition};
use crate::store::engagement::{self as store, FollowUpRow, TimePosition};
use crate::store::surveys;

/// The scope each RPC of EngagementService needs.
pub const SCOPES: ScopeTable = &[
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
pub struct EngagementApi {
    pool: PgPool,
    interaction_pages: PageTokens,
    follow_up_pages: PageTokens,
    survey_pages: PageTokens,
    follow_up_sweep: Job,
}

impl EngagementApi {
    /// The API over `pool`, sealing page tokens with the context's key.
    pub fn new(pool: PgPool, context: &ServiceContext) -> Self {
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
    pub fn follow_up_sweep_job(&self) -> Job {
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
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(response) = idempotency::claim(&mut tx, &key, &request).await? {
            return Ok(response);
        }
        ensure_customer_open(&mut tx, new.customer_id).await?;
        let row = store::insert_interaction(&mut tx, &new).await?;
        let interaction = interaction_to_proto(&row)?;
        let event = Event::InteractionLogged(InteractionLogged {
            interaction_id: interaction.id.clone(),
            customer_id: interaction.customer_id.clone(),
            channel: interaction.channel,
            direction: interaction.direction,
            occur_time: interaction.occur_time,
        });
        changefeed::record(&mut tx, &interaction.id, event).await?;
        idempotency::record(&mut tx, &key, &interaction).await?;
        tx.commit().await?;
        Ok(interaction)
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
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(response) = idempotency::claim(&mut tx, &key, &request).await? {
            return Ok(response);
        }
        ensure_customer_open(&mut tx, new.customer_id).await?;
        let row = store::insert_follow_up(&mut tx, &new).await?;
        follow_up_sweep::append_scheduled(&mut tx, &row).await?;
        let follow_up = follow_up_to_proto(&row)?;
        idempotency::record(&mut tx, &key, &follow_up).await?;
        tx.commit().await?;
        Ok(follow_up)
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

        let mut tx = self.pool.begin().await?;
        let current = lock_follow_up(&mut tx, id, &request.id).await?;
        let previous = current.status.0;
        ensure_allowed(&current, FollowUpAction::Complete)?;
        ensure_etag(&current, &request.etag)?;
        let row = store::complete_follow_up(
            &mut tx,
            id,
            request.outcome.trim(),
            &request.notes,
            complete_time,
        )
        .await?;
        let event = Event::FollowUpCompleted(FollowUpCompleted {
            follow_up_id: row.id.to_string(),
            customer_id: row.customer_id.to_string(),
            reason: follow_up_reason_to_proto(row.reason.0).into(),
            previous_status: follow_up_status_to_proto(previous).into(),
            status: follow_up_status_to_proto(row.status.0).into(),
            due_time: Some(timestamp(row.due_time)),
            complete_time: Some(timestamp(complete_time)),
        });
        changefeed::record(&mut tx, &row.id.to_string(), event).await?;
        tx.commit().await?;
        follow_up_to_proto(&row)
    }

    async fn cancel_follow_up(
        &self,
        request: CancelFollowUpRequest,
    ) -> Result<pb::FollowUp, ApiError> {
        let mut violations = Violations::new();
        let Some(id) = parse_uuid(&mut violations, "id", &request.id) else {
            return Err(violations.into_error());
        };
        let mut tx = self.pool.begin().await?;
        let current = lock_follow_up(&mut tx, id, &request.id).await?;
        ensure_allowed(&current, FollowUpAction::Cancel)?;
        ensure_etag(&current, &request.etag)?;
        let row = store::cancel_follow_up(&mut tx, id).await?;
        let event = Event::FollowUpCancelled(FollowUpCancelled {
            follow_up_id: row.id.to_string(),
            customer_id: row.customer_id.to_string(),
            reason: follow_up_reason_to_proto(row.reason.0).into(),
            status: follow_up_status_to_proto(row.status.0).into(),
            due_time: Some(timestamp(row.due_time)),
            cancel_time: row.cancel_time.map(timestamp),
        });
        changefeed::record(&mut tx, &row.id.to_string(), event).await?;
        tx.commit().await?;
        follow_up_to_proto(&row)
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
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(response) = idempotency::claim(&mut tx, &key, &request).await? {
            return Ok(response);
        }
        ensure_customer_open(&mut tx, new.customer_id).await?;
        if let Some(follow_up_id) = new.follow_up_id {
            match store::follow_up_customer(&mut tx, follow_up_id).await? {
                None => return Err(follow_up_not_found(&follow_up_id.to_string())),
                Some(owner) if owner != new.customer_id => {
                    return Err(ApiError::invalid_field(
                        "survey.follow_up_id",
                        "belongs to another customer",
                    ));
                }
                Some(_) => {}
            }
        }
        let row = surveys::insert_survey(&mut tx, &new).await?;
        let survey = survey_to_proto(&row);
        let event = Event::SurveyRecorded(SurveyRecorded {
            survey_id: survey.id.clone(),
            customer_id: survey.customer_id.clone(),
            follow_up_id: survey.follow_up_id.clone(),
            timeliness: survey.timeliness,
            cargo_safety: survey.cargo_safety,
            staff_attitude: survey.staff_attitude,
            price: survey.price,
            information: survey.information,
            survey_time: survey.survey_time,
        });
        changefeed::record(&mut tx, &survey.id, event).await?;
        idempotency::record(&mut tx, &key, &survey).await?;
        tx.commit().await?;
        Ok(survey)
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

/// A new record needs a customer that exists and is not deleted; the customer's row stays share
/// locked until the transaction ends, so it cannot be deleted in between.
async fn ensure_customer_open(tx: &mut PgConnection, customer_id: Uuid) -> Result<(), ApiError> {
    match store::customer_state(tx, customer_id).await? {
        None => Err(ApiError::NotFound {
            reason: Reason::CustomerNotFound.as_str(),
            resource: "customer",
            id: customer_id.to_string(),
        }),
        Some(state) if state.delete_time.is_some() => Err(ApiError::FailedPrecondition {
            reason: Reason::CustomerDeleted.as_str(),
            message: format!("customer {} is deleted", state.customer_code),
            metadata: vec![("customer_code", state.customer_code)],
        }),
        Some(_) => Ok(()),
    }
}

fn follow_up_not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        reason: Reason::FollowUpNotFound.as_str(),
        resource: "follow-up",
        id: id.to_owned(),
    }
}

async fn lock_follow_up(
    tx: &mut PgConnection,
    id: Uuid,
    given: &str,
) -> Result<FollowUpRow, ApiError> {
    store::lock_follow_up(tx, id)
        .await?
        .ok_or_else(|| follow_up_not_found(given))
}

fn ensure_allowed(follow_up: &FollowUpRow, action: FollowUpAction) -> Result<(), ApiError> {
    transition(follow_up.status.0, action)
        .map(|_| ())
        .map_err(|illegal| ApiError::FailedPrecondition {
            reason: Reason::IllegalTransition.as_str(),
            message: format!(
                "follow-up {} is {} and cannot become {}",
                follow_up.id,
                illegal.current.as_str(),
                illegal.requested.as_str()
            ),
            metadata: vec![
                ("current_status", illegal.current.as_str().to_owned()),
                ("requested_status", illegal.requested.as_str().to_owned()),
            ],
        })
}

fn ensure_etag(follow_up: &FollowUpRow, etag: &str) -> Result<(), ApiError> {
    etag::check(
        etag,
        follow_up.version,
        format_args!("follow-up {}", follow_up.id),
    )
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

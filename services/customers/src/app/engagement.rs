//! EngagementService's use cases: logging interactions, scheduling, completing and cancelling
//! follow-ups, recording surveys. Each is one transaction with its change event; the creating ones
//! run once per idempotency key and keep their first answer.

use chrono::{DateTime, Utc};
use logistics_contracts::customers::{
    self as pb, FollowUpCancelled, FollowUpCompleted, InteractionLogged, LogInteractionRequest,
    RecordSurveyRequest, ScheduleFollowUpRequest, SurveyRecorded, stream_changes_response::Event,
};
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use logistics_platform::time::timestamp;
use logistics_platform::{ApiError, changefeed, etag};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::events::{
    follow_up_reason_to_proto, follow_up_status_to_proto, follow_up_to_proto, interaction_to_proto,
    survey_to_proto,
};
use super::follow_up_sweep::append_scheduled;
use crate::domain::follow_up::{FollowUpAction, transition};
use crate::reasons::Reason;
use crate::store::customers as customer_store;
use crate::store::engagement::{self as store, FollowUpRow, NewFollowUp, NewInteraction};
use crate::store::surveys::{self, NewSurvey};

/// How a follow-up was completed, validated.
pub(crate) struct Completion<'a> {
    /// What came of it.
    pub(crate) outcome: &'a str,
    /// The agent's notes.
    pub(crate) notes: &'a str,
    /// When it was done.
    pub(crate) complete_time: DateTime<Utc>,
}

/// Logs an interaction with a live customer.
pub(crate) async fn log_interaction(
    pool: &PgPool,
    key: &IdempotencyKey,
    request: &LogInteractionRequest,
    new: &NewInteraction,
) -> Result<pb::Interaction, ApiError> {
    let mut tx = pool.begin().await?;
    if let Claim::Replay(response) = idempotency::claim(&mut tx, key, request).await? {
        return Ok(response);
    }
    ensure_customer_open(&mut tx, new.customer_id).await?;
    let row = store::insert_interaction(&mut tx, new).await?;
    let interaction = interaction_to_proto(&row)?;
    let event = Event::InteractionLogged(InteractionLogged {
        interaction_id: interaction.id.clone(),
        customer_id: interaction.customer_id.clone(),
        channel: interaction.channel,
        direction: interaction.direction,
        occur_time: interaction.occur_time,
    });
    changefeed::record(&mut tx, &interaction.id, event).await?;
    idempotency::record(&mut tx, key, &interaction).await?;
    tx.commit().await?;
    Ok(interaction)
}

/// Schedules a follow-up of a live customer.
pub(crate) async fn schedule_follow_up(
    pool: &PgPool,
    key: &IdempotencyKey,
    request: &ScheduleFollowUpRequest,
    new: &NewFollowUp,
) -> Result<pb::FollowUp, ApiError> {
    let mut tx = pool.begin().await?;
    if let Claim::Replay(response) = idempotency::claim(&mut tx, key, request).await? {
        return Ok(response);
    }
    ensure_customer_open(&mut tx, new.customer_id).await?;
    let row = store::insert_follow_up(&mut tx, new).await?;
    append_scheduled(&mut tx, &row).await?;
    let follow_up = follow_up_to_proto(&row)?;
    idempotency::record(&mut tx, key, &follow_up).await?;
    tx.commit().await?;
    Ok(follow_up)
}

/// Completes a follow-up its status allows completing, if `etag` matches.
pub(crate) async fn complete_follow_up(
    pool: &PgPool,
    id: Uuid,
    text: &str,
    etag: &str,
    completion: &Completion<'_>,
) -> Result<pb::FollowUp, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_follow_up(&mut tx, id, text).await?;
    let previous = current.status.0;
    ensure_allowed(&current, FollowUpAction::Complete)?;
    ensure_etag(&current, etag)?;
    let row = store::complete_follow_up(
        &mut tx,
        id,
        completion.outcome,
        completion.notes,
        completion.complete_time,
    )
    .await?;
    let event = Event::FollowUpCompleted(FollowUpCompleted {
        follow_up_id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        reason: follow_up_reason_to_proto(row.reason.0).into(),
        previous_status: follow_up_status_to_proto(previous).into(),
        status: follow_up_status_to_proto(row.status.0).into(),
        due_time: Some(timestamp(row.due_time)),
        complete_time: Some(timestamp(completion.complete_time)),
    });
    changefeed::record(&mut tx, &row.id.to_string(), event).await?;
    tx.commit().await?;
    follow_up_to_proto(&row)
}

/// Cancels a follow-up its status allows cancelling, if `etag` matches.
pub(crate) async fn cancel_follow_up(
    pool: &PgPool,
    id: Uuid,
    text: &str,
    etag: &str,
) -> Result<pb::FollowUp, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_follow_up(&mut tx, id, text).await?;
    ensure_allowed(&current, FollowUpAction::Cancel)?;
    ensure_etag(&current, etag)?;
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

/// Records a survey of a live customer, answering the follow-up it names if it is the customer's.
pub(crate) async fn record_survey(
    pool: &PgPool,
    key: &IdempotencyKey,
    request: &RecordSurveyRequest,
    new: &NewSurvey,
) -> Result<pb::Survey, ApiError> {
    let mut tx = pool.begin().await?;
    if let Claim::Replay(response) = idempotency::claim(&mut tx, key, request).await? {
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
    let row = surveys::insert_survey(&mut tx, new).await?;
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
    idempotency::record(&mut tx, key, &survey).await?;
    tx.commit().await?;
    Ok(survey)
}

/// A new record needs a customer that exists and is not deleted; the customer's row stays share
/// locked until the transaction ends, so it cannot be deleted in between.
async fn ensure_customer_open(tx: &mut PgConnection, customer_id: Uuid) -> Result<(), ApiError> {
    match customer_store::lock_shared(tx, customer_id).await? {
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

/// NOT_FOUND for the follow-up the caller named `id`.
fn follow_up_not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        reason: Reason::FollowUpNotFound.as_str(),
        resource: "follow-up",
        id: id.to_owned(),
    }
}

/// Reads the follow-up and locks its row until the transaction ends.
async fn lock_follow_up(
    tx: &mut PgConnection,
    id: Uuid,
    given: &str,
) -> Result<FollowUpRow, ApiError> {
    store::lock_follow_up(tx, id)
        .await?
        .ok_or_else(|| follow_up_not_found(given))
}

/// FAILED_PRECONDITION when the follow-up's status does not allow `action`.
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

/// ABORTED when the caller's etag is not the follow-up's current one (an empty etag passes).
fn ensure_etag(follow_up: &FollowUpRow, etag: &str) -> Result<(), ApiError> {
    etag::check(
        etag,
        follow_up.version,
        format_args!("follow-up {}", follow_up.id),
    )
}

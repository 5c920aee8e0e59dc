//! The follow-up sweep: overdue follow-ups become MISSED, and every KEY customer gets its monthly
//! PERIODIC_REVIEW. A job of the platform runner: every 5 minutes in the background and by
//! `EngagementService/RunFollowUpSweep`, one replica at a time; running it twice changes
//! nothing more.

use std::time::Duration;

use chrono::Utc;
use logistics_contracts::customers::{
    FollowUpMissed, FollowUpScheduled, stream_changes_response::Event,
};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::jobs::{Job, JobRunner, Schedule};
use logistics_platform::time::timestamp;
use sqlx::PgPool;

use super::events::{follow_up_reason_to_proto, follow_up_status_to_proto};
use crate::domain::follow_up::Month;
use crate::store::engagement::{self as store, FollowUpRow};

/// How often the background sweep runs.
pub(crate) const PERIOD: Duration = Duration::from_secs(5 * 60);
/// Follow-ups changed per transaction, so a large backlog never holds locks for long.
const BATCH: i64 = 500;

/// What one sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SweepOutcome {
    /// Follow-ups marked MISSED.
    pub(crate) missed: usize,
    /// Monthly reviews created.
    pub(crate) reviews_created: usize,
    /// The month the reviews are for.
    pub(crate) review_month: Month,
}

/// Runs the sweep once, one batch per transaction, each with its change events.
pub(crate) async fn sweep(pool: &PgPool) -> Result<SweepOutcome, ApiError> {
    let mut missed = 0;
    loop {
        let mut tx = pool.begin().await?;
        let rows = store::mark_missed(&mut tx, BATCH).await?;
        for row in &rows {
            let event = Event::FollowUpMissed(FollowUpMissed {
                follow_up_id: row.id.to_string(),
                customer_id: row.customer_id.to_string(),
                reason: follow_up_reason_to_proto(row.reason.0).into(),
                status: follow_up_status_to_proto(row.status.0).into(),
                due_time: Some(timestamp(row.due_time)),
                miss_time: Some(timestamp(row.update_time)),
            });
            changefeed::record(&mut tx, &row.id.to_string(), event).await?;
        }
        tx.commit().await?;
        missed += rows.len();
        if rows.len() < BATCH as usize {
            break;
        }
    }

    let review_month = Month::containing(Utc::now());
    let month = review_month.to_string();
    let due_time = review_month
        .review_due_time()
        .ok_or_else(|| anyhow::anyhow!("month {month} has no review due time"))?;
    let mut reviews_created = 0;
    loop {
        let mut tx = pool.begin().await?;
        let rows = store::create_monthly_reviews(&mut tx, &month, due_time, BATCH).await?;
        for row in &rows {
            append_scheduled(&mut tx, row).await?;
        }
        tx.commit().await?;
        reviews_created += rows.len();
        // Fewer than a batch: none left, or a concurrent sweep created the rest.
        if rows.len() < BATCH as usize {
            break;
        }
    }
    Ok(SweepOutcome {
        missed,
        reviews_created,
        review_month,
    })
}

/// Writes the "follow_up.scheduled" event of a new follow-up.
pub(crate) async fn append_scheduled(
    tx: &mut sqlx::PgConnection,
    row: &FollowUpRow,
) -> Result<(), ApiError> {
    let event = Event::FollowUpScheduled(FollowUpScheduled {
        follow_up_id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        reason: follow_up_reason_to_proto(row.reason.0).into(),
        status: follow_up_status_to_proto(row.status.0).into(),
        due_time: Some(timestamp(row.due_time)),
    });
    changefeed::record(tx, &row.id.to_string(), event).await
}

/// The sweep's job name (and lock) across the suite.
pub const JOB: &str = "customers.follow_up_sweep";

/// Schedules the sweep on `runner` (the service uses [`PERIOD`], the first run a period after
/// start, so a service starting up is not slowed by it).
pub fn schedule(runner: &JobRunner, job: Job, pool: PgPool, schedule: Schedule) {
    runner.schedule(job, schedule, move || {
        let pool = pool.clone();
        async move {
            let outcome = sweep(&pool).await?;
            if outcome.missed > 0 || outcome.reviews_created > 0 {
                tracing::info!(
                    missed = outcome.missed,
                    reviews_created = outcome.reviews_created,
                    review_month = %outcome.review_month,
                    "follow-up sweep"
                );
            }
            Ok(outcome)
        }
    });
}

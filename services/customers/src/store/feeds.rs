//! SQL of what other services' change feeds cause here: the follow-ups the feeds schedule (once
//! per source, whatever replays). Where each feed stands is the platform follower's
//! (`logistics_platform::feed_follower`).

use logistics_platform::ApiError;
use sqlx::PgConnection;

use super::engagement::{FOLLOW_UP_COLUMNS, FollowUpRow, NewFollowUp};

/// Stores a SCHEDULED follow-up that `source_key` (e.g. an order number) caused, unless one for
/// the same customer, reason and source exists: then `None`, and nothing is written.
pub(crate) async fn insert_sourced_follow_up(
    tx: &mut PgConnection,
    new: &NewFollowUp,
    source_key: &str,
) -> Result<Option<FollowUpRow>, ApiError> {
    let sql = format!(
        "INSERT INTO follow_ups (id, customer_id, reason, status, due_time, agent, notes, reference,
                                 source_key)
         VALUES ($1, $2, $3, 'SCHEDULED', $4, $5, $6, $7, $8)
         ON CONFLICT (customer_id, reason, source_key) WHERE source_key IS NOT NULL DO NOTHING
         RETURNING {FOLLOW_UP_COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(uuid::Uuid::now_v7())
        .bind(new.customer_id)
        .bind(new.reason.as_str())
        .bind(new.due_time)
        .bind(&new.agent)
        .bind(&new.notes)
        .bind(&new.reference)
        .bind(source_key)
        .fetch_optional(tx)
        .await?)
}

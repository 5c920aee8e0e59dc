//! SQL for following other services' change feeds: where each feed stands, and the follow-ups
//! the feeds schedule (once per source, whatever replays).

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::{PgConnection, PgPool};

use super::engagement::{FOLLOW_UP_COLUMNS, FollowUpRow, NewFollowUp};

/// Where a feed stands.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedCursor {
    /// The opaque cursor of the last event consumed; empty before the first.
    pub cursor: String,
    /// Events consumed.
    pub applied_events: i64,
    /// Of those, events about customers not known here (or deleted), passed over.
    pub skipped_events: i64,
    /// When the cursor last moved.
    pub update_time: DateTime<Utc>,
}

/// Creates the feed's row, at the beginning, unless it exists.
pub async fn ensure_cursor(pool: &PgPool, feed: &str) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO feed_cursors (feed, cursor) VALUES ($1, '') ON CONFLICT DO NOTHING")
        .bind(feed)
        .execute(pool)
        .await?;
    Ok(())
}

/// Reads where the feed stands; `None` before [`ensure_cursor`].
pub async fn cursor(conn: &mut PgConnection, feed: &str) -> Result<Option<FeedCursor>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT cursor, applied_events, skipped_events, update_time FROM feed_cursors
         WHERE feed = $1",
    )
    .bind(feed)
    .fetch_optional(conn)
    .await?)
}

/// Reads the feed's cursor and locks its row until the transaction ends: a second follower of
/// the same feed waits here, then sees the cursor moved and knows the event is done.
pub async fn lock_cursor(tx: &mut PgConnection, feed: &str) -> Result<Option<String>, ApiError> {
    Ok(
        sqlx::query_scalar("SELECT cursor FROM feed_cursors WHERE feed = $1 FOR UPDATE")
            .bind(feed)
            .fetch_optional(tx)
            .await?,
    )
}

/// Moves the feed's cursor past one more event (locked by [`lock_cursor`] in `tx`), counting it
/// as skipped when it could not be applied to a customer.
pub async fn advance(
    tx: &mut PgConnection,
    feed: &str,
    cursor: &str,
    skipped: bool,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE feed_cursors
         SET cursor = $2, applied_events = applied_events + 1,
             skipped_events = skipped_events + CASE WHEN $3 THEN 1 ELSE 0 END,
             update_time = now()
         WHERE feed = $1",
    )
    .bind(feed)
    .bind(cursor)
    .bind(skipped)
    .execute(tx)
    .await?;
    Ok(())
}

/// Stores a SCHEDULED follow-up that `source_key` (e.g. an order number) caused, unless one for
/// the same customer, reason and source exists: then `None`, and nothing is written.
pub async fn insert_sourced_follow_up(
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

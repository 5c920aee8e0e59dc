//! SQL of the feed follower, on the following service's schema: the cursor row of each feed and
//! the ids of the events applied recently.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::error::ApiError;

/// Where a feed stands, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(super) struct CursorRow {
    pub cursor: String,
    pub applied_events: i64,
    pub skipped_events: i64,
    pub duplicate_events: i64,
    pub update_time: DateTime<Utc>,
    pub last_event_time: Option<DateTime<Utc>>,
}

const CURSOR_COLUMNS: &str =
    "cursor, applied_events, skipped_events, duplicate_events, update_time, last_event_time";

/// How an event moved the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counted {
    Applied,
    Skipped,
    Duplicate,
}

/// Creates the feed's row, at the beginning, unless it exists.
pub(super) async fn ensure_cursor(pool: &PgPool, feed: &str) -> Result<(), ApiError> {
    sqlx::query("INSERT INTO feed_cursors (feed, cursor) VALUES ($1, '') ON CONFLICT DO NOTHING")
        .bind(feed)
        .execute(pool)
        .await?;
    Ok(())
}

/// Reads where the feed stands; `None` before [`ensure_cursor`].
pub(super) async fn cursor(
    conn: &mut PgConnection,
    feed: &str,
) -> Result<Option<CursorRow>, ApiError> {
    let sql = format!("SELECT {CURSOR_COLUMNS} FROM feed_cursors WHERE feed = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(feed)
        .fetch_optional(conn)
        .await?)
}

/// Reads the feed's cursor and locks its row until the transaction ends: a second follower of
/// the same feed waits here, then sees the cursor moved and knows the event is done.
pub(super) async fn lock_cursor(
    tx: &mut PgConnection,
    feed: &str,
) -> Result<Option<String>, ApiError> {
    Ok(
        sqlx::query_scalar("SELECT cursor FROM feed_cursors WHERE feed = $1 FOR UPDATE")
            .bind(feed)
            .fetch_optional(tx)
            .await?,
    )
}

/// Records that the event `event_id` of `feed` is applied in `tx`; false when it was already.
pub(super) async fn first_application(
    tx: &mut PgConnection,
    feed: &str,
    event_id: &str,
) -> Result<bool, ApiError> {
    let inserted: Option<i32> = sqlx::query_scalar(
        "INSERT INTO feed_applied_events (feed, event_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING 1",
    )
    .bind(feed)
    .bind(event_id)
    .fetch_optional(tx)
    .await?;
    Ok(inserted.is_some())
}

/// Moves the feed's cursor (locked by [`lock_cursor`] in `tx`) past one more event, written at its
/// source at `event_time`, and returns where the feed stands now.
pub(super) async fn advance(
    tx: &mut PgConnection,
    feed: &str,
    cursor: &str,
    event_time: DateTime<Utc>,
    counted: Counted,
) -> Result<CursorRow, ApiError> {
    let sql = format!(
        "UPDATE feed_cursors
         SET cursor = $2, applied_events = applied_events + 1,
             skipped_events = skipped_events + CASE WHEN $3 THEN 1 ELSE 0 END,
             duplicate_events = duplicate_events + CASE WHEN $4 THEN 1 ELSE 0 END,
             update_time = now(), last_event_time = $5
         WHERE feed = $1
         RETURNING {CURSOR_COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(feed)
        .bind(cursor)
        .bind(counted == Counted::Skipped)
        .bind(counted == Counted::Duplicate)
        .bind(event_time)
        .fetch_one(tx)
        .await?)
}

/// Forgets the ids of the feed's events applied more than `window` ago; returns how many.
pub(super) async fn prune_applied(
    pool: &PgPool,
    feed: &str,
    window: Duration,
) -> Result<u64, ApiError> {
    let done = sqlx::query(
        "DELETE FROM feed_applied_events
         WHERE feed = $1 AND apply_time < now() - make_interval(secs => $2)",
    )
    .bind(feed)
    .bind(window.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

//! SQL of the feed follower, on the following service's schema: the cursor row of each feed and
//! the ids of the events applied recently.

use std::collections::HashSet;
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
    /// A checkpoint: it moves the cursor, and is no event to count.
    Checkpoint,
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

/// Records that the events `event_ids` of `feed` are applied in `tx`; answers those that were
/// not already (an id given twice is answered once).
pub(super) async fn first_applications(
    tx: &mut PgConnection,
    feed: &str,
    event_ids: &[&str],
) -> Result<HashSet<String>, ApiError> {
    if event_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let inserted: Vec<String> = sqlx::query_scalar(
        "INSERT INTO feed_applied_events (feed, event_id) SELECT $1, id FROM unnest($2::text[]) AS id
         ON CONFLICT DO NOTHING RETURNING event_id",
    )
    .bind(feed)
    .bind(event_ids)
    .fetch_all(tx)
    .await?;
    Ok(inserted.into_iter().collect())
}

/// How a batch of events moved the cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    /// Every event consumed, whatever became of it.
    pub consumed: i64,
    /// Of those, events the handler skipped.
    pub skipped: i64,
    /// Of those, events whose id had been applied already.
    pub duplicate: i64,
}

impl Counts {
    pub(super) fn add(&mut self, counted: Counted) {
        match counted {
            Counted::Checkpoint => return,
            Counted::Applied => {}
            Counted::Skipped => self.skipped += 1,
            Counted::Duplicate => self.duplicate += 1,
        }
        self.consumed += 1;
    }
}

/// Moves the feed's cursor (locked by [`lock_cursor`] in `tx`) past a batch of events, the last
/// written at its source at `event_time`, and returns where the feed stands now.
pub(super) async fn advance(
    tx: &mut PgConnection,
    feed: &str,
    cursor: &str,
    event_time: DateTime<Utc>,
    counts: Counts,
) -> Result<CursorRow, ApiError> {
    let sql = format!(
        "UPDATE feed_cursors
         SET cursor = $2, applied_events = applied_events + $3,
             skipped_events = skipped_events + $4, duplicate_events = duplicate_events + $5,
             update_time = now(), last_event_time = $6
         WHERE feed = $1
         RETURNING {CURSOR_COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(feed)
        .bind(cursor)
        .bind(counts.consumed)
        .bind(counts.skipped)
        .bind(counts.duplicate)
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

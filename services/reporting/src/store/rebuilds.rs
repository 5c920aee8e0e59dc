//! SQL of RebuildProjections: the fresh schema a rebuild fills, the swap of its tables for the
//! live ones, and the record of each rebuild (`projection_rebuilds`).

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The schema a rebuild fills, beside the live one.
pub(crate) const REBUILD_SCHEMA: &str = "reporting_rebuild";
/// Where the replaced tables go at the swap, to be dropped right after.
const RETIRED_SCHEMA: &str = "reporting_retired";

/// Every table built from the feeds alone, with the followers' own tables (cursors and applied
/// event ids), which must move with the read models they describe. Tables of data that callers
/// create (scorecard templates, stored statements) and the rebuild record are not here: a
/// rebuild keeps them. `feed_cursors` comes first: locking it first makes the swap wait for the
/// followers' transactions in flight without deadlocking with them (each of them locks it first).
pub const SWAPPED_TABLES: &[&str] = &[
    "feed_cursors",
    "feed_applied_events",
    "order_facts",
    "customer_facts",
    "complaint_facts",
    "kpi_rollups",
    "kpi_rollups_by_region",
    "kpi_rollups_by_customer_month",
    "customer_status_history",
    "volume_rollups",
    "volume_rollups_by_customer_month",
];

/// A rebuild's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RebuildState {
    /// Following the feeds into the fresh tables.
    Running,
    /// Swapped in.
    Succeeded,
    /// Stopped before the swap; the live tables are untouched.
    Failed,
}

impl RebuildState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "RUNNING" => Self::Running,
            "SUCCEEDED" => Self::Succeeded,
            _ => Self::Failed,
        }
    }
}

/// One rebuild as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rebuild {
    /// Its id.
    pub id: Uuid,
    /// Where it stands.
    pub state: RebuildState,
    /// When it started.
    pub create_time: DateTime<Utc>,
    /// When it succeeded or failed.
    pub end_time: Option<DateTime<Utc>>,
    /// Events applied into the fresh tables.
    pub applied_events: i64,
    /// Why it failed.
    pub failure: String,
}

/// Records a new running rebuild.
pub(crate) async fn start(pool: &PgPool, id: Uuid) -> Result<Rebuild, ApiError> {
    let row: (DateTime<Utc>,) = sqlx::query_as(
        "INSERT INTO projection_rebuilds (id, state, create_time) VALUES ($1, $2, now())
         RETURNING create_time",
    )
    .bind(id)
    .bind(RebuildState::Running.as_str())
    .fetch_one(pool)
    .await?;
    Ok(Rebuild {
        id,
        state: RebuildState::Running,
        create_time: row.0,
        end_time: None,
        applied_events: 0,
        failure: String::new(),
    })
}

/// Notes how many events the rebuild applied so far.
pub(crate) async fn progress(pool: &PgPool, id: Uuid, applied_events: i64) -> Result<(), ApiError> {
    sqlx::query("UPDATE projection_rebuilds SET applied_events = $2 WHERE id = $1")
        .bind(id)
        .bind(applied_events)
        .execute(pool)
        .await?;
    Ok(())
}

/// Records that the rebuild failed.
pub(crate) async fn fail(pool: &PgPool, id: Uuid, failure: &str) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE projection_rebuilds SET state = $2, end_time = now(), failure = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(RebuildState::Failed.as_str())
    .bind(failure)
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks the rebuilds recorded as running as failed: called by the holder of the rebuild lock,
/// so none of them is running any more (its replica died or stopped mid-way).
pub(crate) async fn fail_interrupted(pool: &PgPool) -> Result<u64, ApiError> {
    let done = sqlx::query(
        "UPDATE projection_rebuilds
            SET state = $2, end_time = now(),
                failure = 'interrupted: the replica running it stopped before the swap'
          WHERE state = $1",
    )
    .bind(RebuildState::Running.as_str())
    .bind(RebuildState::Failed.as_str())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

#[derive(sqlx::FromRow)]
struct RebuildRow {
    id: Uuid,
    state: String,
    create_time: DateTime<Utc>,
    end_time: Option<DateTime<Utc>>,
    applied_events: i64,
    failure: String,
}

/// The latest rebuild, if any ran.
pub(crate) async fn latest(conn: &mut PgConnection) -> Result<Option<Rebuild>, ApiError> {
    let row: Option<RebuildRow> = sqlx::query_as(
        "SELECT id, state, create_time, end_time, applied_events, failure
           FROM projection_rebuilds ORDER BY create_time DESC, id LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| Rebuild {
        id: row.id,
        state: RebuildState::parse(&row.state),
        create_time: row.create_time,
        end_time: row.end_time,
        applied_events: row.applied_events,
        failure: row.failure,
    }))
}

fn quoted(schema: &str, table: &str) -> String {
    format!("\"{schema}\".\"{table}\"")
}

/// Drops what a rebuild left (its schema, tables replaced by an interrupted swap).
pub(crate) async fn drop_leftovers(pool: &PgPool) -> Result<(), ApiError> {
    for schema in [REBUILD_SCHEMA, RETIRED_SCHEMA] {
        // Our own schema names, quoted.
        let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        sqlx::query(sqlx::AssertSqlSafe(drop)).execute(pool).await?;
    }
    Ok(())
}

/// How long the swap waits for one table before it lets go of those it holds and starts again.
/// Below PostgreSQL's deadlock_timeout (1 s): a report reading two swapped tables in another
/// order than the swap (SegmentCustomers reads customer_facts, then order_facts) can hold one and
/// wait for the other; the swap steps back first, so neither is ever a deadlock's victim.
const SWAP_LOCK_TIMEOUT: &str = "500ms";
/// Tries of the swap before the rebuild fails, a pause growing by [`SWAP_PAUSE`] between them.
const SWAP_TRIES: u32 = 20;
const SWAP_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// In one transaction, replaces every swapped table of `live_schema` by the rebuild's, and
/// records the rebuild as succeeded with `applied_events`. Readers wait only for the swap itself;
/// the followers' transactions in flight finish first, and later ones find the rebuild's cursors.
/// A table held longer than [`SWAP_LOCK_TIMEOUT`] makes the swap start again, up to
/// [`SWAP_TRIES`] times.
pub(crate) async fn swap(
    pool: &PgPool,
    live_schema: &str,
    id: Uuid,
    applied_events: i64,
) -> Result<(), ApiError> {
    let mut tries = 0;
    loop {
        tries += 1;
        match swap_once(pool, live_schema, id, applied_events).await {
            Err(error) if tries < SWAP_TRIES && lock_not_available(&error) => {
                tokio::time::sleep(SWAP_PAUSE * tries).await;
            }
            result => return Ok(result?),
        }
    }
}

/// lock_not_available (the swap's lock timeout) or deadlock_detected.
fn lock_not_available(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|error| error.code())
        .is_some_and(|code| code == "55P03" || code == "40P01")
}

async fn swap_once(
    pool: &PgPool,
    live_schema: &str,
    id: Uuid,
    applied_events: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('lock_timeout', $1, true)")
        .bind(SWAP_LOCK_TIMEOUT)
        .execute(&mut *tx)
        .await?;
    let create = format!("CREATE SCHEMA \"{RETIRED_SCHEMA}\"");
    sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(&mut *tx)
        .await?;
    for table in SWAPPED_TABLES {
        let lock = format!(
            "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
            quoted(live_schema, table)
        );
        sqlx::query(sqlx::AssertSqlSafe(lock))
            .execute(&mut *tx)
            .await?;
    }
    for table in SWAPPED_TABLES {
        let retire = format!(
            "ALTER TABLE {} SET SCHEMA \"{RETIRED_SCHEMA}\"",
            quoted(live_schema, table)
        );
        let promote = format!(
            "ALTER TABLE {} SET SCHEMA \"{live_schema}\"",
            quoted(REBUILD_SCHEMA, table)
        );
        sqlx::query(sqlx::AssertSqlSafe(retire))
            .execute(&mut *tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(promote))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE projection_rebuilds SET state = $2, end_time = now(), applied_events = $3
          WHERE id = $1",
    )
    .bind(id)
    .bind(RebuildState::Succeeded.as_str())
    .bind(applied_events)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The time of the last event each feed's cursor stands after, in the pool's schema: what a
/// rebuild catches up with before it swaps.
pub(crate) async fn positions(
    pool: &PgPool,
) -> Result<Vec<(String, Option<DateTime<Utc>>)>, ApiError> {
    Ok(
        sqlx::query_as("SELECT feed, last_event_time FROM feed_cursors ORDER BY feed")
            .fetch_all(pool)
            .await?,
    )
}

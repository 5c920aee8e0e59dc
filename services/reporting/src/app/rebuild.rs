//! RebuildProjections: every read model built again from the beginning of the three feeds into
//! fresh tables of a schema of their own, while the live ones keep answering and following, then
//! swapped in within one short transaction.
//!
//! One rebuild runs at a time across replicas: the one whose replica holds the rebuild lock (a
//! PostgreSQL advisory lock on a connection of its own, released with it if the replica dies).
//! The swap moves the followers' cursors with the tables, so the live followers carry on from
//! where the rebuild stopped: events that came meanwhile are applied once, into the new tables.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_platform::db::{self, DatabaseConfig};
use logistics_platform::feed_follower::FollowerStatus;
use logistics_platform::{ApiError, ServiceContext};
use sqlx::{Connection as _, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::feeds::LiveFollowers;
use crate::reasons::Reason;
use crate::store::rebuilds::{self, REBUILD_SCHEMA, Rebuild};

/// The name the rebuild's followers follow under (their locks differ from the live ones').
const REBUILD_FOLLOWER: &str = "reporting-rebuild";
/// The advisory lock one rebuild at a time holds.
const REBUILD_LOCK: &str = "logistics.reporting.rebuild";
/// How often the rebuild looks at its followers' progress.
const POLL: Duration = Duration::from_millis(250);
/// Connections of the rebuild's own pool: three followers and the progress notes.
const REBUILD_CONNECTIONS: u32 = 4;

/// What a rebuild needs besides the live read models: the database, and the live followers to
/// restart after the swap.
#[derive(Clone)]
pub(crate) struct Rebuilder {
    pool: PgPool,
    database_url: String,
    database: DatabaseConfig,
    live: Arc<LiveFollowers>,
    shutdown: CancellationToken,
}

impl Rebuilder {
    /// Rebuilds of the read models in `pool`'s schema, followed live by `live`.
    pub(crate) fn new(pool: PgPool, context: &ServiceContext, live: Arc<LiveFollowers>) -> Self {
        Self {
            pool,
            database_url: context.database_url.clone(),
            database: DatabaseConfig {
                db_max_connections: REBUILD_CONNECTIONS,
                ..context.database.clone()
            },
            live,
            shutdown: context.shutdown.clone(),
        }
    }

    /// At start-up: a rebuild recorded as running while nobody holds the rebuild lock was cut
    /// short by its replica's end; records it as failed and drops what it left.
    pub(crate) async fn recover(&self) -> Result<(), ApiError> {
        if let Some(lock) = db::try_session_lock(&self.pool, REBUILD_LOCK).await? {
            let interrupted = rebuilds::fail_interrupted(&self.pool).await?;
            if interrupted > 0 {
                tracing::warn!(
                    interrupted,
                    "a rebuild was interrupted; the live projections are as they were"
                );
                rebuilds::drop_leftovers(&self.pool).await?;
            }
            let _ = lock.close().await;
        }
        Ok(())
    }

    /// The latest rebuild, if any ran.
    pub(crate) async fn latest(&self) -> Result<Option<Rebuild>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        rebuilds::latest(&mut conn).await
    }

    /// Starts a rebuild in the background and returns it, running; FAILED_PRECONDITION
    /// `REBUILD_IN_PROGRESS` while another one runs.
    pub(crate) async fn start(&self) -> Result<Rebuild, ApiError> {
        let Some(lock) = db::try_session_lock(&self.pool, REBUILD_LOCK).await? else {
            return Err(ApiError::FailedPrecondition {
                reason: Reason::RebuildInProgress.as_str(),
                message: "a rebuild of the projections is running; wait for it to end".into(),
                metadata: Vec::new(),
            });
        };
        // Holding the lock, nothing else rebuilds: whatever is recorded as running, or left
        // behind, belongs to a replica that stopped mid-way.
        rebuilds::fail_interrupted(&self.pool).await?;
        rebuilds::drop_leftovers(&self.pool).await?;
        let rebuild = rebuilds::start(&self.pool, Uuid::new_v4()).await?;
        let rebuilder = self.clone();
        let id = rebuild.id;
        tokio::spawn(async move {
            if let Err(error) = rebuilder.run(id).await {
                let failure = format!("{error:#}");
                tracing::error!(rebuild_id = %id, error = %failure, "rebuilding the projections failed");
                if let Err(error) = rebuilds::fail(&rebuilder.pool, id, &failure).await {
                    tracing::error!(rebuild_id = %id, %error, "cannot record the rebuild's failure");
                }
                if let Err(error) = rebuilds::drop_leftovers(&rebuilder.pool).await {
                    tracing::warn!(rebuild_id = %id, %error, "cannot drop the rebuild's tables");
                }
            }
            // Closing the connection releases the rebuild lock.
            let _ = lock.close().await;
        });
        Ok(rebuild)
    }

    async fn run(&self, id: Uuid) -> anyhow::Result<()> {
        tracing::info!(rebuild_id = %id, "rebuilding the projections from the feeds");
        let fresh = db::connect(&self.database_url, REBUILD_SCHEMA, &self.database).await?;
        crate::migrate_schema(&fresh).await?;
        let targets = rebuilds::positions(&self.pool).await?;
        let stop = self.shutdown.child_token();
        let followers = self
            .live
            .sources()
            .follow(&fresh, REBUILD_FOLLOWER, stop.clone());
        let mut last_seen = -1;
        let caught_up = loop {
            tokio::select! {
                () = self.shutdown.cancelled() => break false,
                () = tokio::time::sleep(POLL) => {}
            }
            let statuses = followers.statuses();
            let seen: i64 = statuses.iter().map(consumed).sum();
            let applied = statuses.iter().map(|status| status.applied_events).sum();
            rebuilds::progress(&self.pool, id, applied).await?;
            // Caught up: past where the live followers stood when the rebuild began, and quiet
            // for a whole poll (the backlog is read; what comes next the live followers apply
            // after the swap, from the rebuild's cursors).
            if seen == last_seen && statuses.iter().all(|status| reached(status, &targets)) {
                break true;
            }
            last_seen = seen;
        };
        let applied = followers
            .statuses()
            .iter()
            .map(|status| status.applied_events)
            .sum();
        followers.stop().await;
        if !caught_up {
            fresh.close().await;
            anyhow::bail!("interrupted: the service shut down before the rebuild caught up");
        }
        rebuilds::swap(&self.pool, crate::SCHEMA, id, applied).await?;
        fresh.close().await;
        rebuilds::drop_leftovers(&self.pool).await?;
        tracing::info!(rebuild_id = %id, applied, "swapped the rebuilt projections in");
        self.live.restart().await;
        Ok(())
    }
}

/// Events the follower's cursor moved past, whatever became of them.
fn consumed(status: &FollowerStatus) -> i64 {
    status.applied_events + status.skipped_events + status.duplicate_events
}

/// Whether a rebuild's follower stands where the live one stood at the start, or later.
fn reached(status: &FollowerStatus, targets: &[(String, Option<DateTime<Utc>>)]) -> bool {
    let target = targets
        .iter()
        .find(|(feed, _)| feed == status.feed)
        .and_then(|(_, time)| *time);
    match target {
        None => status.following,
        Some(target) => status.last_event_time.is_some_and(|time| time >= target),
    }
}

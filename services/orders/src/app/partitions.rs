//! The upkeep of tracking event partitions: a job, not a request.

use std::time::Duration;

use logistics_platform::jobs::{Job, JobRunner, Schedule};
use sqlx::PgPool;

use crate::store::tracking as store;

/// Months of event partitions kept ready ahead of time: next month's is enough, since no event
/// occurs more than minutes ahead, and each further month is one more (empty) partition that
/// every lookup of an order's events from a time on searches (see migration 0007).
const PARTITION_MONTHS_AHEAD: i32 = 1;
/// How often the partitions are checked.
const PARTITION_UPKEEP_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Schedules the upkeep of event partitions on `runner`: the coming months' partitions are
/// created at start (events need them before the first is recorded) and then daily.
pub(crate) fn schedule_partition_upkeep(runner: &JobRunner, pool: PgPool) {
    runner.schedule(
        Job::new("orders.tracking_partition_upkeep", pool.clone()),
        Schedule::every_from_start(PARTITION_UPKEEP_EVERY),
        move || {
            let pool = pool.clone();
            async move {
                let mut conn = pool.acquire().await?;
                let created = store::ensure_partitions(&mut conn, PARTITION_MONTHS_AHEAD).await?;
                if created > 0 {
                    tracing::info!(created, "created tracking event partitions");
                }
                Ok(created)
            }
        },
    );
}

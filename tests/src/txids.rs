//! Transaction ids at their digit boundaries (9999 -> 10000, 99999 -> 100000): feed positions are
//! PostgreSQL transaction ids, and a reader that ever compares them as text repeats, reorders or
//! loses events there. A test starts a cluster of its own (`start_cluster`), burns ids up to just
//! below each boundary and writes across it.

use std::future::Future;
use std::time::Duration;

use sqlx::PgPool;

/// The boundaries crossed: the services' start takes nearly a thousand ids by itself, so
/// 999 -> 1000 is passed before a test begins, and the first one a test places events around is
/// 10,000.
pub const BOUNDARIES: [u64; 2] = [10_000, 100_000];
/// Events written on each side of a boundary.
pub const EVENTS_EACH_SIDE: u64 = 6;

/// Burns transaction ids up to a little below each boundary, then calls `write` (one event per
/// call, each its own transaction) until the cluster is a little past it.
pub async fn write_across_boundaries<F, Fut>(pool: &PgPool, mut write: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for boundary in BOUNDARIES {
        wait_until_quiet(pool).await;
        let current = current_txid(pool).await;
        assert!(
            current + EVENTS_EACH_SIDE < boundary,
            "the cluster is already at txid {current}, too close to {boundary} to straddle it"
        );
        burn_txids_until(pool, boundary - EVENTS_EACH_SIDE).await;
        while current_txid(pool).await < boundary + EVENTS_EACH_SIDE {
            write().await;
        }
    }
}

/// Waits until nothing but this test takes transaction ids: the services' start-up work (the
/// first runs of their jobs: partitions, sweeps, default settings) may still be writing on a
/// loaded machine, and would carry the cluster past a boundary between the burn and the writes.
pub async fn wait_until_quiet(pool: &PgPool) {
    let mut quiet_reads = 0;
    let mut last = current_txid(pool).await;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = current_txid(pool).await;
        // Our own read takes one id.
        quiet_reads = if now <= last + 1 { quiet_reads + 1 } else { 0 };
        last = now;
        if quiet_reads >= 5 {
            return;
        }
    }
    panic!("the cluster kept taking transaction ids for 20 s; cannot place events at a boundary");
}

/// The next transaction id the cluster will hand out (reading it takes one).
pub async fn current_txid(pool: &PgPool) -> u64 {
    let txid: i64 = sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(pool)
        .await
        .expect("reading the current transaction id");
    u64::try_from(txid).expect("transaction ids are positive")
}

/// Commits empty transactions until the cluster's next transaction id is at least `target`.
pub async fn burn_txids_until(pool: &PgPool, target: u64) {
    let current = current_txid(pool).await;
    if current >= target {
        return;
    }
    // A DO block may commit between iterations: each iteration is a transaction with an id of
    // its own, so a thousand ids cost one round trip. Without waiting for each empty commit to
    // reach the disk: nothing in them needs to last. (Each statement on its own: a COMMIT inside
    // DO is refused within a multi-statement batch.)
    let mut conn = pool.acquire().await.expect("a connection to burn ids on");
    sqlx::query("SET synchronous_commit = off")
        .execute(&mut *conn)
        .await
        .expect("relaxing commits");
    let burn = format!(
        "DO $$ BEGIN
             FOR i IN 1..{} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP;
         END $$",
        target - current
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(burn))
        .execute(&mut *conn)
        .await
        .expect("burning transaction ids");
    sqlx::query("RESET synchronous_commit")
        .execute(&mut *conn)
        .await
        .expect("restoring commits");
}

//! The swap of RebuildProjections against a report that reads two projection tables in one
//! statement (as SegmentCustomers reads `customer_facts`, then `order_facts`): neither waits for
//! the other for ever, and neither is the victim of a deadlock.

use std::time::Duration;

use logistics_contracts::reporting::projection_rebuild::State;
use logistics_contracts::reporting::{GetProjectionStatusRequest, RebuildProjectionsRequest};
use logistics_tests::TestApp;
use logistics_tests::reporting::{busy_day, settled};

/// Whether a transaction waits for an ACCESS EXCLUSIVE lock on `reporting.<table>`: the swap.
async fn swap_waits_for(pool: &sqlx::PgPool, table: &str) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'reporting' AND c.relname = $1
                           AND l.mode = 'AccessExclusiveLock' AND NOT l.granted)",
    )
    .bind(table)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_report_holding_one_projection_while_the_swap_waits_is_no_deadlock_victim_and_the_rebuild_succeeds()
 {
    let app = TestApp::spawn().await;
    busy_day(&app, 1, 1).await;
    let mut reporting = app.reporting_client().await;
    settled(&mut reporting).await;
    let pool = app.schema_pool("reporting").await;
    let mut reader = pool.begin().await.unwrap();
    // Holds customer_facts, which the swap locks after order_facts.
    sqlx::query("SELECT count(*) FROM customer_facts")
        .execute(&mut *reader)
        .await
        .unwrap();
    let started = reporting
        .rebuild_projections(RebuildProjectionsRequest {})
        .await
        .unwrap()
        .into_inner();
    let mut waited = false;
    for _ in 0..3000 {
        if swap_waits_for(&pool, "customer_facts").await {
            waited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(waited, "the swap came to customer_facts");
    // Now order_facts, which the swap had locked before it came to wait.
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        sqlx::query("SELECT count(*) FROM order_facts").execute(&mut *reader),
    )
    .await
    .expect("the report is not kept waiting");
    read.expect("the report is no deadlock's victim");
    reader.commit().await.unwrap();

    let mut latest = None;
    for _ in 0..600 {
        let rebuild = reporting
            .get_projection_status(GetProjectionStatusRequest {})
            .await
            .unwrap()
            .into_inner()
            .latest_rebuild
            .unwrap();
        assert_eq!(rebuild.id, started.id);
        if rebuild.state() != State::Running {
            latest = Some(rebuild);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let latest = latest.expect("the rebuild ended");
    assert_eq!(latest.state(), State::Succeeded, "{latest:?}");
    pool.close().await;
    app.stop().await;
}

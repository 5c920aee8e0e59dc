//! Reporting follows the three feeds across transaction-id digit boundaries (9999 -> 10000,
//! 99999 -> 100000) and counts every event once: a follower that compared positions as text would
//! skip or repeat events there.

use std::cell::Cell;

use logistics_contracts::complaints::{ComplaintCategory, ComplaintKind};
use logistics_contracts::reporting::{GetProjectionStatusRequest, Kpi, KpiFilter};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::{place_order, road_order};
use logistics_tests::reporting::{kpis_since_yesterday, settled};
use logistics_tests::txids::write_across_boundaries;
use logistics_tests::{TestApp, create_customer, enterprise, start_cluster};

#[tokio::test]
async fn reporting_counts_every_event_once_across_txid_digit_boundaries() {
    let cluster = start_cluster().expect("a cluster of the test's own");
    let app = TestApp::spawn_on(&cluster, |_| {}).await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let orders = app.orders_client().await;
    let complaints = app.complaints_client().await;
    let (placed, filed) = (Cell::new(0_i64), Cell::new(0_i64));
    // One event per write, each its own transaction: orders and complaints in turn.
    let write = || {
        let (mut orders, mut complaints) = (orders.clone(), complaints.clone());
        let customer_id = customer.id.clone();
        let order_next = placed.get() <= filed.get();
        if order_next {
            placed.set(placed.get() + 1);
        } else {
            filed.set(filed.get() + 1);
        }
        async move {
            if order_next {
                place_order(&mut orders, road_order(&customer_id)).await;
            } else {
                let inquiry = complaint(
                    &customer_id,
                    ComplaintKind::Inquiry,
                    ComplaintCategory::Billing,
                );
                file(&mut complaints, inquiry).await;
            }
        }
    };
    write_across_boundaries(&app.schema_pool("orders").await, write).await;

    let mut reporting = app.reporting_client().await;
    settled(&mut reporting).await;
    let kpis = kpis_since_yesterday(&mut reporting, KpiFilter::default()).await;
    let denominator = |kpi: Kpi| {
        kpis.iter()
            .find(|figure| figure.kpi() == kpi)
            .map(|figure| figure.denominator)
    };
    assert_eq!(
        denominator(Kpi::RouteChangeRate),
        Some(placed.get()),
        "orders created"
    );
    assert_eq!(
        denominator(Kpi::FeedbackTimeliness),
        Some(filed.get()),
        "cases received"
    );

    // Every event of each producer's outbox was taken in once: applied or passed over.
    let status = reporting
        .get_projection_status(GetProjectionStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    for feed in status.feeds {
        let written: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(&app.schema_pool(&feed.feed).await)
            .await
            .unwrap();
        assert_eq!(
            feed.applied_events + feed.skipped_events,
            written,
            "the {} feed",
            feed.feed
        );
    }
}

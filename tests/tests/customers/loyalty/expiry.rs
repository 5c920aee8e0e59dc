//! Lots over time: which lot a spend uses, and expiry 365 days after earning. Time passes by
//! backdating lots with SQL.

use super::*;

/// Moves the lot of an award `days` into the past, as if it had been earned then.
async fn backdate_award(app: &TestApp, order: &str, days: i32) {
    let pool = app.schema_pool("customers").await;
    let moved = sqlx::query(
        "UPDATE point_lots
         SET earn_time = earn_time - make_interval(days => $2),
             expire_time = expire_time - make_interval(days => $2)
         WHERE movement_id = (SELECT id FROM point_movements WHERE reference = $1 AND kind = 'EARN')",
    )
    .bind(order)
    .bind(days)
    .execute(&pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(moved, 1, "award {order} has a lot");
}

async fn remaining(app: &TestApp, order: &str) -> i64 {
    let pool = app.schema_pool("customers").await;
    let (left,): (i64,) = sqlx::query_as(
        "SELECT remaining FROM point_lots
         WHERE movement_id = (SELECT id FROM point_movements WHERE reference = $1 AND kind = 'EARN')",
    )
    .bind(order)
    .fetch_one(&pool)
    .await
    .unwrap();
    left
}

#[tokio::test]
async fn spending_uses_the_lot_that_expires_first() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;
    award(&mut client, &customer.id, "O-NEW", 100_000).await;
    award(&mut client, &customer.id, "O-OLD", 100_000).await;
    backdate_award(&app, "O-OLD", 200).await;

    client
        .redeem_points(redemption(&customer.id, 150))
        .await
        .unwrap();
    assert_eq!(remaining(&app, "O-OLD").await, 0);
    assert_eq!(remaining(&app, "O-NEW").await, 50);

    let adjusted = client
        .adjust_points(AdjustPointsRequest {
            request_id: request_id(),
            customer_id: customer.id.clone(),
            points: -20,
            reason: "duplicate award corrected".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(adjusted.kind(), PointMovementKind::Adjust);
    assert_eq!(adjusted.balance_after, 30);
    assert_eq!(remaining(&app, "O-NEW").await, 30);
}

#[tokio::test]
async fn points_expire_365_days_after_they_were_earned_one_movement_per_lot() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;
    award(&mut client, &customer.id, "O-1", 10_000).await;
    award(&mut client, &customer.id, "O-2", 20_000).await;
    award(&mut client, &customer.id, "O-3", 40_000).await;
    award(&mut client, &customer.id, "O-4", 80_000).await;
    award(&mut client, &customer.id, "O-5", 160_000).await;
    backdate_award(&app, "O-1", 366).await;
    backdate_award(&app, "O-2", 365).await;
    backdate_award(&app, "O-3", 364).await;
    backdate_award(&app, "O-4", 340).await;

    // Past-due lots (O-1, O-2) do not count even before the expiry has run; O-3 and O-4 expire
    // within 30 days, O-5 in a year.
    let before = account(&mut client, &customer.id).await;
    assert_eq!(before.balance, 280);
    assert_eq!(before.points_expiring_soon, 120);
    let next = before.next_expire_time.unwrap().seconds
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    assert!(
        (23 * 3600..=24 * 3600).contains(&next),
        "O-3 expires in a day"
    );
    let status = client
        .redeem_points(redemption(&customer.id, 281))
        .await
        .unwrap_err();
    assert_eq!(metadata(&status, "balance"), "280");

    let run = client
        .run_points_expiry(RunPointsExpiryRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(run.lots_expired, 2);
    assert_eq!(run.points_expired, 30);
    let expired: Vec<_> = movements(&mut client, &customer.id)
        .await
        .into_iter()
        .filter(|m| m.kind() == PointMovementKind::Expire)
        .map(|m| (m.points, m.balance_after))
        .collect();
    assert_eq!(expired, [(-20, 280), (-10, 300)]);
    let after = account(&mut client, &customer.id).await;
    assert_eq!(after.balance, 280);
    assert_eq!(after.lifetime_earned, 310);
    assert_eq!(remaining(&app, "O-1").await, 0);
    assert_eq!(remaining(&app, "O-3").await, 40);

    let again = client
        .run_points_expiry(RunPointsExpiryRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.lots_expired, 0);
}

//! LoyaltyService end to end against real PostgreSQL: awards, adjustments, redemptions without
//! overdraft (also under concurrency), FIFO lots, expiry, the ledger and its events. Time passes by
//! backdating lots with SQL.

use std::time::Duration;

use futures::StreamExt as _;
use logistics_contracts::common::Money;
use logistics_contracts::customers::{
    AdjustPointsRequest, AwardPointsRequest, AwardPointsResponse, DeleteCustomerRequest,
    GetLoyaltyAccountRequest, ListPointMovementsRequest, LoyaltyAccount, PointMovement,
    PointMovementKind, RedeemPointsRequest, RunPointsExpiryRequest, StreamChangesRequest,
    stream_changes_response::Event,
};
use logistics_tests::{
    LoyaltyClient, TestApp, create_customer, enterprise, reason, request_id, violated_fields,
};
use tonic::Code;
use tonic_types::StatusExt as _;

mod expiry;

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        currency_code: "CNY".to_owned(),
        amount_minor: fen,
    })
}

/// Awards points for `order`, expecting a movement (the amount must earn at least one point).
async fn award(
    client: &mut LoyaltyClient,
    customer_id: &str,
    order: &str,
    fen: i64,
) -> PointMovement {
    award_response(client, customer_id, order, fen)
        .await
        .movement
        .expect("an award of 10 CNY or more records a movement")
}

async fn award_response(
    client: &mut LoyaltyClient,
    customer_id: &str,
    order: &str,
    fen: i64,
) -> AwardPointsResponse {
    client
        .award_points(AwardPointsRequest {
            customer_id: customer_id.to_owned(),
            reference: order.to_owned(),
            amount: cny(fen),
        })
        .await
        .expect("awarding points")
        .into_inner()
}

fn redemption(customer_id: &str, points: i64) -> RedeemPointsRequest {
    RedeemPointsRequest {
        request_id: request_id(),
        customer_id: customer_id.to_owned(),
        points,
        reason: "voucher".to_owned(),
        reference: "V-1".to_owned(),
    }
}

async fn account(client: &mut LoyaltyClient, customer_id: &str) -> LoyaltyAccount {
    client
        .get_loyalty_account(GetLoyaltyAccountRequest {
            customer_id: customer_id.to_owned(),
        })
        .await
        .expect("reading the account")
        .into_inner()
}

async fn movements(client: &mut LoyaltyClient, customer_id: &str) -> Vec<PointMovement> {
    client
        .list_point_movements(ListPointMovementsRequest {
            customer_id: customer_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("listing movements")
        .into_inner()
        .movements
}

fn metadata(status: &tonic::Status, key: &str) -> String {
    status
        .get_error_details()
        .error_info()
        .and_then(|info| info.metadata.get(key).cloned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_delivered_shipment_earns_one_point_per_full_ten_yuan() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;

    let small = award_response(&mut client, &customer.id, "O-1", 999).await;
    assert_eq!(
        small.movement, None,
        "under 10 CNY earns nothing and records nothing"
    );
    assert!(movements(&mut client, &customer.id).await.is_empty());
    // Nothing was recorded for O-1, so a corrected amount for it still earns.
    assert_eq!(
        award(&mut client, &customer.id, "O-1", 1000).await.points,
        1
    );
    let earned = award(&mut client, &customer.customer_code, "O-2", 12_345).await;
    assert_eq!(earned.kind(), PointMovementKind::Earn);
    assert_eq!(earned.points, 12);
    assert_eq!(earned.balance_after, 13);
    assert_eq!(earned.reference, "O-2");
    let earned_at = earned.create_time.unwrap().seconds;
    assert_eq!(
        earned.expire_time.unwrap().seconds - earned_at,
        365 * 24 * 3600
    );
    assert_eq!(
        award(&mut client, &customer.id, "O-3", 1000).await.points,
        1
    );

    let read = account(&mut client, &customer.id).await;
    assert_eq!(read.balance, 14);
    assert_eq!(read.lifetime_earned, 14);
    assert_eq!(read.points_expiring_soon, 0);
    assert!(read.next_expire_time.is_none());
    assert_eq!(movements(&mut client, &customer.id).await.len(), 3);
}

#[tokio::test]
async fn a_second_award_for_the_same_order_returns_the_first_movement() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;

    let first = award(&mut client, &customer.id, "O-7", 50_000).await;
    let again = award(&mut client, &customer.id, "O-7", 90_000).await;
    assert_eq!(again, first);
    assert_eq!(account(&mut client, &customer.id).await.balance, 50);
}

#[tokio::test]
async fn an_award_with_bad_fields_names_every_one_of_them() {
    let app = TestApp::spawn().await;
    let mut client = app.loyalty_client().await;

    let status = client
        .award_points(AwardPointsRequest {
            customer_id: "someone".to_owned(),
            reference: " ".to_owned(),
            amount: Some(Money {
                currency_code: "USD".to_owned(),
                amount_minor: -1,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "customer_id",
            "reference",
            "amount.currency_code",
            "amount.amount_minor"
        ]
    );
    let status = client
        .award_points(AwardPointsRequest {
            customer_id: "C000001".to_owned(),
            reference: "O-1".to_owned(),
            amount: None,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["amount"]);
}

#[tokio::test]
async fn a_redemption_past_the_balance_is_refused_with_the_balance_and_the_request() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;
    award(&mut client, &customer.id, "O-1", 100_000).await;

    let spent = client
        .redeem_points(redemption(&customer.id, 40))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(spent.kind(), PointMovementKind::Redeem);
    assert_eq!(spent.points, -40);
    assert_eq!(spent.balance_after, 60);
    assert_eq!(spent.reference, "V-1");

    let status = client
        .redeem_points(redemption(&customer.id, 61))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "INSUFFICIENT_POINTS");
    assert_eq!(metadata(&status, "balance"), "60");
    assert_eq!(metadata(&status, "requested"), "61");

    let exact = client
        .redeem_points(redemption(&customer.id, 60))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exact.balance_after, 0);
}

#[tokio::test]
async fn a_retried_redemption_returns_the_first_movement_and_spends_once() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;
    award(&mut client, &customer.id, "O-1", 100_000).await;
    let request = redemption(&customer.id, 30);

    let first = client
        .redeem_points(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = client
        .redeem_points(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    assert_eq!(account(&mut client, &customer.id).await.balance, 70);

    let status = client
        .redeem_points(RedeemPointsRequest {
            points: 31,
            ..request
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");
}

#[tokio::test]
async fn a_redemption_with_bad_fields_names_every_one_of_them() {
    let app = TestApp::spawn().await;
    let mut client = app.loyalty_client().await;
    for points in [0, -5, 1_000_001] {
        let status = client
            .redeem_points(RedeemPointsRequest {
                request_id: "x".to_owned(),
                customer_id: String::new(),
                points,
                reason: String::new(),
                reference: "r".repeat(101),
            })
            .await
            .unwrap_err();
        assert_eq!(
            violated_fields(&status),
            ["request_id", "customer_id", "points", "reason", "reference"]
        );
    }
}

#[tokio::test]
async fn concurrent_redemptions_never_spend_more_than_the_balance() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;
    award(&mut client, &customer.id, "O-1", 100_000).await;

    let attempts = (0..8).map(|_| {
        let mut client = client.clone();
        let request = redemption(&customer.id, 30);
        tokio::spawn(async move { client.redeem_points(request).await })
    });
    let outcomes = futures::future::join_all(attempts).await;
    let mut succeeded = 0;
    for outcome in outcomes {
        match outcome.unwrap() {
            Ok(_) => succeeded += 1,
            Err(status) => assert_eq!(reason(&status), "INSUFFICIENT_POINTS"),
        }
    }
    assert_eq!(succeeded, 3);
    assert_eq!(account(&mut client, &customer.id).await.balance, 10);
    let ledger = movements(&mut client, &customer.id).await;
    let balances: Vec<_> = ledger.iter().map(|m| m.balance_after).collect();
    assert_eq!(balances, [10, 40, 70, 100]);
}

#[tokio::test]
async fn adjustments_add_or_remove_points_with_a_reason_and_never_overdraw() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;
    let request = AdjustPointsRequest {
        request_id: request_id(),
        customer_id: customer.id.clone(),
        points: 500,
        reason: "goodwill for complaint K1".to_owned(),
    };

    let added = client
        .adjust_points(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(added.points, 500);
    assert!(added.expire_time.is_some());
    assert_eq!(
        client.adjust_points(request).await.unwrap().into_inner(),
        added
    );
    let read = account(&mut client, &customer.id).await;
    assert_eq!((read.balance, read.lifetime_earned), (500, 0));

    let status = client
        .adjust_points(AdjustPointsRequest {
            request_id: request_id(),
            customer_id: customer.id.clone(),
            points: -501,
            reason: "correction".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "INSUFFICIENT_POINTS");
    assert_eq!(metadata(&status, "requested"), "501");

    for points in [0, 1_000_001, -1_000_001, i64::MIN, i64::MAX] {
        let status = client
            .adjust_points(AdjustPointsRequest {
                request_id: request_id(),
                customer_id: customer.id.clone(),
                points,
                reason: "x".repeat(201),
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&status), ["points", "reason"]);
    }
}

#[tokio::test]
async fn the_ledger_lists_newest_first_one_page_at_a_time() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;
    for order in 1..=5 {
        award(&mut client, &customer.id, &format!("O-{order}"), 10_000).await;
    }

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_point_movements(ListPointMovementsRequest {
                customer_id: customer.id.clone(),
                page_size: 2,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.movements.len() <= 2);
        seen.extend(page.movements.into_iter().map(|m| m.reference));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ["O-5", "O-4", "O-3", "O-2", "O-1"]);

    let other = create_customer(&mut app.customers_client().await, enterprise("Other")).await;
    let first = client
        .list_point_movements(ListPointMovementsRequest {
            customer_id: customer.id.clone(),
            page_size: 2,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let status = client
        .list_point_movements(ListPointMovementsRequest {
            customer_id: other.id.clone(),
            page_size: 2,
            page_token: first.next_page_token,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn unknown_and_deleted_customers_are_refused() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let customer = create_customer(&mut customers, enterprise("Gone")).await;
    customers
        .delete_customer(DeleteCustomerRequest {
            id: customer.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let mut client = app.loyalty_client().await;

    let status = client
        .award_points(AwardPointsRequest {
            customer_id: customer.id.clone(),
            reference: "O-1".to_owned(),
            amount: cny(10_000),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "CUSTOMER_DELETED");
    let status = client
        .redeem_points(redemption("C999999", 1))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .get_loyalty_account(GetLoyaltyAccountRequest {
            customer_id: "C999999".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn each_loyalty_rpc_needs_its_scope() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut reader = app.loyalty_client_with(&app.keys.customers_reader).await;
    let mut writer = app.loyalty_client_with(&app.keys.customers_writer).await;

    assert_eq!(account(&mut reader, &customer.id).await.balance, 0);
    let denied = [
        reader
            .redeem_points(redemption(&customer.id, 1))
            .await
            .unwrap_err(),
        writer
            .award_points(AwardPointsRequest {
                customer_id: customer.id.clone(),
                reference: "O-1".to_owned(),
                amount: cny(10_000),
            })
            .await
            .unwrap_err(),
        writer
            .run_points_expiry(RunPointsExpiryRequest {})
            .await
            .unwrap_err(),
    ];
    for status in denied {
        assert_eq!(status.code(), Code::PermissionDenied);
    }
}

#[tokio::test]
async fn every_movement_is_a_points_moved_event_on_the_change_feed() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let customer = create_customer(&mut customers, enterprise("Acme")).await;
    let mut client = app.loyalty_client().await;
    let earned = award(&mut client, &customer.id, "O-1", 100_000).await;
    let spent = client
        .redeem_points(redemption(&customer.id, 10))
        .await
        .unwrap()
        .into_inner();

    let mut feed = customers
        .stream_changes(StreamChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut moved = Vec::new();
    while moved.len() < 2 {
        let event = tokio::time::timeout(Duration::from_secs(10), feed.next())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        if let Some(Event::PointsMoved(event)) = event.event {
            let movement = event.movement.unwrap();
            assert_eq!(movement.customer_id, customer.id);
            moved.push(movement);
        }
    }
    assert_eq!(moved, [earned, spent]);
}

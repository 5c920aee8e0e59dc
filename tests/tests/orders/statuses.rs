//! ConfirmOrder and CancelOrder: the status machine as callers meet it.

use logistics_contracts::orders::{
    CancelOrderRequest, ConfirmOrderRequest, GetOrderRequest, Order, OrderStatus,
};
use logistics_tests::orders::{OrdersClient, place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise, reason};
use tonic::Code;
use tonic_types::StatusExt as _;

async fn confirm(orders: &mut OrdersClient, order: &Order) -> Result<Order, tonic::Status> {
    orders
        .confirm_order(ConfirmOrderRequest {
            id: order.id.clone(),
            etag: String::new(),
        })
        .await
        .map(|answer| answer.into_inner())
}

async fn cancel(orders: &mut OrdersClient, order: &Order) -> Result<Order, tonic::Status> {
    orders
        .cancel_order(CancelOrderRequest {
            id: order.order_number.clone(),
            reason: "customer changed plans".to_owned(),
            etag: String::new(),
        })
        .await
        .map(|answer| answer.into_inner())
}

/// The current and requested statuses an ILLEGAL_TRANSITION names.
fn transition_of(status: &tonic::Status) -> (String, String) {
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .expect("ErrorInfo");
    (
        info.metadata
            .get("current_status")
            .cloned()
            .unwrap_or_default(),
        info.metadata
            .get("requested_status")
            .cloned()
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_created_order_is_confirmed_once() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let order = place_order(&mut orders, road_order(&customer.id)).await;

    let confirmed = confirm(&mut orders, &order).await.expect("confirming");
    assert_eq!(confirmed.status(), OrderStatus::Confirmed);
    assert_ne!(confirmed.etag, order.etag);

    let again = confirm(&mut orders, &confirmed)
        .await
        .expect_err("confirming twice");
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(reason(&again), "ILLEGAL_TRANSITION");
    assert_eq!(
        transition_of(&again),
        (
            "ORDER_STATUS_CONFIRMED".to_owned(),
            "ORDER_STATUS_CONFIRMED".to_owned()
        )
    );
}

#[tokio::test]
async fn a_cancelled_order_can_be_neither_confirmed_nor_cancelled_again() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let order = place_order(&mut orders, road_order(&customer.id)).await;

    let cancelled = cancel(&mut orders, &order).await.expect("cancelling");
    assert_eq!(cancelled.status(), OrderStatus::Cancelled);
    assert_eq!(cancelled.cancel_reason, "customer changed plans");

    let confirm_refused = confirm(&mut orders, &cancelled).await.expect_err("final");
    assert_eq!(
        transition_of(&confirm_refused),
        (
            "ORDER_STATUS_CANCELLED".to_owned(),
            "ORDER_STATUS_CONFIRMED".to_owned()
        )
    );
    let cancel_refused = cancel(&mut orders, &cancelled).await.expect_err("final");
    assert_eq!(cancel_refused.code(), Code::FailedPrecondition);
    assert_eq!(
        transition_of(&cancel_refused),
        (
            "ORDER_STATUS_CANCELLED".to_owned(),
            "ORDER_STATUS_CANCELLED".to_owned()
        )
    );
}

#[tokio::test]
async fn a_write_over_a_stale_etag_is_aborted() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let order = place_order(&mut orders, road_order(&customer.id)).await;
    confirm(&mut orders, &order).await.expect("confirming");

    let stale = orders
        .cancel_order(CancelOrderRequest {
            id: order.id.clone(),
            reason: "changed plans".to_owned(),
            etag: order.etag.clone(),
        })
        .await
        .expect_err("the etag is stale");
    assert_eq!(stale.code(), Code::Aborted);
    let current = orders
        .get_order(GetOrderRequest { id: order.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(current.status(), OrderStatus::Confirmed, "nothing changed");
}

#[tokio::test]
async fn orders_are_named_by_id_number_or_tracking_number_and_nothing_else() {
    let app = TestApp::spawn().await;
    let mut orders = app.orders_client().await;
    for (id, code) in [
        ("", Code::InvalidArgument),
        ("O-not-a-number", Code::InvalidArgument),
        ("100000000421", Code::InvalidArgument),
        ("O2026112300000042", Code::NotFound),
        (&uuid::Uuid::new_v4().to_string(), Code::NotFound),
    ] {
        let refused = orders
            .get_order(GetOrderRequest { id: id.to_owned() })
            .await
            .expect_err("no such order");
        assert_eq!(refused.code(), code, "{id:?}");
    }
}

//! CreateOrder: validation, the customers check, pricing, numbers and idempotency.

use std::collections::HashSet;

use logistics_contracts::customers::{BlockCustomerRequest, DeleteCustomerRequest};
use logistics_contracts::orders::{
    CargoLine, CreateOrderRequest, GetOrderRequest, ListOrdersRequest, Order, OrderStatus,
};
use logistics_tests::orders::{OrdersClient, place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise, reason, request_id, violated_fields};
use tonic::Code;

#[tokio::test]
async fn an_order_is_priced_numbered_and_stored_as_created() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;

    let order = place_order(&mut orders, road_order(&customer.id)).await;

    assert_eq!(order.status(), OrderStatus::Created);
    assert!(
        order.order_number.starts_with('O'),
        "{}",
        order.order_number
    );
    assert_eq!(order.tracking_number.len(), 12, "{}", order.tracking_number);
    assert_eq!(order.total_pieces, 5);
    assert_eq!(order.total_weight_grams, 490_000);
    let quote = order.quote.clone().expect("the accepted quote");
    assert!(quote.price.expect("a price").amount_minor > 0);
    assert!(quote.chargeable_weight_grams >= order.total_weight_grams);
    assert_eq!(order.promised_delivery_time, quote.promised_delivery_time);
    assert_eq!(order.created_by, "admin");

    for id in [&order.id, &order.order_number, &order.tracking_number] {
        let found = orders
            .get_order(GetOrderRequest { id: id.clone() })
            .await
            .expect("getting the order")
            .into_inner();
        assert_eq!(found, order, "by {id}");
    }
}

#[tokio::test]
async fn every_bad_field_of_an_order_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let mut orders = app.orders_client().await;
    let mut order = road_order("not-a-uuid");
    order.mode = 0;
    order.origin.as_mut().unwrap().region_code = String::new();
    order.destination.as_mut().unwrap().city = String::new();
    order.cargo.push(CargoLine {
        description: String::new(),
        pieces: 0,
        weight_grams: -1,
        ..CargoLine::default()
    });
    order.customer_references = vec!["PO-1".to_owned(), "PO-1".to_owned()];

    let refused = orders
        .create_order(CreateOrderRequest {
            order: Some(order),
            request_id: "also-not-a-uuid".to_owned(),
            ..Default::default()
        })
        .await
        .expect_err("a bad order is refused");

    assert_eq!(refused.code(), Code::InvalidArgument);
    let fields = violated_fields(&refused);
    for expected in [
        "request_id",
        "order.customer_id",
        "order.mode",
        "order.origin.region_code",
        "order.destination.city",
        "order.cargo[2].description",
        "order.cargo[2].pieces",
        "order.cargo[2].weight_grams",
        "order.customer_references[1]",
    ] {
        assert!(
            fields.iter().any(|field| field == expected),
            "{expected} missing from {fields:?}"
        );
    }
}

#[tokio::test]
async fn an_order_for_an_unknown_customer_is_refused() {
    let app = TestApp::spawn().await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let refused = refused_order(&app, &unknown, "an unknown customer may not order").await;
    assert_eq!(refused.code(), Code::NotFound);
    assert_eq!(reason(&refused), "CUSTOMER_NOT_FOUND");
    assert_no_orders(&app).await;
}

#[tokio::test]
async fn a_deleted_customer_may_not_order() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let customer = create_customer(&mut customers, enterprise("Gone Ltd")).await;
    customers
        .delete_customer(DeleteCustomerRequest {
            id: customer.id.clone(),
            etag: String::new(),
        })
        .await
        .expect("deleting the customer");

    let refused = refused_order(&app, &customer.id, "a deleted customer may not order").await;
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "CUSTOMER_DELETED");
    assert_no_orders(&app).await;
}

#[tokio::test]
async fn a_blocked_customer_may_not_order() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let customer = create_customer(&mut customers, enterprise("Owes Money Ltd")).await;
    customers
        .block_customer(BlockCustomerRequest {
            id: customer.id.clone(),
            reason: "unpaid invoices".to_owned(),
            etag: String::new(),
        })
        .await
        .expect("blocking the customer");

    let refused = refused_order(&app, &customer.id, "a blocked customer may not order").await;
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "CUSTOMER_BLOCKED");
    assert_no_orders(&app).await;
}

#[tokio::test]
async fn retrying_a_create_with_its_request_id_returns_the_first_order() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let request = new_order_request(&customer.id);

    let first = orders
        .create_order(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = orders
        .create_order(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);

    assert_refused_as_reused(&mut orders, request).await;

    let listed = list_all(&app).await;
    assert_eq!(listed.len(), 1, "one order for one request id");
}

#[tokio::test]
async fn an_order_may_name_its_customer_by_code_and_is_stored_with_the_id() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;

    let order = place_order(&mut orders, road_order(&customer.customer_code)).await;
    assert_eq!(order.customer_id, customer.id);

    let refused = refused_order(&app, "C999999", "an unknown code").await;
    assert_eq!(refused.code(), Code::NotFound);
    assert_eq!(reason(&refused), "CUSTOMER_NOT_FOUND");
}

#[tokio::test]
async fn a_create_without_a_request_id_is_refused_like_in_customers() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let refused = app
        .orders_client()
        .await
        .create_order(CreateOrderRequest {
            order: Some(road_order(&customer.id)),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .expect_err("no request id");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["request_id"]);
    assert!(list_all(&app).await.is_empty());
}

#[tokio::test]
async fn concurrent_retries_of_one_create_make_one_order() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let request = new_order_request(&customer.id);
    let mut attempts = Vec::new();
    for _ in 0..6 {
        let mut orders = app.orders_client().await;
        let request = request.clone();
        attempts.push(tokio::spawn(async move {
            orders
                .create_order(request)
                .await
                .map(|answer| answer.into_inner())
        }));
    }
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap().expect("every attempt answers"));
    }
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(list_all(&app).await.len(), 1);
}

#[tokio::test]
async fn creates_at_once_mixed_with_retries_are_each_stored_once_with_one_event() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    // Fresh creates and retries of one of them, all in flight together: the writer gathers them
    // into shared statements, and a retry's key, taken in the same statement, fails it whole.
    let retried = new_order_request(&customer.id);
    let mut creates = Vec::new();
    for call in 0..48 {
        let mut orders = app.orders_client().await;
        let request = if call % 8 == 0 {
            retried.clone()
        } else {
            new_order_request(&customer.id)
        };
        creates.push(tokio::spawn(async move {
            let answer = orders.create_order(request.clone()).await;
            (request.request_id, answer.map(|answer| answer.into_inner()))
        }));
    }
    let mut ids_by_request = std::collections::HashMap::new();
    for create in creates {
        let (request_id, answer) = create.await.unwrap();
        let order = answer.expect("every create answers");
        let first = ids_by_request.entry(request_id).or_insert(order.id.clone());
        assert_eq!(*first, order.id, "a retry answers its first order");
    }
    assert_eq!(ids_by_request.len(), 43);
    let stored: HashSet<String> = list_all(&app).await.into_iter().map(|o| o.id).collect();
    let answered: HashSet<String> = ids_by_request.into_values().collect();
    assert_eq!(stored, answered);
    let events: Vec<(String, i64)> = sqlx::query_as(
        "SELECT resource_id, count(*) FROM outbox WHERE event_type = 'order.created' \
         GROUP BY resource_id",
    )
    .fetch_all(&app.schema_pool("orders").await)
    .await
    .unwrap();
    assert_eq!(events.len(), 43);
    assert!(
        events
            .iter()
            .all(|(id, count)| *count == 1 && stored.contains(id))
    );
}

#[tokio::test]
async fn creates_at_once_on_two_replicas_each_get_numbers_of_their_own() {
    let mut app = TestApp::spawn().await;
    let second = app.spawn_orders_replica().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    // More creates than a replica draws numbers for in one round trip, so both draw again.
    let mut creates = Vec::new();
    for call in 0..80 {
        let replica = if call % 2 == 0 { app.orders } else { second };
        let mut orders = app.orders_client_of(replica, &app.keys.admin).await;
        let request = new_order_request(&customer.id);
        creates.push(tokio::spawn(async move {
            orders
                .create_order(request)
                .await
                .map(|answer| answer.into_inner())
        }));
    }
    let mut order_numbers = HashSet::new();
    let mut tracking_numbers = HashSet::new();
    for create in creates {
        let order = create.await.unwrap().expect("every create answers");
        assert!(
            order_numbers.insert(order.order_number.clone()),
            "{order:?}"
        );
        assert!(
            tracking_numbers.insert(order.tracking_number.clone()),
            "{order:?}"
        );
    }
    assert_eq!(list_all(&app).await.len(), 80);
}

#[tokio::test]
async fn the_last_tracking_number_is_given_out_and_then_creates_are_refused_as_exhausted() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let orders = app.schema_pool("orders").await;
    sqlx::query("ALTER SEQUENCE tracking_serial_seq RESTART WITH 89999999999")
        .execute(&orders)
        .await
        .unwrap();

    let mut client = app.orders_client().await;
    let last = place_order(&mut client, road_order(&customer.id)).await;
    assert_eq!(
        last.tracking_number,
        logistics_orders::tracking_number(89_999_999_999).unwrap()
    );
    let refused = refused_order(&app, &customer.id, "no tracking number is left").await;
    assert_eq!(refused.code(), Code::ResourceExhausted);
    assert_eq!(reason(&refused), "TRACKING_NUMBERS_EXHAUSTED");
    assert_eq!(list_all(&app).await, [last]);
}

/// Places a road order for `customer_id` that must be refused; the refusal.
async fn refused_order(app: &TestApp, customer_id: &str, why: &str) -> tonic::Status {
    app.orders_client()
        .await
        .create_order(CreateOrderRequest {
            order: Some(road_order(customer_id)),
            request_id: request_id(),
            ..Default::default()
        })
        .await
        .expect_err(why)
}

async fn list_all(app: &TestApp) -> Vec<Order> {
    app.orders_client()
        .await
        .list_orders(ListOrdersRequest {
            page_size: 1000,
            ..ListOrdersRequest::default()
        })
        .await
        .expect("listing orders")
        .into_inner()
        .orders
}

async fn assert_no_orders(app: &TestApp) {
    assert!(list_all(app).await.is_empty(), "nothing was written");
}

#[tokio::test]
async fn while_customers_is_down_orders_are_refused_as_unavailable_and_nothing_is_written() {
    let mut app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    app.stop_customers().await;

    let request = new_order_request(&customer.id);
    let refused = app
        .orders_client()
        .await
        .create_order(request.clone())
        .await
        .expect_err("customers cannot vouch for the customer");
    assert_eq!(refused.code(), Code::Unavailable);
    assert_eq!(reason(&refused), "CUSTOMERS_UNAVAILABLE");
    assert_no_orders(&app).await;

    // The same request, retried once customers is back, goes through: the refused attempt left
    // nothing behind, not even its idempotency key.
    app.start_customers().await;
    let placed = app
        .orders_client()
        .await
        .create_order(request)
        .await
        .expect("placed once customers is back")
        .into_inner();
    assert_eq!(placed.status(), OrderStatus::Created);
    assert_eq!(list_all(&app).await.len(), 1);
}

#[tokio::test]
async fn a_retry_of_a_created_order_is_answered_even_while_customers_is_down() {
    let mut app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let request = new_order_request(&customer.id);
    let first = app
        .orders_client()
        .await
        .create_order(request.clone())
        .await
        .expect("placed")
        .into_inner();
    // A second replica has asked customers about nobody yet, so nothing is cached there.
    let replica = app.spawn_orders_replica().await;
    app.stop_customers().await;

    let again = app
        .orders_client_of(replica, &app.keys.admin)
        .await
        .create_order(request.clone())
        .await
        .expect("the retry is answered from the stored response")
        .into_inner();
    assert_eq!(again, first);

    let mut replica_client = app.orders_client_of(replica, &app.keys.admin).await;
    assert_refused_as_reused(&mut replica_client, request).await;
}

#[tokio::test]
async fn a_request_id_past_its_retention_creates_a_new_order() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let request = new_order_request(&customer.id);
    let first = orders
        .create_order(request.clone())
        .await
        .unwrap()
        .into_inner();
    sqlx::query(
        "UPDATE idempotency_keys SET create_time = now() - interval '25 hours' \
         WHERE method = 'CreateOrder'",
    )
    .execute(&app.schema_pool("orders").await)
    .await
    .expect("aging the key");

    let second = orders
        .create_order(request.clone())
        .await
        .expect("the expired key is taken over")
        .into_inner();
    assert_ne!(second.id, first.id);
    // And the key now answers with the second order.
    let third = orders.create_order(request).await.unwrap().into_inner();
    assert_eq!(third, second);
    assert_eq!(list_all(&app).await.len(), 2);
}

/// A CreateOrder of a road order for `customer_id` under a fresh request id.
fn new_order_request(customer_id: &str) -> CreateOrderRequest {
    CreateOrderRequest {
        order: Some(road_order(customer_id)),
        request_id: request_id(),
        ..Default::default()
    }
}

/// Sends `request` again with another reference under the same request id: refused, naming it.
async fn assert_refused_as_reused(orders: &mut OrdersClient, request: CreateOrderRequest) {
    let mut different = request;
    different.order.as_mut().unwrap().customer_references = vec!["PO-OTHER".to_owned()];
    let refused = orders
        .create_order(different)
        .await
        .expect_err("key reused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(reason(&refused), "IDEMPOTENCY_KEY_REUSED");
}

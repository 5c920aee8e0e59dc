//! CreateOrder's import of past orders (`import_create_time`): created as of that time, counted in
//! that time's month, only for keys holding `orders:import`, and only for plausible times.

use chrono::{DateTime, Duration, SubsecRound as _, Utc};
use logistics_contracts::orders::{CreateOrderRequest, ListOrdersRequest, OrderFilter};
use logistics_contracts::reporting::GetMonthlyStatementRequest;
use logistics_platform::time::{company_time_zone, from_timestamp, timestamp};
use logistics_tests::orders::road_order;
use logistics_tests::reporting::settled;
use logistics_tests::{TestApp, create_customer, enterprise, reason, request_id, violated_fields};
use prost_types::Timestamp;
use tonic::Code;

fn import(customer_id: &str, at: Timestamp) -> CreateOrderRequest {
    CreateOrderRequest {
        order: Some(road_order(customer_id)),
        request_id: request_id(),
        import_create_time: Some(at),
    }
}

fn month_of(time: DateTime<Utc>) -> String {
    time.with_timezone(&company_time_zone())
        .format("%Y-%m")
        .to_string()
}

#[tokio::test]
async fn an_imported_order_keeps_its_create_time_and_counts_in_the_month_it_was_created() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let created = (Utc::now() - Duration::days(100)).trunc_subsecs(0);
    let request = import(&customer.id, timestamp(created));

    let order = orders
        .create_order(request.clone())
        .await
        .expect("importing an order")
        .into_inner();

    assert_eq!(
        order.create_time.as_ref().and_then(from_timestamp),
        Some(created)
    );
    let promised = order
        .promised_delivery_time
        .as_ref()
        .and_then(from_timestamp)
        .expect("a promise");
    assert!(
        promised > created && promised < created + Duration::days(30),
        "the promise {promised} is computed from the import time {created}"
    );
    let date = created
        .with_timezone(&company_time_zone())
        .format("%Y%m%d")
        .to_string();
    assert!(
        order.order_number.contains(&date),
        "{} of {date}",
        order.order_number
    );
    let retried = orders
        .create_order(request)
        .await
        .expect("retrying the import")
        .into_inner();
    assert_eq!(
        retried.id, order.id,
        "an import is idempotent by request id"
    );

    let listed = orders
        .list_orders(ListOrdersRequest {
            filter: Some(OrderFilter {
                customer_id: customer.id.clone(),
                create_time_before: Some(timestamp(created + Duration::seconds(1))),
                ..OrderFilter::default()
            }),
            ..ListOrdersRequest::default()
        })
        .await
        .expect("listing the customer's old orders")
        .into_inner();
    assert_eq!(listed.orders.len(), 1);
    assert_eq!(listed.orders[0].id, order.id);

    let mut reporting = app.reporting_client().await;
    settled(&mut reporting).await;
    let statement = |month: String| {
        let mut reporting = reporting.clone();
        let customer_id = customer.id.clone();
        async move {
            reporting
                .get_monthly_statement(GetMonthlyStatementRequest { customer_id, month })
                .await
                .expect("the monthly statement")
                .into_inner()
        }
    };
    let then = statement(month_of(created)).await;
    assert_eq!(then.shipments.expect("shipments").value, 1);
    let this_month = statement(month_of(Utc::now())).await;
    assert_eq!(this_month.shipments.expect("shipments").value, 0);
}

#[tokio::test]
async fn an_import_by_a_key_without_the_import_scope_is_refused() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut writer = app.orders_client_with(&app.keys.orders_writer).await;

    let refused = writer
        .create_order(import(
            &customer.id,
            timestamp(Utc::now() - Duration::days(3)),
        ))
        .await
        .expect_err("an import without orders:import is refused");

    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(reason(&refused), "IMPORT_NOT_ALLOWED");
    let mut plain = import(&customer.id, Timestamp::default());
    plain.import_create_time = None;
    writer
        .create_order(plain)
        .await
        .expect("the same key creates orders of now");
    let mut team = app.orders_client_with(&app.keys.orders_only).await;
    team.create_order(import(
        &customer.id,
        timestamp(Utc::now() - Duration::days(3)),
    ))
    .await
    .expect("orders:* holds orders:import");
}

#[tokio::test]
async fn future_too_old_or_malformed_import_times_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let cases = [
        (
            "ten minutes ahead",
            timestamp(Utc::now() + Duration::minutes(10)),
        ),
        (
            "three years back",
            timestamp(Utc::now() - Duration::days(3 * 365)),
        ),
        (
            "negative nanos",
            Timestamp {
                seconds: 1_700_000_000,
                nanos: -1,
            },
        ),
        (
            "past year 9999",
            Timestamp {
                seconds: i64::MAX,
                nanos: 0,
            },
        ),
        (
            "before year 1",
            Timestamp {
                seconds: i64::MIN,
                nanos: 0,
            },
        ),
    ];

    for (case, at) in cases {
        let refused = orders
            .create_order(import(&customer.id, at))
            .await
            .expect_err(case);
        assert_eq!(refused.code(), Code::InvalidArgument, "{case}");
        assert_eq!(violated_fields(&refused), ["import_create_time"], "{case}");
    }
    let listed = orders
        .list_orders(ListOrdersRequest::default())
        .await
        .expect("listing")
        .into_inner();
    assert!(listed.orders.is_empty(), "nothing was written");
}

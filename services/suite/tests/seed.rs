//! `logistics seed` against a running suite: what it creates, read back through the public RPCs,
//! is what its plan (printed with --json) says, and a second run of the same seed creates nothing.

use std::collections::BTreeMap;
use std::process::Command;

use chrono::Datelike as _;
use logistics_contracts::complaints::{ComplaintChannel, ListComplaintsRequest};
use logistics_contracts::customers::{CustomerKind, ListCustomersRequest};
use logistics_contracts::orders::{ListOrdersRequest, Order, OrderStatus};
use logistics_platform::time::{company_time_zone, from_timestamp};
use logistics_tests::TestApp;
use serde_json::Value;

/// Runs the seed binary against `app`; its JSON summary. Off the runtime's thread: the test's
/// runtime serves the suite the binary calls.
async fn seed(app: &TestApp) -> Value {
    let url = |address: std::net::SocketAddr| format!("http://{address}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_logistics"));
    command
        .args([
            "seed",
            "--customers",
            "16",
            "--orders-per-customer",
            "10",
            "--json",
        ])
        .args(["--customers-target", &url(app.customers)])
        .args(["--orders-target", &url(app.orders)])
        .args(["--complaints-target", &url(app.complaints)])
        .env_clear()
        .env("LOGISTICS_API_KEY", &app.keys.admin)
        .env("LOGISTICS_LOG", "warn");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("waiting for logistics seed")
        .expect("running logistics seed");
    assert!(
        output.status.success(),
        "logistics seed failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the JSON summary")
}

fn count(summary: &Value, field: &str) -> u64 {
    summary[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {summary}"))
}

fn counts(summary: &Value, field: &str) -> BTreeMap<String, u64> {
    summary[field]
        .as_object()
        .unwrap_or_else(|| panic!("{field} in {summary}"))
        .iter()
        .map(|(key, value)| (key.clone(), value.as_u64().expect("a count")))
        .collect()
}

async fn every_order(app: &TestApp) -> Vec<Order> {
    let mut orders = app.orders_client().await;
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = orders
            .list_orders(ListOrdersRequest {
                page_size: 500,
                page_token,
                ..ListOrdersRequest::default()
            })
            .await
            .expect("listing orders")
            .into_inner();
        all.extend(page.orders);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

/// Customers by kind, as the summary names kinds.
async fn customers_by_kind(app: &TestApp) -> BTreeMap<String, u64> {
    let customers = app
        .customers_client()
        .await
        .list_customers(ListCustomersRequest {
            page_size: 100,
            ..ListCustomersRequest::default()
        })
        .await
        .expect("listing customers")
        .into_inner()
        .customers;
    let mut by_kind = BTreeMap::new();
    for customer in customers {
        let kind = match customer.kind() {
            CustomerKind::Enterprise => "Enterprise",
            CustomerKind::Individual => "Individual",
            CustomerKind::Government => "Government",
            other => panic!("a customer of kind {other:?}"),
        };
        *by_kind.entry(kind.to_owned()).or_default() += 1;
    }
    by_kind
}

/// Complaints filed by the seed (not those the service opened itself).
async fn complaints(app: &TestApp) -> u64 {
    app.complaints_client()
        .await
        .list_complaints(ListComplaintsRequest {
            page_size: 100,
            ..ListComplaintsRequest::default()
        })
        .await
        .expect("listing complaints")
        .into_inner()
        .complaints
        .iter()
        // The service opens PROACTIVE cases by itself for damaged and short deliveries.
        .filter(|complaint| complaint.channel() != ComplaintChannel::Proactive)
        .count() as u64
}

#[tokio::test]
async fn a_seed_creates_what_its_plan_says_and_a_second_run_creates_nothing() {
    let app = TestApp::spawn().await;

    let summary = seed(&app).await;

    assert_eq!(count(&summary, "failures"), 0, "{summary}");
    assert_eq!(count(&summary, "customers_created"), 16);
    let by_kind = customers_by_kind(&app).await;
    assert_eq!(by_kind, counts(&summary, "customers_by_kind"));
    assert_eq!(by_kind.len(), 3, "every kind: {by_kind:?}");

    let orders = every_order(&app).await;
    assert_eq!(orders.len() as u64, count(&summary, "orders"));
    let zone = company_time_zone();
    let mut by_month: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_calendar_month = [0_u64; 12];
    for order in &orders {
        let created = order
            .create_time
            .as_ref()
            .and_then(from_timestamp)
            .expect("a create time")
            .with_timezone(&zone);
        *by_month
            .entry(created.format("%Y-%m").to_string())
            .or_default() += 1;
        by_calendar_month[created.month0() as usize] += 1;
    }
    assert_eq!(by_month, counts(&summary, "orders_by_month"));
    assert!(by_month.len() >= 12, "a year of history: {by_month:?}");
    // The season: November's festival and January's New Year rush over February and July.
    let months = by_calendar_month;
    let (jan, feb, jul, nov) = (months[0], months[1], months[6], months[10]);
    assert!(nov + jan > feb + jul, "{months:?}");
    let with_status = |status: OrderStatus| {
        orders
            .iter()
            .filter(|order| order.status() == status)
            .count() as u64
    };
    assert_eq!(
        with_status(OrderStatus::Delivered),
        count(&summary, "orders_delivered")
    );
    assert_eq!(
        with_status(OrderStatus::ReturnedToSender),
        count(&summary, "orders_returned")
    );
    assert!(count(&summary, "events_recorded") > 0);
    assert_eq!(complaints(&app).await, count(&summary, "complaints"));
    // Most deliveries got their thank-you call (the customers service scheduled one for each).
    let calls = count(&summary, "thank_you_calls");
    let delivered = count(&summary, "orders_delivered");
    assert!(
        calls > delivered / 2 && calls <= delivered,
        "{calls} of {delivered}"
    );

    let again = seed(&app).await;

    assert_eq!(count(&again, "failures"), 0, "{again}");
    for field in [
        "customers_created",
        "orders_moved",
        "events_recorded",
        "complaints_new",
        "follow_ups_new",
        "thank_you_calls",
    ] {
        assert_eq!(count(&again, field), 0, "{field} in {again}");
    }
    assert_eq!(
        count(&again, "events_already_there"),
        count(&summary, "events_recorded")
    );
    assert_eq!(customers_by_kind(&app).await, by_kind);
    assert_eq!(every_order(&app).await.len(), orders.len());
    assert_eq!(complaints(&app).await, count(&summary, "complaints"));
}

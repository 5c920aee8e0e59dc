//! Monthly statements: GetMonthlyStatement over what the services did for a customer this month,
//! the change from the month before, GenerateMonthlyStatements, ListStatements and GetStatement.
//!
//! No RPC creates an order in a past month, so the test travels in time the way the kit moves an
//! order's promise: it moves one customer's rollup rows a month back in reporting's schema once
//! the feeds were applied. That customer then has a closed month to generate, and the other a
//! month before that is empty.

use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_contracts::complaints::{ComplaintCategory, ComplaintKind};
use logistics_contracts::orders::{
    GetOrderRequest, OrderStatus, RecordDeliveryRequest, RecordTrackingEventsRequest,
    TrackingEvent, TrackingEventCode, TrackingEventSource,
};
use logistics_contracts::reporting::{
    CountFigure, GenerateMonthlyStatementsRequest, GetMonthlyStatementRequest, GetStatementRequest,
    ListStatementsRequest, MonthlyStatement, RatioFigure, StatementFilter,
};
use logistics_platform::time::{company_time_zone, from_timestamp, timestamp};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::{
    order_in_status, place_order, road_order, set_promised_delivery_time,
};
use logistics_tests::{TestApp, create_customer, enterprise, reason, violated_fields};
use tonic::Code;

/// The company-time month of `instant`, "YYYY-MM".
fn month_of(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&company_time_zone())
        .format("%Y-%m")
        .to_string()
}

/// The month before `month` ("YYYY-MM").
fn month_before(month: &str) -> String {
    let (year, number) = month.split_once('-').unwrap();
    let (year, number): (i32, u32) = (year.parse().unwrap(), number.parse().unwrap());
    match number {
        1 => format!("{:04}-12", year - 1),
        number => format!("{year:04}-{:02}", number - 1),
    }
}

fn ago(minutes: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(minutes)
}

/// What the test did for a customer, with when, from which it computes the statement's figures.
#[derive(Default)]
struct Facts {
    /// Creation time, pieces and grams of each order.
    orders: Vec<(DateTime<Utc>, i64, i64)>,
    /// Pickup time and whether by the end of the window.
    pickups: Vec<(DateTime<Utc>, bool)>,
    /// Delivery time, on time, documents right, damaged, cycle minutes.
    deliveries: Vec<(DateTime<Utc>, bool, bool, bool, i64)>,
    /// Complaint filing times.
    complaints: Vec<DateTime<Utc>>,
}

/// A statement's figures as the test computes them for one month.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    shipments: i64,
    pieces: i64,
    weight_grams: i64,
    dispatch: (i64, i64),
    arrival: (i64, i64),
    documents: (i64, i64),
    damage: i64,
    complaints: i64,
    cycle: (i64, i64),
}

impl Facts {
    fn expected(&self, month: &str) -> Expected {
        let mut expected = Expected::default();
        for (created, pieces, grams) in &self.orders {
            if month_of(*created) == month {
                expected.shipments += 1;
                expected.pieces += pieces;
                expected.weight_grams += grams;
            }
        }
        for (at, on_time) in &self.pickups {
            if month_of(*at) == month {
                expected.dispatch.0 += i64::from(*on_time);
                expected.dispatch.1 += 1;
            }
        }
        for (at, on_time, documents_right, damaged, minutes) in &self.deliveries {
            if month_of(*at) == month {
                expected.arrival.0 += i64::from(*on_time);
                expected.arrival.1 += 1;
                expected.documents.0 += i64::from(*documents_right);
                expected.documents.1 += 1;
                expected.damage += i64::from(*damaged);
                expected.cycle.0 += minutes;
                expected.cycle.1 += 1;
            }
        }
        expected.complaints = self
            .complaints
            .iter()
            .filter(|at| month_of(**at) == month)
            .count() as i64;
        expected
    }
}

/// The figures of `statement` in its month (`previous` false) or the month before.
fn figures_of(statement: &MonthlyStatement, previous: bool) -> Expected {
    let count = |figure: &Option<CountFigure>| {
        let figure = figure.as_ref().unwrap();
        if previous {
            figure.previous_value
        } else {
            figure.value
        }
    };
    let ratio = |figure: &Option<RatioFigure>| {
        let figure = figure.as_ref().unwrap();
        if previous {
            (figure.previous_numerator, figure.previous_denominator)
        } else {
            (figure.numerator, figure.denominator)
        }
    };
    Expected {
        shipments: count(&statement.shipments),
        pieces: count(&statement.pieces),
        weight_grams: count(&statement.weight_grams),
        dispatch: ratio(&statement.on_time_dispatch_rate),
        arrival: ratio(&statement.on_time_arrival_rate),
        documents: ratio(&statement.document_accuracy_rate),
        damage: count(&statement.damage_incidents),
        complaints: count(&statement.complaints),
        cycle: ratio(&statement.average_cycle_time),
    }
}

/// `customer`'s statement of `month` once `ready` holds (the feeds reach reporting a little
/// after the calls).
async fn statement_when(
    app: &TestApp,
    customer: &str,
    month: &str,
    ready: impl Fn(&MonthlyStatement) -> bool,
) -> MonthlyStatement {
    let mut reporting = app.reporting_client().await;
    let request = GetMonthlyStatementRequest {
        customer_id: customer.to_owned(),
        month: month.to_owned(),
    };
    let mut statement = MonthlyStatement::default();
    for _ in 0..200 {
        statement = reporting
            .get_monthly_statement(request.clone())
            .await
            .unwrap()
            .into_inner();
        if ready(&statement) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    statement
}

/// Does for `customer_id` what the statement counts: an order delivered by the kit (picked up in
/// its window, delivered on time), an order picked up after its window and delivered late,
/// damaged and with document errors, an order only created, and a complaint. Returns the facts.
async fn activity(app: &TestApp, customer_id: &str) -> Facts {
    let mut facts = Facts::default();
    let mut orders = app.orders_client().await;
    let line_totals = || {
        let order = road_order(customer_id);
        let pieces: i64 = order.cargo.iter().map(|line| i64::from(line.pieces)).sum();
        let grams: i64 = order.cargo.iter().map(|line| line.weight_grams).sum();
        (pieces, grams)
    };
    let (pieces, grams) = line_totals();
    let created_at = |order: &logistics_contracts::orders::Order| {
        from_timestamp(order.create_time.as_ref().unwrap()).unwrap()
    };

    // The kit's delivered order: picked up 200 minutes ago in its window (which opens tomorrow),
    // delivered 100 minutes ago, before its promise.
    let (clean, _) = order_in_status(app, customer_id, OrderStatus::Delivered, &[]).await;
    let clean = orders
        .get_order(GetOrderRequest { id: clean })
        .await
        .unwrap()
        .into_inner();
    let created = created_at(&clean);
    facts.orders.push((created, pieces, grams));
    facts.pickups.push((ago(200), true));
    let delivered = ago(100);
    let cycle = (delivered - created).num_minutes().max(0);
    facts.deliveries.push((delivered, true, true, false, cycle));

    // The late one: its window ended before the pickup, its promise before the delivery.
    let (late, number) = order_in_status(app, customer_id, OrderStatus::PickupScheduled, &[]).await;
    let pool = app.schema_pool("orders").await;
    sqlx::query("UPDATE orders SET pickup_window_end = $2 WHERE id = $1::uuid")
        .bind(&late)
        .bind(ago(260))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let picked_up = ago(200);
    let events = [
        (TrackingEventCode::PickedUp, picked_up),
        (TrackingEventCode::ArrivedAtHub, ago(190)),
        (TrackingEventCode::OutForDelivery, ago(180)),
    ]
    .into_iter()
    .map(|(code, at)| TrackingEvent {
        client_event_id: format!("late-{}", code.as_str_name()),
        tracking_number: number.clone(),
        code: code.into(),
        occur_time: Some(timestamp(at)),
        source: TrackingEventSource::Scanner.into(),
        source_name: "test".to_owned(),
        ..Default::default()
    })
    .collect();
    app.tracking_client()
        .await
        .record_tracking_events(RecordTrackingEventsRequest { events })
        .await
        .unwrap();
    facts.pickups.push((picked_up, false));
    set_promised_delivery_time(app, &late, ago(120)).await;
    let delivered = ago(60);
    app.tracking_client()
        .await
        .record_delivery(RecordDeliveryRequest {
            tracking_number: number,
            signed_by: "Wang Fang".to_owned(),
            delivery_time: Some(timestamp(delivered)),
            damaged_pieces: 1,
            document_errors: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let late = orders
        .get_order(GetOrderRequest { id: late })
        .await
        .unwrap()
        .into_inner();
    let created = created_at(&late);
    facts.orders.push((created, pieces, grams));
    let cycle = (delivered - created).num_minutes().max(0);
    facts
        .deliveries
        .push((delivered, false, false, true, cycle));

    // Only created.
    let placed = place_order(&mut orders, road_order(customer_id)).await;
    facts.orders.push((created_at(&placed), pieces, grams));

    // One complaint filed; the damaged delivery opens a proactive case of its own.
    let filed = file(
        &mut app.complaints_client().await,
        complaint(
            customer_id,
            ComplaintKind::Complaint,
            ComplaintCategory::Delay,
        ),
    )
    .await;
    let filed_at = filed
        .file_time
        .as_ref()
        .and_then(from_timestamp)
        .unwrap_or_else(Utc::now);
    facts.complaints.push(filed_at);
    facts.complaints.push(Utc::now());
    facts
}

/// Moves `customer_id`'s rollup rows one month back in reporting's schema: no RPC makes a past
/// month (see the module's comment).
async fn move_a_month_back(app: &TestApp, customer_id: &str) {
    let pool = app.schema_pool("reporting").await;
    for sql in [
        "UPDATE kpi_rollups SET day = (day - interval '1 month')::date WHERE customer_id = $1::uuid",
        "UPDATE volume_rollups SET day = (day - interval '1 month')::date
          WHERE customer_id = $1::uuid",
    ] {
        sqlx::query(sql)
            .bind(customer_id)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
}

fn ready(expected: &Expected) -> impl Fn(&MonthlyStatement) -> bool + '_ {
    move |statement| figures_of(statement, false) == *expected
}

#[tokio::test]
async fn a_statement_counts_what_the_services_did_for_the_customer_in_the_month() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    let facts = activity(&app, &acme.id).await;
    let month = month_of(Utc::now());
    let previous_month = month_before(&month);
    let expected = facts.expected(&month);
    let expected_before = facts.expected(&previous_month);

    let statement = statement_when(&app, &acme.customer_code, &month, ready(&expected)).await;
    assert_eq!(figures_of(&statement, false), expected, "{statement:#?}");
    assert_eq!(figures_of(&statement, true), expected_before);
    assert_eq!(statement.month, month);
    assert_eq!(statement.customer_id, acme.id);
    assert_eq!(
        statement.name,
        format!("customers/{}/statements/{month}", acme.id)
    );
    assert!(statement.id.is_empty() && statement.generate_time.is_none());
    // Computed on request: no stored statement by that name.
    let missing = app
        .reporting_client()
        .await
        .get_statement(GetStatementRequest {
            name: statement.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(reason(&missing), "STATEMENT_NOT_FOUND");

    // Unless the test runs in the first hours of a month, everything happened this month: three
    // orders of five pieces and 490 kg, one of two pickups in its window, one of two deliveries
    // on time, with right documents and without damage; the complaint and the proactive case.
    if expected_before == Expected::default() {
        assert_eq!((expected.shipments, expected.pieces), (3, 15));
        assert_eq!(expected.weight_grams, 1_470_000);
        assert_eq!(expected.dispatch, (1, 2));
        assert_eq!(expected.complaints, 2);
        // The change from an empty month before is the month's own figures; rates have none.
        assert_eq!(statement.shipments.as_ref().unwrap().change, 3);
        assert_eq!(statement.damage_incidents.as_ref().unwrap().change, 1);
        let dispatch = statement.on_time_dispatch_rate.unwrap();
        assert_eq!(dispatch.value, Some(0.5));
        assert_eq!((dispatch.previous_value, dispatch.change), (None, None));
    }
    let loss = statement.loss_incidents.as_ref().unwrap();
    let shortage = statement.shortage_incidents.as_ref().unwrap();
    assert_eq!((loss.value, shortage.value), (0, 0));
}

#[tokio::test]
async fn statements_are_generated_for_closed_months_listed_and_read_back() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    let beta = create_customer(&mut customers, enterprise("Beta")).await;
    let acme_facts = activity(&app, &acme.id).await;
    let beta_facts = activity(&app, &beta.id).await;
    let month = month_of(Utc::now());
    let last_month = month_before(&month);
    let (acme_now, beta_now) = (acme_facts.expected(&month), beta_facts.expected(&month));
    statement_when(&app, &acme.id, &month, ready(&acme_now)).await;
    let beta_seen = statement_when(&app, &beta.id, &month, ready(&beta_now)).await;
    assert_eq!(figures_of(&beta_seen, false), beta_now);

    // Beta's month moves a month back: last month now holds what this one held.
    move_a_month_back(&app, &beta.id).await;
    let beta_statement = statement_when(&app, &beta.id, &month, |_| true).await;
    assert_eq!(figures_of(&beta_statement, false), Expected::default());
    assert_eq!(
        figures_of(&beta_statement, true),
        beta_facts.expected(&month)
    );
    // The change against a month with figures: counts go down by last month's, and rates have
    // no value this month, so no change.
    let shipments = beta_statement.shipments.unwrap();
    assert_eq!(shipments.change, -beta_now.shipments);
    assert_eq!(beta_statement.on_time_dispatch_rate.unwrap().change, None);

    let mut reporting = app.reporting_client().await;
    // This month has not closed.
    let refused = reporting
        .generate_monthly_statements(GenerateMonthlyStatementsRequest {
            month: month.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "MONTH_NOT_CLOSED");

    let generated = reporting
        .generate_monthly_statements(GenerateMonthlyStatementsRequest {
            month: last_month.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(generated.month, last_month);
    // Beta, and Acme only if some of its facts fell in last month (a run in a month's first
    // hours).
    let acme_last_month = acme_facts.expected(&last_month) != Expected::default();
    assert_eq!(generated.generated_count, 1 + i32::from(acme_last_month));

    let list =
        |filter: StatementFilter, page_size: i32, page_token: String| ListStatementsRequest {
            filter: Some(filter),
            page_size,
            page_token,
        };
    let of_month = StatementFilter {
        month: last_month.clone(),
        ..Default::default()
    };
    let listed = reporting
        .list_statements(list(of_month.clone(), 0, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.statements.len(), generated.generated_count as usize);
    let stored = listed
        .statements
        .iter()
        .find(|statement| statement.customer_id == beta.id)
        .cloned()
        .expect("Beta's statement is listed");
    assert_eq!(figures_of(&stored, false), beta_facts.expected(&month));
    assert_eq!(
        stored.name,
        format!("customers/{}/statements/{last_month}", beta.id)
    );
    assert!(!stored.id.is_empty() && stored.generate_time.is_some());

    // Read back by id and by name.
    for name in [stored.id.clone(), stored.name.clone()] {
        let got = reporting
            .get_statement(GetStatementRequest { name })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got, stored);
    }
    // By customer code in the filter.
    let by_customer = reporting
        .list_statements(list(
            StatementFilter {
                customer_id: beta.customer_code.clone(),
                ..Default::default()
            },
            0,
            String::new(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_customer.statements, std::slice::from_ref(&stored));

    // A second generation replaces the month's statements: the same ids, no duplicates.
    let again = reporting
        .generate_monthly_statements(GenerateMonthlyStatementsRequest {
            month: last_month.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.generated_count, generated.generated_count);
    let relisted = reporting
        .list_statements(list(of_month.clone(), 0, String::new()))
        .await
        .unwrap()
        .into_inner();
    let ids = |statements: &[MonthlyStatement]| {
        statements
            .iter()
            .map(|statement| statement.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&relisted.statements), ids(&listed.statements));

    // One at a time, page by page, every stored statement comes once.
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = reporting
            .list_statements(list(StatementFilter::default(), 1, token))
            .await
            .unwrap()
            .into_inner();
        assert!(page.statements.len() <= 1);
        paged.extend(ids(&page.statements));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, ids(&relisted.statements));
    // A token replayed with another filter is refused.
    let first = reporting
        .list_statements(list(StatementFilter::default(), 1, String::new()))
        .await
        .unwrap()
        .into_inner();
    if !first.next_page_token.is_empty() {
        let refused = reporting
            .list_statements(list(of_month, 1, first.next_page_token))
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["page_token"]);
    }
}

#[tokio::test]
async fn bad_months_names_and_unknown_customers_are_refused() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    for month in [
        "",
        "2026-13",
        "2026-00",
        "1999-12",
        "10000-01",
        "2026-1",
        "2026-11-01",
        "2026\u{7}-11",
        "２０２６-11",
    ] {
        let refused = reporting
            .get_monthly_statement(GetMonthlyStatementRequest {
                customer_id: "C000001".to_owned(),
                month: month.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{month:?}");
        assert_eq!(violated_fields(&refused), ["month"], "{month:?}");
        let refused = reporting
            .generate_monthly_statements(GenerateMonthlyStatementsRequest {
                month: month.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["month"], "{month:?}");
    }
    let refused = reporting
        .get_monthly_statement(GetMonthlyStatementRequest {
            customer_id: "nobody\n".to_owned(),
            month: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["customer_id", "month"]);

    let unknown = reporting
        .get_monthly_statement(GetMonthlyStatementRequest {
            customer_id: "C999999".to_owned(),
            month: "2026-11".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(reason(&unknown), "CUSTOMER_NOT_FOUND");
    let unknown = reporting
        .list_statements(ListStatementsRequest {
            filter: Some(StatementFilter {
                customer_id: "C999999".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&unknown), "CUSTOMER_NOT_FOUND");

    let refused = reporting
        .list_statements(ListStatementsRequest {
            filter: Some(StatementFilter {
                customer_id: "x".to_owned(),
                month: "2026-1".to_owned(),
            }),
            page_size: i32::MIN,
            page_token: "not a token".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["filter.customer_id", "filter.month", "page_size"]
    );
    let refused = reporting
        .list_statements(ListStatementsRequest {
            page_size: i32::MAX,
            page_token: "not a token".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["page_token"]);

    for name in [
        "",
        "statement\u{0}",
        "customers/x/statements/2026-11",
        &"n".repeat(101),
    ] {
        let refused = reporting
            .get_statement(GetStatementRequest {
                name: name.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["name"], "{name:?}");
    }
    let missing = reporting
        .get_statement(GetStatementRequest {
            name: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&missing), "STATEMENT_NOT_FOUND");
}

//! What the statement tests do for a customer, and the figures they compute from it
//! independently of reporting.

use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_contracts::complaints::{ComplaintCategory, ComplaintKind};
use logistics_contracts::orders::{
    GetOrderRequest, OrderStatus, RecordDeliveryRequest, RecordTrackingEventsRequest,
    TrackingEvent, TrackingEventCode, TrackingEventSource,
};
use logistics_contracts::reporting::{
    CountFigure, GetMonthlyStatementRequest, MonthlyStatement, RatioFigure,
};
use logistics_platform::time::{company_time_zone, from_timestamp, timestamp};
use logistics_tests::TestApp;
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::{
    order_in_status, place_order, road_order, set_promised_delivery_time,
};

/// The company-time month of `instant`, "YYYY-MM".
pub(crate) fn month_of(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&company_time_zone())
        .format("%Y-%m")
        .to_string()
}

/// The month before `month` ("YYYY-MM").
pub(crate) fn month_before(month: &str) -> String {
    let (year, number) = month.split_once('-').unwrap();
    let (year, number): (i32, u32) = (year.parse().unwrap(), number.parse().unwrap());
    match number {
        1 => format!("{:04}-12", year - 1),
        number => format!("{year:04}-{:02}", number - 1),
    }
}

/// `minutes` before now.
pub(crate) fn ago(minutes: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(minutes)
}

/// What the test did for a customer, with when, from which it computes the statement's figures.
#[derive(Default)]
pub(crate) struct Facts {
    /// Creation time, pieces and grams of each order.
    pub orders: Vec<(DateTime<Utc>, i64, i64)>,
    /// Pickup time and whether by the end of the window.
    pub pickups: Vec<(DateTime<Utc>, bool)>,
    /// Delivery time, on time, documents right, damaged, cycle minutes.
    pub deliveries: Vec<(DateTime<Utc>, bool, bool, bool, i64)>,
    /// Complaint filing times.
    pub complaints: Vec<DateTime<Utc>>,
}

/// A statement's figures as the test computes them for one month.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Expected {
    pub shipments: i64,
    pub pieces: i64,
    pub weight_grams: i64,
    pub dispatch: (i64, i64),
    pub arrival: (i64, i64),
    pub documents: (i64, i64),
    pub damage: i64,
    pub complaints: i64,
    pub cycle: (i64, i64),
}

impl Facts {
    /// The figures of `month` ("YYYY-MM").
    pub(crate) fn expected(&self, month: &str) -> Expected {
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
pub(crate) fn figures_of(statement: &MonthlyStatement, previous: bool) -> Expected {
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
pub(crate) async fn statement_when(
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
pub(crate) async fn activity(app: &TestApp, customer_id: &str) -> Facts {
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
pub(crate) async fn move_a_month_back(app: &TestApp, customer_id: &str) {
    let pool = app.schema_pool("reporting").await;
    for sql in [
        "UPDATE kpi_rollups SET day = (day - interval '1 month')::date WHERE customer_id = $1::uuid",
        "UPDATE volume_rollups SET day = (day - interval '1 month')::date
          WHERE customer_id = $1::uuid",
        "UPDATE kpi_rollups_by_customer_month SET month = (month - interval '1 month')::date
          WHERE customer_id = $1::uuid",
        "UPDATE volume_rollups_by_customer_month SET month = (month - interval '1 month')::date
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

/// Whether a statement shows `expected` as its month's figures.
pub(crate) fn ready(expected: &Expected) -> impl Fn(&MonthlyStatement) -> bool + '_ {
    move |statement| figures_of(statement, false) == *expected
}

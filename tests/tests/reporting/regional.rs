//! GetRegionalReport over orders from three regions the test makes, its figures checked against
//! what the test did; and the periods it refuses.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use logistics_contracts::orders::{
    ConfirmOrderRequest, RecordDeliveryRequest, RecordTrackingEventsRequest, SchedulePickupRequest,
    TrackingEvent, TrackingEventCode, TrackingEventSource,
};
use logistics_contracts::reporting::get_regional_report_request::Period;
use logistics_contracts::reporting::{
    GetKpisRequest, GetRegionalReportRequest, Kpi, KpiFilter, RegionalFigures, RegionalMonthRange,
    RegionalRatio, RegionalReport, RegionalSeason,
};
use logistics_platform::time::{company_time_zone, from_timestamp, timestamp};
use logistics_tests::orders::{address, place_order, road_order, window_in};
use logistics_tests::reporting::{ReportingClient, company_day, settled};
use logistics_tests::{TestApp, create_customer, enterprise, violated_fields};
use tonic::Code;

const SHENZHEN: &str = "440305";
const SHANGHAI: &str = "310115";
const CHENGDU: &str = "510104";
const BEIJING: &str = "110105";

/// How far the test takes an order.
#[derive(Debug, Clone, Copy, Default)]
struct Fate {
    /// Picked up 200 minutes ago; `late` when its window had ended 60 minutes before.
    picked_up: bool,
    late_pickup: bool,
    /// Delivered 100 minutes ago with these problems (a promise 120 minutes ago makes it late).
    delivered: bool,
    late_delivery: bool,
    damaged_pieces: i32,
    missing_pieces: i32,
    document_errors: bool,
}

/// What the test did, per region: each order's creation month, pieces and grams; pickups
/// (on time); deliveries (on time, documents right, any accident).
#[derive(Debug, Default)]
struct Expected {
    orders: BTreeMap<&'static str, Vec<(String, i64, i64)>>,
    pickups: BTreeMap<&'static str, Vec<bool>>,
    deliveries: BTreeMap<&'static str, Vec<(bool, bool, bool)>>,
}

fn ago(minutes: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(minutes)
}

fn month_of(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&company_time_zone())
        .format("%Y-%m")
        .to_string()
}

/// The month `back` months before `month` ("YYYY-MM").
fn months_before(month: &str, back: i32) -> String {
    let (year, number) = month.split_once('-').unwrap();
    let index = year.parse::<i32>().unwrap() * 12 + number.parse::<i32>().unwrap() - 1 - back;
    format!("{:04}-{:02}", index / 12, index % 12 + 1)
}

/// Places an order of `customer_id` shipped from `region` and takes it as far as `fate` says,
/// through the public RPCs (a late pickup window and a late promise are set in the orders schema:
/// no RPC makes them fall due).
async fn order_from(
    app: &TestApp,
    customer_id: &str,
    region: &'static str,
    fate: Fate,
    expected: &mut Expected,
) {
    let mut orders = app.orders_client().await;
    let mut order = road_order(customer_id);
    order.origin = Some(address("Warehouse", "Somewhere", region));
    let order = place_order(&mut orders, order).await;
    let created = from_timestamp(order.create_time.as_ref().unwrap()).unwrap();
    expected.orders.entry(region).or_default().push((
        month_of(created),
        i64::from(order.total_pieces),
        order.total_weight_grams,
    ));
    if !fate.picked_up {
        return;
    }
    orders
        .confirm_order(ConfirmOrderRequest {
            id: order.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    orders
        .schedule_pickup(SchedulePickupRequest {
            id: order.id.clone(),
            window: Some(window_in(24)),
            etag: String::new(),
        })
        .await
        .unwrap();
    let pool = app.schema_pool("orders").await;
    if fate.late_pickup {
        sqlx::query("UPDATE orders SET pickup_window_end = $2 WHERE id = $1::uuid")
            .bind(&order.id)
            .bind(ago(260))
            .execute(&pool)
            .await
            .unwrap();
    }
    let mut codes = vec![(TrackingEventCode::PickedUp, 200)];
    if fate.delivered {
        codes.extend([
            (TrackingEventCode::ArrivedAtHub, 190),
            (TrackingEventCode::OutForDelivery, 180),
        ]);
    }
    let events = codes
        .into_iter()
        .map(|(code, minutes)| TrackingEvent {
            client_event_id: format!("regional-{}", code.as_str_name()),
            tracking_number: order.tracking_number.clone(),
            code: code.into(),
            occur_time: Some(timestamp(ago(minutes))),
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
    expected
        .pickups
        .entry(region)
        .or_default()
        .push(!fate.late_pickup);
    if !fate.delivered {
        return;
    }
    if fate.late_delivery {
        sqlx::query(
            "UPDATE orders SET promised_delivery_time = $2, estimated_delivery_time = $2
             WHERE id = $1::uuid",
        )
        .bind(&order.id)
        .bind(ago(120))
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    let proof = app
        .tracking_client()
        .await
        .record_delivery(RecordDeliveryRequest {
            tracking_number: order.tracking_number.clone(),
            signed_by: "Li Na".to_owned(),
            delivery_time: Some(timestamp(ago(100))),
            damaged_pieces: fate.damaged_pieces,
            missing_pieces: fate.missing_pieces,
            document_errors: fate.document_errors,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(proof.on_time, !fate.late_delivery, "{proof:?}");
    let accident = fate.damaged_pieces > 0 || fate.missing_pieces > 0;
    expected.deliveries.entry(region).or_default().push((
        proof.on_time,
        !fate.document_errors,
        accident,
    ));
}

async fn report(reporting: &mut ReportingClient, period: Period) -> RegionalReport {
    reporting
        .get_regional_report(GetRegionalReportRequest {
            period: Some(period),
        })
        .await
        .expect("GetRegionalReport")
        .into_inner()
}

fn range(start_month: &str, end_month: &str) -> Period {
    Period::Months(RegionalMonthRange {
        start_month: start_month.to_owned(),
        end_month: end_month.to_owned(),
    })
}

fn pair(ratio: Option<&RegionalRatio>) -> (i64, i64) {
    let ratio = ratio.expect("a ratio");
    (ratio.numerator, ratio.denominator)
}

/// `count` of `items` that hold, over how many there are.
fn rate<T>(items: Option<&Vec<T>>, counted: impl Fn(&T) -> bool) -> (i64, i64) {
    let items = items.map_or(&[][..], Vec::as_slice);
    let yes = items.iter().filter(|item| counted(item)).count();
    (yes as i64, items.len() as i64)
}

#[tokio::test]
async fn a_regional_report_counts_each_regions_shipments_rates_share_trend_and_seasons() {
    let app = TestApp::spawn().await;
    let customer =
        create_customer(&mut app.customers_client().await, enterprise("Delta Tiles")).await;
    let mut expected = Expected::default();
    let delivered = Fate {
        picked_up: true,
        delivered: true,
        ..Fate::default()
    };
    let id = customer.id.as_str();
    // Shenzhen: four orders; one only created, one delivered clean, one damaged and short (one
    // accident, not two), one late with wrong documents.
    order_from(&app, id, SHENZHEN, Fate::default(), &mut expected).await;
    order_from(&app, id, SHENZHEN, delivered, &mut expected).await;
    let damaged_and_short = Fate {
        damaged_pieces: 1,
        missing_pieces: 2,
        ..delivered
    };
    order_from(&app, id, SHENZHEN, damaged_and_short, &mut expected).await;
    let late_with_errors = Fate {
        late_delivery: true,
        document_errors: true,
        ..delivered
    };
    order_from(&app, id, SHENZHEN, late_with_errors, &mut expected).await;
    // Shanghai: one picked up late and lost whole, one picked up on time, not delivered yet.
    let lost = Fate {
        late_pickup: true,
        missing_pieces: 5,
        ..delivered
    };
    order_from(&app, id, SHANGHAI, lost, &mut expected).await;
    let picked = Fate {
        picked_up: true,
        ..Fate::default()
    };
    order_from(&app, id, SHANGHAI, picked, &mut expected).await;
    // Chengdu and Beijing: one created each (a tie, broken by the region code).
    order_from(&app, id, CHENGDU, Fate::default(), &mut expected).await;
    order_from(&app, id, BEIJING, Fate::default(), &mut expected).await;

    let mut reporting = app.reporting_client().await;
    settled(&mut reporting).await;
    let this_month = month_of(Utc::now());
    let first_month = months_before(&this_month, 2);
    let months = [
        first_month.clone(),
        months_before(&this_month, 1),
        this_month.clone(),
    ];
    let answer = report(&mut reporting, range(&first_month, &this_month)).await;
    assert_eq!(
        (answer.start_month.as_str(), answer.end_month.as_str()),
        (first_month.as_str(), this_month.as_str())
    );

    // Company-wide months, and their seasons computed here by the rule of the proto.
    let all: Vec<&(String, i64, i64)> = expected.orders.values().flatten().collect();
    let total = all.len() as i64;
    assert_eq!(answer.shipments, total);
    assert_eq!(answer.pieces, all.iter().map(|order| order.1).sum::<i64>());
    assert_eq!(
        answer.weight_grams,
        all.iter().map(|order| order.2).sum::<i64>()
    );
    let per_month: Vec<i64> = months
        .iter()
        .map(|month| all.iter().filter(|order| &order.0 == month).count() as i64)
        .collect();
    let got: Vec<(String, i64, RegionalSeason)> = answer
        .months
        .iter()
        .map(|month| (month.month.clone(), month.shipments, month.season()))
        .collect();
    let want: Vec<(String, i64, RegionalSeason)> = months
        .iter()
        .zip(&per_month)
        .map(|(month, shipments)| {
            let mean_times_n = 100 * shipments * 3;
            let season = if mean_times_n >= 120 * total {
                RegionalSeason::Peak
            } else if mean_times_n <= 80 * total {
                RegionalSeason::OffPeak
            } else {
                RegionalSeason::Normal
            };
            (month.clone(), *shipments, season)
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        want.last().map(|month| month.2),
        Some(RegionalSeason::Peak),
        "the test's month is the busy one"
    );

    // Regions by shipments, most first.
    let codes: Vec<&str> = answer
        .regions
        .iter()
        .map(|r| r.region_code.as_str())
        .collect();
    assert_eq!(codes, [SHENZHEN, SHANGHAI, BEIJING, CHENGDU]);
    assert_eq!(answer.omitted_regions, 0);
    for region in [SHENZHEN, SHANGHAI, BEIJING, CHENGDU] {
        let figures: &RegionalFigures = answer
            .regions
            .iter()
            .find(|figures| figures.region_code == region)
            .unwrap();
        let orders = &expected.orders[region];
        let series: Vec<i64> = months
            .iter()
            .map(|month| orders.iter().filter(|order| &order.0 == month).count() as i64)
            .collect();
        let got_series: Vec<(String, i64)> = figures
            .months
            .iter()
            .map(|month| (month.month.clone(), month.shipments))
            .collect();
        let want_series: Vec<(String, i64)> = months.iter().cloned().zip(series.clone()).collect();
        assert_eq!(got_series, want_series, "{region}");
        assert_eq!(figures.shipments, orders.len() as i64, "{region}");
        assert_eq!(figures.pieces, orders.iter().map(|o| o.1).sum::<i64>());
        assert_eq!(
            figures.weight_grams,
            orders.iter().map(|o| o.2).sum::<i64>()
        );
        assert_eq!(pair(figures.share.as_ref()), (orders.len() as i64, total));
        assert_eq!(figures.first_to_last_change, series[2] - series[0]);
        // The least-squares slope over i = 0, 1, 2: n·Σiy - Σi·Σy over n·Σi² - (Σi)² = 6.
        let sum_y: i64 = series.iter().sum();
        let sum_iy: i64 = series.iter().enumerate().map(|(i, y)| i as i64 * y).sum();
        let (numerator, denominator) = (3 * sum_iy - 3 * sum_y, 6);
        let slope = pair(figures.trend_slope.as_ref());
        assert_eq!(
            slope.0 * denominator,
            numerator * slope.1,
            "{region}: {slope:?}"
        );
        let pickups = expected.pickups.get(region);
        let deliveries = expected.deliveries.get(region);
        assert_eq!(
            pair(figures.on_time_dispatch.as_ref()),
            rate(pickups, |on_time| *on_time),
            "{region}"
        );
        assert_eq!(
            pair(figures.on_time_arrival.as_ref()),
            rate(deliveries, |d| d.0),
            "{region}"
        );
        assert_eq!(
            pair(figures.document_accuracy.as_ref()),
            rate(deliveries, |d| d.1),
            "{region}"
        );
        assert_eq!(
            pair(figures.accident_rate.as_ref()),
            rate(deliveries, |d| d.2),
            "{region}"
        );
    }
    let shenzhen = &answer.regions[0];
    assert_eq!(pair(shenzhen.accident_rate.as_ref()), (1, 3));
    assert_eq!(
        shenzhen.accident_rate.as_ref().unwrap().value,
        Some(1.0 / 3.0)
    );
    assert_eq!(
        answer.regions[2].accident_rate.as_ref().unwrap().value,
        None
    );

    // GetKpis answers the same accident rate for the region.
    let kpis = reporting
        .get_kpis(GetKpisRequest {
            start_date: company_day(1),
            end_date: company_day(0),
            filter: Some(KpiFilter {
                region_code: SHENZHEN.to_owned(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .kpis;
    let accident = kpis
        .iter()
        .find(|kpi| kpi.kpi() == Kpi::AccidentRate)
        .unwrap();
    assert_eq!((accident.numerator, accident.denominator), (1, 3));

    // The quarter and the year of this month hold the same shipments.
    let now = Utc::now().with_timezone(&company_time_zone());
    let quarter = format!("{}-Q{}", now.year(), (now.month() - 1) / 3 + 1);
    let by_quarter = report(&mut reporting, Period::Quarter(quarter)).await;
    assert_eq!(by_quarter.months.len(), 3);
    assert_eq!(by_quarter.shipments, total);
    let by_year = report(&mut reporting, Period::Year(now.year())).await;
    assert_eq!(by_year.months.len(), 12);
    assert_eq!(by_year.start_month, format!("{}-01", now.year()));
    assert_eq!(by_year.shipments, total);
    assert_eq!(by_year.regions.len(), 4);
    app.stop().await;
}

#[tokio::test]
async fn a_regional_report_of_months_without_shipments_is_all_normal_and_empty() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    let answer = report(&mut reporting, range("2001-01", "2002-12")).await;
    assert_eq!(answer.months.len(), 24, "24 months is the longest period");
    assert!(
        answer
            .months
            .iter()
            .all(|month| month.shipments == 0 && month.season() == RegionalSeason::Normal)
    );
    assert!(answer.regions.is_empty());
    assert_eq!(answer.shipments, 0);
    let one = report(&mut reporting, Period::Quarter("9999-Q4".to_owned())).await;
    assert_eq!(
        (one.start_month.as_str(), one.end_month.as_str()),
        ("9999-10", "9999-12")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_regional_report_refuses_periods_it_cannot_read_naming_the_field() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    let long = "2".repeat(100_000);
    let cases: Vec<(Option<Period>, Vec<&str>)> = vec![
        (None, vec!["period"]),
        (Some(Period::Quarter(String::new())), vec!["quarter"]),
        (Some(Period::Quarter("2026-Q5".to_owned())), vec!["quarter"]),
        (Some(Period::Quarter("2026-Q0".to_owned())), vec!["quarter"]),
        (Some(Period::Quarter("1999-Q4".to_owned())), vec!["quarter"]),
        (
            Some(Period::Quarter("2026-Q1\u{0}".to_owned())),
            vec!["quarter"],
        ),
        (
            Some(Period::Quarter("2026\n-Q1".to_owned())),
            vec!["quarter"],
        ),
        (Some(Period::Quarter(long.clone())), vec!["quarter"]),
        (Some(Period::Year(0)), vec!["year"]),
        (Some(Period::Year(1999)), vec!["year"]),
        (Some(Period::Year(10_000)), vec!["year"]),
        (Some(Period::Year(i32::MAX)), vec!["year"]),
        (Some(Period::Year(i32::MIN)), vec!["year"]),
        (
            Some(range("", "")),
            vec!["months.start_month", "months.end_month"],
        ),
        (
            Some(range("2026-13", "2026-\u{7}1")),
            vec!["months.start_month", "months.end_month"],
        ),
        (Some(range(&long, "2026-01")), vec!["months.start_month"]),
        (Some(range("2026-02", "2026-01")), vec!["months.end_month"]),
        // 25 months.
        (Some(range("2025-01", "2027-01")), vec!["months.end_month"]),
        (Some(range("2000-01", "9999-12")), vec!["months.end_month"]),
    ];
    for (period, fields) in cases {
        let status = reporting
            .get_regional_report(GetRegionalReportRequest {
                period: period.clone(),
            })
            .await
            .expect_err("refused");
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{period:?}: {status:?}"
        );
        assert_eq!(violated_fields(&status), fields, "{period:?}");
    }
    app.stop().await;
}

//! The plan's rules, checked without a suite.

use std::collections::{BTreeMap, HashSet};

use chrono::TimeZone as _;

use super::*;

fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap()
}

#[test]
fn the_same_seed_plans_the_same_data_and_another_seed_other_data() {
    let plan = |seed| {
        let customers = customers(seed, 30);
        let orders = orders(seed, &customers, 10, anchor());
        let complaints = complaints(seed, &customers, &orders);
        (customers, orders, complaints)
    };
    assert_eq!(plan(7), plan(7));
    assert_ne!(plan(7).1, plan(8).1);
    assert_eq!(request_id(7, "order", 3), request_id(7, "order", 3));
    let ids: HashSet<_> = (0..1000)
        .flat_map(|n| [request_id(7, "order", n), request_id(7, "customer", n)])
        .collect();
    assert_eq!(ids.len(), 2000, "request ids never collide");
}

#[test]
fn any_eight_customers_cover_every_kind_and_grade() {
    let planned = customers(1, 8);
    let profiles: HashSet<_> = planned.iter().map(|c| c.profile).collect();
    assert_eq!(profiles.len(), 8);
    let kinds: HashSet<_> = planned.iter().map(|c| c.profile.kind()).collect();
    assert_eq!(kinds.len(), 3);
}

#[test]
fn orders_span_a_year_with_a_november_peak_and_a_summer_dip() {
    let customers = customers(3, 200);
    let orders = orders(3, &customers, 20, anchor());
    let mut by_month: BTreeMap<u32, usize> = BTreeMap::new();
    for order in &orders {
        assert!((0..HISTORY_DAYS * 1440).contains(&order.minutes_ago));
        *by_month
            .entry(month_of(anchor(), order.minutes_ago))
            .or_default() += 1;
    }
    assert_eq!(by_month.len(), 12, "{by_month:?}");
    // December is partial (anchor on the 5th); compare whole months.
    assert!(by_month[&11] > by_month[&7] * 3 / 2, "{by_month:?}");
    assert!(by_month[&1] > by_month[&2], "{by_month:?}");
    assert!(by_month[&8] < by_month[&10], "{by_month:?}");
}

#[test]
fn only_settled_orders_are_delivered_or_returned_and_some_deliveries_go_wrong() {
    let customers = customers(5, 100);
    let orders = orders(5, &customers, 12, anchor());
    let delivered: Vec<Delivery> = orders
        .iter()
        .filter_map(|order| match order.outcome {
            Outcome::Delivered(delivery) => {
                assert!(order.minutes_ago >= SETTLED_AFTER_DAYS * 1440);
                Some(delivery)
            }
            Outcome::Returned => {
                assert!(order.minutes_ago >= SETTLED_AFTER_DAYS * 1440);
                None
            }
            _ => None,
        })
        .collect();
    assert!(delivered.iter().any(|d| d.late));
    assert!(delivered.iter().any(|d| d.damaged > 0));
    assert!(delivered.iter().any(|d| d.missing > 0));
    assert!(delivered.iter().any(|d| d.document_errors));
    assert!(delivered.iter().any(|d| d.route_changed));
    assert!(orders.iter().any(|o| o.outcome == Outcome::Returned));
    assert!(
        orders
            .iter()
            .any(|o| matches!(o.outcome, Outcome::OnTheWay(_)))
    );
    for order in &orders {
        assert!(
            order.origin != order.destination || order.origin == customers[order.customer].region
        );
    }
}

#[test]
fn complaints_are_about_recent_deliveries_and_reach_every_stage() {
    let customers = customers(9, 120);
    let orders = orders(9, &customers, 12, anchor());
    let complaints = complaints(9, &customers, &orders);
    assert_eq!(complaints.len(), 60);
    for complaint in &complaints {
        if let Some(order) = complaint.order {
            assert_eq!(orders[order].customer, complaint.customer);
            assert!(orders[order].minutes_ago < COMPLAINT_WINDOW_DAYS * 1440);
        }
    }
    let stages: HashSet<_> = complaints.iter().map(|c| c.stage).collect();
    assert_eq!(stages.len(), 6, "{stages:?}");
    let reviews = follow_ups(9, &customers);
    assert!(!reviews.is_empty());
}

#[test]
fn absurd_sizes_are_refused() {
    let sizes = |customers, orders_per_customer| Sizes {
        customers,
        orders_per_customer,
    };
    assert!(sizes(0, 10).check().is_err());
    assert!(sizes(MAX_CUSTOMERS + 1, 1).check().is_err());
    assert!(sizes(10, 0).check().is_err());
    assert!(sizes(5_000, 200).check().is_err());
    assert!(sizes(50, 12).check().is_ok());
}

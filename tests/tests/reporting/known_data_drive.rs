//! Drives the known data set of `known_data_set.rs` through the services' public RPCs and
//! records the times each step took, from which `known_data_plan.rs` computes the figures.
//!
//! Three things no RPC can do are done with SQL, as the other tests do: a pickup window that has
//! already ended (a window must end in the future and last 30 minutes), a promise already broken
//! (the kit's `set_promised_delivery_time`), and business time passing for an SLA breach
//! (backdating a filing, as `complaints/sla.rs` does).
use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use logistics_contracts::complaints::{
    AcknowledgeComplaintRequest, BusinessCalendar, Claim, ComplaintKind, Investigation,
    RateResolutionRequest, Rating, RecordInvestigationRequest, ReopenComplaintRequest,
    ResolveComplaintRequest, ResponsibleParty, UpdateBusinessCalendarRequest, Weekday, WorkingDay,
    WorkingWindow,
};
use logistics_contracts::customers::{
    CancelFollowUpRequest, CompleteFollowUpRequest, Customer, CustomerKind, CustomerStatus,
    FollowUp, FollowUpReason, GetCustomerRequest, GovernmentLevel, RecordActivityRequest,
    RunFollowUpSweepRequest, RunLifecycleSweepRequest, ScheduleFollowUpRequest,
    SetGovernmentLevelRequest,
};
use logistics_contracts::orders::{
    ConfirmOrderRequest, RecordDeliveryRequest, RecordTrackingEventsRequest, SchedulePickupRequest,
    TrackingEvent, TrackingEventCode, TrackingEventSource,
};
use logistics_platform::time::{from_timestamp, timestamp};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::{cny, place_order, road_order, window_in};
use logistics_tests::{TestApp, create_customer, enterprise, individual, request_id};

use crate::known_data_plan::{
    Callback, Case, ComplaintPlan, End, OrderPlan, Pickup, Record, Shipment, Sla, Visit, Who, plan,
};

fn at(stamp: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    from_timestamp(stamp.expect("a time")).expect("a valid time")
}

/// The four customers of the data set.
async fn customers(app: &TestApp) -> BTreeMap<Who, Customer> {
    let mut client = app.customers_client().await;
    let bureau = Customer {
        kind: CustomerKind::Government.into(),
        region_code: "CN-BJ".to_owned(),
        industry: "public administration".to_owned(),
        ..individual("Chaoyang Bureau of Commerce")
    };
    let mut made = BTreeMap::new();
    made.insert(
        Who::Acme,
        create_customer(&mut client, enterprise("Acme")).await,
    );
    made.insert(
        Who::Wang,
        create_customer(&mut client, individual("Wang Fang")).await,
    );
    made.insert(Who::Bureau, create_customer(&mut client, bureau).await);
    made.insert(
        Who::Gone,
        create_customer(&mut client, individual("Gone Li")).await,
    );
    client
        .set_government_level(SetGovernmentLevelRequest {
            id: made[&Who::Bureau].id.clone(),
            level: GovernmentLevel::C.into(),
            reason: "municipal body".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    made
}

/// Places, moves and delivers (or returns) one order as planned.
async fn drive_order(app: &TestApp, index: usize, plan: OrderPlan, customer_id: &str) -> Shipment {
    let mut orders = app.orders_client().await;
    let order = place_order(&mut orders, road_order(customer_id)).await;
    let now = Utc::now().trunc_subsecs(0);
    let mut shipment = Shipment {
        plan,
        order_id: order.id.clone(),
        created: at(order.create_time.as_ref()),
        pieces: order.cargo.iter().map(|line| i64::from(line.pieces)).sum(),
        grams: order.cargo.iter().map(|line| line.weight_grams).sum(),
        picked_up: None,
        scans: Vec::new(),
        scans_recorded: now,
        delivered: None,
        delivery_recorded: None,
    };
    if plan.pickup == Pickup::NotYet {
        return shipment;
    }
    let id = order.id.clone();
    orders
        .confirm_order(ConfirmOrderRequest {
            id: id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    // The window opens tomorrow: a pickup now is within it, unless it is made to end before.
    orders
        .schedule_pickup(SchedulePickupRequest {
            id: id.clone(),
            window: Some(window_in(24)),
            etag: String::new(),
        })
        .await
        .unwrap();
    let step = |late: i64, timely: i64| {
        now - Duration::minutes(if plan.scans_late { late } else { timely })
    };
    let picked_up = step(200, 5);
    if plan.pickup == Pickup::AfterWindow {
        // SQL: no RPC makes a window that has already ended (see the module's comment).
        let pool = app.schema_pool("orders").await;
        sqlx::query("UPDATE orders SET pickup_window_end = $2 WHERE id = $1::uuid")
            .bind(&id)
            .bind(picked_up - Duration::minutes(10))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    use TrackingEventCode as Code;
    let mut scans = vec![
        (Code::PickedUp, picked_up),
        (Code::ArrivedAtHub, step(190, 4)),
    ];
    if plan.route_scan {
        scans.push((Code::RouteChanged, step(185, 3)));
    }
    match plan.end {
        End::Delivered { .. } => scans.push((Code::OutForDelivery, step(180, 2))),
        End::Returned => scans.push((Code::ReturnedToSender, step(170, 1))),
        End::Open => {}
    }
    let events = scans
        .iter()
        .map(|(code, occurred)| TrackingEvent {
            client_event_id: format!("e2e-{index}-{}", code.as_str_name()),
            tracking_number: order.tracking_number.clone(),
            code: (*code).into(),
            occur_time: Some(timestamp(*occurred)),
            source: TrackingEventSource::Scanner.into(),
            source_name: "known-data-set".to_owned(),
            ..Default::default()
        })
        .collect();
    let mut tracking = app.tracking_client().await;
    let recorded = tracking
        .record_tracking_events(RecordTrackingEventsRequest { events })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        recorded.accepted_count as usize,
        scans.len(),
        "{recorded:?}"
    );
    shipment.scans_recorded = Utc::now();
    shipment.scans = scans.iter().map(|(_, occurred)| *occurred).collect();
    shipment.picked_up = Some(picked_up);
    if let End::Delivered {
        on_time,
        damaged,
        missing,
        document_errors,
        minutes,
    } = plan.end
    {
        let delivered = now + Duration::minutes(minutes);
        if !on_time {
            logistics_tests::set_promised_delivery_time(
                app,
                &id,
                delivered - Duration::minutes(10),
            )
            .await;
        }
        tracking
            .record_delivery(RecordDeliveryRequest {
                tracking_number: order.tracking_number.clone(),
                signed_by: "Zhao Lei".to_owned(),
                delivery_time: Some(timestamp(delivered)),
                damaged_pieces: damaged,
                missing_pieces: missing,
                document_errors,
                route_changed: plan.route_at_delivery,
                ..Default::default()
            })
            .await
            .unwrap();
        shipment.delivered = Some(delivered);
        shipment.delivery_recorded = Some(Utc::now());
    }
    shipment
}

/// Every hour of every day is business time: SLA clocks run on wall time, which the test can
/// reason about.
fn around_the_clock() -> BusinessCalendar {
    use Weekday::{Friday, Monday, Saturday, Sunday, Thursday, Tuesday, Wednesday};
    BusinessCalendar {
        time_zone: "UTC".to_owned(),
        week: [
            Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
        ]
        .into_iter()
        .map(|weekday| WorkingDay {
            weekday: weekday.into(),
            windows: vec![WorkingWindow {
                start_time: "00:00".to_owned(),
                end_time: "24:00".to_owned(),
            }],
        })
        .collect(),
        ..Default::default()
    }
}

/// Moves a complaint's filing `minutes` into the past (SQL, as `complaints/sla.rs` does: no RPC
/// makes business time pass). Reporting keeps the filing it was told of.
async fn file_minutes_ago(app: &TestApp, id: &str, minutes: i64) {
    let pool = app.schema_pool("complaints").await;
    sqlx::query(
        "UPDATE complaints
            SET file_time = now() - make_interval(mins => $2),
                first_response_warn_at = now() - interval '1 minute',
                resolution_warn_at = now() - interval '1 minute'
          WHERE id = $1::uuid",
    )
    .bind(id)
    .bind(i32::try_from(minutes).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// Files, answers, resolves and rates one complaint as planned.
async fn drive_complaint(
    app: &TestApp,
    plan: &ComplaintPlan,
    customer_id: &str,
    about_order: Option<&str>,
) -> Case {
    let mut complaints = app.complaints_client().await;
    let mut filing = complaint(customer_id, plan.kind, plan.category);
    if let Some(order_id) = about_order {
        filing.order_id = order_id.to_owned();
    }
    if plan.kind == ComplaintKind::Claim {
        filing.claim = Some(Claim {
            claimed_amount: Some(cny(50_000)),
            evidence: vec!["photo: crushed carton".to_owned()],
            ..Default::default()
        });
    }
    let filed = file(&mut complaints, filing).await;
    let sla = filed.sla.unwrap();
    let first_target = sla.first_response.unwrap().target_minutes;
    let resolution_target = sla.resolution.unwrap().target_minutes;
    let mut case = Case {
        who: plan.who,
        filed: at(filed.file_time.as_ref()),
        first_answer_within: None,
        resolutions: Vec::new(),
        latest_rating: None,
    };
    if let Some(answer) = plan.answer {
        if answer == Sla::Breached {
            file_minutes_ago(app, &filed.id, first_target + 30).await;
        }
        complaints
            .acknowledge_complaint(AcknowledgeComplaintRequest {
                id: filed.id.clone(),
                message: "We are looking into it.".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap();
        case.first_answer_within = Some(answer == Sla::Within);
    }
    for (index, (sla, rating)) in plan.resolutions.iter().enumerate() {
        if index > 0 {
            complaints
                .reopen_complaint(ReopenComplaintRequest {
                    id: filed.id.clone(),
                    reason: "the customer is not satisfied".to_owned(),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        // A complaint (not an inquiry or a suggestion) is investigated before it is resolved;
        // an investigation is no answer to the customer.
        if plan.kind == ComplaintKind::Complaint {
            complaints
                .record_investigation(RecordInvestigationRequest {
                    id: filed.id.clone(),
                    investigation: Some(Investigation {
                        findings: "Checked the line-haul records.".to_owned(),
                        responsible_party: ResponsibleParty::Carrier.into(),
                        root_cause: "loose strapping".to_owned(),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        if *sla == Sla::Breached {
            let minutes = first_target.max(resolution_target) + 30;
            file_minutes_ago(app, &filed.id, minutes).await;
        }
        complaints
            .resolve_complaint(ResolveComplaintRequest {
                id: filed.id.clone(),
                feedback: "Settled with the customer.".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap();
        case.resolutions.push((Utc::now(), *sla == Sla::Within));
        // Unanswered until now: the resolution is the first answer.
        case.first_answer_within.get_or_insert(*sla == Sla::Within);
        if let Some(score) = rating {
            complaints
                .rate_resolution(RateResolutionRequest {
                    id: filed.id.clone(),
                    rating: Some(Rating {
                        score: *score,
                        ..Default::default()
                    }),
                })
                .await
                .unwrap();
            case.latest_rating = Some((Utc::now(), *score));
        }
    }
    case
}

/// Schedules one follow-up and does it (or not) as planned; the missed ones are marked by the
/// sweep the test runs afterwards.
async fn drive_follow_up(app: &TestApp, visit: Visit, who: Who, customer_id: &str) -> Callback {
    let mut engagement = app.engagement_client().await;
    // Due in the past by less than the 5 minutes of clock skew the service tolerates.
    let due_in = match visit {
        Visit::InTime => 10,
        Visit::Late | Visit::Missed => -4,
        Visit::Cancelled => 30,
    };
    let scheduled = engagement
        .schedule_follow_up(ScheduleFollowUpRequest {
            follow_up: Some(FollowUp {
                customer_id: customer_id.to_owned(),
                reason: FollowUpReason::Other.into(),
                due_time: Some(timestamp(Utc::now() + Duration::minutes(due_in))),
                notes: "ask how the season went".to_owned(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut callback = Callback {
        who,
        due: at(scheduled.due_time.as_ref()),
        done: None,
        cancelled: false,
    };
    match visit {
        Visit::InTime | Visit::Late => {
            let done = engagement
                .complete_follow_up(CompleteFollowUpRequest {
                    id: scheduled.id,
                    outcome: "called back".to_owned(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            callback.done = Some(at(done.complete_time.as_ref()));
        }
        Visit::Cancelled => {
            engagement
                .cancel_follow_up(CancelFollowUpRequest {
                    id: scheduled.id,
                    etag: String::new(),
                })
                .await
                .unwrap();
            callback.cancelled = true;
        }
        Visit::Missed => {}
    }
    callback
}

/// Waits until `customer` has `status` (customers activates a customer on its first order from
/// its own feed follower).
async fn wait_for_status(app: &TestApp, customer: &Customer, status: CustomerStatus) {
    let mut client = app.customers_client().await;
    for _ in 0..200 {
        let now = client
            .get_customer(GetCustomerRequest {
                id: customer.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if now.status() == status {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("{} never became {status:?}", customer.display_name);
}

/// Drives the whole data set; returns the customers and what was done.
pub(crate) async fn drive(app: &TestApp) -> (BTreeMap<Who, Customer>, Record) {
    app.sla_client()
        .await
        .update_business_calendar(UpdateBusinessCalendarRequest {
            calendar: Some(around_the_clock()),
        })
        .await
        .unwrap();
    let customers = customers(app).await;
    let plan = plan();
    let mut record = Record::default();
    for (index, order) in plan.orders.iter().enumerate() {
        let customer_id = &customers[&order.who].id;
        record
            .shipments
            .push(drive_order(app, index, *order, customer_id).await);
    }
    for complaint in &plan.complaints {
        let customer_id = &customers[&complaint.who].id;
        let about_order = complaint
            .about_order
            .map(|index| record.shipments[index].order_id.clone());
        let about_order = about_order.as_deref();
        record
            .cases
            .push(drive_complaint(app, complaint, customer_id, about_order).await);
    }
    for (who, visit) in &plan.follow_ups {
        let customer_id = &customers[who].id;
        record
            .callbacks
            .push(drive_follow_up(app, *visit, *who, customer_id).await);
    }
    app.engagement_client()
        .await
        .run_follow_up_sweep(RunFollowUpSweepRequest {})
        .await
        .unwrap();

    // Churn: Gone last shipped 200 days ago, once every other customer is ACTIVE from its
    // orders; the lifecycle sweep churns Gone alone.
    for who in [Who::Acme, Who::Wang, Who::Bureau] {
        wait_for_status(app, &customers[&who], CustomerStatus::Active).await;
    }
    let mut client = app.customers_client().await;
    client
        .record_activity(RecordActivityRequest {
            customer_id: customers[&Who::Gone].id.clone(),
            activity_id: "shipment-of-last-spring".to_owned(),
            occur_time: Some(timestamp(Utc::now() - Duration::days(200))),
            spend: Some(cny(10_000)),
        })
        .await
        .unwrap();
    client
        .run_lifecycle_sweep(RunLifecycleSweepRequest {})
        .await
        .unwrap();
    wait_for_status(app, &customers[&Who::Gone], CustomerStatus::Churned).await;
    record.churned = Some((Who::Gone, Utc::now()));
    (customers, record)
}

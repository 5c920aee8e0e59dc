//! Lifecycle, grading, service levels and value scores of CustomerService, end to end.

use chrono::{Duration, Utc};
use logistics_contracts::common::{Money, Priority};
use logistics_contracts::customers::{
    BlockCustomerRequest, Customer, CustomerKind, CustomerStatus, CustomerTier,
    GetCustomerValueRequest, GetGradingPolicyRequest, GetServiceLevelRequest, GovernmentLevel,
    GradingPolicy, ListStatusHistoryRequest, ListTierHistoryRequest, RecordActivityRequest,
    RecordActivityResponse, RunLifecycleSweepRequest, SetGovernmentLevelRequest,
    UnblockCustomerRequest, UpdateGradingPolicyRequest, ValueClass,
};
use logistics_tests::{
    CustomersClient, TestApp, create_customer, enterprise, individual, reason, violated_fields,
};
use prost_types::{FieldMask, Timestamp};
use tonic::Code;

fn days_ago(days: i64) -> Timestamp {
    let time = Utc::now() - Duration::days(days);
    Timestamp {
        seconds: time.timestamp(),
        nanos: 0,
    }
}

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        currency_code: "CNY".to_owned(),
        amount_minor: fen,
    })
}

async fn ship(
    client: &mut CustomersClient,
    customer: &Customer,
    activity_id: &str,
    days: i64,
    fen: i64,
) -> RecordActivityResponse {
    client
        .record_activity(RecordActivityRequest {
            customer_id: customer.id.clone(),
            activity_id: activity_id.to_owned(),
            occur_time: Some(days_ago(days)),
            spend: cny(fen),
        })
        .await
        .expect("recording a shipment")
        .into_inner()
}

fn government(name: &str) -> Customer {
    Customer {
        kind: CustomerKind::Government.into(),
        ..individual(name)
    }
}

#[tokio::test]
async fn an_individual_becomes_active_on_its_first_shipment_and_frequent_on_its_third() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let customer = create_customer(&mut client, individual("Li Na")).await;
    assert_eq!(
        customer.tier(),
        CustomerTier::Occasional,
        "graded from creation"
    );
    assert_eq!(customer.value_class(), ValueClass::Potential);

    let first = ship(&mut client, &customer, "SO-1", 1, 5_000).await;
    let after_first = first.customer.unwrap();
    assert_eq!(after_first.status(), CustomerStatus::Active);
    assert_eq!(after_first.tier(), CustomerTier::Occasional);
    ship(&mut client, &customer, "SO-2", 1, 5_000).await;
    let third = ship(&mut client, &customer, "SO-3", 1, 5_000).await;
    let graded = third.customer.unwrap();
    assert_eq!(graded.tier(), CustomerTier::Frequent);
    assert_eq!(graded.value_class(), ValueClass::Key);
    assert!(graded.last_shipment_time.is_some());

    let tiers = client
        .list_tier_history(ListTierHistoryRequest {
            customer_id: customer.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .changes;
    let to: Vec<_> = tiers.iter().map(|change| change.to_tier()).collect();
    assert_eq!(
        to,
        [CustomerTier::Frequent, CustomerTier::Occasional],
        "newest first"
    );
    assert!(
        tiers[0].reason.contains("3 shipments in 30 days"),
        "{}",
        tiers[0].reason
    );
    let statuses = client
        .list_status_history(ListStatusHistoryRequest {
            customer_id: customer.customer_code.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .changes;
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].from_status(), CustomerStatus::Prospect);
    assert_eq!(statuses[0].to_status(), CustomerStatus::Active);
    assert_eq!(statuses[0].changed_by, "activity");
}

#[tokio::test]
async fn shipments_older_than_the_window_do_not_count_toward_frequent() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let customer = create_customer(&mut client, individual("Zhou Jie")).await;
    ship(&mut client, &customer, "old-1", 40, 100).await;
    ship(&mut client, &customer, "old-2", 31, 100).await;
    let graded = ship(&mut client, &customer, "new-1", 2, 100)
        .await
        .customer
        .unwrap();
    assert_eq!(graded.tier(), CustomerTier::Occasional);
}

#[tokio::test]
async fn recording_the_same_activity_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let customer = create_customer(&mut client, individual("Wang Wu")).await;
    let first = ship(&mut client, &customer, "SO-9", 1, 1_000).await;
    let again = ship(&mut client, &customer, "SO-9", 1, 1_000).await;
    assert!(!first.duplicate);
    assert!(again.duplicate);
    assert_eq!(again.customer.unwrap().etag, first.customer.unwrap().etag);
}

#[tokio::test]
async fn an_enterprise_is_medium_from_exactly_100000_yuan_of_spend() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let customer = create_customer(&mut client, enterprise("Acme")).await;
    let below = ship(&mut client, &customer, "A-1", 10, 9_999_999)
        .await
        .customer
        .unwrap();
    assert_eq!(below.tier(), CustomerTier::Small);
    assert_eq!(below.value_class(), ValueClass::Potential);
    let at = ship(&mut client, &customer, "A-2", 5, 1)
        .await
        .customer
        .unwrap();
    assert_eq!(at.tier(), CustomerTier::Medium);
    assert_eq!(at.value_class(), ValueClass::General);
    let large = ship(&mut client, &customer, "A-3", 1, 40_000_000)
        .await
        .customer
        .unwrap();
    assert_eq!(large.tier(), CustomerTier::Large);
    assert_eq!(large.value_class(), ValueClass::Key);
}

#[tokio::test]
async fn a_bad_activity_names_every_bad_field() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let status = client
        .record_activity(RecordActivityRequest {
            customer_id: "nope".to_owned(),
            activity_id: String::new(),
            occur_time: Some(days_ago(-1)),
            spend: Some(Money {
                currency_code: "USD".to_owned(),
                amount_minor: -5,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "customer_id",
            "activity_id",
            "occur_time",
            "spend.currency_code",
            "spend.amount_minor"
        ]
    );
}

#[tokio::test]
async fn activity_of_an_unknown_customer_is_not_found() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let status = client
        .record_activity(RecordActivityRequest {
            customer_id: uuid::Uuid::new_v4().to_string(),
            activity_id: "SO-1".to_owned(),
            occur_time: Some(days_ago(0)),
            spend: cny(1),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn a_blocked_customer_stays_blocked_until_unblocked_then_follows_its_shipments() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let customer = create_customer(&mut client, enterprise("Shady Ltd")).await;
    ship(&mut client, &customer, "S-1", 3, 100).await;
    let block = || BlockCustomerRequest {
        id: customer.customer_code.clone(),
        reason: "unpaid invoices".to_owned(),
        etag: String::new(),
    };

    let blocked = client.block_customer(block()).await.unwrap().into_inner();
    assert_eq!(blocked.status(), CustomerStatus::Blocked);
    let again = client.block_customer(block()).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(reason(&again), "ALREADY_BLOCKED");
    let shipped = ship(&mut client, &customer, "S-2", 0, 100)
        .await
        .customer
        .unwrap();
    assert_eq!(
        shipped.status(),
        CustomerStatus::Blocked,
        "shipping does not unblock"
    );

    let unblock = || UnblockCustomerRequest {
        id: customer.id.clone(),
        reason: "paid".to_owned(),
        etag: String::new(),
    };
    let unblocked = client
        .unblock_customer(unblock())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unblocked.status(), CustomerStatus::Active);
    let not_blocked = client.unblock_customer(unblock()).await.unwrap_err();
    assert_eq!(reason(&not_blocked), "NOT_BLOCKED");

    let no_reason = client
        .block_customer(BlockCustomerRequest {
            reason: " ".to_owned(),
            ..block()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&no_reason), ["reason"]);
}

#[tokio::test]
async fn government_customers_are_graded_by_the_level_staff_set() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let ministry = create_customer(&mut client, government("Ministry of Transport")).await;
    let company = create_customer(&mut client, enterprise("Not Government")).await;
    let set = |id: &str, level: GovernmentLevel| SetGovernmentLevelRequest {
        id: id.to_owned(),
        level: level.into(),
        reason: "national ministry".to_owned(),
        etag: String::new(),
    };

    let graded = client
        .set_government_level(set(&ministry.id, GovernmentLevel::A))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(graded.tier(), CustomerTier::GovernmentA);
    assert_eq!(
        graded.value_class(),
        ValueClass::Potential,
        "still a prospect"
    );
    let active = ship(&mut client, &ministry, "G-1", 1, 100)
        .await
        .customer
        .unwrap();
    assert_eq!(active.value_class(), ValueClass::Key);

    let refused = client
        .set_government_level(set(&company.id, GovernmentLevel::B))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "NOT_A_GOVERNMENT_CUSTOMER");
    let unset = client
        .set_government_level(set(&ministry.id, GovernmentLevel::Unspecified))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&unset), ["level"]);
}

#[tokio::test]
async fn the_sweep_turns_idle_customers_dormant_at_90_days_and_churned_at_180() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let recent = create_customer(&mut client, individual("Recent")).await;
    let idle = create_customer(&mut client, individual("Idle")).await;
    let gone = create_customer(&mut client, individual("Gone")).await;
    ship(&mut client, &recent, "R", 89, 100).await;
    ship(&mut client, &idle, "I", 95, 100).await;
    ship(&mut client, &gone, "G", 200, 100).await;

    let swept = client
        .run_lifecycle_sweep(RunLifecycleSweepRequest {})
        .await
        .unwrap()
        .into_inner();

    assert_eq!((swept.became_dormant, swept.became_churned), (1, 1));
    let status = |customer: &Customer| {
        let mut client = client.clone();
        let id = customer.id.clone();
        async move {
            client
                .get_customer(logistics_contracts::customers::GetCustomerRequest { id })
                .await
                .unwrap()
                .into_inner()
                .status()
        }
    };
    assert_eq!(status(&recent).await, CustomerStatus::Active);
    assert_eq!(status(&idle).await, CustomerStatus::Dormant);
    assert_eq!(status(&gone).await, CustomerStatus::Churned);
    let again = client
        .run_lifecycle_sweep(RunLifecycleSweepRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.became_dormant, again.became_churned), (0, 0));

    let back = ship(&mut client, &gone, "G2", 0, 100)
        .await
        .customer
        .unwrap();
    assert_eq!(
        back.status(),
        CustomerStatus::Active,
        "a churned customer shipping again"
    );
}

#[tokio::test]
async fn a_new_policy_version_changes_grades_and_old_versions_stay_readable() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let v1 = client
        .get_grading_policy(GetGradingPolicyRequest { version: 0 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.frequent_min_shipments, 3);
    assert_eq!(
        v1.large_min_spend.as_ref().unwrap().amount_minor,
        50_000_000
    );
    let customer = create_customer(&mut client, individual("Two Shipments")).await;
    ship(&mut client, &customer, "1", 1, 1).await;
    ship(&mut client, &customer, "2", 1, 1).await;

    let update = |policy: GradingPolicy, paths: &[&str]| UpdateGradingPolicyRequest {
        policy: Some(policy),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    };
    let v2 = client
        .update_grading_policy(update(
            GradingPolicy {
                frequent_min_shipments: 2,
                etag: v1.etag.clone(),
                ..Default::default()
            },
            &["frequent_min_shipments"],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((v2.version, v2.frequent_min_shipments), (2, 2));
    assert_eq!(
        v2.dormant_after_days, 90,
        "fields outside the mask are kept"
    );

    let stale = client
        .update_grading_policy(update(
            GradingPolicy {
                frequent_min_shipments: 4,
                etag: v1.etag.clone(),
                ..Default::default()
            },
            &["frequent_min_shipments"],
        ))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let unsound = client
        .update_grading_policy(update(
            GradingPolicy {
                churned_after_days: 30,
                ..Default::default()
            },
            &["churned_after_days", "colour"],
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&unsound), ["update_mask.paths[1]"]);
    let unsound = client
        .update_grading_policy(update(
            GradingPolicy {
                churned_after_days: 30,
                ..Default::default()
            },
            &["churned_after_days"],
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&unsound), ["policy.churned_after_days"]);

    let regraded = client
        .regrade_customer(logistics_contracts::customers::RegradeCustomerRequest {
            id: customer.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(regraded.tier(), CustomerTier::Frequent);
    let old = client
        .get_grading_policy(GetGradingPolicyRequest { version: 1 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(old.frequent_min_shipments, 3);
    let missing = client
        .get_grading_policy(GetGradingPolicyRequest { version: 99 })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test]
async fn the_service_level_follows_the_value_class() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let key = create_customer(&mut client, enterprise("Big Co")).await;
    ship(&mut client, &key, "B-1", 1, 60_000_000).await;
    let prospect = create_customer(&mut client, enterprise("New Co")).await;

    let level = |id: &str| {
        let mut client = client.clone();
        let customer_id = id.to_owned();
        async move {
            client
                .get_service_level(GetServiceLevelRequest { customer_id })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let key_level = level(&key.id).await;
    let terms = key_level.service_level.unwrap();
    assert_eq!(terms.value_class(), ValueClass::Key);
    assert_eq!(terms.complaint_priority_floor(), Priority::High);
    assert_eq!(terms.first_response_target.unwrap().seconds, 2 * 3600);
    assert!(terms.priority_transport && terms.dedicated_account_manager);
    assert_eq!(key_level.status(), CustomerStatus::Active);
    let prospect_terms = level(&prospect.customer_code).await.service_level.unwrap();
    assert_eq!(prospect_terms.complaint_priority_floor(), Priority::Low);
}

#[tokio::test]
async fn value_scores_rank_customers_by_quintile_and_give_idle_ones_the_lowest() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let mut customers = Vec::new();
    for n in 0..5_i64 {
        let customer = create_customer(&mut client, enterprise(&format!("Shipper {n}"))).await;
        for shipment in 0..=n {
            ship(
                &mut client,
                &customer,
                &format!("{n}-{shipment}"),
                50 - 10 * n,
                1000 * (n + 1),
            )
            .await;
        }
        customers.push(customer);
    }
    let idle = create_customer(&mut client, enterprise("Idle Co")).await;

    let value = |id: &str| {
        let mut client = client.clone();
        let id = id.to_owned();
        async move {
            client
                .get_customer_value(GetCustomerValueRequest { id })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let best = value(&customers[4].id).await;
    assert_eq!(
        (
            best.recency_score,
            best.frequency_score,
            best.monetary_score
        ),
        (5, 5, 5)
    );
    assert_eq!(best.shipments_last_year, 5);
    let worst = value(&customers[0].id).await;
    assert_eq!(
        (
            worst.recency_score,
            worst.frequency_score,
            worst.monetary_score
        ),
        (1, 1, 1)
    );
    let never = value(&idle.id).await;
    assert!(!never.has_shipped);
    assert_eq!(
        (
            never.recency_score,
            never.frequency_score,
            never.monetary_score
        ),
        (1, 1, 1)
    );
}

//! The customers phase: each planned customer created (idempotently by its seeded request id),
//! government customers given their level, and the periodic reviews of KEY customers scheduled.

use std::collections::HashSet;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use logistics_contracts::common::{Address, TransportMode};
use logistics_contracts::customers::engagement_service_client::EngagementServiceClient;
use logistics_contracts::customers::{
    CompleteFollowUpRequest, CreateCustomerRequest, Customer, CustomerKind, CustomerStatus,
    FollowUp, FollowUpReason, FollowUpStatus, GetCustomerRequest, GovernmentLevel,
    ListFollowUpsRequest, ScheduleFollowUpRequest, SetGovernmentLevelRequest, TransportNeeds,
};
use logistics_platform::client::CallCredentials;
use logistics_platform::time::{from_timestamp, timestamp};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};

use super::plan::{CustomerPlan, FollowUpPlan, Kind, Profile, REGIONS, request_id};
use crate::load::customers::Customers;

/// An engagement client that sends the API key.
pub type Engagement = EngagementServiceClient<InterceptedService<Channel, CallCredentials>>;

/// A customer as the suite knows it.
#[derive(Debug, Clone)]
pub struct Created {
    /// Its id.
    pub id: String,
    /// When it was created: before the run for a customer an earlier run made.
    pub create_time: DateTime<Utc>,
}

/// Creates `customer` (or finds it, when a run of the same seed made it) and sets a government
/// customer's level.
pub async fn create(
    client: &mut Customers,
    seed: u64,
    customer: &CustomerPlan,
) -> anyhow::Result<Created> {
    let kind = match customer.profile.kind() {
        Kind::Enterprise => CustomerKind::Enterprise,
        Kind::Individual => CustomerKind::Individual,
        Kind::Government => CustomerKind::Government,
    };
    let region = &REGIONS[customer.region];
    let usual_modes = match customer.profile.kind() {
        Kind::Individual => vec![TransportMode::Road.into(), TransportMode::Air.into()],
        _ => vec![TransportMode::Road.into(), TransportMode::Rail.into()],
    };
    let created = client
        .create_customer(CreateCustomerRequest {
            customer: Some(Customer {
                kind: kind.into(),
                display_name: customer.name.clone(),
                industry: customer.industry.to_owned(),
                region_code: region.code.to_owned(),
                status: CustomerStatus::Active.into(),
                account_manager: customer.account_manager.to_owned(),
                notes: "Demo data from `logistics seed`.".to_owned(),
                addresses: vec![Address {
                    recipient: customer.name.clone(),
                    lines: vec![format!("{} Industrial Road", 10 + customer.index % 90)],
                    city: region.city.to_owned(),
                    postal_code: "200000".to_owned(),
                    region_code: region.code.to_owned(),
                    country_code: "CN".to_owned(),
                }],
                transport_needs: Some(TransportNeeds {
                    usual_modes,
                    ..TransportNeeds::default()
                }),
                ..Customer::default()
            }),
            request_id: request_id(seed, "customer", customer.index).to_string(),
        })
        .await
        .with_context(|| format!("creating customer {}", customer.name))?
        .into_inner();
    let level = match customer.profile {
        Profile::GovernmentA => Some(GovernmentLevel::A),
        Profile::GovernmentB => Some(GovernmentLevel::B),
        Profile::GovernmentC => Some(GovernmentLevel::C),
        _ => None,
    };
    if let Some(level) = level {
        // Read again: the create answer of a replay is the customer as it was first created.
        let current = client
            .get_customer(GetCustomerRequest {
                id: created.id.clone(),
            })
            .await?
            .into_inner();
        if current.government_level != i32::from(level) {
            client
                .set_government_level(SetGovernmentLevelRequest {
                    id: created.id.clone(),
                    level: level.into(),
                    reason: "Administrative level from the demo data".to_owned(),
                    etag: String::new(),
                })
                .await
                .with_context(|| format!("setting the level of {}", customer.name))?;
        }
    }
    let create_time = created
        .create_time
        .as_ref()
        .and_then(from_timestamp)
        .context("a customer without its create time")?;
    Ok(Created {
        id: created.id,
        create_time,
    })
}

/// Schedules a periodic review (and completes it when the plan says it was done early). `false`
/// when an earlier run did it all already (scheduled before `run_start`, completed).
pub async fn follow_up(
    client: &mut Engagement,
    (seed, anchor, run_start): (u64, DateTime<Utc>, DateTime<Utc>),
    customer_id: &str,
    plan: &FollowUpPlan,
) -> Result<bool, Status> {
    let scheduled = client
        .schedule_follow_up(ScheduleFollowUpRequest {
            follow_up: Some(FollowUp {
                customer_id: customer_id.to_owned(),
                reason: FollowUpReason::PeriodicReview.into(),
                due_time: Some(timestamp(anchor + Duration::days(plan.due_in_days))),
                agent: super::plan::ACCOUNT_MANAGERS[plan.index % 4].to_owned(),
                notes: "Monthly review of a KEY customer: volumes, service, next quarter."
                    .to_owned(),
                ..FollowUp::default()
            }),
            request_id: request_id(seed, "follow-up", plan.index).to_string(),
        })
        .await?
        .into_inner();
    let new = scheduled
        .create_time
        .as_ref()
        .and_then(from_timestamp)
        .is_some_and(|time| time >= run_start);
    if !plan.completed {
        return Ok(new);
    }
    match client
        .complete_follow_up(CompleteFollowUpRequest {
            id: scheduled.id,
            outcome: "Reviewed".to_owned(),
            notes: "Volumes as planned; asked for rail capacity before the New Year rush."
                .to_owned(),
            complete_time: None,
            etag: String::new(),
        })
        .await
    {
        Ok(_) => Ok(true),
        // Completed by an earlier run of the same seed.
        Err(status) if status.code() == Code::FailedPrecondition => Ok(false),
        Err(status) => Err(status),
    }
}

/// Most thank-you calls (of every seed in the suite) the seed reads.
const MAX_THANK_YOU_CALLS: usize = 250_000;

/// The thank-you calls the customers service schedules by itself after every delivery (from the
/// orders feed): waits until it has scheduled `expected` of them (at most `wait`), then returns
/// those still open about the orders numbered in `ours`.
pub async fn open_thank_you_calls(
    client: &mut Engagement,
    expected: usize,
    ours: &HashSet<String>,
    wait: std::time::Duration,
) -> Result<Vec<FollowUp>, Status> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_follow_ups(ListFollowUpsRequest {
                    page_size: 1000,
                    page_token,
                    filter: None,
                })
                .await?
                .into_inner();
            all.extend(page.follow_ups.into_iter().filter(|follow_up| {
                follow_up.reason() == FollowUpReason::ThankYouAfterDelivery
                    && ours.contains(&follow_up.reference)
            }));
            if page.next_page_token.is_empty() || all.len() >= MAX_THANK_YOU_CALLS {
                break;
            }
            page_token = page.next_page_token;
        }
        if all.len() >= expected || tokio::time::Instant::now() >= deadline {
            all.retain(|follow_up| {
                matches!(
                    follow_up.status(),
                    FollowUpStatus::Scheduled | FollowUpStatus::Missed
                )
            });
            return Ok(all);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Makes the thank-you call of a delivery, as the account manager did at the time: most of them
/// between 2 and 20 hours before it was due (the seed's own hash of the order number decides which
/// and when, so a second run picks the same). `false` when this one was never made.
pub async fn thank_you_call(
    client: &mut Engagement,
    seed: u64,
    follow_up: FollowUp,
) -> Result<bool, Status> {
    let draw = request_id(seed, &follow_up.reference, 0).as_u128();
    if draw % 100 >= 85 {
        return Ok(false);
    }
    let due = follow_up
        .due_time
        .as_ref()
        .and_then(from_timestamp)
        .unwrap_or_else(Utc::now);
    let done = (due - Duration::hours(2 + (draw / 100 % 18) as i64)).min(Utc::now());
    client
        .complete_follow_up(CompleteFollowUpRequest {
            id: follow_up.id,
            outcome: "Thanked the customer".to_owned(),
            notes: "The customer was happy with the delivery.".to_owned(),
            complete_time: Some(timestamp(done)),
            etag: follow_up.etag,
        })
        .await?;
    Ok(true)
}

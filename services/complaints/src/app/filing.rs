//! Filing a complaint: the customer and the order checked with their services, the shipment kept
//! as evidence, the claim's window checked, the priority and targets set, all in one transaction
//! with its audit entry and its change event, once per request id.

use chrono::{DateTime, Utc};
use logistics_contracts::complaints::{self as pb};
use logistics_contracts::customers::GetServiceLevelResponse;
use logistics_contracts::orders::OrderStatus;
use logistics_platform::fields::CustomerRef;
use logistics_platform::idempotency::{self, Claim as Replay, IdempotencyKey};
use logistics_platform::numbers::dated_number;
use logistics_platform::time::{from_timestamp, timestamp};
use logistics_platform::{ApiError, changefeed};
use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use super::proto::{self, Extras, priority_from_proto};
use super::{Complaints, Settings, company_zone, events};
use crate::clients::Shipment;
use crate::domain::audit::{AuditAction, AuditEntry};
use crate::domain::claim::{self, Claim, ClaimRefused, ClaimStatus, ShipmentTimes};
use crate::domain::complaint::{ClockMarks, Complaint};
use crate::domain::kinds::{Category, Channel, Kind};
use crate::domain::policy::Targets;
use crate::domain::status::Status;
use crate::reasons::Reason;
use crate::store;

/// A complaint to file, already checked field by field.
#[derive(Debug, Clone)]
pub(crate) struct NewComplaint {
    /// What the customer came with.
    pub kind: Kind,
    /// How it reached the company.
    pub channel: Channel,
    /// What it is about.
    pub category: Category,
    /// The customer, by id or code.
    pub customer: CustomerRef,
    /// The order, by id, order number or tracking number.
    pub order: Option<String>,
    /// One-line summary.
    pub subject: String,
    /// What the customer said.
    pub description: String,
    /// The claim of a CLAIM.
    pub claim: Option<NewClaim>,
}

/// The claim of a CLAIM to file.
#[derive(Debug, Clone)]
pub(crate) struct NewClaim {
    /// What is claimed, in fen.
    pub claimed_fen: i64,
    /// What backs it.
    pub evidence: Vec<String>,
}

/// Who files, under which request id, with the request as sent (for its retries).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filing<'a> {
    /// The caller.
    pub principal: &'a str,
    /// The caller's request id.
    pub request_id: Uuid,
    /// The request as sent.
    pub request: &'a pb::FileComplaintRequest,
}

/// What the peers said about the customer and the shipment.
pub(super) struct Parties {
    customer_id: Uuid,
    service_level: GetServiceLevelResponse,
    shipment: Option<Shipment>,
}

impl Complaints {
    /// Files `new` once per request id and answers the complaint as filed.
    pub(crate) async fn file(
        &self,
        filing: Filing<'_>,
        new: NewComplaint,
    ) -> Result<pb::Complaint, ApiError> {
        let key = IdempotencyKey {
            principal: filing.principal.to_owned(),
            method: "FileComplaint",
            request_id: filing.request_id,
        };
        let settings = self.settings().await?;
        let mut tx = self.pool.begin().await?;
        if let Replay::Replay(first) = idempotency::claim(&mut tx, &key, filing.request).await? {
            return Ok(first);
        }
        // Asked once the request is known to be new, like CreateOrder: a retry is answered
        // even while customers or orders are down, and nothing is written when they refuse.
        let parties = self.parties(&new).await?;
        let now = Utc::now();
        let answer = self
            .open(
                &mut tx,
                &settings,
                &new,
                &parties,
                filing.principal,
                String::new(),
                now,
            )
            .await?;
        idempotency::record(&mut tx, &key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn parties(&self, new: &NewComplaint) -> Result<Parties, ApiError> {
        let customer_id = self.customers.resolve(&new.customer).await?;
        let service_level = self.customers.service_level(customer_id).await?;
        let shipment = match &new.order {
            Some(reference) => Some(self.orders.shipment(reference).await?),
            None => None,
        };
        if let Some(shipment) = &shipment
            && shipment.order.customer_id != customer_id.to_string()
        {
            return Err(ApiError::FailedPrecondition {
                reason: Reason::OrderOfAnotherCustomer.as_str(),
                message: format!(
                    "order {} belongs to another customer than {customer_id}",
                    shipment.order.order_number
                ),
                metadata: vec![("order_id", shipment.order.id.clone())],
            });
        }
        Ok(Parties {
            customer_id,
            service_level,
            shipment,
        })
    }
}

impl Complaints {
    /// Stores a new complaint with its evidence, audit entry and event, and answers it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn open(
        &self,
        tx: &mut PgConnection,
        settings: &Settings,
        new: &NewComplaint,
        parties: &Parties,
        filed_by: &str,
        assigned_agent: String,
        now: DateTime<Utc>,
    ) -> Result<pb::Complaint, ApiError> {
        let windows = self.windows;
        let order = parties.shipment.as_ref().map(|shipment| &shipment.order);
        let claim = match &new.claim {
            Some(claimed) => Some(claim_of(new.category, claimed, order, windows, now)?),
            None => None,
        };
        let policy = &settings.policy.policy;
        let level = parties.service_level.service_level.as_ref();
        let floor = level.and_then(|level| priority_from_proto(level.complaint_priority_floor()));
        let promised = level.and_then(|level| {
            Some(Targets {
                first_response_minutes: minutes(level.first_response_target.as_ref()?)?,
                resolution_minutes: minutes(level.resolution_target.as_ref()?)?,
            })
        });
        let priority = policy.priority_for(new.category, floor);
        let [sequence] = self.numbers.next(&mut *tx).await?;
        let mut complaint = Complaint {
            id: Uuid::new_v4(),
            number: dated_number('K', now, company_zone(), sequence),
            kind: new.kind,
            channel: new.channel,
            category: new.category,
            customer_id: parties.customer_id,
            order_id: order.and_then(|order| Uuid::try_parse(&order.id).ok()),
            tracking_number: order.map(|order| order.tracking_number.clone()),
            subject: new.subject.clone(),
            description: new.description.clone(),
            status: Status::Received,
            paused_in: None,
            priority,
            priority_override_reason: String::new(),
            assigned_agent,
            assigned_team: String::new(),
            investigation: None,
            proposal: None,
            resolution_feedback: String::new(),
            targets: policy.targets_for(priority, promised),
            first_response: ClockMarks::default(),
            resolution: ClockMarks::default(),
            resolution_count: 0,
            reopen_count: 0,
            file_time: now,
            first_response_time: None,
            resolve_time: None,
            close_time: None,
            update_time: now,
            filed_by: filed_by.to_owned(),
            version: 1,
            pauses: Vec::new(),
            claim,
            rating: None,
        };
        complaint.refresh_clocks(&settings.calendar.calendar, now);
        let evidence = parties
            .shipment
            .as_ref()
            .map(|shipment| evidence_of(shipment, now).encode_to_vec());
        let order_number = order.map(|order| order.order_number.as_str());
        store::complaints::insert(tx, &complaint, order_number, evidence.as_deref()).await?;
        let entry = AuditEntry {
            action: AuditAction::Filed,
            actor: filed_by.to_owned(),
            occur_time: now,
            from_status: None,
            to_status: Some(Status::Received),
            detail: format!(
                "{} {} by {}",
                new.kind.as_str(),
                new.category.as_str(),
                new.channel.as_str()
            ),
        };
        store::audit::append(tx, complaint.id, &entry).await?;
        changefeed::record(tx, &complaint.id.to_string(), events::filed(&complaint)).await?;
        let extras = Extras {
            evidence,
            trail: None,
        };
        Ok(proto::complaint(
            &complaint,
            extras,
            &settings.calendar.calendar,
            now,
        ))
    }
}

/// Whole business minutes of a service level's target (given as a duration of business time);
/// `None` when it is not positive.
fn minutes(duration: &prost_types::Duration) -> Option<i64> {
    let minutes = duration.seconds / 60;
    (minutes > 0).then_some(minutes)
}

/// The claim of a new CLAIM, its window checked against the shipment.
fn claim_of(
    category: Category,
    claimed: &NewClaim,
    order: Option<&logistics_contracts::orders::Order>,
    windows: claim::ClaimWindows,
    now: DateTime<Utc>,
) -> Result<Claim, ApiError> {
    let time = |stamp: &Option<prost_types::Timestamp>| stamp.as_ref().and_then(from_timestamp);
    let times = ShipmentTimes {
        delivered: order.and_then(|order| time(&order.delivery_time)),
        promised: order.and_then(|order| time(&order.promised_delivery_time)),
    };
    let window_end =
        claim::window_end(category, times, windows, company_zone(), now).map_err(claim_refused)?;
    Ok(Claim {
        claimed_fen: claimed.claimed_fen,
        evidence: claimed.evidence.clone(),
        status: ClaimStatus::Submitted,
        window_end,
        declared_value_fen: order
            .and_then(|order| order.cargo_declared_value_fen())
            .filter(|fen| *fen > 0),
        approved_fen: None,
        rejection_reason: None,
        reviewed_by: None,
        review_time: None,
        payment_reference: None,
        pay_time: None,
    })
}

fn claim_refused(refusal: ClaimRefused) -> ApiError {
    let message = refusal.to_string();
    let (reason, metadata) = match refusal {
        ClaimRefused::NotClaimable(category) => (
            Reason::NotClaimable,
            vec![("category", category.as_str().to_owned())],
        ),
        ClaimRefused::BeforeDelivery(_) => (Reason::ClaimBeforeDelivery, Vec::new()),
        ClaimRefused::OnDeliveredOrder | ClaimRefused::NothingPromised => {
            (Reason::ClaimNotLost, Vec::new())
        }
        ClaimRefused::NotYetDue(promised) => (
            Reason::ClaimNotLost,
            vec![("promised_delivery_time", promised.to_rfc3339())],
        ),
        ClaimRefused::WindowClosed(end) => (
            Reason::ClaimWindowClosed,
            vec![("window_end_time", end.to_rfc3339())],
        ),
    };
    ApiError::FailedPrecondition {
        reason: reason.as_str(),
        message,
        metadata,
    }
}

/// The shipment as it stands, kept with the complaint.
fn evidence_of(shipment: &Shipment, now: DateTime<Utc>) -> pb::ShipmentEvidence {
    let order = &shipment.order;
    pb::ShipmentEvidence {
        order_id: order.id.clone(),
        order_number: order.order_number.clone(),
        tracking_number: order.tracking_number.clone(),
        order_status: order.status,
        mode: order.mode,
        declared_value: order
            .cargo_declared_value_fen()
            .map(logistics_platform::money::cny),
        total_pieces: order.total_pieces,
        promised_delivery_time: order.promised_delivery_time,
        pickup_time: order.pickup_time,
        delivery_time: order.delivery_time,
        delivery: shipment
            .delivery
            .as_ref()
            .filter(|_| order.status() == OrderStatus::Delivered)
            .map(|proof| pb::DeliveryEvidence {
                delivery_time: proof.delivery_time,
                damaged_pieces: proof.damaged_pieces,
                missing_pieces: proof.missing_pieces,
                document_errors: proof.document_errors,
                on_time: proof.on_time,
                signed: proof.signature_bytes > 0,
                photographed: proof.photo_bytes > 0,
            }),
        events: shipment
            .events
            .iter()
            .rev()
            .map(|event| pb::EvidenceEvent {
                code: event.code,
                occur_time: event.occur_time,
                location: event.location.clone(),
                description: event.description.clone(),
            })
            .collect(),
        capture_time: Some(timestamp(now)),
    }
}

/// The declared value of an order's goods, over its cargo lines.
trait DeclaredValue {
    /// The sum of the lines' declared values in fen; `None` when no line declares one.
    fn cargo_declared_value_fen(&self) -> Option<i64>;
}

impl DeclaredValue for logistics_contracts::orders::Order {
    fn cargo_declared_value_fen(&self) -> Option<i64> {
        let declared: Vec<i64> = self
            .cargo
            .iter()
            .filter_map(|line| line.declared_value.as_ref())
            .map(|money| money.amount_minor)
            .collect();
        (!declared.is_empty()).then(|| {
            declared
                .iter()
                .fold(0_i64, |sum, fen| sum.saturating_add(*fen))
        })
    }
}

//! The changes a customer's shipments and lifecycle make, each with its history and change event,
//! inside the caller's transaction: shared by the CustomerService RPCs and the orders feed.

use chrono::{DateTime, Utc};
use logistics_contracts::customers::{ActivityRecorded, stream_changes_response::Event};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::time::timestamp;
use sqlx::PgConnection;

use logistics_platform::money::cny;

use super::grading_fields::{status_change_to_proto, tier_change_to_proto};
use crate::domain::customer::{Customer, CustomerRef, Status};
use crate::domain::grading::grade;
use crate::domain::lifecycle::status_after_shipment;
use crate::store::customers as customer_store;
use crate::store::grading::{self as store, StoredPolicy};

/// Who made a status change the customer's shipments (or orders) caused.
pub(crate) const BY_ACTIVITY: &str = "activity";

/// A shipment to record, from RecordActivity or from a delivery the orders feed reported.
pub(crate) struct Shipment<'a> {
    /// Makes recording idempotent per customer: the caller's activity id, or the order number.
    pub activity_id: &'a str,
    /// When it shipped.
    pub occur_time: DateTime<Utc>,
    /// What it cost the customer, in fen.
    pub spend_fen: i64,
    /// The status-history reason when the shipment makes the customer ACTIVE again.
    pub status_reason: &'a str,
}

/// Records a shipment of `customer` (locked by `tx`, not deleted): its activity row and last
/// shipment time, ACTIVE again when it was PROSPECT, DORMANT or CHURNED, and its grade, each with
/// its change event. `None` when this activity id was recorded before: nothing changes then.
pub(crate) async fn record_shipment(
    tx: &mut PgConnection,
    customer: &Customer,
    shipment: &Shipment<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Customer>, ApiError> {
    let recorded = store::record_activity(
        tx,
        customer.id,
        shipment.activity_id,
        shipment.occur_time,
        shipment.spend_fen,
    )
    .await?;
    if !recorded {
        return Ok(None);
    }
    let event = Event::ActivityRecorded(ActivityRecorded {
        customer_id: customer.id.to_string(),
        activity_id: shipment.activity_id.to_owned(),
        occur_time: Some(timestamp(shipment.occur_time)),
        spend: Some(cny(shipment.spend_fen)),
    });
    let customer_id = customer.id.to_string();
    changefeed::record(tx, &customer_id, event).await?;
    let mut customer = reread(tx, &CustomerRef::Id(customer.id)).await?;
    if let Some(to) = status_after_shipment(customer.status) {
        customer = change_status(tx, &customer, to, shipment.status_reason, BY_ACTIVITY).await?;
    }
    let policy = store::current_policy(tx).await?;
    regrade(tx, customer, &policy, now).await.map(Some)
}

/// Reads a customer again inside the transaction, after a write changed it.
pub(crate) async fn reread(
    tx: &mut PgConnection,
    customer_ref: &CustomerRef,
) -> Result<Customer, ApiError> {
    customer_store::find(tx, customer_ref, false)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("customer vanished inside its transaction"))
        })
}

/// Changes the status with its history and event.
pub(crate) async fn change_status(
    tx: &mut PgConnection,
    customer: &Customer,
    to: Status,
    reason: &str,
    changed_by: &str,
) -> Result<Customer, ApiError> {
    let (updated, change) = store::change_status(tx, customer, to, reason, changed_by).await?;
    let event = Event::CustomerStatusChanged(status_change_to_proto(&change));
    changefeed::record(tx, &customer.id.to_string(), event).await?;
    Ok(updated)
}

/// Grades the customer under `policy`; stores, records and announces the grade if it changed.
pub(crate) async fn regrade(
    tx: &mut PgConnection,
    customer: Customer,
    policy: &StoredPolicy,
    now: DateTime<Utc>,
) -> Result<Customer, ApiError> {
    let activity = store::activity(tx, customer.id, &policy.policy, now).await?;
    let grade = grade(
        customer.kind,
        customer.status,
        customer.government_level,
        activity,
        &policy.policy,
    );
    let unchanged = grade.tier == customer.tier && grade.value_class == customer.value_class;
    if unchanged || grade.tier.is_none() {
        return Ok(customer);
    }
    let (updated, change) = store::change_grade(tx, &customer, &grade, policy.version).await?;
    let event = Event::CustomerTierChanged(tier_change_to_proto(&change));
    changefeed::record(tx, &customer.id.to_string(), event).await?;
    Ok(updated)
}

//! The changes a customer's shipments and lifecycle make, each with its history and change event,
//! inside the caller's transaction: shared by the CustomerService use cases and the orders feed.

use chrono::{DateTime, Utc};
use logistics_contracts::customers::{ActivityRecorded, stream_changes_response::Event};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::money::cny;
use logistics_platform::time::timestamp;
use sqlx::PgConnection;

use super::events::{status_change_to_proto, tier_change_to_proto};
use crate::domain::customer::{Customer, CustomerRef, Status};
use crate::domain::grading::grade;
use crate::domain::lifecycle::status_after_shipment;
use crate::store::grading::{self as grading_store, StoredPolicy};
use crate::store::{activity, customers as customer_store, status_history};

/// Who made a status change the customer's shipments (or orders) caused.
pub(crate) const BY_ACTIVITY: &str = "activity";

/// A shipment to record, from RecordActivity or from a delivery the orders feed reported.
pub(crate) struct Shipment<'a> {
    /// Makes recording idempotent per customer: the caller's activity id, or the order number.
    pub(crate) activity_id: &'a str,
    /// When it shipped.
    pub(crate) occur_time: DateTime<Utc>,
    /// What it cost the customer, in fen.
    pub(crate) spend_fen: i64,
    /// The status-history reason when the shipment makes the customer ACTIVE again.
    pub(crate) status_reason: &'a str,
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
    let recorded = activity::insert(
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
    customer_store::note_shipment(tx, customer.id, shipment.occur_time).await?;
    let event = Event::ActivityRecorded(ActivityRecorded {
        customer_id: customer.id.to_string(),
        activity_id: shipment.activity_id.to_owned(),
        occur_time: Some(timestamp(shipment.occur_time)),
        spend: Some(cny(shipment.spend_fen)),
    });
    changefeed::record(tx, &customer.id.to_string(), event).await?;
    let mut customer = reread(tx, &CustomerRef::Id(customer.id)).await?;
    if let Some(to) = status_after_shipment(customer.status) {
        customer = change_status(tx, &customer, to, shipment.status_reason, BY_ACTIVITY).await?;
    }
    let policy = grading_store::current_policy(tx).await?;
    regrade(tx, customer, &policy, now).await.map(Some)
}

/// Reads a customer again inside the transaction, after a write changed it.
async fn reread(tx: &mut PgConnection, customer_ref: &CustomerRef) -> Result<Customer, ApiError> {
    customer_store::find(tx, customer_ref, false)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("customer vanished inside its transaction"))
        })
}

/// Moves the customer to `to`, keeping the change in its status history, with its event.
pub(crate) async fn change_status(
    tx: &mut PgConnection,
    customer: &Customer,
    to: Status,
    reason: &str,
    changed_by: &str,
) -> Result<Customer, ApiError> {
    let updated = customer_store::set_status(tx, customer.id, to).await?;
    let change =
        status_history::insert(tx, customer.id, customer.status, to, reason, changed_by).await?;
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
    let activity = activity::activity(tx, customer.id, &policy.policy, now).await?;
    let grade = grade(
        customer.kind,
        customer.status,
        customer.government_level,
        activity,
        &policy.policy,
    );
    let unchanged = grade.tier == customer.tier && grade.value_class == customer.value_class;
    // A grade without a tier is not stored: the customer keeps the one it has.
    let (false, Some(to_tier)) = (unchanged, grade.tier) else {
        return Ok(customer);
    };
    let updated = customer_store::set_grade(tx, customer.id, to_tier, grade.value_class).await?;
    let change =
        grading_store::insert_tier_change(tx, &customer, to_tier, &grade, policy.version).await?;
    let event = Event::CustomerTierChanged(tier_change_to_proto(&change));
    changefeed::record(tx, &customer.id.to_string(), event).await?;
    Ok(updated)
}

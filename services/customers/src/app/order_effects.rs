//! What the orders feed's events do to a customer, inside the follower's transaction (which also
//! moves the feed's cursor): a placed order wakes the customer up, a delivered one is a shipment
//! with its points and a thank-you follow-up. Each effect is idempotent by its own key, so an
//! event applied again changes nothing twice.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

use super::customer_changes::{BY_ACTIVITY, Shipment, change_status, record_shipment, regrade};
use super::follow_up_sweep::append_scheduled;
use super::loyalty::award_in;
use crate::domain::customer::{Customer, CustomerRef, Status};
use crate::domain::follow_up::FollowUpReason;
use crate::domain::lifecycle::status_after_shipment;
use crate::domain::loyalty::points_for_spend;
use crate::domain::order_feed::{delivered_reason, ordered_reason, thank_you_due};
use crate::store::engagement::{self, NewFollowUp};
use crate::store::{customers as customer_store, grading};

/// A delivered order, as the feed reported it.
pub(crate) struct Delivery<'a> {
    /// How the customer's records name the order: its number, or its id.
    pub(crate) order_name: &'a str,
    /// When it was delivered.
    pub(crate) delivery_time: DateTime<Utc>,
    /// What it cost the customer, in fen (0 when its price was not in CNY).
    pub(crate) spend_fen: i64,
}

/// The live customer `id` names, locked for the rest of the transaction; `None` when there is
/// none or it was deleted.
pub(crate) async fn live_customer(
    tx: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Customer>, ApiError> {
    let customer = customer_store::find(tx, &CustomerRef::Id(id), true).await?;
    Ok(customer.filter(|customer| customer.delete_time.is_none()))
}

/// A new order of customer `id`, placed at `order_time`, when the customer is live and an order
/// leaves its status as it is (ACTIVE or BLOCKED): only the inactivity clock restarts, with one
/// statement. False, with nothing written, for any other customer: [`live_customer`] and
/// [`order_placed`] then do the whole of it.
pub(crate) async fn order_placed_by_settled_customer(
    tx: &mut PgConnection,
    id: Uuid,
    order_time: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let settled: Vec<&str> = Status::ALL
        .iter()
        .filter(|status| status_after_shipment(**status).is_none())
        .map(|status| status.as_str())
        .collect();
    customer_store::record_order_in_status(tx, id, order_time, &settled).await
}

/// A new order of `customer` (locked, live), placed at `order_time`: a PROSPECT, DORMANT or
/// CHURNED customer becomes ACTIVE (as a shipment makes it) and the inactivity clock restarts from
/// the order.
pub(crate) async fn order_placed(
    tx: &mut PgConnection,
    customer: &Customer,
    order_name: &str,
    order_time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    customer_store::record_order(tx, customer.id, order_time).await?;
    if let Some(to) = status_after_shipment(customer.status) {
        let reason = ordered_reason(customer.status, order_name);
        let active = change_status(tx, customer, to, &reason, BY_ACTIVITY).await?;
        // A prospect is POTENTIAL whatever its tier; active, its tier decides again.
        let policy = grading::current_policy(tx).await?;
        regrade(tx, active, &policy, now).await?;
    }
    Ok(())
}

/// A delivered order of `customer` (locked, live): a shipment (activity, spend, last shipment
/// time, grade, ACTIVE again), its loyalty points, and a thank-you follow-up due a day after the
/// delivery.
pub(crate) async fn order_delivered(
    tx: &mut PgConnection,
    customer: &Customer,
    delivery: &Delivery<'_>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let number = delivery.order_name;
    let shipment = Shipment {
        activity_id: number,
        occur_time: delivery.delivery_time,
        spend_fen: delivery.spend_fen,
        status_reason: &delivered_reason(number),
    };
    record_shipment(tx, customer, &shipment, now).await?;
    award_in(
        tx,
        customer.id,
        number,
        points_for_spend(delivery.spend_fen),
    )
    .await?;
    let thank_you = NewFollowUp {
        customer_id: customer.id,
        reason: FollowUpReason::ThankYouAfterDelivery,
        due_time: thank_you_due(delivery.delivery_time),
        agent: customer.profile.account_manager.clone(),
        notes: format!("Thank the customer for choosing us: order {number} was delivered."),
        reference: number.to_owned(),
    };
    if let Some(row) = engagement::insert_sourced_follow_up(tx, &thank_you, number).await? {
        append_scheduled(tx, &row).await?;
    }
    Ok(())
}

//! The pickups of an order: scheduling a window (or moving it until a vehicle is dispatched),
//! cancelling it, dispatching the vehicle; each with its change events.

use chrono::{DateTime, TimeDelta, Utc};
use logistics_contracts::orders::{
    PickupCancelled, PickupScheduled, VehicleDispatched, stream_changes_response::Event,
};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::time::timestamp;
use sqlx::PgPool;

use super::errors::{ensure_etag, illegal_transition};
use super::orders::{Named, append_status_changed, lock_for_change};
use super::proto::{status_name, window_to_proto};
use crate::domain::order::{Dispatch, Order, PickupPlan, Window};
use crate::domain::pickup::promise_for;
use crate::domain::status::OrderStatus;
use crate::reasons::Reason;
use crate::store::orders::{self as store, OrderRef};

/// How far ahead of our clock a reported dispatch time may be: clock skew, not typos.
pub(crate) const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Schedules (or moves, until a vehicle is dispatched) the pickup of a confirmed order in
/// `window`, checked against the same-day cut-off at `now` already.
pub(crate) async fn schedule(
    pool: &PgPool,
    named: Named<'_>,
    (window, same_day): (Window, bool),
    now: DateTime<Utc>,
) -> Result<Order, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, &named.order_ref, named.id).await?;
    ensure_etag(&current, named.etag)?;
    let rescheduling = current.status == OrderStatus::PickupScheduled;
    if rescheduling {
        ensure_not_dispatched(&current)?;
    } else {
        current
            .status
            .transition(OrderStatus::PickupScheduled)
            .map_err(|_| illegal_transition(&current, OrderStatus::PickupScheduled))?;
    }
    let plan = PickupPlan {
        window,
        same_day,
        schedule_time: now,
        dispatch: None,
    };
    let promised = promise_for(window, current.quote.transit_hours);
    let scheduled = store::set_pickup(
        &mut tx,
        current.id,
        Some((&plan, promised)),
        OrderStatus::PickupScheduled,
        now,
    )
    .await?;
    let event = Event::PickupScheduled(PickupScheduled {
        order_id: scheduled.id.to_string(),
        customer_id: scheduled.customer_id.to_string(),
        window: Some(window_to_proto(window)),
        same_day,
    });
    changefeed::record(&mut tx, &scheduled.id.to_string(), event).await?;
    if !rescheduling {
        append_status_changed(&mut tx, &current, &scheduled, "SchedulePickup").await?;
    }
    tx.commit().await?;
    Ok(scheduled)
}

/// Cancels a scheduled pickup for `reason` (trimmed): the order is CONFIRMED again, ready for
/// another window.
pub(crate) async fn cancel(
    pool: &PgPool,
    named: Named<'_>,
    reason: &str,
) -> Result<Order, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, &named.order_ref, named.id).await?;
    ensure_etag(&current, named.etag)?;
    if current.status != OrderStatus::PickupScheduled {
        return Err(ApiError::FailedPrecondition {
            reason: Reason::NoPickupScheduled.as_str(),
            message: format!(
                "order {} is {}: it has no scheduled pickup to cancel",
                current.order_number,
                current.status.as_str()
            ),
            metadata: vec![("current_status", status_name(current.status))],
        });
    }
    let now = Utc::now();
    let confirmed =
        store::set_pickup(&mut tx, current.id, None, OrderStatus::Confirmed, now).await?;
    let event = Event::PickupCancelled(PickupCancelled {
        order_id: confirmed.id.to_string(),
        customer_id: confirmed.customer_id.to_string(),
        reason: reason.to_owned(),
    });
    changefeed::record(&mut tx, &confirmed.id.to_string(), event).await?;
    append_status_changed(&mut tx, &current, &confirmed, "CancelPickup").await?;
    tx.commit().await?;
    Ok(confirmed)
}

/// Records `dispatch`, the vehicle sent for a scheduled pickup of the order named by `order_ref`
/// (written `id` by the caller), at `now`, and whether it left on time. It takes no etag, as
/// DispatchVehicle never did: the dispatcher's report is a fact, not an edit of what was read.
pub(crate) async fn dispatch(
    pool: &PgPool,
    (order_ref, id): (&OrderRef, &str),
    dispatch: Dispatch,
    now: DateTime<Utc>,
) -> Result<Order, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, order_ref, id).await?;
    let Some(plan) = current
        .pickup
        .as_ref()
        .filter(|_| current.status == OrderStatus::PickupScheduled)
    else {
        return Err(illegal_transition(&current, OrderStatus::PickupScheduled));
    };
    ensure_not_dispatched(&current)?;
    if dispatch.time < plan.schedule_time - CLOCK_SKEW {
        return Err(ApiError::invalid_field(
            "dispatch_time",
            "is before the pickup was scheduled",
        ));
    }
    let dispatch_time = dispatch.time;
    let dispatched = store::set_dispatch(&mut tx, current.id, &dispatch, now).await?;
    let event = Event::VehicleDispatched(VehicleDispatched {
        order_id: dispatched.id.to_string(),
        customer_id: dispatched.customer_id.to_string(),
        dispatch_time: Some(timestamp(dispatch_time)),
        window: Some(window_to_proto(plan.window)),
        on_time: dispatch_time <= plan.window.start,
    });
    changefeed::record(&mut tx, &dispatched.id.to_string(), event).await?;
    tx.commit().await?;
    Ok(dispatched)
}

/// Refuses to change a pickup whose vehicle is already on its way.
fn ensure_not_dispatched(order: &Order) -> Result<(), ApiError> {
    match order
        .pickup
        .as_ref()
        .and_then(|plan| plan.dispatch.as_ref())
    {
        None => Ok(()),
        Some(dispatch) => Err(ApiError::FailedPrecondition {
            reason: Reason::VehicleDispatched.as_str(),
            message: format!(
                "a vehicle ({}) was already dispatched for order {}",
                dispatch.vehicle_id, order.order_number
            ),
            metadata: vec![("vehicle_id", dispatch.vehicle_id.clone())],
        }),
    }
}

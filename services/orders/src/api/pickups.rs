//! Pickups of OrderService: scheduling a window, cancelling it, dispatching the vehicle.

use crate::reasons::Reason;
use chrono::{TimeDelta, Utc};
use logistics_contracts::orders::{
    self as pb, CancelPickupRequest, DispatchVehicleRequest, PickupCancelled, PickupScheduled,
    SchedulePickupRequest, VehicleDispatched, stream_changes_response::Event,
};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::error::Violations;
use logistics_platform::time::timestamp;

use super::order_fields::{
    ensure_etag, illegal_transition, parse_order_ref, read_time, read_window, to_proto,
};
use super::order_service::{OrdersApi, append_status_changed, lock_for_change};
use crate::app::proto::window_to_proto;
use crate::domain::order::{Dispatch, PickupPlan};
use crate::domain::pickup::{check_window, promise_for};
use crate::domain::status::OrderStatus;
use crate::store::orders as store;

/// How far ahead of our clock a reported dispatch time may be: clock skew, not typos.
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

impl OrdersApi {
    /// Schedules (or moves, until a vehicle is dispatched) the pickup of a confirmed order.
    pub(super) async fn schedule_pickup(
        &self,
        request: SchedulePickupRequest,
    ) -> Result<pb::Order, ApiError> {
        let now = Utc::now();
        let mut violations = Violations::new();
        let order_ref = parse_order_ref("id", &request.id);
        let window = read_window(&mut violations, "window", request.window.as_ref());
        let same_day = window.and_then(|window| {
            check_window(window, now, self.same_day_cutoff)
                .map_err(|problem| {
                    violations.add(format!("window.{}", problem.field()), problem.to_string())
                })
                .ok()
        });
        violations.finish()?;
        let (order_ref, window, same_day) = (
            order_ref?,
            window.expect("checked above"),
            same_day.expect("checked above"),
        );

        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &order_ref, &request.id).await?;
        ensure_etag(&current, &request.etag)?;
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
        Ok(to_proto(&scheduled))
    }

    /// Cancels a scheduled pickup: the order is CONFIRMED again, ready for another window.
    pub(super) async fn cancel_pickup(
        &self,
        request: CancelPickupRequest,
    ) -> Result<pb::Order, ApiError> {
        let mut violations = Violations::new();
        violations.require_text("reason", &request.reason, 500);
        let order_ref = parse_order_ref("id", &request.id);
        violations.finish()?;
        let order_ref = order_ref?;

        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &order_ref, &request.id).await?;
        ensure_etag(&current, &request.etag)?;
        if current.status != OrderStatus::PickupScheduled {
            return Err(ApiError::FailedPrecondition {
                reason: Reason::NoPickupScheduled.as_str(),
                message: format!(
                    "order {} is {}: it has no scheduled pickup to cancel",
                    current.order_number,
                    current.status.as_str()
                ),
                metadata: vec![(
                    "current_status",
                    super::order_fields::status_name(current.status),
                )],
            });
        }
        let now = Utc::now();
        let confirmed =
            store::set_pickup(&mut tx, current.id, None, OrderStatus::Confirmed, now).await?;
        let event = Event::PickupCancelled(PickupCancelled {
            order_id: confirmed.id.to_string(),
            customer_id: confirmed.customer_id.to_string(),
            reason: request.reason.trim().to_owned(),
        });
        changefeed::record(&mut tx, &confirmed.id.to_string(), event).await?;
        append_status_changed(&mut tx, &current, &confirmed, "CancelPickup").await?;
        tx.commit().await?;
        Ok(to_proto(&confirmed))
    }

    /// Records the vehicle sent for a scheduled pickup, and whether it left on time.
    pub(super) async fn dispatch_vehicle(
        &self,
        request: DispatchVehicleRequest,
    ) -> Result<pb::Order, ApiError> {
        let now = Utc::now();
        let mut violations = Violations::new();
        let order_ref = parse_order_ref("id", &request.id);
        violations.require_text("vehicle_id", &request.vehicle_id, 32);
        violations.limit_text("driver_name", &request.driver_name, 100);
        let dispatch_time = match &request.dispatch_time {
            None => Some(now),
            Some(time) => read_time(&mut violations, "dispatch_time", Some(time)).filter(|time| {
                let plausible = *time <= now + CLOCK_SKEW;
                if !plausible {
                    violations.add("dispatch_time", "must not be in the future");
                }
                plausible
            }),
        };
        violations.finish()?;
        let (order_ref, dispatch_time) = (order_ref?, dispatch_time.expect("checked above"));

        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &order_ref, &request.id).await?;
        let Some(plan) = current
            .pickup
            .as_ref()
            .filter(|_| current.status == OrderStatus::PickupScheduled)
        else {
            return Err(illegal_transition(&current, OrderStatus::PickupScheduled));
        };
        ensure_not_dispatched(&current)?;
        if dispatch_time < plan.schedule_time - CLOCK_SKEW {
            return Err(ApiError::invalid_field(
                "dispatch_time",
                "is before the pickup was scheduled",
            ));
        }
        let dispatch = Dispatch {
            time: dispatch_time,
            vehicle_id: request.vehicle_id.trim().to_owned(),
            driver_name: request.driver_name.trim().to_owned(),
        };
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
        Ok(to_proto(&dispatched))
    }
}

/// Refuses to change a pickup whose vehicle is already on its way.
fn ensure_not_dispatched(order: &crate::domain::order::Order) -> Result<(), ApiError> {
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

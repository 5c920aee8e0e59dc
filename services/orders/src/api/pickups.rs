//! Pickups of OrderService: scheduling a window, cancelling it, dispatching the vehicle. Each
//! request is checked here (the window against the same-day cut-off); `app::pickups` changes
//! the order.

use chrono::Utc;
use logistics_contracts::orders::{
    self as pb, CancelPickupRequest, DispatchVehicleRequest, SchedulePickupRequest,
};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;

use super::order_fields::{parse_order_ref, read_time, read_window};
use super::order_service::OrdersApi;
use crate::app::orders::Named;
use crate::app::pickups::{self, CLOCK_SKEW};
use crate::domain::order::Dispatch;
use crate::domain::pickup::check_window;

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

        let named = Named {
            order_ref,
            id: &request.id,
            etag: &request.etag,
        };
        let scheduled = pickups::schedule(&self.pool, named, (window, same_day), now).await?;
        Ok(self.changed(&scheduled))
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

        let named = Named {
            order_ref,
            id: &request.id,
            etag: &request.etag,
        };
        let confirmed = pickups::cancel(&self.pool, named, request.reason.trim()).await?;
        Ok(self.changed(&confirmed))
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

        let dispatch = Dispatch {
            time: dispatch_time,
            vehicle_id: request.vehicle_id.trim().to_owned(),
            driver_name: request.driver_name.trim().to_owned(),
        };
        let dispatched =
            pickups::dispatch(&self.pool, (&order_ref, &request.id), dispatch, now).await?;
        Ok(self.changed(&dispatched))
    }
}

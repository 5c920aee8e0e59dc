//! ListProblemShipments: open shipments in exception, late, or without movement.

use chrono::Utc;
use logistics_contracts::orders::{
    ListProblemShipmentsRequest, ListProblemShipmentsResponse, ProblemReason, ProblemShipment,
};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use logistics_platform::fields::customer_ref_field;
use logistics_platform::pagination::page_size;
use uuid::Uuid;

use super::tracking_fields::tracking_to_proto;
use super::tracking_service::{TrackingApi, keyset_time};
use crate::domain::problems::{Problem, Shipment, no_movement_threshold, problems};
use crate::store::problems as store;

impl TrackingApi {
    pub(super) async fn problems(
        &self,
        request: ListProblemShipmentsRequest,
    ) -> Result<ListProblemShipmentsResponse, ApiError> {
        let mut violations = Violations::new();
        let customer =
            customer_ref_field(&mut violations, "customer_id", &request.customer_id, false);
        let threshold = no_movement_threshold(request.no_movement_seconds)
            .map_err(|problem| violations.add("no_movement_seconds", problem))
            .ok();
        let size = page_size(request.page_size)
            .map_err(|_| violations.add("page_size", "must not be negative"))
            .ok();
        let (Some(threshold), Some(size)) = (threshold, size) else {
            return Err(violations.into_error());
        };
        violations.finish()?;
        let customer_id = match &customer {
            Some(customer) => Some(self.customers.resolve(customer).await?),
            None => None,
        };
        // Bound to the customer's id, so a page token serves its code and its id alike.
        let query = format!(
            "{}\0{}",
            customer_id.map(|id| id.to_string()).unwrap_or_default(),
            threshold.num_seconds()
        );
        let after: Option<(i64, Uuid)> = self
            .problem_pages
            .open(query.as_bytes(), &request.page_token)?;
        let after = after.map(keyset_time).transpose()?;
        let now = Utc::now();
        let mut conn = self.pool.acquire().await?;
        let mut orders =
            store::list(&mut conn, now, threshold, customer_id, after, size + 1).await?;
        let more = orders.len() > size;
        orders.truncate(size);
        let next_page_token = match (more, orders.last()) {
            (true, Some(last)) => self.problem_pages.issue(
                query.as_bytes(),
                &(last.promised_delivery_time.timestamp_micros(), last.id),
            ),
            _ => String::new(),
        };
        let mut shipments = Vec::with_capacity(orders.len());
        for order in &orders {
            let shipment = Shipment {
                status: order.status.get(),
                promised_delivery_time: order.promised_delivery_time,
                last_movement_time: order.last_movement_time,
                pickup_time: order.pickup_time,
            };
            let reasons = problems(&shipment, now, threshold)
                .into_iter()
                .map(|problem| {
                    match problem {
                        Problem::Exception => ProblemReason::Exception,
                        Problem::Late => ProblemReason::Late,
                        Problem::NoMovement => ProblemReason::NoMovement,
                    }
                    .into()
                })
                .collect();
            shipments.push(ProblemShipment {
                tracking: Some(tracking_to_proto(order, Vec::new(), 0)),
                customer_id: order.customer_id.to_string(),
                reasons,
            });
        }
        Ok(ListProblemShipmentsResponse {
            shipments,
            next_page_token,
        })
    }
}

//! ListProblemShipments: open shipments in exception, late, or without movement. The request
//! and the page token are read here, the shipments found by `app::problems`.

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
use crate::app::problems;
use crate::domain::problems::{Problem, no_movement_threshold};

impl TrackingApi {
    /// ListProblemShipments.
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
        let mut orders =
            problems::problem_shipments(&self.pool, threshold, customer_id, after, size + 1)
                .await?;
        let more = orders.len() > size;
        orders.truncate(size);
        let next_page_token = match (more, orders.last()) {
            (true, Some(last)) => self.problem_pages.issue(
                query.as_bytes(),
                &(
                    last.order.promised_delivery_time.timestamp_micros(),
                    last.order.id,
                ),
            ),
            _ => String::new(),
        };
        let shipments = orders
            .iter()
            .map(|found| ProblemShipment {
                tracking: Some(tracking_to_proto(&found.order, Vec::new(), 0)),
                customer_id: found.order.customer_id.to_string(),
                reasons: found
                    .problems
                    .iter()
                    .map(|problem| {
                        match problem {
                            Problem::Exception => ProblemReason::Exception,
                            Problem::Late => ProblemReason::Late,
                            Problem::NoMovement => ProblemReason::NoMovement,
                        }
                        .into()
                    })
                    .collect(),
            })
            .collect();
        Ok(ListProblemShipmentsResponse {
            shipments,
            next_page_token,
        })
    }
}

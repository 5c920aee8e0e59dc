//! Problem shipments: open shipments the domain calls in exception, late, or without movement.

use chrono::{DateTime, Duration, Utc};
use logistics_platform::ApiError;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::problems::{Problem, Shipment, problems};
use crate::store::tracking::{self as store, TrackedOrder};

/// An open shipment with what is wrong with it.
pub(crate) struct ProblemShipment {
    /// The shipment as tracking sees it.
    pub(crate) order: TrackedOrder,
    /// What is wrong, in the domain's order.
    pub(crate) problems: Vec<Problem>,
}

/// At most `limit` problem shipments (of one customer, if given) after the keyset position
/// `after` (promised delivery, id), earliest promise first; `no_movement` is how long without
/// an event makes a shipment on its way stand still.
pub(crate) async fn problem_shipments(
    pool: &PgPool,
    no_movement: Duration,
    customer_id: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: usize,
) -> Result<Vec<ProblemShipment>, ApiError> {
    let now = Utc::now();
    let mut conn = pool.acquire().await?;
    let orders =
        store::problem_shipments(&mut conn, now, no_movement, customer_id, after, limit).await?;
    Ok(orders
        .into_iter()
        .map(|order| {
            let shipment = Shipment {
                status: order.status.get(),
                promised_delivery_time: order.promised_delivery_time,
                last_movement_time: order.last_movement_time,
                pickup_time: order.pickup_time,
            };
            let problems = problems(&shipment, now, no_movement);
            ProblemShipment { order, problems }
        })
        .collect())
}

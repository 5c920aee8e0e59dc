//! SQL of problem shipments.

use chrono::{DateTime, Duration, Utc};
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

use super::tracking::TrackedOrder;

/// Open orders that are in EXCEPTION, past their promise at `now`, or on their way without an
/// event for `no_movement`; earliest promise first, after the keyset position `after`
/// (promised_delivery_time, id). The three conditions match the partial indexes of open orders
/// (by promise, by last movement, in exception).
pub(crate) async fn list(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    no_movement: Duration,
    customer_id: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: usize,
) -> Result<Vec<TrackedOrder>, ApiError> {
    let sql = format!(
        "SELECT {} FROM orders
         WHERE status NOT IN ('DELIVERED', 'RETURNED_TO_SENDER', 'CANCELLED')
           AND (status = 'EXCEPTION'
                OR promised_delivery_time < $1
                OR (status IN ('PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'EXCEPTION')
                    AND coalesce(last_movement_time, pickup_time) < $2))
           AND ($3::uuid IS NULL OR customer_id = $3)
           AND ($4::timestamptz IS NULL OR (promised_delivery_time, id) > ($4, $5))
         ORDER BY promised_delivery_time, id
         LIMIT $6",
        super::tracking::TRACKED_COLUMNS
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(now - no_movement)
        .bind(customer_id)
        .bind(after.map(|(time, _)| time))
        .bind(after.map(|(_, id)| id))
        .bind(limit as i64)
        .fetch_all(conn)
        .await?)
}

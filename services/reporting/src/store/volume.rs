//! SQL on `volume_rollups`: per company-local day of creation and slice (customer, origin region,
//! mode), the orders created, their pieces and their weight in grams.

use chrono::NaiveDate;
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

use super::rollups::Slice;

/// Adds `shipments` orders of `pieces` and `weight_grams` in all, created on `day`, to their slice's
/// row and to their customer's month (the slice's agent is not kept: orders have none).
pub(crate) async fn add_orders(
    conn: &mut PgConnection,
    slice: &Slice,
    day: NaiveDate,
    (shipments, pieces, weight_grams): (i64, i64, i64),
) -> Result<(), ApiError> {
    sqlx::query(
        "WITH by_day AS (
             INSERT INTO volume_rollups AS v (day, customer_id, region_code, mode, shipments,
                                              pieces, weight_grams)
             VALUES ($1, $2, $3, $4, $7, $5, $6)
             ON CONFLICT (day, customer_id, region_code, mode) DO UPDATE
                SET shipments = v.shipments + EXCLUDED.shipments,
                    pieces = v.pieces + EXCLUDED.pieces,
                    weight_grams = v.weight_grams + EXCLUDED.weight_grams)
         INSERT INTO volume_rollups_by_customer_month AS v (customer_id, month, shipments, pieces,
                                                            weight_grams)
         VALUES ($2, date_trunc('month', $1::timestamp)::date, $7, $5, $6)
         ON CONFLICT (customer_id, month) DO UPDATE
            SET shipments = v.shipments + EXCLUDED.shipments,
                pieces = v.pieces + EXCLUDED.pieces,
                weight_grams = v.weight_grams + EXCLUDED.weight_grams",
    )
    .bind(day)
    .bind(slice.customer_id)
    .bind(&slice.region_code)
    .bind(&slice.mode)
    .bind(pieces)
    .bind(weight_grams)
    .bind(shipments)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Shipments, pieces and grams of `customer_id` in the month starting on `month` (its first day).
pub(crate) async fn customer_month(
    conn: &mut PgConnection,
    customer_id: Uuid,
    month: NaiveDate,
) -> Result<(i64, i64, i64), ApiError> {
    let sums: Option<(i64, i64, i64)> = sqlx::query_as(
        "SELECT shipments, pieces, weight_grams FROM volume_rollups_by_customer_month
          WHERE customer_id = $1 AND month = $2",
    )
    .bind(customer_id)
    .bind(month)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(sums.unwrap_or_default())
}

/// The customers with any activity over `first..=last`: an order created (volume rollups) or
/// any KPI fact counted (KPI rollups), in id order.
pub(crate) async fn customers_with_activity(
    conn: &mut PgConnection,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<Uuid>, ApiError> {
    Ok(sqlx::query_scalar(
        "SELECT customer_id FROM volume_rollups WHERE day BETWEEN $1 AND $2
         UNION
         SELECT customer_id FROM kpi_rollups
          WHERE day BETWEEN $1 AND $2 AND (numerator <> 0 OR denominator <> 0)
         ORDER BY 1",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?)
}

/// Shipments of `customer_id` created on each day of `first..=last` that had any, by day.
pub(crate) async fn daily_shipments(
    conn: &mut PgConnection,
    customer_id: Uuid,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT day, sum(shipments)::bigint FROM volume_rollups
          WHERE customer_id = $1 AND day BETWEEN $2 AND $3
          GROUP BY day ORDER BY day",
    )
    .bind(customer_id)
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?)
}

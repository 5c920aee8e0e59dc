//! SQL on `volume_rollups`: per company-local day of creation and slice (customer, origin region,
//! mode), the orders created, their pieces and their weight in grams.

use chrono::NaiveDate;
use logistics_platform::ApiError;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::rollups::{Slice, SliceFilter};

/// Adds one order of `pieces` and `weight_grams`, created on `day`, to its slice's row (the
/// slice's agent is not kept: orders have none).
pub(crate) async fn add_order(
    conn: &mut PgConnection,
    slice: &Slice,
    day: NaiveDate,
    pieces: i64,
    weight_grams: i64,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO volume_rollups (day, customer_id, region_code, mode, shipments, pieces,
                                     weight_grams)
         VALUES ($1, $2, $3, $4, 1, $5, $6)
         ON CONFLICT (day, customer_id, region_code, mode) DO UPDATE
            SET shipments = volume_rollups.shipments + 1,
                pieces = volume_rollups.pieces + EXCLUDED.pieces,
                weight_grams = volume_rollups.weight_grams + EXCLUDED.weight_grams",
    )
    .bind(day)
    .bind(slice.customer_id)
    .bind(&slice.region_code)
    .bind(&slice.mode)
    .bind(pieces)
    .bind(weight_grams)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Shipments, pieces and grams over the days `first..=last` of the slices `filter` takes (its
/// agent, which volumes do not have, is not looked at).
pub(crate) async fn sums(
    conn: &mut PgConnection,
    first: NaiveDate,
    last: NaiveDate,
    filter: &SliceFilter,
) -> Result<(i64, i64, i64), ApiError> {
    let mut query = QueryBuilder::<Postgres>::new(
        "SELECT coalesce(sum(shipments), 0)::bigint, coalesce(sum(pieces), 0)::bigint,
                coalesce(sum(weight_grams), 0)::bigint
           FROM volume_rollups WHERE day BETWEEN ",
    );
    query.push_bind(first).push(" AND ").push_bind(last);
    if let Some(customer_id) = filter.customer_id {
        query.push(" AND customer_id = ").push_bind(customer_id);
    }
    if let Some(region) = &filter.region_code {
        query.push(" AND region_code = ").push_bind(region.clone());
    }
    if let Some(mode) = &filter.mode {
        query.push(" AND mode = ").push_bind(mode.clone());
    }
    Ok(query.build_query_as().fetch_one(&mut *conn).await?)
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

//! SQL on the `activity` table: the shipments each customer made, what grading and value scores
//! count.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::grading::{Activity, GradingPolicy};
use crate::domain::value::{Quintiles, ValueFigures};

/// Records a shipment; false when this activity id was recorded before.
pub(crate) async fn insert(
    tx: &mut PgConnection,
    customer_id: Uuid,
    activity_id: &str,
    occur_time: DateTime<Utc>,
    spend_fen: i64,
) -> Result<bool, ApiError> {
    let inserted = sqlx::query(
        "INSERT INTO activity (customer_id, activity_id, occur_time, spend_minor)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(customer_id)
    .bind(activity_id)
    .bind(occur_time)
    .bind(spend_fen)
    .execute(tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// The customer's activity within the policy's windows, as of `now`.
pub(crate) async fn activity(
    conn: &mut PgConnection,
    customer_id: Uuid,
    policy: &GradingPolicy,
    now: DateTime<Utc>,
) -> Result<Activity, ApiError> {
    let (recent_shipments, spend_fen): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE occur_time > $2 - make_interval(days => $3)),
                coalesce(sum(spend_minor) FILTER (WHERE occur_time > $2 - make_interval(days => $4)), 0)::bigint
         FROM activity WHERE customer_id = $1 AND occur_time <= $2",
    )
    .bind(customer_id)
    .bind(now)
    .bind(policy.frequent_window_days as i32)
    .bind(policy.spend_window_days as i32)
    .fetch_one(conn)
    .await?;
    Ok(Activity {
        recent_shipments,
        spend_fen,
    })
}

/// The customer's own figures for its value scores, over the 365 days before `now`.
pub(crate) async fn value_figures(
    conn: &mut PgConnection,
    customer_id: Uuid,
    now: DateTime<Utc>,
) -> Result<ValueFigures, ApiError> {
    let (last_shipment, shipments, spend_fen): (Option<DateTime<Utc>>, i64, i64) = sqlx::query_as(
        "SELECT (SELECT last_shipment_time FROM customers WHERE id = $1),
                count(*), coalesce(sum(spend_minor), 0)::bigint
         FROM activity
         WHERE customer_id = $1 AND occur_time > $2 - interval '365 days' AND occur_time <= $2",
    )
    .bind(customer_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(ValueFigures {
        days_since_last_shipment: last_shipment.map(|last| (now - last).num_days().max(0)),
        shipments,
        spend_fen,
    })
}

/// The 20/40/60/80 % boundaries of recency (days), frequency and spend over every customer that
/// shipped in the 365 days before `now`; `None` when nobody did.
pub(crate) async fn population_quintiles(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> Result<Option<Quintiles>, ApiError> {
    type Boundaries = Option<Vec<f64>>;
    let (recency, frequency, monetary): (Boundaries, Boundaries, Boundaries) = sqlx::query_as(
        "WITH per_customer AS (
             SELECT floor(extract(epoch FROM $1 - max(occur_time)) / 86400) AS recency_days,
                    count(*)::float8 AS shipments, sum(spend_minor)::float8 AS spend
             FROM activity
             WHERE occur_time > $1 - interval '365 days' AND occur_time <= $1
             GROUP BY customer_id
         )
         SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency_days::float8),
                percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY shipments),
                percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY spend)
         FROM per_customer",
    )
    .bind(now)
    .fetch_one(conn)
    .await?;
    let four = |values: Boundaries| -> Option<[f64; 4]> { values?.try_into().ok() };
    Ok(match (four(recency), four(frequency), four(monetary)) {
        (Some(recency_days), Some(shipments), Some(spend_fen)) => Some(Quintiles {
            recency_days,
            shipments,
            spend_fen,
        }),
        _ => None,
    })
}

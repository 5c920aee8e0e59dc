//! SQL on `kpi_rollups` (per company-local day, KPI and slice: customer, region, mode, agent) and
//! `kpi_rollups_by_region` (the same without the customer): the integer sums every KPI is read
//! from. A query with no customer reads the second, far smaller table.

use chrono::NaiveDate;
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::kpi::{Increment, Kpi};

/// Which slice a fact belongs to; empty texts mean "none" (an order has no agent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slice {
    /// The customer.
    pub customer_id: Uuid,
    /// The region.
    pub region_code: String,
    /// The transport mode's stored name.
    pub mode: String,
    /// The agent.
    pub agent: String,
}

/// Adds each increment to its day's row of `slice`, in both tables.
pub(crate) async fn add(
    conn: &mut PgConnection,
    slice: &Slice,
    increments: &[Increment],
) -> Result<(), ApiError> {
    for increment in increments {
        sqlx::query(
            "INSERT INTO kpi_rollups (day, kpi, customer_id, region_code, mode, agent, numerator,
                                      denominator)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (day, kpi, customer_id, region_code, mode, agent) DO UPDATE
                SET numerator = kpi_rollups.numerator + EXCLUDED.numerator,
                    denominator = kpi_rollups.denominator + EXCLUDED.denominator",
        )
        .bind(increment.day)
        .bind(Stored(increment.kpi))
        .bind(slice.customer_id)
        .bind(&slice.region_code)
        .bind(&slice.mode)
        .bind(&slice.agent)
        .bind(increment.numerator)
        .bind(increment.denominator)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO kpi_rollups_by_region (day, kpi, region_code, mode, agent, numerator,
                                                denominator)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (day, kpi, region_code, mode, agent) DO UPDATE
                SET numerator = kpi_rollups_by_region.numerator + EXCLUDED.numerator,
                    denominator = kpi_rollups_by_region.denominator + EXCLUDED.denominator",
        )
        .bind(increment.day)
        .bind(Stored(increment.kpi))
        .bind(&slice.region_code)
        .bind(&slice.mode)
        .bind(&slice.agent)
        .bind(increment.numerator)
        .bind(increment.denominator)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Which rows a KPI query adds up; unset fields match every slice.
#[derive(Debug, Clone, Default)]
pub(crate) struct SliceFilter {
    /// Only this customer.
    pub customer_id: Option<Uuid>,
    /// Only this region.
    pub region_code: Option<String>,
    /// Only this mode (stored name).
    pub mode: Option<String>,
    /// Only this agent.
    pub agent: Option<String>,
}

/// The sums of every KPI over the days `first..=last` of the slices `filter` takes.
pub(crate) async fn sums(
    conn: &mut PgConnection,
    first: NaiveDate,
    last: NaiveDate,
    filter: &SliceFilter,
) -> Result<Vec<(Kpi, i64, i64)>, ApiError> {
    let table = match filter.customer_id {
        Some(_) => "kpi_rollups",
        None => "kpi_rollups_by_region",
    };
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT kpi, coalesce(sum(numerator), 0)::bigint, coalesce(sum(denominator), 0)::bigint
           FROM {table} WHERE day BETWEEN "
    ));
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
    if let Some(agent) = &filter.agent {
        query.push(" AND agent = ").push_bind(agent.clone());
    }
    query.push(" GROUP BY kpi");
    let rows: Vec<(Stored<Kpi>, i64, i64)> = query.build_query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(kpi, numerator, denominator)| (kpi.get(), numerator, denominator))
        .collect())
}

/// The sums of `kpis` for `customer_id` in each month of `first..=last` that has any: the first
/// day of the month, the KPI, numerator and denominator.
pub(crate) async fn monthly_sums(
    conn: &mut PgConnection,
    customer_id: Uuid,
    kpis: &[Kpi],
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(NaiveDate, Kpi, i64, i64)>, ApiError> {
    let kpis: Vec<Stored<Kpi>> = kpis.iter().copied().map(Stored).collect();
    let rows: Vec<(NaiveDate, Stored<Kpi>, i64, i64)> = sqlx::query_as(
        "SELECT date_trunc('month', day)::date, kpi, sum(numerator)::bigint,
                sum(denominator)::bigint
           FROM kpi_rollups
          WHERE customer_id = $1 AND kpi = ANY($2) AND day BETWEEN $3 AND $4
          GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(customer_id)
    .bind(&kpis)
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(month, kpi, numerator, denominator)| (month, kpi.get(), numerator, denominator))
        .collect())
}

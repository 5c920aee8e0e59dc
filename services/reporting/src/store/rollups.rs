//! SQL on `kpi_rollups` (per company-local day, KPI and slice: customer, region, mode, agent),
//! `kpi_rollups_by_region` (the same without the customer) and `kpi_rollups_by_customer_month`
//! (per customer and month): the integer sums every KPI is read from. A query with no customer
//! reads the second, far smaller table; a customer's whole months read the third.

use chrono::NaiveDate;
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::kpi::{Increment, Kpi};

/// Which slice a fact belongs to; empty texts mean "none" (an order has no agent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// Adds the increments to their day's rows of `slice` and to the customer's month, in the three
/// tables, with one statement (increments of the same day and KPI are summed first: a row may be
/// updated only once per statement).
pub(crate) async fn add(
    conn: &mut PgConnection,
    slice: &Slice,
    increments: &[Increment],
) -> Result<(), ApiError> {
    if increments.is_empty() {
        return Ok(());
    }
    let days: Vec<NaiveDate> = increments.iter().map(|increment| increment.day).collect();
    let kpis: Vec<Stored<Kpi>> = increments
        .iter()
        .map(|increment| Stored(increment.kpi))
        .collect();
    let numerators: Vec<i64> = increments
        .iter()
        .map(|increment| increment.numerator)
        .collect();
    let denominators: Vec<i64> = increments
        .iter()
        .map(|increment| increment.denominator)
        .collect();
    sqlx::query(
        "WITH increments AS (
             SELECT day, kpi, sum(numerator)::bigint AS numerator,
                    sum(denominator)::bigint AS denominator
               FROM unnest($1::date[], $2::text[], $3::bigint[], $4::bigint[])
                    AS i (day, kpi, numerator, denominator)
              GROUP BY day, kpi),
         by_slice AS (
             INSERT INTO kpi_rollups AS r (day, kpi, customer_id, region_code, mode, agent,
                                           numerator, denominator)
             SELECT day, kpi, $5, $6, $7, $8, numerator, denominator FROM increments
             ON CONFLICT (day, kpi, customer_id, region_code, mode, agent) DO UPDATE
                SET numerator = r.numerator + EXCLUDED.numerator,
                    denominator = r.denominator + EXCLUDED.denominator),
         by_region AS (
             INSERT INTO kpi_rollups_by_region AS r (day, kpi, region_code, mode, agent, numerator,
                                                     denominator)
             SELECT day, kpi, $6, $7, $8, numerator, denominator FROM increments
             ON CONFLICT (day, kpi, region_code, mode, agent) DO UPDATE
                SET numerator = r.numerator + EXCLUDED.numerator,
                    denominator = r.denominator + EXCLUDED.denominator)
         INSERT INTO kpi_rollups_by_customer_month AS r (customer_id, month, kpi, numerator,
                                                         denominator)
         SELECT $5, date_trunc('month', day::timestamp)::date, kpi, sum(numerator),
                sum(denominator)
           FROM increments GROUP BY 2, 3
         ON CONFLICT (customer_id, month, kpi) DO UPDATE
            SET numerator = r.numerator + EXCLUDED.numerator,
                denominator = r.denominator + EXCLUDED.denominator",
    )
    .bind(&days)
    .bind(&kpis)
    .bind(&numerators)
    .bind(&denominators)
    .bind(slice.customer_id)
    .bind(&slice.region_code)
    .bind(&slice.mode)
    .bind(&slice.agent)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The sums of every KPI of `customer_id` in the month starting on `month` (its first day).
pub(crate) async fn customer_month_sums(
    conn: &mut PgConnection,
    customer_id: Uuid,
    month: NaiveDate,
) -> Result<Vec<(Kpi, i64, i64)>, ApiError> {
    let rows: Vec<(Stored<Kpi>, i64, i64)> = sqlx::query_as(
        "SELECT kpi, numerator, denominator FROM kpi_rollups_by_customer_month
          WHERE customer_id = $1 AND month = $2",
    )
    .bind(customer_id)
    .bind(month)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kpi, numerator, denominator)| (kpi.get(), numerator, denominator))
        .collect())
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

/// The sums of `kpis` for `customer_id` in each month from the one starting on `first` to the one
/// holding `last`, that has any: the first day of the month, the KPI, numerator and denominator.
pub(crate) async fn monthly_sums(
    conn: &mut PgConnection,
    customer_id: Uuid,
    kpis: &[Kpi],
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(NaiveDate, Kpi, i64, i64)>, ApiError> {
    let kpis: Vec<Stored<Kpi>> = kpis.iter().copied().map(Stored).collect();
    let rows: Vec<(NaiveDate, Stored<Kpi>, i64, i64)> = sqlx::query_as(
        "SELECT month, kpi, numerator, denominator
           FROM kpi_rollups_by_customer_month
          WHERE customer_id = $1 AND kpi = ANY($2) AND month BETWEEN $3 AND $4
          ORDER BY 1, 2",
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

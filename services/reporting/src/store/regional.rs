//! SQL of the regional report: the volume and KPI rollups summed per region (and month) in SQL.

use chrono::NaiveDate;
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::PgConnection;

use crate::domain::kpi::Kpi;

/// One region's volume of one month.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct RegionMonth {
    /// The origin region code.
    pub region_code: String,
    /// The month's first day.
    pub month: NaiveDate,
    /// Orders created.
    pub shipments: i64,
    /// Their pieces.
    pub pieces: i64,
    /// Their grams.
    pub weight_grams: i64,
}

/// Shipments, pieces and grams per origin region and calendar month over the days
/// `first..=last`.
pub(crate) async fn volume_by_region_and_month(
    conn: &mut PgConnection,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<RegionMonth>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT region_code, date_trunc('month', day)::date AS month,
                sum(shipments)::bigint AS shipments, sum(pieces)::bigint AS pieces,
                sum(weight_grams)::bigint AS weight_grams
           FROM volume_rollups WHERE day BETWEEN $1 AND $2
          GROUP BY 1, 2",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?)
}

/// The sums of each of `kpis` per region over the days `first..=last`: (region code, KPI,
/// numerator, denominator). Read from the sums without the customer, a few thousand rows a month.
pub(crate) async fn kpis_by_region(
    conn: &mut PgConnection,
    first: NaiveDate,
    last: NaiveDate,
    kpis: &[Kpi],
) -> Result<Vec<(String, Kpi, i64, i64)>, ApiError> {
    let names: Vec<&str> = kpis.iter().map(|kpi| kpi.as_str()).collect();
    let rows: Vec<(String, Stored<Kpi>, i64, i64)> = sqlx::query_as(
        "SELECT region_code, kpi, sum(numerator)::bigint, sum(denominator)::bigint
           FROM kpi_rollups_by_region WHERE day BETWEEN $1 AND $2 AND kpi = ANY($3)
          GROUP BY 1, 2",
    )
    .bind(first)
    .bind(last)
    .bind(names)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(region, kpi, numerator, denominator)| (region, kpi.get(), numerator, denominator))
        .collect())
}

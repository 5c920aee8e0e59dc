//! SQL on the agent slice of `kpi_rollups_by_region`: each agent's complaint sums over a period,
//! by login.

use chrono::NaiveDate;
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::PgConnection;

use crate::domain::kpi::Kpi;

/// The complaint KPIs an agent is rated on.
pub(crate) const AGENT_KPIS: [Kpi; 3] = [
    Kpi::FeedbackTimeliness,
    Kpi::ResolutionTimeliness,
    Kpi::ResolutionSatisfactionRate,
];

/// One agent's sums of one KPI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentSums {
    /// The agent's login.
    pub agent: String,
    /// The KPI.
    pub kpi: Kpi,
    /// Above the line.
    pub numerator: i64,
    /// Below the line.
    pub denominator: i64,
}

/// The sums of [`AGENT_KPIS`] over `first..=last` of up to `limit` agents (only `only`, when
/// given) after the login `after`, by login.
pub(crate) async fn page(
    conn: &mut PgConnection,
    (first, last): (NaiveDate, NaiveDate),
    only: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<AgentSums>, ApiError> {
    let kpis: Vec<Stored<Kpi>> = AGENT_KPIS.iter().copied().map(Stored).collect();
    // The page's agents first, so that LIMIT counts agents, not rows; "C" collation so the
    // order (and the page token's position) is byte order whatever the database's locale.
    let rows: Vec<(String, Stored<Kpi>, i64, i64)> = sqlx::query_as(
        "WITH agents AS (
             SELECT DISTINCT agent COLLATE \"C\" AS agent FROM kpi_rollups_by_region
              WHERE day BETWEEN $1 AND $2 AND agent <> '' AND kpi = ANY($3)
                AND ($4::text IS NULL OR agent = $4)
                AND ($5::text IS NULL OR agent COLLATE \"C\" > $5)
              ORDER BY 1 LIMIT $6)
         SELECT r.agent, r.kpi, coalesce(sum(r.numerator), 0)::bigint,
                coalesce(sum(r.denominator), 0)::bigint
           FROM kpi_rollups_by_region r JOIN agents a ON a.agent = r.agent
          WHERE r.day BETWEEN $1 AND $2 AND r.kpi = ANY($3)
          GROUP BY r.agent, r.kpi
          ORDER BY r.agent COLLATE \"C\", r.kpi",
    )
    .bind(first)
    .bind(last)
    .bind(&kpis)
    .bind(only)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(agent, kpi, numerator, denominator)| AgentSums {
            agent,
            kpi: kpi.get(),
            numerator,
            denominator,
        })
        .collect())
}

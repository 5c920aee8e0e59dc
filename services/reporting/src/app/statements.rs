//! Monthly statements: computed on request from the rollups (the KPI sums GetKpis reads, and the
//! volume rollup), generated and stored for every active customer of a closed month, by request
//! or by the monthly job, and read back.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use logistics_platform::ApiError;
use logistics_platform::time::company_time_zone;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Reports;
use crate::domain::statement::{self, Month, StatementSums};
use crate::reasons::Reason;
use crate::store::rollups;
use crate::store::statements::{self as stored, NewStatement, StoredStatement};
use crate::store::volume;

/// The job that generates each closed month's statements by itself.
pub(crate) const JOB: &str = "reporting.monthly_statements";
/// How often the job looks for a month to generate.
pub(crate) const JOB_PERIOD: Duration = Duration::from_secs(15 * 60);
/// How long after a month closes the job waits before generating it, so the events of its last
/// minutes have reached reporting through the feeds.
const SETTLE: chrono::Duration = chrono::Duration::hours(1);

/// A customer's statement of a month: its sums and those of the month before.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    /// The stored statement's id; `None` when computed on request.
    pub id: Option<Uuid>,
    /// The customer.
    pub customer_id: Uuid,
    /// The month.
    pub month: Month,
    /// When it was generated; `None` when computed on request.
    pub generate_time: Option<DateTime<Utc>>,
    /// The month's sums.
    pub sums: StatementSums,
    /// The month before's sums.
    pub previous: StatementSums,
}

/// Where a page of stored statements ends: a month's first day and a customer id.
pub(crate) type Position = (NaiveDate, Uuid);

/// A page of stored statements.
#[derive(Debug, Clone)]
pub(crate) struct StatementPage {
    /// The statements.
    pub statements: Vec<Statement>,
    /// Where the next page starts; `None` on the last.
    pub next: Option<Position>,
}

/// The sums of `customer_id`'s `month`, from the customer's monthly rollups only.
async fn month_sums(
    conn: &mut PgConnection,
    customer_id: Uuid,
    month: Month,
) -> Result<StatementSums, ApiError> {
    let kpi_sums = rollups::customer_month_sums(conn, customer_id, month.first_day()).await?;
    let volume = volume::customer_month(conn, customer_id, month.first_day()).await?;
    Ok(StatementSums::from_kpis(
        |wanted| {
            kpi_sums
                .iter()
                .find(|(kpi, _, _)| *kpi == wanted)
                .map_or((0, 0), |(_, numerator, denominator)| {
                    (*numerator, *denominator)
                })
        },
        volume,
    ))
}

fn from_stored(row: StoredStatement) -> Result<Statement, ApiError> {
    let sums = |stored: &[i64]| {
        StatementSums::from_slice(stored)
            .ok_or_else(|| anyhow::anyhow!("statement {} stores {} sums", row.id, stored.len()))
    };
    Ok(Statement {
        id: Some(row.id),
        customer_id: row.customer_id,
        month: Month::of_day(row.month),
        generate_time: Some(row.generate_time),
        sums: sums(&row.sums)?,
        previous: sums(&row.previous_sums)?,
    })
}

impl Reports {
    /// `customer_id`'s statement of `month` computed now (the figures so far for the current
    /// month).
    pub(crate) async fn monthly_statement(
        &self,
        customer_id: Uuid,
        month: Month,
    ) -> Result<Statement, ApiError> {
        let mut conn = self.pool.acquire().await?;
        Ok(Statement {
            id: None,
            customer_id,
            month,
            generate_time: None,
            sums: month_sums(&mut conn, customer_id, month).await?,
            previous: month_sums(&mut conn, customer_id, month.previous()).await?,
        })
    }

    /// Generates and stores the statement of every customer with any activity in `month`,
    /// replacing the month's earlier ones, in one transaction; answers how many. A month that has
    /// not closed at `now` is FAILED_PRECONDITION MONTH_NOT_CLOSED.
    pub(crate) async fn generate_statements(
        &self,
        month: Month,
        now: DateTime<Utc>,
    ) -> Result<usize, ApiError> {
        if !month.has_closed(now, company_time_zone()) {
            return Err(ApiError::FailedPrecondition {
                reason: Reason::MonthNotClosed.as_str(),
                message: format!("{month} has not ended yet (company time, Asia/Shanghai)"),
                metadata: vec![("month", month.to_string())],
            });
        }
        let mut tx = self.pool.begin().await?;
        let customers =
            volume::customers_with_activity(&mut tx, month.first_day(), month.last_day()).await?;
        let mut statements = Vec::with_capacity(customers.len());
        for customer_id in customers {
            let sums = month_sums(&mut tx, customer_id, month).await?;
            let previous = month_sums(&mut tx, customer_id, month.previous()).await?;
            statements.push(NewStatement {
                customer_id,
                sums: sums.to_vec(),
                previous_sums: previous.to_vec(),
            });
        }
        stored::replace_month(&mut tx, month.first_day(), &statements, now).await?;
        tx.commit().await?;
        Ok(statements.len())
    }

    /// The job's turn: generates the month before `now`'s (company time) once it has been closed
    /// for a while and was not generated yet; answers the month and count when it did.
    pub(crate) async fn generate_closed_month(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, usize)>, ApiError> {
        let month = statement::month_to_generate(now, company_time_zone(), SETTLE);
        let mut conn = self.pool.acquire().await?;
        if stored::generated(&mut conn, month.first_day()).await? {
            return Ok(None);
        }
        drop(conn);
        let count = self.generate_statements(month, now).await?;
        Ok(Some((month.to_string(), count)))
    }

    /// The stored statement with `id`, or of `customer_id` and `month`: NOT_FOUND
    /// STATEMENT_NOT_FOUND (naming `asked`) when there is none.
    pub(crate) async fn stored_statement(
        &self,
        key: StatementKey,
        asked: &str,
    ) -> Result<Statement, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let row = match key {
            StatementKey::Id(id) => stored::by_id(&mut conn, id).await?,
            StatementKey::CustomerMonth(customer_id, month) => {
                stored::by_customer_month(&mut conn, customer_id, month.first_day()).await?
            }
        };
        let row = row.ok_or_else(|| ApiError::NotFound {
            reason: Reason::StatementNotFound.as_str(),
            resource: "statement",
            id: asked.to_owned(),
        })?;
        from_stored(row)
    }

    /// A page of at most `limit` stored statements of `customer_id` and `month` (`None`: any),
    /// after `after`.
    pub(crate) async fn list_statements(
        &self,
        customer_id: Option<Uuid>,
        month: Option<Month>,
        after: Option<Position>,
        limit: usize,
    ) -> Result<StatementPage, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let month = month.map(Month::first_day);
        let mut rows = stored::list(&mut conn, customer_id, month, after, limit + 1).await?;
        let next = (rows.len() > limit).then(|| {
            rows.truncate(limit);
            rows.last().map(|row| (row.month, row.customer_id))
        });
        Ok(StatementPage {
            statements: rows
                .into_iter()
                .map(from_stored)
                .collect::<Result<_, _>>()?,
            next: next.flatten(),
        })
    }
}

/// How a stored statement is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatementKey {
    /// By id.
    Id(Uuid),
    /// By its customer and month (its resource name).
    CustomerMonth(Uuid, Month),
}

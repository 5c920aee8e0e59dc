//! SQL for satisfaction surveys and the monthly survey samples.

use chrono::{DateTime, Utc};
use futures::TryStreamExt as _;
use logistics_platform::ApiError;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::engagement::{TimePosition, into_page};
use crate::domain::follow_up::{SampleCandidate, SampleDraw};

const SURVEY_COLUMNS: &str = "id, customer_id, follow_up_id, timeliness, cargo_safety, \
                              staff_attitude, price, information, comment, agent, survey_time, \
                              create_time";

/// A survey answer as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SurveyRow {
    /// Id.
    pub(crate) id: Uuid,
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// The follow-up it was taken in.
    pub(crate) follow_up_id: Option<Uuid>,
    /// Score 1-5.
    pub(crate) timeliness: i16,
    /// Score 1-5.
    pub(crate) cargo_safety: i16,
    /// Score 1-5.
    pub(crate) staff_attitude: i16,
    /// Score 1-5.
    pub(crate) price: i16,
    /// Score 1-5.
    pub(crate) information: i16,
    /// The customer's words.
    pub(crate) comment: String,
    /// Who took it.
    pub(crate) agent: String,
    /// When taken.
    pub(crate) survey_time: DateTime<Utc>,
    /// When recorded.
    pub(crate) create_time: DateTime<Utc>,
}

/// What RecordSurvey stores. Scores are checked to be 1 to 5 before.
#[derive(Debug, Clone)]
pub(crate) struct NewSurvey {
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// The follow-up it was taken in.
    pub(crate) follow_up_id: Option<Uuid>,
    /// Scores in contract order: timeliness, cargo safety, staff attitude, price, information.
    pub(crate) scores: [i16; 5],
    /// The customer's words.
    pub(crate) comment: String,
    /// Who took it.
    pub(crate) agent: String,
    /// When taken.
    pub(crate) survey_time: DateTime<Utc>,
}

/// Stores a survey answer.
pub(crate) async fn insert_survey(
    tx: &mut PgConnection,
    new: &NewSurvey,
) -> Result<SurveyRow, ApiError> {
    let sql = format!(
        "INSERT INTO surveys (id, customer_id, follow_up_id, timeliness, cargo_safety,
                              staff_attitude, price, information, comment, agent, survey_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING {SURVEY_COLUMNS}"
    );
    let [timeliness, cargo_safety, staff_attitude, price, information] = new.scores;
    let row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::now_v7())
        .bind(new.customer_id)
        .bind(new.follow_up_id)
        .bind(timeliness)
        .bind(cargo_safety)
        .bind(staff_attitude)
        .bind(price)
        .bind(information)
        .bind(&new.comment)
        .bind(&new.agent)
        .bind(new.survey_time)
        .fetch_one(tx)
        .await?;
    Ok(row)
}

/// Which surveys to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct SurveyFilter {
    /// Only this customer's.
    pub(crate) customer_id: Option<Uuid>,
    /// Only taken at or after.
    pub(crate) start_time: Option<DateTime<Utc>>,
    /// Only taken before.
    pub(crate) end_time: Option<DateTime<Utc>>,
}

/// One page of surveys, newest first.
pub(crate) async fn list_surveys(
    pool: &PgPool,
    filter: &SurveyFilter,
    after: Option<&TimePosition>,
    page_size: usize,
) -> Result<(Vec<SurveyRow>, Option<TimePosition>), ApiError> {
    let mut query =
        QueryBuilder::<Postgres>::new(format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE true"));
    if let Some(customer_id) = filter.customer_id {
        query.push(" AND customer_id = ").push_bind(customer_id);
    }
    if let Some(start) = filter.start_time {
        query.push(" AND survey_time >= ").push_bind(start);
    }
    if let Some(end) = filter.end_time {
        query.push(" AND survey_time < ").push_bind(end);
    }
    if let Some(after) = after {
        after.push_after(&mut query, "survey_time", true)?;
    }
    query
        .push(" ORDER BY survey_time DESC, id DESC LIMIT ")
        .push_bind(page_size as i64 + 1);
    let rows: Vec<SurveyRow> = query.build_query_as().fetch_all(pool).await?;
    Ok(into_page(rows, page_size, |row| {
        TimePosition::new(row.survey_time, row.id)
    }))
}

/// One customer picked for a month's survey calls.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SampledCustomer {
    /// Account manager it was picked for.
    pub(crate) account_manager: String,
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Its code.
    pub(crate) customer_code: String,
}

/// Serialises sampling of one month until the transaction ends, so two concurrent calls cannot
/// both pick a manager's next customers.
pub(crate) async fn lock_sample_month(tx: &mut PgConnection, month: &str) -> Result<(), ApiError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('survey_samples:' || $1, 0))")
        .bind(month)
        .execute(tx)
        .await?;
    Ok(())
}

/// Everyone picked for `month`, by manager and order of picking.
pub(crate) async fn sampled(
    tx: &mut PgConnection,
    month: &str,
) -> Result<Vec<SampledCustomer>, ApiError> {
    let rows = sqlx::query_as(
        "SELECT s.account_manager, s.customer_id, c.customer_code
         FROM survey_samples s JOIN customers c ON c.id = s.customer_id
         WHERE s.month = $1
         ORDER BY s.account_manager, s.pick_order",
    )
    .bind(month)
    .fetch_all(tx)
    .await?;
    Ok(rows)
}

/// Offers `draw` every customer that may still be picked for `month`: with an account manager,
/// not deleted, not BLOCKED, and not picked this month yet. Rows stream through the draw, so
/// memory does not grow with the number of customers.
pub(crate) async fn offer_sample_candidates(
    tx: &mut PgConnection,
    month: &str,
    draw: &mut SampleDraw,
) -> Result<(), ApiError> {
    let mut rows = sqlx::query_as::<_, (Uuid, String)>(
        "SELECT id, account_manager FROM customers c
         WHERE account_manager <> '' AND delete_time IS NULL AND status <> 'BLOCKED'
           AND NOT EXISTS (SELECT 1 FROM survey_samples s
                           WHERE s.month = $1 AND s.customer_id = c.id)",
    )
    .bind(month)
    .fetch(tx);
    while let Some((customer_id, account_manager)) = rows.try_next().await? {
        draw.offer(SampleCandidate {
            customer_id,
            account_manager,
        });
    }
    Ok(())
}

/// Adds customers to a manager's sample for `month`, numbered on from `first_order`.
pub(crate) async fn add_to_sample(
    tx: &mut PgConnection,
    month: &str,
    account_manager: &str,
    first_order: i32,
    customers: &[Uuid],
) -> Result<(), ApiError> {
    let orders: Vec<i32> = (first_order..).take(customers.len()).collect();
    sqlx::query(
        "INSERT INTO survey_samples (month, customer_id, account_manager, pick_order)
         SELECT $1, picked.customer_id, $2, picked.pick_order
         FROM unnest($3::uuid[], $4::int[]) AS picked (customer_id, pick_order)",
    )
    .bind(month)
    .bind(account_manager)
    .bind(customers)
    .bind(orders)
    .execute(tx)
    .await?;
    Ok(())
}

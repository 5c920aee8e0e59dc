//! SQL on the engagement tables: `interactions` and `follow_ups`, and the keyset positions the
//! survey list shares with them.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::follow_up::{FollowUpReason, FollowUpStatus};
use crate::domain::interaction::{Channel, Direction};

/// Where a page ends in a list ordered by a time and then id: the last item's time (microseconds,
/// PostgreSQL's precision) and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TimePosition {
    micros: i64,
    id: Uuid,
}

impl TimePosition {
    pub(super) fn new(time: DateTime<Utc>, id: Uuid) -> Self {
        Self {
            micros: time.timestamp_micros(),
            id,
        }
    }

    fn time(&self) -> Result<DateTime<Utc>, ApiError> {
        DateTime::from_timestamp_micros(self.micros)
            .ok_or_else(|| ApiError::invalid_field("page_token", "is malformed"))
    }

    /// Adds the keyset condition: items strictly after this position in the list's order.
    pub(super) fn push_after(
        &self,
        query: &mut QueryBuilder<Postgres>,
        column: &str,
        descending: bool,
    ) -> Result<(), ApiError> {
        let comparison = if descending { "<" } else { ">" };
        query
            .push(format!(" AND ({column}, id) {comparison} ("))
            .push_bind(self.time()?)
            .push(", ")
            .push_bind(self.id)
            .push(")");
        Ok(())
    }
}

/// Cuts a page of `page_size` from rows fetched with one extra, and the position after it when
/// more follow.
pub(super) fn into_page<T>(
    mut rows: Vec<T>,
    page_size: usize,
    position: impl Fn(&T) -> TimePosition,
) -> (Vec<T>, Option<TimePosition>) {
    let more = rows.len() > page_size;
    rows.truncate(page_size);
    let next = if more {
        rows.last().map(position)
    } else {
        None
    };
    (rows, next)
}

// ---- Interactions ----

const INTERACTION_COLUMNS: &str =
    "id, customer_id, channel, direction, subject, summary, agent, occur_time, create_time";

/// One contact with a customer, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct InteractionRow {
    /// Id.
    pub(crate) id: Uuid,
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// How it took place.
    pub(crate) channel: Stored<Channel>,
    /// Who reached out.
    pub(crate) direction: Stored<Direction>,
    /// What it was about.
    pub(crate) subject: String,
    /// What was said.
    pub(crate) summary: String,
    /// Who handled it.
    pub(crate) agent: String,
    /// When it took place.
    pub(crate) occur_time: DateTime<Utc>,
    /// When it was logged.
    pub(crate) create_time: DateTime<Utc>,
}

/// What LogInteraction stores.
#[derive(Debug, Clone)]
pub(crate) struct NewInteraction {
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// How.
    pub(crate) channel: Channel,
    /// Who started it.
    pub(crate) direction: Direction,
    /// What about.
    pub(crate) subject: String,
    /// What was said.
    pub(crate) summary: String,
    /// Who handled it.
    pub(crate) agent: String,
    /// When.
    pub(crate) occur_time: DateTime<Utc>,
}

/// Stores an interaction.
pub(crate) async fn insert_interaction(
    tx: &mut PgConnection,
    new: &NewInteraction,
) -> Result<InteractionRow, ApiError> {
    let row = sqlx::query_as(
        "INSERT INTO interactions (id, customer_id, channel, direction, subject, summary, agent,
                                   occur_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, customer_id, channel, direction, subject, summary, agent, occur_time,
                   create_time",
    )
    .bind(Uuid::now_v7())
    .bind(new.customer_id)
    .bind(new.channel.as_str())
    .bind(new.direction.as_str())
    .bind(&new.subject)
    .bind(&new.summary)
    .bind(&new.agent)
    .bind(new.occur_time)
    .fetch_one(tx)
    .await?;
    Ok(row)
}

/// Which interactions to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct InteractionFilter {
    /// Only this customer's.
    pub(crate) customer_id: Option<Uuid>,
    /// Only this agent's.
    pub(crate) agent: Option<String>,
    /// Only over this channel.
    pub(crate) channel: Option<Channel>,
    /// Only at or after.
    pub(crate) start_time: Option<DateTime<Utc>>,
    /// Only before.
    pub(crate) end_time: Option<DateTime<Utc>>,
}

/// One page of interactions, newest first.
pub(crate) async fn list_interactions(
    pool: &PgPool,
    filter: &InteractionFilter,
    after: Option<&TimePosition>,
    page_size: usize,
) -> Result<(Vec<InteractionRow>, Option<TimePosition>), ApiError> {
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT {INTERACTION_COLUMNS} FROM interactions WHERE true"
    ));
    if let Some(customer_id) = filter.customer_id {
        query.push(" AND customer_id = ").push_bind(customer_id);
    }
    if let Some(agent) = &filter.agent {
        query.push(" AND agent = ").push_bind(agent.clone());
    }
    if let Some(channel) = filter.channel {
        query.push(" AND channel = ").push_bind(channel.as_str());
    }
    if let Some(start) = filter.start_time {
        query.push(" AND occur_time >= ").push_bind(start);
    }
    if let Some(end) = filter.end_time {
        query.push(" AND occur_time < ").push_bind(end);
    }
    if let Some(after) = after {
        after.push_after(&mut query, "occur_time", true)?;
    }
    query
        .push(" ORDER BY occur_time DESC, id DESC LIMIT ")
        .push_bind(page_size as i64 + 1);
    let rows: Vec<InteractionRow> = query.build_query_as().fetch_all(pool).await?;
    Ok(into_page(rows, page_size, |row| {
        TimePosition::new(row.occur_time, row.id)
    }))
}

// ---- Follow-ups ----

pub(super) const FOLLOW_UP_COLUMNS: &str = "id, customer_id, reason, status, due_time, agent, notes, \
                                 reference, outcome, outcome_notes, complete_time, cancel_time, \
                                 version, create_time, update_time";

/// A follow-up as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct FollowUpRow {
    /// Id.
    pub(crate) id: Uuid,
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Why it was scheduled.
    pub(crate) reason: Stored<FollowUpReason>,
    /// Where it stands.
    pub(crate) status: Stored<FollowUpStatus>,
    /// When it must be done by.
    pub(crate) due_time: DateTime<Utc>,
    /// Agent in charge.
    pub(crate) agent: String,
    /// What to do.
    pub(crate) notes: String,
    /// Order or complaint number.
    pub(crate) reference: String,
    /// What came of it.
    pub(crate) outcome: String,
    /// Details of the outcome.
    pub(crate) outcome_notes: String,
    /// When done.
    pub(crate) complete_time: Option<DateTime<Utc>>,
    /// When called off.
    pub(crate) cancel_time: Option<DateTime<Utc>>,
    /// Bumped on every change.
    pub(crate) version: i64,
    /// When scheduled.
    pub(crate) create_time: DateTime<Utc>,
    /// When last changed.
    pub(crate) update_time: DateTime<Utc>,
}

impl FollowUpRow {
    /// The etag callers send back to act only on what they read.
    pub(crate) fn etag(&self) -> String {
        logistics_platform::etag::of(self.version)
    }
}

/// What ScheduleFollowUp stores.
#[derive(Debug, Clone)]
pub(crate) struct NewFollowUp {
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Why.
    pub(crate) reason: FollowUpReason,
    /// By when.
    pub(crate) due_time: DateTime<Utc>,
    /// Agent in charge.
    pub(crate) agent: String,
    /// What to do.
    pub(crate) notes: String,
    /// Order or complaint number.
    pub(crate) reference: String,
}

/// Stores a SCHEDULED follow-up.
pub(crate) async fn insert_follow_up(
    tx: &mut PgConnection,
    new: &NewFollowUp,
) -> Result<FollowUpRow, ApiError> {
    let sql = format!(
        "INSERT INTO follow_ups (id, customer_id, reason, status, due_time, agent, notes, reference)
         VALUES ($1, $2, $3, 'SCHEDULED', $4, $5, $6, $7)
         RETURNING {FOLLOW_UP_COLUMNS}"
    );
    let row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::now_v7())
        .bind(new.customer_id)
        .bind(new.reason.as_str())
        .bind(new.due_time)
        .bind(&new.agent)
        .bind(&new.notes)
        .bind(&new.reference)
        .fetch_one(tx)
        .await?;
    Ok(row)
}

/// Stores a SCHEDULED follow-up that `source_key` (e.g. an order number) caused, unless one for
/// the same customer, reason and source exists: then `None`, and nothing is written.
pub(crate) async fn insert_sourced_follow_up(
    tx: &mut PgConnection,
    new: &NewFollowUp,
    source_key: &str,
) -> Result<Option<FollowUpRow>, ApiError> {
    let sql = format!(
        "INSERT INTO follow_ups (id, customer_id, reason, status, due_time, agent, notes, reference,
                                 source_key)
         VALUES ($1, $2, $3, 'SCHEDULED', $4, $5, $6, $7, $8)
         ON CONFLICT (customer_id, reason, source_key) WHERE source_key IS NOT NULL DO NOTHING
         RETURNING {FOLLOW_UP_COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(uuid::Uuid::now_v7())
        .bind(new.customer_id)
        .bind(new.reason.as_str())
        .bind(new.due_time)
        .bind(&new.agent)
        .bind(&new.notes)
        .bind(&new.reference)
        .bind(source_key)
        .fetch_optional(tx)
        .await?)
}

/// Reads a follow-up and locks it until the transaction ends, so concurrent changes queue.
pub(crate) async fn lock_follow_up(
    tx: &mut PgConnection,
    id: Uuid,
) -> Result<Option<FollowUpRow>, ApiError> {
    let sql = format!("SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE id = $1 FOR UPDATE");
    let row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(tx)
        .await?;
    Ok(row)
}

/// The customer a follow-up belongs to, if the follow-up exists.
pub(crate) async fn follow_up_customer(
    tx: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Uuid>, ApiError> {
    let customer = sqlx::query_scalar("SELECT customer_id FROM follow_ups WHERE id = $1")
        .bind(id)
        .fetch_optional(tx)
        .await?;
    Ok(customer)
}

/// Marks a follow-up COMPLETED; the caller has checked the transition.
pub(crate) async fn complete_follow_up(
    tx: &mut PgConnection,
    id: Uuid,
    outcome: &str,
    outcome_notes: &str,
    complete_time: DateTime<Utc>,
) -> Result<FollowUpRow, ApiError> {
    let sql = format!(
        "UPDATE follow_ups
         SET status = 'COMPLETED', outcome = $2, outcome_notes = $3, complete_time = $4,
             version = version + 1, update_time = now()
         WHERE id = $1
         RETURNING {FOLLOW_UP_COLUMNS}"
    );
    let row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(outcome)
        .bind(outcome_notes)
        .bind(complete_time)
        .fetch_one(tx)
        .await?;
    Ok(row)
}

/// Marks a follow-up CANCELLED; the caller has checked the transition.
pub(crate) async fn cancel_follow_up(
    tx: &mut PgConnection,
    id: Uuid,
) -> Result<FollowUpRow, ApiError> {
    let sql = format!(
        "UPDATE follow_ups
         SET status = 'CANCELLED', cancel_time = now(), version = version + 1, update_time = now()
         WHERE id = $1
         RETURNING {FOLLOW_UP_COLUMNS}"
    );
    let row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(tx)
        .await?;
    Ok(row)
}

/// Which follow-ups to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct FollowUpFilter {
    /// Only this customer's.
    pub(crate) customer_id: Option<Uuid>,
    /// Only this agent's.
    pub(crate) agent: Option<String>,
    /// Only in this status.
    pub(crate) status: Option<FollowUpStatus>,
    /// Only due at or after.
    pub(crate) due_start_time: Option<DateTime<Utc>>,
    /// Only due before.
    pub(crate) due_end_time: Option<DateTime<Utc>>,
    /// Only SCHEDULED and due before now.
    pub(crate) overdue_only: bool,
}

/// One page of follow-ups, earliest due first.
pub(crate) async fn list_follow_ups(
    pool: &PgPool,
    filter: &FollowUpFilter,
    after: Option<&TimePosition>,
    page_size: usize,
) -> Result<(Vec<FollowUpRow>, Option<TimePosition>), ApiError> {
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE true"
    ));
    if let Some(customer_id) = filter.customer_id {
        query.push(" AND customer_id = ").push_bind(customer_id);
    }
    if let Some(agent) = &filter.agent {
        query.push(" AND agent = ").push_bind(agent.clone());
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(start) = filter.due_start_time {
        query.push(" AND due_time >= ").push_bind(start);
    }
    if let Some(end) = filter.due_end_time {
        query.push(" AND due_time < ").push_bind(end);
    }
    if filter.overdue_only {
        query.push(" AND status = 'SCHEDULED' AND due_time < now()");
    }
    if let Some(after) = after {
        after.push_after(&mut query, "due_time", false)?;
    }
    query
        .push(" ORDER BY due_time, id LIMIT ")
        .push_bind(page_size as i64 + 1);
    let rows: Vec<FollowUpRow> = query.build_query_as().fetch_all(pool).await?;
    Ok(into_page(rows, page_size, |row| {
        TimePosition::new(row.due_time, row.id)
    }))
}

/// Marks up to `limit` SCHEDULED follow-ups past their due time MISSED and returns them. Rows
/// locked by a concurrent change are skipped: the next sweep gets them if they are still open.
pub(crate) async fn mark_missed(
    tx: &mut PgConnection,
    limit: i64,
) -> Result<Vec<FollowUpRow>, ApiError> {
    let sql = format!(
        "UPDATE follow_ups
         SET status = 'MISSED', version = version + 1, update_time = now()
         WHERE id IN (SELECT id FROM follow_ups
                      WHERE status = 'SCHEDULED' AND due_time < now()
                      ORDER BY due_time, id
                      LIMIT $1
                      FOR UPDATE SKIP LOCKED)
         RETURNING {FOLLOW_UP_COLUMNS}"
    );
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(tx)
        .await?;
    Ok(rows)
}

/// Creates `month`'s PERIODIC_REVIEW, due at `due_time` and assigned to the account manager, for
/// up to `limit` KEY customers that have none yet, and returns those created. The unique index on
/// (customer_id, review_month) keeps a concurrent sweep from creating a second one.
pub(crate) async fn create_monthly_reviews(
    tx: &mut PgConnection,
    month: &str,
    due_time: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<FollowUpRow>, ApiError> {
    let due: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, account_manager FROM customers c
         WHERE value_class = 'KEY' AND delete_time IS NULL
           AND NOT EXISTS (SELECT 1 FROM follow_ups f
                           WHERE f.customer_id = c.id AND f.review_month = $1)
         ORDER BY id
         LIMIT $2",
    )
    .bind(month)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = due.iter().map(|_| Uuid::now_v7()).collect();
    let (customers, agents): (Vec<Uuid>, Vec<String>) = due.into_iter().unzip();
    let sql = format!(
        "INSERT INTO follow_ups (id, customer_id, reason, status, due_time, agent, review_month)
         SELECT new.id, new.customer_id, 'PERIODIC_REVIEW', 'SCHEDULED', $4, new.agent, $5
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS new (id, customer_id, agent)
         ON CONFLICT (customer_id, review_month) WHERE review_month IS NOT NULL DO NOTHING
         RETURNING {FOLLOW_UP_COLUMNS}"
    );
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ids)
        .bind(customers)
        .bind(agents)
        .bind(due_time)
        .bind(month)
        .fetch_all(tx)
        .await?;
    Ok(rows)
}

/// What erasure leaves in a required free-text field.
pub(crate) const ERASED_TEXT: &str = "(erased)";

/// Blanks the free text kept about a customer's interactions, follow-ups and surveys (it may name
/// people or hold their details), keeping the records themselves: channels, times, statuses and
/// scores stay for the reports. Returns how many records were touched.
pub(crate) async fn erase_free_text(
    tx: &mut PgConnection,
    customer_id: Uuid,
) -> Result<u64, ApiError> {
    let interactions =
        sqlx::query("UPDATE interactions SET subject = $2, summary = '' WHERE customer_id = $1")
            .bind(customer_id)
            .bind(ERASED_TEXT)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let follow_ups = sqlx::query(
        "UPDATE follow_ups
         SET notes = '', outcome_notes = '',
             outcome = CASE WHEN outcome = '' THEN '' ELSE $2 END
         WHERE customer_id = $1",
    )
    .bind(customer_id)
    .bind(ERASED_TEXT)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let surveys = sqlx::query("UPDATE surveys SET comment = '' WHERE customer_id = $1")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    Ok(interactions + follow_ups + surveys)
}

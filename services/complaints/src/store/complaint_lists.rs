//! The reads of many complaints: queues (lists and counts with their filters), and the ids the
//! SLA sweep and a calendar change work through. Rows come from `complaints`, with their pauses,
//! claims and ratings read for the whole page at once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::complaints::{COLUMNS, ComplaintRow};
use super::{claims, pauses, ratings};
use crate::domain::complaint::Complaint;
use crate::domain::kinds::{Category, Channel, Kind};
use crate::domain::policy::Priority;
use crate::domain::status::Status;

/// Which complaints a list or a count takes. Unset fields match everything.
#[derive(Debug, Clone, Default)]
pub(crate) struct ComplaintQuery {
    /// Only this customer's.
    pub customer_id: Option<Uuid>,
    /// Only about this order: its id, order number or tracking number.
    pub order: Option<String>,
    /// Only in these statuses (empty: any).
    pub statuses: Vec<Status>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this category.
    pub category: Option<Category>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only assigned to this agent.
    pub assigned_agent: Option<String>,
    /// Only of this team.
    pub assigned_team: Option<String>,
    /// Only by this channel.
    pub channel: Option<Channel>,
    /// Only filed at or after.
    pub start_time: Option<DateTime<Utc>>,
    /// Only filed before.
    pub end_time: Option<DateTime<Utc>>,
    /// Only with a running clock past 80% and not yet due, as of `now`.
    pub due_soon: bool,
    /// Only with a breached clock, as of `now`.
    pub breached: bool,
}

impl ComplaintQuery {
    fn push_conditions(&self, query: &mut QueryBuilder<Postgres>, now: DateTime<Utc>) {
        query.push(" WHERE true");
        if let Some(customer_id) = self.customer_id {
            query.push(" AND customer_id = ").push_bind(customer_id);
        }
        if let Some(order) = &self.order {
            query
                .push(" AND (order_id::text = ")
                .push_bind(order.to_lowercase())
                .push(" OR order_number = ")
                .push_bind(order.clone())
                .push(" OR tracking_number = ")
                .push_bind(order.clone())
                .push(")");
        }
        if !self.statuses.is_empty() {
            let names: Vec<&str> = self.statuses.iter().map(|status| status.as_str()).collect();
            query.push(" AND status = ANY(").push_bind(names).push(")");
        }
        if let Some(kind) = self.kind {
            query.push(" AND kind = ").push_bind(kind.as_str());
        }
        if let Some(category) = self.category {
            query.push(" AND category = ").push_bind(category.as_str());
        }
        if let Some(priority) = self.priority {
            query.push(" AND priority = ").push_bind(priority.as_str());
        }
        if let Some(agent) = &self.assigned_agent {
            query
                .push(" AND assigned_agent = ")
                .push_bind(agent.clone());
        }
        if let Some(team) = &self.assigned_team {
            query.push(" AND assigned_team = ").push_bind(team.clone());
        }
        if let Some(channel) = self.channel {
            query.push(" AND channel = ").push_bind(channel.as_str());
        }
        if let Some(start) = self.start_time {
            query.push(" AND file_time >= ").push_bind(start);
        }
        if let Some(end) = self.end_time {
            query.push(" AND file_time < ").push_bind(end);
        }
        if self.due_soon {
            query
                .push(" AND ((first_response_warn_at <= ")
                .push_bind(now)
                .push(" AND first_response_due_at > ")
                .push_bind(now)
                .push(") OR (resolution_warn_at <= ")
                .push_bind(now)
                .push(" AND resolution_due_at > ")
                .push_bind(now)
                .push("))");
        }
        if self.breached {
            query
                .push(" AND (first_response_breached OR resolution_breached OR first_response_due_at <= ")
                .push_bind(now)
                .push(" OR resolution_due_at <= ")
                .push_bind(now)
                .push(")");
        }
    }
}

/// Where a page of complaints starts: after this filing time and id (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ListPosition {
    /// The last listed complaint's filing time.
    pub file_time: DateTime<Utc>,
    /// Its id.
    pub id: Uuid,
}

/// One page of complaints matching `query`, newest first, after `after`; one more than
/// `limit` when there is a next page.
pub(crate) async fn list(
    conn: &mut PgConnection,
    query: &ComplaintQuery,
    after: Option<ListPosition>,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Complaint>, ApiError> {
    let mut sql = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM complaints"));
    query.push_conditions(&mut sql, now);
    if let Some(after) = after {
        sql.push(" AND (file_time, id) < (")
            .push_bind(after.file_time)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    sql.push(" ORDER BY file_time DESC, id DESC LIMIT ")
        .push_bind(i64::try_from(limit + 1).unwrap_or(i64::MAX));
    let rows: Vec<ComplaintRow> = sql.build_query_as().fetch_all(&mut *conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut pauses = pauses::of_all(conn, &ids).await?;
    let mut claims = claims::of_all(conn, &ids).await?;
    let mut ratings = ratings::latest_of_all(conn, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            row.into_complaint(
                pauses.remove(&id).unwrap_or_default(),
                claims.remove(&id),
                ratings.remove(&id),
            )
        })
        .collect()
}

/// The shipment evidence of those of `ids` that name an order.
pub(crate) async fn evidence_of_all(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<u8>>, ApiError> {
    let rows: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
        "SELECT id, evidence FROM complaints WHERE id = ANY($1) AND evidence IS NOT NULL",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// How many complaints matching `query` have each status and priority.
pub(crate) async fn count(
    conn: &mut PgConnection,
    query: &ComplaintQuery,
    now: DateTime<Utc>,
) -> Result<Vec<(Status, Priority, i64)>, ApiError> {
    let mut sql =
        QueryBuilder::<Postgres>::new("SELECT status, priority, count(*) FROM complaints");
    query.push_conditions(&mut sql, now);
    sql.push(" GROUP BY status, priority");
    let rows: Vec<(Stored<Status>, Stored<Priority>, i64)> =
        sql.build_query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(status, priority, count)| (status.get(), priority.get(), count))
        .collect())
}

/// The ids of open complaints whose next warning or escalation has come by `now`, or that are
/// RESOLVED since before `resolved_before` (to close): the SLA sweep's work, at most `limit`.
pub(crate) async fn due_for_sweep(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    resolved_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, ApiError> {
    let ids: Vec<(Uuid,)> = sqlx::query_as(
        "SELECT id FROM complaints
          WHERE (first_response_warn_at <= $1 AND (NOT first_response_warned
                   OR (first_response_level < 1 AND first_response_due_at <= $1)
                   OR (first_response_level < 2 AND first_response_double_at <= $1)))
             OR (resolution_warn_at <= $1 AND (NOT resolution_warned
                   OR (resolution_level < 1 AND resolution_due_at <= $1)
                   OR (resolution_level < 2 AND resolution_double_at <= $1)))
             OR (status = 'RESOLVED' AND resolve_time <= $2)
          ORDER BY id
          LIMIT $3",
    )
    .bind(now)
    .bind(resolved_before)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// The ids of every complaint with a clock that may still run (not CLOSED), for recomputing
/// their marks after a calendar or policy change.
pub(crate) async fn open_ids(conn: &mut PgConnection) -> Result<Vec<Uuid>, ApiError> {
    let ids: Vec<(Uuid,)> =
        sqlx::query_as("SELECT id FROM complaints WHERE status <> 'CLOSED' ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

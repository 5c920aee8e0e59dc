//! SQL on the `complaints` table group: a complaint with its pauses, its claim and its latest
//! rating, read and written as one [`Complaint`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::calendar::Pause;
use crate::domain::claim::{Claim, ClaimStatus};
use crate::domain::complaint::{Action, ClockMarks, Complaint, Investigation, Proposal, Rating};
use crate::domain::kinds::{ActionKind, Category, Channel, Kind, ResponsibleParty};
use crate::domain::policy::{Priority, Targets};
use crate::domain::status::Status;

/// How a caller names a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplaintRef {
    /// By id.
    Id(Uuid),
    /// By complaint number.
    Number(String),
}

/// Every column a [`Complaint`] is read from.
const COLUMNS: &str = "id, complaint_number, kind, channel, category, customer_id, order_id, \
     tracking_number, subject, description, status, paused_in, priority, priority_override_reason, \
     assigned_agent, assigned_team, findings, responsible_party, root_cause, investigated_by, \
     investigate_time, proposal, resolution_feedback, first_response_target, resolution_target, \
     first_response_warn_at, first_response_due_at, first_response_double_at, resolution_warn_at, \
     resolution_due_at, resolution_double_at, first_response_breached, resolution_breached, \
     first_response_warned, resolution_warned, first_response_level, resolution_level, \
     resolution_count, reopen_count, file_time, first_response_time, resolve_time, close_time, \
     update_time, filed_by, version";

/// A `complaints` row as read with [`COLUMNS`].
#[derive(sqlx::FromRow)]
struct ComplaintRow {
    id: Uuid,
    complaint_number: String,
    kind: Stored<Kind>,
    channel: Stored<Channel>,
    category: Stored<Category>,
    customer_id: Uuid,
    order_id: Option<Uuid>,
    tracking_number: Option<String>,
    subject: String,
    description: String,
    status: Stored<Status>,
    paused_in: Option<Stored<Status>>,
    priority: Stored<Priority>,
    priority_override_reason: String,
    assigned_agent: String,
    assigned_team: String,
    findings: Option<String>,
    responsible_party: Option<Stored<ResponsibleParty>>,
    root_cause: Option<String>,
    investigated_by: Option<String>,
    investigate_time: Option<DateTime<Utc>>,
    proposal: Option<Json<ProposalDocument>>,
    resolution_feedback: String,
    first_response_target: i64,
    resolution_target: i64,
    first_response_warn_at: Option<DateTime<Utc>>,
    first_response_due_at: Option<DateTime<Utc>>,
    first_response_double_at: Option<DateTime<Utc>>,
    resolution_warn_at: Option<DateTime<Utc>>,
    resolution_due_at: Option<DateTime<Utc>>,
    resolution_double_at: Option<DateTime<Utc>>,
    first_response_breached: bool,
    resolution_breached: bool,
    first_response_warned: bool,
    resolution_warned: bool,
    first_response_level: i16,
    resolution_level: i16,
    resolution_count: i32,
    reopen_count: i32,
    file_time: DateTime<Utc>,
    first_response_time: Option<DateTime<Utc>>,
    resolve_time: Option<DateTime<Utc>>,
    close_time: Option<DateTime<Utc>>,
    update_time: DateTime<Utc>,
    filed_by: String,
    version: i64,
}

/// A proposal as kept in the `proposal` column.
#[derive(Serialize, Deserialize)]
struct ProposalDocument {
    actions: Vec<ActionDocument>,
    message: String,
    proposed_by: String,
    propose_time: DateTime<Utc>,
}

/// One action of a [`ProposalDocument`]; the kind by its stored name.
#[derive(Serialize, Deserialize)]
struct ActionDocument {
    kind: String,
    amount_fen: Option<i64>,
    note: String,
}

impl ProposalDocument {
    fn of(proposal: &Proposal) -> Self {
        Self {
            actions: proposal
                .actions
                .iter()
                .map(|action| ActionDocument {
                    kind: action.kind.as_str().to_owned(),
                    amount_fen: action.amount_fen,
                    note: action.note.clone(),
                })
                .collect(),
            message: proposal.message.clone(),
            proposed_by: proposal.proposed_by.clone(),
            propose_time: proposal.propose_time,
        }
    }

    fn into_proposal(self) -> Result<Proposal, ApiError> {
        let actions = self
            .actions
            .into_iter()
            .map(|action| {
                let kind = ActionKind::parse(&action.kind).ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!(
                        "unknown ActionKind {:?} in a stored proposal",
                        action.kind
                    ))
                })?;
                Ok(Action {
                    kind,
                    amount_fen: action.amount_fen,
                    note: action.note,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Proposal {
            actions,
            message: self.message,
            proposed_by: self.proposed_by,
            propose_time: self.propose_time,
        })
    }
}

fn marks(
    warn_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    double_at: Option<DateTime<Utc>>,
    breached: bool,
    warned: bool,
    level: i16,
) -> ClockMarks {
    ClockMarks {
        warn_at,
        due_at,
        double_at,
        breached,
        warned,
        level,
    }
}

impl ComplaintRow {
    fn into_complaint(
        self,
        pauses: Vec<Pause>,
        claim: Option<Claim>,
        rating: Option<Rating>,
    ) -> Result<Complaint, ApiError> {
        let investigation = match (self.findings, self.responsible_party, self.root_cause) {
            (Some(findings), Some(party), Some(root_cause)) => Some(Investigation {
                findings,
                responsible_party: party.get(),
                root_cause,
                recorded_by: self.investigated_by.unwrap_or_default(),
                record_time: self.investigate_time.unwrap_or(self.update_time),
            }),
            _ => None,
        };
        Ok(Complaint {
            id: self.id,
            number: self.complaint_number,
            kind: self.kind.get(),
            channel: self.channel.get(),
            category: self.category.get(),
            customer_id: self.customer_id,
            order_id: self.order_id,
            tracking_number: self.tracking_number,
            subject: self.subject,
            description: self.description,
            status: self.status.get(),
            paused_in: self.paused_in.map(Stored::get),
            priority: self.priority.get(),
            priority_override_reason: self.priority_override_reason,
            assigned_agent: self.assigned_agent,
            assigned_team: self.assigned_team,
            investigation,
            proposal: self
                .proposal
                .map(|document| document.0.into_proposal())
                .transpose()?,
            resolution_feedback: self.resolution_feedback,
            targets: Targets {
                first_response_minutes: self.first_response_target,
                resolution_minutes: self.resolution_target,
            },
            first_response: marks(
                self.first_response_warn_at,
                self.first_response_due_at,
                self.first_response_double_at,
                self.first_response_breached,
                self.first_response_warned,
                self.first_response_level,
            ),
            resolution: marks(
                self.resolution_warn_at,
                self.resolution_due_at,
                self.resolution_double_at,
                self.resolution_breached,
                self.resolution_warned,
                self.resolution_level,
            ),
            resolution_count: self.resolution_count,
            reopen_count: self.reopen_count,
            file_time: self.file_time,
            first_response_time: self.first_response_time,
            resolve_time: self.resolve_time,
            close_time: self.close_time,
            update_time: self.update_time,
            filed_by: self.filed_by,
            version: self.version,
            pauses,
            claim,
            rating,
        })
    }
}

/// A `claims` row.
#[derive(sqlx::FromRow)]
struct ClaimRow {
    claimed_fen: i64,
    evidence: Vec<String>,
    status: Stored<ClaimStatus>,
    window_end: DateTime<Utc>,
    declared_value_fen: Option<i64>,
    approved_fen: Option<i64>,
    rejection_reason: Option<String>,
    reviewed_by: Option<String>,
    review_time: Option<DateTime<Utc>>,
    payment_reference: Option<String>,
    pay_time: Option<DateTime<Utc>>,
}

impl From<ClaimRow> for Claim {
    fn from(row: ClaimRow) -> Self {
        Claim {
            claimed_fen: row.claimed_fen,
            evidence: row.evidence,
            status: row.status.get(),
            window_end: row.window_end,
            declared_value_fen: row.declared_value_fen,
            approved_fen: row.approved_fen,
            rejection_reason: row.rejection_reason,
            reviewed_by: row.reviewed_by,
            review_time: row.review_time,
            payment_reference: row.payment_reference,
            pay_time: row.pay_time,
        }
    }
}

/// Reads the complaint `reference` names with its pauses, claim and latest rating; with `lock`,
/// holds its row until the transaction ends, so writes to one complaint take turns.
pub(crate) async fn find(
    conn: &mut PgConnection,
    reference: &ComplaintRef,
    lock: bool,
) -> Result<Option<Complaint>, ApiError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row: Option<ComplaintRow> = match reference {
        ComplaintRef::Id(id) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM complaints WHERE id = $1{lock}"
            )))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
        ComplaintRef::Number(number) => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM complaints WHERE complaint_number = $1{lock}"
            )))
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    let Some(row) = row else {
        return Ok(None);
    };
    let pauses = pauses_of(conn, row.id).await?;
    let claim = claim_of(conn, row.id).await?;
    let rating = latest_rating(conn, row.id).await?;
    row.into_complaint(pauses, claim, rating).map(Some)
}

async fn pauses_of(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Pause>, ApiError> {
    let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT pause_time, resume_time FROM complaint_pauses
          WHERE complaint_id = $1 ORDER BY pause_time",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(from, to)| Pause { from, to })
        .collect())
}

async fn latest_rating(conn: &mut PgConnection, id: Uuid) -> Result<Option<Rating>, ApiError> {
    let row: Option<(i32, i16, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT resolution_number, score, comment, rate_time FROM ratings
          WHERE complaint_id = $1 ORDER BY resolution_number DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(
        row.map(|(resolution_number, score, comment, rate_time)| Rating {
            resolution_number,
            score,
            comment,
            rate_time,
        }),
    )
}

/// The next number of the complaint sequence.
pub(crate) async fn next_sequence(conn: &mut PgConnection) -> Result<i64, ApiError> {
    let (sequence,): (i64,) = sqlx::query_as("SELECT nextval('complaint_number_seq')")
        .fetch_one(&mut *conn)
        .await?;
    Ok(sequence)
}

/// Stores a new complaint (and its claim), with the shipment evidence taken at filing.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    complaint: &Complaint,
    order_number: Option<&str>,
    evidence: Option<&[u8]>,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO complaints (id, complaint_number, kind, channel, category, customer_id,
                order_id, tracking_number, subject, description, status, priority, assigned_agent,
                assigned_team, evidence, first_response_target, resolution_target, file_time,
                update_time, filed_by, order_number, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $18, $19, $20, 0)",
    )
    .bind(complaint.id)
    .bind(&complaint.number)
    .bind(Stored(complaint.kind))
    .bind(Stored(complaint.channel))
    .bind(Stored(complaint.category))
    .bind(complaint.customer_id)
    .bind(complaint.order_id)
    .bind(&complaint.tracking_number)
    .bind(&complaint.subject)
    .bind(&complaint.description)
    .bind(Stored(complaint.status))
    .bind(Stored(complaint.priority))
    .bind(&complaint.assigned_agent)
    .bind(&complaint.assigned_team)
    .bind(evidence)
    .bind(complaint.targets.first_response_minutes)
    .bind(complaint.targets.resolution_minutes)
    .bind(complaint.file_time)
    .bind(&complaint.filed_by)
    .bind(order_number)
    .execute(&mut *conn)
    .await?;
    if let Some(claim) = &complaint.claim {
        sqlx::query(
            "INSERT INTO claims (complaint_id, claimed_fen, evidence, status, window_end,
                    declared_value_fen)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(complaint.id)
        .bind(claim.claimed_fen)
        .bind(&claim.evidence)
        .bind(Stored(claim.status))
        .bind(claim.window_end)
        .bind(claim.declared_value_fen)
        .execute(&mut *conn)
        .await?;
    }
    // Version 0 until the rest of the complaint is written the one way every change writes
    // it, which makes it version 1.
    save(conn, complaint).await
}

/// Writes back everything a change may have changed: the complaint's columns (its version goes
/// up by one), its pauses, its claim and a new rating.
pub(crate) async fn save(conn: &mut PgConnection, complaint: &Complaint) -> Result<(), ApiError> {
    let investigation = complaint.investigation.as_ref();
    let (first, resolution) = (&complaint.first_response, &complaint.resolution);
    sqlx::query(
        "UPDATE complaints SET
                status = $2, paused_in = $3, priority = $4, priority_override_reason = $5,
                assigned_agent = $6, assigned_team = $7, findings = $8, responsible_party = $9,
                root_cause = $10, investigated_by = $11, investigate_time = $12, proposal = $13,
                resolution_feedback = $14, first_response_target = $15, resolution_target = $16,
                first_response_warn_at = $17, first_response_due_at = $18,
                first_response_double_at = $19, resolution_warn_at = $20, resolution_due_at = $21,
                resolution_double_at = $22, first_response_breached = $23,
                resolution_breached = $24, first_response_warned = $25, resolution_warned = $26,
                first_response_level = $27, resolution_level = $28, resolution_count = $29,
                reopen_count = $30, first_response_time = $31, resolve_time = $32,
                close_time = $33, update_time = $34, version = version + 1
          WHERE id = $1",
    )
    .bind(complaint.id)
    .bind(Stored(complaint.status))
    .bind(complaint.paused_in.map(Stored))
    .bind(Stored(complaint.priority))
    .bind(&complaint.priority_override_reason)
    .bind(&complaint.assigned_agent)
    .bind(&complaint.assigned_team)
    .bind(investigation.map(|found| &found.findings))
    .bind(investigation.map(|found| Stored(found.responsible_party)))
    .bind(investigation.map(|found| &found.root_cause))
    .bind(investigation.map(|found| &found.recorded_by))
    .bind(investigation.map(|found| found.record_time))
    .bind(
        complaint
            .proposal
            .as_ref()
            .map(|proposal| Json(ProposalDocument::of(proposal))),
    )
    .bind(&complaint.resolution_feedback)
    .bind(complaint.targets.first_response_minutes)
    .bind(complaint.targets.resolution_minutes)
    .bind(first.warn_at)
    .bind(first.due_at)
    .bind(first.double_at)
    .bind(resolution.warn_at)
    .bind(resolution.due_at)
    .bind(resolution.double_at)
    .bind(first.breached)
    .bind(resolution.breached)
    .bind(first.warned)
    .bind(resolution.warned)
    .bind(first.level)
    .bind(resolution.level)
    .bind(complaint.resolution_count)
    .bind(complaint.reopen_count)
    .bind(complaint.first_response_time)
    .bind(complaint.resolve_time)
    .bind(complaint.close_time)
    .bind(complaint.update_time)
    .execute(&mut *conn)
    .await?;
    for pause in &complaint.pauses {
        sqlx::query(
            "INSERT INTO complaint_pauses (complaint_id, pause_time, resume_time)
             VALUES ($1, $2, $3)
             ON CONFLICT (complaint_id, pause_time) DO UPDATE SET resume_time = $3",
        )
        .bind(complaint.id)
        .bind(pause.from)
        .bind(pause.to)
        .execute(&mut *conn)
        .await?;
    }
    if let Some(claim) = &complaint.claim {
        sqlx::query(
            "UPDATE claims SET status = $2, approved_fen = $3, rejection_reason = $4,
                    reviewed_by = $5, review_time = $6, payment_reference = $7, pay_time = $8
              WHERE complaint_id = $1",
        )
        .bind(complaint.id)
        .bind(Stored(claim.status))
        .bind(claim.approved_fen)
        .bind(&claim.rejection_reason)
        .bind(&claim.reviewed_by)
        .bind(claim.review_time)
        .bind(&claim.payment_reference)
        .bind(claim.pay_time)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Stores the rating of one resolution, by `rated_by`.
pub(crate) async fn insert_rating(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    rating: &Rating,
    rated_by: &str,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO ratings (complaint_id, resolution_number, score, comment, rated_by, rate_time)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(complaint_id)
    .bind(rating.resolution_number)
    .bind(rating.score)
    .bind(&rating.comment)
    .bind(rated_by)
    .bind(rating.rate_time)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The shipment evidence kept with a complaint (encoded), if it names an order.
pub(crate) async fn evidence(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Vec<u8>>, ApiError> {
    let row: Option<(Option<Vec<u8>>,)> =
        sqlx::query_as("SELECT evidence FROM complaints WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.and_then(|(evidence,)| evidence))
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

/// Whether the customer has an open complaint about the order (anything but RESOLVED and
/// CLOSED), so a proactive case is not opened next to it.
pub(crate) async fn has_open_about(
    conn: &mut PgConnection,
    customer_id: Uuid,
    order_id: Uuid,
) -> Result<bool, ApiError> {
    let (open,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM complaints
                         WHERE customer_id = $1 AND order_id = $2
                           AND status NOT IN ('RESOLVED', 'CLOSED'))",
    )
    .bind(customer_id)
    .bind(order_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(open)
}

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
    let mut pauses = pauses_of_all(conn, &ids).await?;
    let mut claims = claims_of_all(conn, &ids).await?;
    let mut ratings = latest_ratings_of_all(conn, &ids).await?;
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

/// The pauses of each of `ids`.
async fn pauses_of_all(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Pause>>, ApiError> {
    let rows: Vec<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT complaint_id, pause_time, resume_time FROM complaint_pauses
          WHERE complaint_id = ANY($1) ORDER BY complaint_id, pause_time",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut pauses: HashMap<Uuid, Vec<Pause>> = HashMap::new();
    for (id, from, to) in rows {
        pauses.entry(id).or_default().push(Pause { from, to });
    }
    Ok(pauses)
}

/// The claims of those of `ids` that have one.
async fn claims_of_all(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Claim>, ApiError> {
    let rows: Vec<ClaimWithId> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT complaint_id, {CLAIM_COLUMNS} FROM claims WHERE complaint_id = ANY($1)"
    )))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.complaint_id, Claim::from(row.claim)))
        .collect())
}

/// The latest rating of those of `ids` that were rated.
async fn latest_ratings_of_all(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Rating>, ApiError> {
    let rows: Vec<(Uuid, i32, i16, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT DISTINCT ON (complaint_id) complaint_id, resolution_number, score, comment,
                rate_time
           FROM ratings WHERE complaint_id = ANY($1)
          ORDER BY complaint_id, resolution_number DESC",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, resolution_number, score, comment, rate_time)| {
            let rating = Rating {
                resolution_number,
                score,
                comment,
                rate_time,
            };
            (id, rating)
        })
        .collect())
}

/// A `claims` row with the complaint it belongs to.
#[derive(sqlx::FromRow)]
struct ClaimWithId {
    complaint_id: Uuid,
    #[sqlx(flatten)]
    claim: ClaimRow,
}

/// Every column a [`ClaimRow`] is read from.
const CLAIM_COLUMNS: &str = "claimed_fen, evidence, status, window_end, declared_value_fen, \
     approved_fen, rejection_reason, reviewed_by, review_time, payment_reference, pay_time";

async fn claim_of(conn: &mut PgConnection, id: Uuid) -> Result<Option<Claim>, ApiError> {
    let claim: Option<ClaimRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CLAIM_COLUMNS} FROM claims WHERE complaint_id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(claim.map(Claim::from))
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

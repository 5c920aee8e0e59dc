//! SQL on the `complaints` table: a complaint read and written as one [`Complaint`], with its
//! pauses, claim and latest rating from their own tables ([`super::pauses`], [`super::claims`],
//! [`super::ratings`]).

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::{claims, pauses, ratings};
use crate::domain::calendar::Pause;
use crate::domain::claim::Claim;
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
pub(super) const COLUMNS: &str = "id, complaint_number, kind, channel, category, customer_id, order_id, \
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
pub(super) struct ComplaintRow {
    pub(super) id: Uuid,
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
    pub(super) fn into_complaint(
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
    let pauses = pauses::of(conn, row.id).await?;
    let claim = claims::of(conn, row.id).await?;
    let rating = ratings::latest(conn, row.id).await?;
    row.into_complaint(pauses, claim, rating).map(Some)
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
        claims::insert(conn, complaint.id, claim).await?;
    }
    // Version 0 until the rest of the complaint is written the one way every change writes
    // it, which makes it version 1.
    save(conn, complaint).await
}

/// Writes back everything a change may have changed: the complaint's columns (its version goes
/// up by one), its pauses and its claim. A new rating is stored by [`super::ratings::insert`].
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
    pauses::save(conn, complaint.id, &complaint.pauses).await?;
    if let Some(claim) = &complaint.claim {
        claims::update(conn, complaint.id, claim).await?;
    }
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

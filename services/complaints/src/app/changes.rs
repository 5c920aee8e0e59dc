//! Every step taken on a filed complaint, in one transaction each: lock the complaint, check its
//! etag, let the domain apply the step, refresh its clocks, store it with its audit entries and
//! change events.

use chrono::{DateTime, Utc};
use logistics_contracts::complaints::{self as pb, stream_changes_response::Event};
use logistics_platform::money::cny;
use logistics_platform::{ApiError, changefeed, etag};

use super::events;
use super::proto::{self, Extras};
use super::{Complaints, Settings, not_found, refused};
use crate::domain::audit::{AuditAction, AuditEntry};
use crate::domain::claim::Decision;
use crate::domain::complaint::{Action, Complaint, Investigation, Outcome, Proposal, Rating};
use crate::domain::kinds::ResponsibleParty;
use crate::domain::policy::Priority;
use crate::store;
use crate::store::complaints::ComplaintRef;

/// A step someone takes on a complaint, already checked field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// AcknowledgeComplaint.
    Acknowledge {
        /// What was said to the customer.
        message: String,
    },
    /// AssignComplaint.
    Assign {
        /// The agent.
        agent: String,
        /// The team.
        team: String,
    },
    /// SetComplaintPriority.
    SetPriority {
        /// The new priority.
        priority: Priority,
        /// Why.
        reason: String,
    },
    /// RecordInvestigation.
    Investigate {
        /// What was found.
        findings: String,
        /// Who caused it.
        responsible_party: ResponsibleParty,
        /// Why it happened.
        root_cause: String,
    },
    /// ProposeResolution.
    Propose {
        /// What the company will do.
        actions: Vec<Action>,
        /// What was said.
        message: String,
    },
    /// WaitForCustomer.
    WaitForCustomer {
        /// What the customer was asked.
        reason: String,
    },
    /// ResumeComplaint.
    Resume {
        /// What the customer answered.
        note: String,
    },
    /// ResolveComplaint.
    Resolve {
        /// The feedback sent.
        feedback: String,
    },
    /// CloseComplaint.
    Close,
    /// ReopenComplaint.
    Reopen {
        /// Why.
        reason: String,
    },
    /// AddComplaintNote.
    Note {
        /// The note.
        note: String,
    },
    /// ReviewClaim.
    ReviewClaim(Decision),
    /// MarkClaimPaid.
    MarkClaimPaid {
        /// The payment's reference.
        reference: String,
    },
    /// RateResolution.
    Rate {
        /// 1 to 5.
        score: i16,
        /// What the customer said.
        comment: String,
    },
}

/// Who takes a step on which complaint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    /// The complaint.
    pub reference: &'a ComplaintRef,
    /// The complaint as the caller named it, for NOT_FOUND.
    pub named: &'a str,
    /// The etag the caller sent; empty for none.
    pub etag: &'a str,
    /// The caller.
    pub actor: &'a str,
}

/// What a step writes beside the complaint.
#[derive(Default)]
struct Journal {
    entries: Vec<AuditEntry>,
    events: Vec<Event>,
    rating: Option<Rating>,
    /// Nothing changed (a payment recorded before): answer the complaint as it is.
    unchanged: bool,
}

impl Journal {
    fn note(&mut self, action: AuditAction, actor: &str, now: DateTime<Utc>, detail: String) {
        self.entries.push(AuditEntry {
            action,
            actor: actor.to_owned(),
            occur_time: now,
            from_status: None,
            to_status: None,
            detail,
        });
    }
}

impl Complaints {
    /// Takes `step` on the complaint `target` names and answers the complaint as it now is.
    pub(crate) async fn take_step(
        &self,
        target: Target<'_>,
        step: Step,
    ) -> Result<pb::Complaint, ApiError> {
        let settings = self.settings().await?;
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let mut complaint = store::complaints::find(&mut tx, target.reference, true)
            .await?
            .ok_or_else(|| not_found(target.named))?;
        if !target.etag.is_empty() {
            etag::check(target.etag, complaint.version, "complaint")?;
        }
        let journal = apply(&mut complaint, step, target.actor, now, &settings)?;
        let evidence = store::complaints::evidence(&mut tx, complaint.id).await?;
        if !journal.unchanged {
            complaint.update_time = now;
            complaint.refresh_clocks(&settings.calendar.calendar, now);
            store::complaints::save(&mut tx, &complaint).await?;
            complaint.version += 1;
            if let Some(rating) = &journal.rating {
                store::ratings::insert(&mut tx, complaint.id, rating, target.actor).await?;
            }
            for entry in &journal.entries {
                store::audit::append(&mut tx, complaint.id, entry).await?;
            }
            let resource = complaint.id.to_string();
            let changes = journal
                .events
                .into_iter()
                .map(|event| (resource.clone(), event));
            changefeed::record_all(&mut tx, changes).await?;
            tx.commit().await?;
        }
        let extras = Extras {
            evidence,
            trail: None,
        };
        Ok(proto::complaint(
            &complaint,
            extras,
            &settings.calendar.calendar,
            now,
        ))
    }
}

/// Applies `step` to `complaint` through the domain and says what to write beside it.
fn apply(
    complaint: &mut Complaint,
    step: Step,
    actor: &str,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Result<Journal, ApiError> {
    let mut journal = Journal::default();
    let calendar = &settings.calendar.calendar;
    let (action, detail, outcome) = match step {
        Step::Acknowledge { message } => {
            let outcome = complaint.acknowledge(now).map_err(refused)?;
            (AuditAction::Acknowledged, message, outcome)
        }
        Step::Assign { agent, team } => {
            complaint.assign(agent, team).map_err(refused)?;
            journal.events.push(events::assigned(complaint, now));
            let detail = if complaint.assigned_team.is_empty() {
                complaint.assigned_agent.clone()
            } else {
                format!("{} ({})", complaint.assigned_agent, complaint.assigned_team)
            };
            (AuditAction::Assigned, detail, Outcome::default())
        }
        Step::SetPriority { priority, reason } => {
            let from = complaint.priority;
            let targets = settings.policy.policy.targets_of(priority);
            complaint
                .set_priority(priority, reason.clone(), targets)
                .map_err(refused)?;
            journal
                .events
                .push(events::priority_set(complaint, from, now));
            let detail = format!("{} -> {}: {reason}", from.as_str(), priority.as_str());
            (AuditAction::PrioritySet, detail, Outcome::default())
        }
        Step::Investigate {
            findings,
            responsible_party,
            root_cause,
        } => {
            let detail = format!("{}: {root_cause}", responsible_party.as_str());
            let investigation = Investigation {
                findings,
                responsible_party,
                root_cause,
                recorded_by: actor.to_owned(),
                record_time: now,
            };
            let outcome = complaint.investigate(investigation).map_err(refused)?;
            (AuditAction::InvestigationRecorded, detail, outcome)
        }
        Step::Propose { actions, message } => {
            let detail = actions_summary(&actions);
            let proposal = Proposal {
                actions,
                message,
                proposed_by: actor.to_owned(),
                propose_time: now,
            };
            let outcome = complaint.propose(proposal).map_err(refused)?;
            (AuditAction::ResolutionProposed, detail, outcome)
        }
        Step::WaitForCustomer { reason } => {
            let outcome = complaint.wait_for_customer(now).map_err(refused)?;
            journal.events.push(events::paused(complaint, now));
            (AuditAction::Paused, reason, outcome)
        }
        Step::Resume { note } => {
            let outcome = complaint.resume(now).map_err(refused)?;
            let paused_minutes = outcome.ended_pause.map_or(0, |pause| {
                calendar.business_minutes_between(pause.from, pause.to.unwrap_or(now), &[])
            });
            journal
                .events
                .push(events::resumed(complaint, paused_minutes, now));
            (AuditAction::Resumed, note, outcome)
        }
        Step::Resolve { feedback } => {
            let outcome = complaint.resolve(feedback, now).map_err(refused)?;
            let detail = format!("resolution {}", complaint.resolution_count);
            (AuditAction::Resolved, detail, outcome)
        }
        Step::Close => {
            let outcome = complaint.close(now).map_err(refused)?;
            journal.events.push(events::closed(complaint, false, now));
            (AuditAction::Closed, String::new(), outcome)
        }
        Step::Reopen { reason } => {
            let outcome = complaint.reopen().map_err(refused)?;
            journal.events.push(events::reopened(complaint, now));
            (AuditAction::Reopened, reason, outcome)
        }
        Step::Note { note } => (AuditAction::NoteAdded, note, Outcome::default()),
        Step::ReviewClaim(decision) => {
            let detail = match &decision {
                Decision::Approve(fen) => format!("approved {}", yuan(*fen)),
                Decision::Reject(reason) => format!("rejected: {reason}"),
            };
            complaint
                .review_claim(decision, actor, now)
                .map_err(refused)?;
            journal
                .events
                .extend(events::claim_reviewed(complaint, now));
            (AuditAction::ClaimReviewed, detail, Outcome::default())
        }
        Step::MarkClaimPaid { reference } => {
            let paid = complaint
                .mark_claim_paid(&reference, now)
                .map_err(refused)?;
            if !paid {
                journal.unchanged = true;
                return Ok(journal);
            }
            journal.events.extend(events::claim_paid(complaint, now));
            (AuditAction::ClaimPaid, reference, Outcome::default())
        }
        Step::Rate { score, comment } => {
            let rating = complaint.rate(score, comment, now).map_err(refused)?;
            journal
                .events
                .push(events::rated(complaint, rating.resolution_number, score));
            let detail = format!("resolution {}: {score} of 5", rating.resolution_number);
            journal.rating = Some(rating);
            (AuditAction::Rated, detail, Outcome::default())
        }
    };
    journal.note(action, actor, now, detail);
    if let Some(from) = outcome.status_changed_from {
        if let Some(entry) = journal.entries.last_mut() {
            entry.from_status = Some(from);
            entry.to_status = Some(complaint.status);
        }
        journal
            .events
            .insert(0, events::status_changed(complaint, from, actor, now));
    }
    let (first_response, resolution) = complaint.readings(calendar, now);
    if outcome.first_response {
        journal
            .events
            .push(events::acknowledged(complaint, &first_response, actor, now));
    }
    if action == AuditAction::Resolved {
        journal
            .events
            .push(events::resolved(complaint, &resolution, now));
    }
    Ok(journal)
}

/// The actions of a proposal in a line, for the audit trail: "REFUND 120.00 CNY, APOLOGY".
fn actions_summary(actions: &[Action]) -> String {
    actions
        .iter()
        .map(|action| match action.amount_fen {
            Some(fen) => format!("{} {}", action.kind.as_str(), yuan(fen)),
            None => action.kind.as_str().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// An amount in fen as people read it.
fn yuan(fen: i64) -> String {
    let money = cny(fen);
    format!(
        "{}.{:02} {}",
        money.amount_minor / 100,
        (money.amount_minor % 100).abs(),
        money.currency_code
    )
}

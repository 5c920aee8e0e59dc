//! A complaint as the service keeps it, and every change the process allows: each method checks
//! the rule, changes the complaint and says what changed, so the use cases only load, call,
//! store and announce.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::calendar::{BusinessCalendar, Pause};
use super::claim::{Claim, ClaimMoveRefused, ClaimStatus, Decision};
use super::kinds::{ActionKind, Category, Channel, Kind, ResponsibleParty};
use super::policy::{Priority, Targets};
use super::sla::{self, ClockReading, ClockTimeline};
use super::status::{IllegalTransition, Move, Status};

/// What an investigation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Investigation {
    /// What was found.
    pub findings: String,
    /// Who caused it.
    pub responsible_party: ResponsibleParty,
    /// Why it happened.
    pub root_cause: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub record_time: DateTime<Utc>,
}

/// One action of a proposed resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// What is done.
    pub kind: ActionKind,
    /// What it pays, in fen, for a refund or a compensation.
    pub amount_fen: Option<i64>,
    /// Details.
    pub note: String,
}

/// A resolution proposed to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// What the company will do.
    pub actions: Vec<Action>,
    /// What was said to the customer.
    pub message: String,
    /// Who proposed it.
    pub proposed_by: String,
    /// When.
    pub propose_time: DateTime<Utc>,
}

/// Where one clock's next marks fall on the current calendar, and what the SLA sweep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockMarks {
    /// When the clock reaches 80% of its target; `None` unless it runs.
    pub warn_at: Option<DateTime<Utc>>,
    /// When it reaches its target.
    pub due_at: Option<DateTime<Utc>>,
    /// When it reaches twice its target.
    pub double_at: Option<DateTime<Utc>>,
    /// Whether it went past its target.
    pub breached: bool,
    /// Whether the 80% warning was given.
    pub warned: bool,
    /// The escalation level reached through this clock: 0, 1 or 2.
    pub level: i16,
}

/// The rating of one resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// Which resolution (1 for the first).
    pub resolution_number: i32,
    /// 1 to 5.
    pub score: i16,
    /// What the customer said.
    pub comment: String,
    /// When.
    pub rate_time: DateTime<Utc>,
}

/// A complaint with everything its rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    /// Stable id.
    pub id: Uuid,
    /// The number people read ("K...").
    pub number: String,
    /// What the customer came with.
    pub kind: Kind,
    /// How it reached the company.
    pub channel: Channel,
    /// What it is about.
    pub category: Category,
    /// The customer.
    pub customer_id: Uuid,
    /// The order it is about.
    pub order_id: Option<Uuid>,
    /// That order's tracking number.
    pub tracking_number: Option<String>,
    /// One-line summary.
    pub subject: String,
    /// What the customer said.
    pub description: String,
    /// Where it stands.
    pub status: Status,
    /// Where a PENDING_CUSTOMER complaint goes back to.
    pub paused_in: Option<Status>,
    /// How urgently it is handled.
    pub priority: Priority,
    /// Why staff set the priority; empty while it is the computed one.
    pub priority_override_reason: String,
    /// The agent working on it.
    pub assigned_agent: String,
    /// The team working on it.
    pub assigned_team: String,
    /// What the investigation found.
    pub investigation: Option<Investigation>,
    /// The resolution proposed.
    pub proposal: Option<Proposal>,
    /// The feedback of the latest resolution.
    pub resolution_feedback: String,
    /// The SLA targets in business minutes.
    pub targets: Targets,
    /// The first-response clock's marks.
    pub first_response: ClockMarks,
    /// The resolution clock's marks.
    pub resolution: ClockMarks,
    /// How many times it was resolved.
    pub resolution_count: i32,
    /// How many times it was reopened.
    pub reopen_count: i32,
    /// When it was filed.
    pub file_time: DateTime<Utc>,
    /// When the customer first got an answer.
    pub first_response_time: Option<DateTime<Utc>>,
    /// When it was last resolved (cleared by a reopen).
    pub resolve_time: Option<DateTime<Utc>>,
    /// When it was closed.
    pub close_time: Option<DateTime<Utc>>,
    /// When it last changed.
    pub update_time: DateTime<Utc>,
    /// Who filed it.
    pub filed_by: String,
    /// Its version, for etags and optimistic writes.
    pub version: i64,
    /// The stretches it waited for the customer.
    pub pauses: Vec<Pause>,
    /// The claim of a CLAIM.
    pub claim: Option<Claim>,
    /// The latest rating.
    pub rating: Option<Rating>,
}

/// Why a change is refused. Each maps to FAILED_PRECONDITION with its own reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The status machine does not allow it.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// ResumeComplaint on a complaint that is not waiting for the customer.
    #[error("a {} complaint is not waiting for the customer: there is nothing to resume", .0.as_str())]
    NotWaiting(Status),
    /// A closed complaint only takes notes, ratings, payments and reopening.
    #[error("the complaint is CLOSED: reopen it first")]
    Closed,
    /// The first response was given already.
    #[error("the complaint was already acknowledged at {0}")]
    AlreadyAcknowledged(DateTime<Utc>),
    /// A rating needs a resolution to rate.
    #[error("only a RESOLVED or CLOSED complaint can be rated; it is {}", .0.as_str())]
    NotResolved(Status),
    /// This resolution was rated already.
    #[error("resolution {0} was already rated")]
    AlreadyRated(i32),
    /// Claims only on CLAIM complaints.
    #[error("the complaint is not a CLAIM")]
    NotAClaim,
    /// A CLAIM is resolved once its claim was decided.
    #[error("the claim must be approved or rejected before the complaint is resolved; it is {}", .0.as_str())]
    ClaimNotDecided(ClaimStatus),
    /// The claim cannot move that way.
    #[error(transparent)]
    Claim(#[from] ClaimMoveRefused),
}

/// What a write changed that others must hear of, beyond the complaint's new state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The status before, when it changed.
    pub status_changed_from: Option<Status>,
    /// Whether this write gave the first response.
    pub first_response: bool,
    /// The pause this write ended, when it resumed the complaint.
    pub ended_pause: Option<Pause>,
}

impl Complaint {
    /// The first-response clock: from filing to the first response; never restarts.
    pub fn first_response_timeline(&self) -> ClockTimeline {
        ClockTimeline {
            started: self.file_time,
            stopped: self.first_response_time,
            pauses: self.pauses.clone(),
        }
    }

    /// The resolution clock: from filing to the resolution; runs again after a reopen, from
    /// filing, so the time between the resolution and the reopen counts.
    pub fn resolution_timeline(&self) -> ClockTimeline {
        ClockTimeline {
            started: self.file_time,
            stopped: self.resolve_time,
            pauses: self.pauses.clone(),
        }
    }

    /// Both clocks as of `now`.
    pub fn readings(
        &self,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
    ) -> (ClockReading, ClockReading) {
        (
            sla::reading(
                calendar,
                &self.first_response_timeline(),
                self.targets.first_response_minutes,
                now,
            ),
            sla::reading(
                calendar,
                &self.resolution_timeline(),
                self.targets.resolution_minutes,
                now,
            ),
        )
    }

    /// Recomputes where each clock's marks fall on `calendar`, after a write or a calendar
    /// change. What the sweep already did (warned, escalated) stays.
    pub fn refresh_clocks(&mut self, calendar: &BusinessCalendar, now: DateTime<Utc>) {
        let (first_response, resolution) = self.readings(calendar, now);
        let timelines = [
            (
                self.first_response_timeline(),
                self.targets.first_response_minutes,
                first_response,
            ),
            (
                self.resolution_timeline(),
                self.targets.resolution_minutes,
                resolution,
            ),
        ];
        let [first, second] = timelines.map(|(timeline, target, reading)| {
            let running = reading.state == sla::ClockState::Running;
            let points = sla::escalation_points(calendar, &timeline, target);
            (running, points, reading.breached)
        });
        for (marks, (running, points, breached)) in [
            (&mut self.first_response, first),
            (&mut self.resolution, second),
        ] {
            marks.warn_at = running.then_some(points.warning).flatten();
            marks.due_at = running.then_some(points.level_1).flatten();
            marks.double_at = running.then_some(points.level_2).flatten();
            marks.breached = breached;
        }
    }

    /// The escalation level: the higher of the two clocks'.
    pub fn escalation_level(&self) -> i16 {
        self.first_response.level.max(self.resolution.level)
    }

    fn refuse_if_closed(&self) -> Result<(), Refusal> {
        if self.status == Status::Closed {
            return Err(Refusal::Closed);
        }
        Ok(())
    }

    /// Records an answer to the customer: the first one stops the first-response clock.
    fn respond(&mut self, now: DateTime<Utc>) -> bool {
        if self.first_response_time.is_some() {
            return false;
        }
        self.first_response_time = Some(now);
        true
    }

    /// AcknowledgeComplaint: the first response, once.
    pub fn acknowledge(&mut self, now: DateTime<Utc>) -> Result<Outcome, Refusal> {
        self.refuse_if_closed()?;
        if let Some(at) = self.first_response_time {
            return Err(Refusal::AlreadyAcknowledged(at));
        }
        self.respond(now);
        Ok(Outcome {
            first_response: true,
            ..Outcome::default()
        })
    }

    /// AssignComplaint.
    pub fn assign(&mut self, agent: String, team: String) -> Result<(), Refusal> {
        self.refuse_if_closed()?;
        self.assigned_agent = agent;
        self.assigned_team = team;
        Ok(())
    }

    /// SetComplaintPriority: a priority set by hand, with the targets of the new priority.
    pub fn set_priority(
        &mut self,
        priority: Priority,
        reason: String,
        targets: Targets,
    ) -> Result<(), Refusal> {
        self.refuse_if_closed()?;
        self.priority = priority;
        self.priority_override_reason = reason;
        self.targets = targets;
        Ok(())
    }

    /// Moves the status (and nothing else) through the status machine.
    fn move_to(&mut self, step: Move) -> Result<Status, Refusal> {
        let from = self.status;
        self.status = from.after(step, self.kind)?;
        Ok(from)
    }

    /// RecordInvestigation: the findings, replacing earlier ones; a claim's review starts.
    pub fn investigate(&mut self, investigation: Investigation) -> Result<Outcome, Refusal> {
        let from = self.move_to(Move::Investigate)?;
        self.investigation = Some(investigation);
        if let Some(claim) = &mut self.claim {
            claim.start_review();
        }
        Ok(changed_from(from, self.status))
    }

    /// ProposeResolution: the proposal, replacing an earlier one.
    pub fn propose(&mut self, proposal: Proposal) -> Result<Outcome, Refusal> {
        let from = self.move_to(Move::Propose)?;
        self.proposal = Some(proposal);
        Ok(changed_from(from, self.status))
    }

    /// WaitForCustomer: the clocks pause; asking the customer is an answer.
    pub fn wait_for_customer(&mut self, now: DateTime<Utc>) -> Result<Outcome, Refusal> {
        let from = self.move_to(Move::WaitForCustomer)?;
        self.paused_in = Some(from);
        self.pauses.push(Pause::open(now));
        Ok(Outcome {
            first_response: self.respond(now),
            ..changed_from(from, self.status)
        })
    }

    /// ResumeComplaint: back to where it paused; the clocks run again.
    pub fn resume(&mut self, now: DateTime<Utc>) -> Result<Outcome, Refusal> {
        let (Status::PendingCustomer, Some(paused_in)) = (self.status, self.paused_in) else {
            return Err(Refusal::NotWaiting(self.status));
        };
        let from = self.move_to(Move::Resume { paused_in })?;
        self.paused_in = None;
        let running = self.pauses.iter_mut().find(|pause| pause.to.is_none());
        let ended_pause = running.map(|pause| {
            pause.to = Some(now.max(pause.from));
            *pause
        });
        Ok(Outcome {
            ended_pause,
            ..changed_from(from, self.status)
        })
    }

    /// ResolveComplaint: a CLAIM's claim must be decided first. Stops the resolution clock, and
    /// the first-response clock when nobody answered before.
    pub fn resolve(&mut self, feedback: String, now: DateTime<Utc>) -> Result<Outcome, Refusal> {
        if let Some(claim) = &self.claim
            && claim.status.awaits_decision()
        {
            // The transition is checked first so an illegal move says so, whatever the claim.
            self.status.after(Move::Resolve, self.kind)?;
            return Err(Refusal::ClaimNotDecided(claim.status));
        }
        let from = self.move_to(Move::Resolve)?;
        self.resolution_feedback = feedback;
        self.resolve_time = Some(now);
        self.resolution_count += 1;
        Ok(Outcome {
            first_response: self.respond(now),
            ..changed_from(from, self.status)
        })
    }

    /// CloseComplaint, or the automatic close.
    pub fn close(&mut self, now: DateTime<Utc>) -> Result<Outcome, Refusal> {
        let from = self.move_to(Move::Close)?;
        self.close_time = Some(now);
        Ok(changed_from(from, self.status))
    }

    /// ReopenComplaint: the resolution clock runs again, counted from filing.
    pub fn reopen(&mut self) -> Result<Outcome, Refusal> {
        let from = self.move_to(Move::Reopen)?;
        self.resolve_time = None;
        self.close_time = None;
        self.reopen_count += 1;
        // A new resolution is warned of and escalated afresh only when it comes due again;
        // what the sweep did for the first one stays done.
        Ok(changed_from(from, self.status))
    }

    /// ReviewClaim.
    pub fn review_claim(
        &mut self,
        decision: Decision,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        self.refuse_if_closed()?;
        let claim = self.claim.as_mut().ok_or(Refusal::NotAClaim)?;
        claim.decide(decision, by, now)?;
        Ok(())
    }

    /// MarkClaimPaid; `Ok(false)` when it was paid with this reference before.
    pub fn mark_claim_paid(
        &mut self,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Refusal> {
        let claim = self.claim.as_mut().ok_or(Refusal::NotAClaim)?;
        Ok(claim.mark_paid(reference, now)?)
    }

    /// RateResolution: once per resolution, when there is one.
    pub fn rate(
        &mut self,
        score: i16,
        comment: String,
        now: DateTime<Utc>,
    ) -> Result<Rating, Refusal> {
        if !matches!(self.status, Status::Resolved | Status::Closed) {
            return Err(Refusal::NotResolved(self.status));
        }
        if self
            .rating
            .as_ref()
            .is_some_and(|rating| rating.resolution_number == self.resolution_count)
        {
            return Err(Refusal::AlreadyRated(self.resolution_count));
        }
        let rating = Rating {
            resolution_number: self.resolution_count,
            score,
            comment,
            rate_time: now,
        };
        self.rating = Some(rating.clone());
        Ok(rating)
    }
}

fn changed_from(from: Status, to: Status) -> Outcome {
    Outcome {
        status_changed_from: (from != to).then_some(from),
        ..Outcome::default()
    }
}

#[cfg(test)]
#[path = "complaint_tests.rs"]
mod tests;

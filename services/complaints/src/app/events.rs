//! The change events a complaint's steps append to the feed: what the KPIs need (times, business
//! minutes, whether within SLA, amounts, scores) and no personal data (no subject, description,
//! notes or comments).

use chrono::{DateTime, Utc};
use logistics_contracts::complaints::stream_changes_response::Event;
use logistics_contracts::complaints::{self as pb, SlaClockKind};
use logistics_platform::money::cny;
use logistics_platform::time::timestamp;

use super::proto::{
    category_to_proto, channel_to_proto, claim_status_to_proto, kind_to_proto, priority_to_proto,
    status_to_proto,
};
use crate::domain::complaint::Complaint;
use crate::domain::policy::Priority;
use crate::domain::sla::ClockReading;
use crate::domain::status::Status;

/// Which clock an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clock {
    /// From filing to the first response.
    FirstResponse,
    /// From filing to the resolution.
    Resolution,
}

impl Clock {
    fn to_proto(self) -> i32 {
        match self {
            Self::FirstResponse => SlaClockKind::FirstResponse,
            Self::Resolution => SlaClockKind::Resolution,
        }
        .into()
    }

    /// The clock's name in audit entries.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::FirstResponse => "first response",
            Self::Resolution => "resolution",
        }
    }
}

fn id(complaint: &Complaint) -> String {
    complaint.id.to_string()
}

fn customer(complaint: &Complaint) -> String {
    complaint.customer_id.to_string()
}

/// complaint.filed
pub(crate) fn filed(complaint: &Complaint) -> Event {
    Event::ComplaintFiled(pb::ComplaintFiled {
        complaint_id: id(complaint),
        complaint_number: complaint.number.clone(),
        customer_id: customer(complaint),
        order_id: complaint
            .order_id
            .map(|order| order.to_string())
            .unwrap_or_default(),
        kind: kind_to_proto(complaint.kind).into(),
        channel: channel_to_proto(complaint.channel).into(),
        category: category_to_proto(complaint.category).into(),
        priority: priority_to_proto(complaint.priority).into(),
        assigned_agent: complaint.assigned_agent.clone(),
        claimed_amount: complaint.claim.as_ref().map(|claim| cny(claim.claimed_fen)),
        first_response_target_minutes: complaint.targets.first_response_minutes,
        resolution_target_minutes: complaint.targets.resolution_minutes,
        file_time: Some(timestamp(complaint.file_time)),
    })
}

/// complaint.status_changed
pub(crate) fn status_changed(
    complaint: &Complaint,
    from: Status,
    by: &str,
    now: DateTime<Utc>,
) -> Event {
    Event::ComplaintStatusChanged(pb::ComplaintStatusChanged {
        complaint_id: id(complaint),
        customer_id: customer(complaint),
        from_status: status_to_proto(from).into(),
        to_status: status_to_proto(complaint.status).into(),
        changed_by: by.to_owned(),
        change_time: Some(timestamp(now)),
    })
}

/// complaint.acknowledged: the first response, with its business minutes.
pub(crate) fn acknowledged(
    complaint: &Complaint,
    first_response: &ClockReading,
    agent: &str,
    now: DateTime<Utc>,
) -> Event {
    Event::ComplaintAcknowledged(pb::ComplaintAcknowledged {
        complaint_id: id(complaint),
        customer_id: customer(complaint),
        first_response_minutes: first_response.elapsed_minutes,
        within_sla: !first_response.breached,
        agent: agent.to_owned(),
        response_time: Some(timestamp(now)),
    })
}

/// complaint.assigned
pub(crate) fn assigned(complaint: &Complaint, now: DateTime<Utc>) -> Event {
    Event::ComplaintAssigned(pb::ComplaintAssigned {
        complaint_id: id(complaint),
        agent: complaint.assigned_agent.clone(),
        team: complaint.assigned_team.clone(),
        assign_time: Some(timestamp(now)),
    })
}

/// complaint.paused
pub(crate) fn paused(complaint: &Complaint, now: DateTime<Utc>) -> Event {
    Event::ComplaintPaused(pb::ComplaintPaused {
        complaint_id: id(complaint),
        pause_time: Some(timestamp(now)),
    })
}

/// complaint.resumed, with the business minutes of the pause that ended.
pub(crate) fn resumed(complaint: &Complaint, paused_minutes: i64, now: DateTime<Utc>) -> Event {
    Event::ComplaintResumed(pb::ComplaintResumed {
        complaint_id: id(complaint),
        resume_time: Some(timestamp(now)),
        paused_minutes,
    })
}

/// complaint.warned
pub(crate) fn warned(
    complaint: &Complaint,
    clock: Clock,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Event {
    Event::ComplaintWarned(pb::ComplaintWarned {
        complaint_id: id(complaint),
        clock: clock.to_proto(),
        due_time: due.map(timestamp),
        warn_time: Some(timestamp(now)),
    })
}

/// complaint.escalated
pub(crate) fn escalated(
    complaint: &Complaint,
    clock: Clock,
    level: i16,
    now: DateTime<Utc>,
) -> Event {
    Event::ComplaintEscalated(pb::ComplaintEscalated {
        complaint_id: id(complaint),
        clock: clock.to_proto(),
        level: i32::from(level),
        assigned_agent: complaint.assigned_agent.clone(),
        assigned_team: complaint.assigned_team.clone(),
        escalate_time: Some(timestamp(now)),
    })
}

/// complaint.resolved, with the business minutes from filing.
pub(crate) fn resolved(
    complaint: &Complaint,
    resolution: &ClockReading,
    now: DateTime<Utc>,
) -> Event {
    Event::ComplaintResolved(pb::ComplaintResolved {
        complaint_id: id(complaint),
        customer_id: customer(complaint),
        order_id: complaint
            .order_id
            .map(|order| order.to_string())
            .unwrap_or_default(),
        kind: kind_to_proto(complaint.kind).into(),
        category: category_to_proto(complaint.category).into(),
        assigned_agent: complaint.assigned_agent.clone(),
        resolution_number: complaint.resolution_count,
        resolution_minutes: resolution.elapsed_minutes,
        within_sla: !resolution.breached,
        resolve_time: Some(timestamp(now)),
        complaint_number: complaint.number.clone(),
    })
}

/// complaint.reopened
pub(crate) fn reopened(complaint: &Complaint, now: DateTime<Utc>) -> Event {
    Event::ComplaintReopened(pb::ComplaintReopened {
        complaint_id: id(complaint),
        customer_id: customer(complaint),
        reopen_count: complaint.reopen_count,
        reopen_time: Some(timestamp(now)),
    })
}

/// complaint.closed
pub(crate) fn closed(complaint: &Complaint, automatic: bool, now: DateTime<Utc>) -> Event {
    Event::ComplaintClosed(pb::ComplaintClosed {
        complaint_id: id(complaint),
        customer_id: customer(complaint),
        automatic,
        close_time: Some(timestamp(now)),
    })
}

/// complaint.claim_reviewed; `None` for a complaint without a claim.
pub(crate) fn claim_reviewed(complaint: &Complaint, now: DateTime<Utc>) -> Option<Event> {
    let claim = complaint.claim.as_ref()?;
    Some(Event::ClaimReviewed(pb::ClaimReviewed {
        complaint_id: id(complaint),
        customer_id: customer(complaint),
        status: claim_status_to_proto(claim.status).into(),
        claimed_amount: Some(cny(claim.claimed_fen)),
        approved_amount: claim.approved_fen.map(cny),
        review_time: Some(timestamp(now)),
    }))
}

/// complaint.claim_paid; `None` for a complaint without an approved amount.
pub(crate) fn claim_paid(complaint: &Complaint, now: DateTime<Utc>) -> Option<Event> {
    let approved = complaint.claim.as_ref()?.approved_fen?;
    Some(Event::ClaimPaid(pb::ClaimPaid {
        complaint_id: id(complaint),
        customer_id: customer(complaint),
        amount: Some(cny(approved)),
        pay_time: Some(timestamp(now)),
    }))
}

/// complaint.rated
pub(crate) fn rated(complaint: &Complaint, resolution_number: i32, score: i16) -> Event {
    Event::ComplaintRated(pb::ComplaintRated {
        complaint_id: id(complaint),
        customer_id: customer(complaint),
        assigned_agent: complaint.assigned_agent.clone(),
        resolution_number,
        score: i32::from(score),
        rate_time: complaint
            .rating
            .as_ref()
            .map(|rating| timestamp(rating.rate_time)),
    })
}

/// complaint.priority_set
pub(crate) fn priority_set(complaint: &Complaint, from: Priority, now: DateTime<Utc>) -> Event {
    Event::ComplaintPrioritySet(pb::ComplaintPrioritySet {
        complaint_id: id(complaint),
        from_priority: priority_to_proto(from).into(),
        to_priority: priority_to_proto(complaint.priority).into(),
        first_response_target_minutes: complaint.targets.first_response_minutes,
        resolution_target_minutes: complaint.targets.resolution_minutes,
        change_time: Some(timestamp(now)),
    })
}

//! The complaint as the contract shows it, and the enums both ways. Here rather than in `api/`
//! because FileComplaint's answer is stored for its retries in the use case's transaction.

use chrono::{DateTime, Utc};
use logistics_contracts::common::Priority as PbPriority;
use logistics_contracts::complaints::{
    self as pb, AuditAction as PbAuditAction, ClaimStatus as PbClaimStatus,
    ComplaintCategory as PbCategory, ComplaintChannel as PbChannel, ComplaintKind as PbKind,
    ComplaintStatus as PbStatus, ResolutionActionKind as PbActionKind,
    ResponsibleParty as PbResponsibleParty,
};
use logistics_platform::etag;
use logistics_platform::money::cny;
use logistics_platform::time::timestamp;
use prost::Message as _;

use crate::domain::audit::{AuditAction, AuditEntry};
use crate::domain::calendar::BusinessCalendar;
use crate::domain::claim::{Claim, ClaimStatus};
use crate::domain::complaint::Complaint;
use crate::domain::kinds::{ActionKind, Category, Channel, Kind, ResponsibleParty};
use crate::domain::policy::Priority;
use crate::domain::sla::{ClockReading, ClockState};
use crate::domain::status::Status;

/// Maps a domain enum to its proto enum and back (or only to it, with `to`); the variants share
/// their names.
macro_rules! enum_mapping {
    ($to_proto:ident, $from_proto:ident, $domain:ident, $proto:ident, [$($variant:ident),+ $(,)?]) => {
        enum_mapping!(to $to_proto, $domain, $proto, [$($variant),+]);

        enum_mapping!(from $from_proto, $domain, $proto, [$($variant),+]);
    };
    (from $from_proto:ident, $domain:ident, $proto:ident, [$($variant:ident),+]) => {
        /// The domain value of a contract's value; `None` for UNSPECIFIED.
        pub(crate) fn $from_proto(value: $proto) -> Option<$domain> {
            match value {
                $($proto::$variant => Some($domain::$variant),)+
                #[allow(unreachable_patterns)]
                _ => None,
            }
        }
    };
    (to $to_proto:ident, $domain:ident, $proto:ident, [$($variant:ident),+ $(,)?]) => {
        /// The contract's value of a domain value.
        pub(crate) fn $to_proto(value: $domain) -> $proto {
            match value {
                $($domain::$variant => $proto::$variant,)+
            }
        }
    };
}

enum_mapping!(
    kind_to_proto,
    kind_from_proto,
    Kind,
    PbKind,
    [Complaint, Inquiry, Suggestion, Claim]
);
enum_mapping!(
    channel_to_proto,
    channel_from_proto,
    Channel,
    PbChannel,
    [
        Phone, Hotline, Email, Letter, Web, InPerson, Chat, Proactive
    ]
);
enum_mapping!(
    category_to_proto,
    category_from_proto,
    Category,
    PbCategory,
    [
        Delay,
        Damage,
        Loss,
        Shortage,
        WrongDelivery,
        DocumentError,
        Billing,
        StaffAttitude,
        Other
    ]
);
enum_mapping!(
    status_to_proto,
    status_from_proto,
    Status,
    PbStatus,
    [
        Received,
        Investigating,
        PendingCustomer,
        ResolutionProposed,
        Resolved,
        Reopened,
        Closed
    ]
);
enum_mapping!(
    priority_to_proto,
    priority_from_proto,
    Priority,
    PbPriority,
    [Low, Normal, High, Urgent]
);
enum_mapping!(
    party_to_proto,
    party_from_proto,
    ResponsibleParty,
    PbResponsibleParty,
    [Carrier, Warehouse, Customer, ThirdParty]
);
enum_mapping!(
    action_kind_to_proto,
    action_kind_from_proto,
    ActionKind,
    PbActionKind,
    [Redelivery, Refund, Compensation, Apology]
);
// Output only in the contract: no way back.
enum_mapping!(
    to claim_status_to_proto,
    ClaimStatus,
    PbClaimStatus,
    [Submitted, UnderReview, Approved, Rejected, Paid]
);
enum_mapping!(
    to audit_action_to_proto,
    AuditAction,
    PbAuditAction,
    [
        Filed,
        Acknowledged,
        Assigned,
        PrioritySet,
        InvestigationRecorded,
        ResolutionProposed,
        Paused,
        Resumed,
        Resolved,
        Closed,
        Reopened,
        NoteAdded,
        ClaimReviewed,
        ClaimPaid,
        Rated,
        SlaWarned,
        Escalated,
    ]
);

/// What goes with a complaint into its answer beyond the complaint itself.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    /// The evidence as stored (encoded), when the complaint names an order.
    pub evidence: Option<Vec<u8>>,
    /// The audit trail, in the FULL view.
    pub trail: Option<Vec<AuditEntry>>,
}

/// The complaint as the contract shows it, its clocks read on `calendar` as of `now`.
pub(crate) fn complaint(
    complaint: &Complaint,
    extras: Extras,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> pb::Complaint {
    let full = extras.trail.is_some();
    let evidence = extras.evidence.and_then(|bytes| {
        let mut evidence = pb::ShipmentEvidence::decode(bytes.as_slice())
            .inspect_err(|error| {
                tracing::error!(%error, complaint = %complaint.id, "stored evidence does not decode");
            })
            .ok()?;
        if !full {
            evidence.events.clear();
        }
        Some(evidence)
    });
    let (first_response, resolution) = complaint.readings(calendar, now);
    pb::Complaint {
        id: complaint.id.to_string(),
        complaint_number: complaint.number.clone(),
        kind: kind_to_proto(complaint.kind).into(),
        channel: channel_to_proto(complaint.channel).into(),
        category: category_to_proto(complaint.category).into(),
        customer_id: complaint.customer_id.to_string(),
        order_id: complaint
            .order_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        tracking_number: complaint.tracking_number.clone().unwrap_or_default(),
        subject: complaint.subject.clone(),
        description: complaint.description.clone(),
        status: status_to_proto(complaint.status).into(),
        priority: priority_to_proto(complaint.priority).into(),
        priority_override_reason: complaint.priority_override_reason.clone(),
        assigned_agent: complaint.assigned_agent.clone(),
        assigned_team: complaint.assigned_team.clone(),
        evidence,
        investigation: complaint
            .investigation
            .as_ref()
            .map(|found| pb::Investigation {
                findings: found.findings.clone(),
                responsible_party: party_to_proto(found.responsible_party).into(),
                root_cause: found.root_cause.clone(),
                recorded_by: found.recorded_by.clone(),
                record_time: Some(timestamp(found.record_time)),
            }),
        proposed_resolution: complaint
            .proposal
            .as_ref()
            .map(|proposal| pb::ProposedResolution {
                actions: proposal
                    .actions
                    .iter()
                    .map(|action| pb::ResolutionAction {
                        kind: action_kind_to_proto(action.kind).into(),
                        amount: action.amount_fen.map(cny),
                        note: action.note.clone(),
                    })
                    .collect(),
                message: proposal.message.clone(),
                proposed_by: proposal.proposed_by.clone(),
                propose_time: Some(timestamp(proposal.propose_time)),
            }),
        resolution_feedback: complaint.resolution_feedback.clone(),
        claim: complaint.claim.as_ref().map(claim),
        rating: complaint.rating.as_ref().map(|rating| pb::Rating {
            score: i32::from(rating.score),
            comment: rating.comment.clone(),
            resolution_number: rating.resolution_number,
            rate_time: Some(timestamp(rating.rate_time)),
        }),
        sla: Some(pb::Sla {
            first_response: Some(clock(
                &first_response,
                complaint.targets.first_response_minutes,
            )),
            resolution: Some(clock(&resolution, complaint.targets.resolution_minutes)),
        }),
        escalation_level: i32::from(complaint.escalation_level()),
        reopen_count: complaint.reopen_count,
        resolution_count: complaint.resolution_count,
        file_time: Some(timestamp(complaint.file_time)),
        first_response_time: complaint.first_response_time.map(timestamp),
        resolve_time: complaint.resolve_time.map(timestamp),
        close_time: complaint.close_time.map(timestamp),
        update_time: Some(timestamp(complaint.update_time)),
        filed_by: complaint.filed_by.clone(),
        etag: etag::of(complaint.version),
        audit_trail: extras
            .trail
            .unwrap_or_default()
            .iter()
            .map(audit_entry)
            .collect(),
    }
}

fn claim(claim: &Claim) -> pb::Claim {
    pb::Claim {
        claimed_amount: Some(cny(claim.claimed_fen)),
        evidence: claim.evidence.clone(),
        status: claim_status_to_proto(claim.status).into(),
        window_end_time: Some(timestamp(claim.window_end)),
        approved_amount: claim.approved_fen.map(cny),
        rejection_reason: claim.rejection_reason.clone().unwrap_or_default(),
        reviewed_by: claim.reviewed_by.clone().unwrap_or_default(),
        review_time: claim.review_time.map(timestamp),
        payment_reference: claim.payment_reference.clone().unwrap_or_default(),
        pay_time: claim.pay_time.map(timestamp),
    }
}

fn clock(reading: &ClockReading, target_minutes: i64) -> pb::SlaClock {
    let state = match reading.state {
        ClockState::Running => pb::SlaClockState::Running,
        ClockState::Paused => pb::SlaClockState::Paused,
        ClockState::Stopped => pb::SlaClockState::Stopped,
    };
    pb::SlaClock {
        state: state.into(),
        target_minutes,
        elapsed_minutes: reading.elapsed_minutes,
        due_time: reading.due_time.map(timestamp),
        breached: reading.breached,
        used_per_mille: i32::try_from(reading.used_per_mille).unwrap_or(i32::MAX),
    }
}

fn audit_entry(entry: &AuditEntry) -> pb::AuditEntry {
    pb::AuditEntry {
        action: audit_action_to_proto(entry.action).into(),
        actor: entry.actor.clone(),
        occur_time: Some(timestamp(entry.occur_time)),
        from_status: entry
            .from_status
            .map(|status| status_to_proto(status).into())
            .unwrap_or_default(),
        to_status: entry
            .to_status
            .map(|status| status_to_proto(status).into())
            .unwrap_or_default(),
        detail: entry.detail.clone(),
    }
}

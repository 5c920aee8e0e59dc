//! The audit trail: every step of a complaint, who took it and when.

use chrono::{DateTime, Utc};
use logistics_platform::named_enum;

use super::status::Status;

named_enum! {
    /// What a step did.
    AuditAction {
        /// Filed, or a proactive case opened.
        Filed = "FILED",
        /// The first response.
        Acknowledged = "ACKNOWLEDGED",
        /// Assigned to an agent and a team.
        Assigned = "ASSIGNED",
        /// The priority set by hand.
        PrioritySet = "PRIORITY_SET",
        /// An investigation recorded.
        InvestigationRecorded = "INVESTIGATION_RECORDED",
        /// A resolution proposed.
        ResolutionProposed = "RESOLUTION_PROPOSED",
        /// Waiting for the customer.
        Paused = "PAUSED",
        /// No longer waiting.
        Resumed = "RESUMED",
        /// Resolved.
        Resolved = "RESOLVED",
        /// Closed, by hand or 7 days after the resolution.
        Closed = "CLOSED",
        /// Reopened.
        Reopened = "REOPENED",
        /// A note.
        NoteAdded = "NOTE_ADDED",
        /// The claim approved or rejected.
        ClaimReviewed = "CLAIM_REVIEWED",
        /// The claim paid.
        ClaimPaid = "CLAIM_PAID",
        /// The resolution rated.
        Rated = "RATED",
        /// A clock at 80% of its target.
        SlaWarned = "SLA_WARNED",
        /// Escalated on a breach or at twice the target.
        Escalated = "ESCALATED",
    }
}

/// One step of a complaint's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// What was done.
    pub action: AuditAction,
    /// Who: a principal, or the service's own name for its automatic steps.
    pub actor: String,
    /// When.
    pub occur_time: DateTime<Utc>,
    /// The status before, when the step moved it.
    pub from_status: Option<Status>,
    /// The status after, when the step moved it.
    pub to_status: Option<Status>,
    /// What the step said.
    pub detail: String,
}

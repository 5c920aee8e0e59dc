//! Reading ComplaintService requests: every field checked, every bad one reported at once, and
//! what passes turned into the use cases' typed inputs.

use logistics_contracts::complaints::{
    self as pb, FileComplaintRequest, review_claim_request::Decision as PbDecision,
};
use logistics_platform::ApiError;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::fields::customer_ref_field;
use logistics_platform::money::{cny_fen, required_cny_fen};
use logistics_platform::numbers::is_dated_number;
use uuid::Uuid;

use crate::app::filing::{NewClaim, NewComplaint};
use crate::app::proto::{
    action_kind_from_proto, category_from_proto, channel_from_proto, kind_from_proto,
    party_from_proto, priority_from_proto, status_from_proto,
};
use crate::domain::claim::Decision;
use crate::domain::complaint::Action;
use crate::domain::kinds::{Channel, Kind};
use crate::store::complaint_lists::ComplaintQuery;
use crate::store::complaints::ComplaintRef;

/// Longest subject.
const SUBJECT_CHARS: usize = 200;
/// Longest description, findings, feedback or note.
pub(super) const LONG_TEXT_CHARS: usize = 4000;
/// Longest message to the customer, reason for a pause.
pub(super) const MESSAGE_CHARS: usize = 2000;
/// Longest reason, root cause, action note or evidence item.
pub(super) const REASON_CHARS: usize = 500;
/// Longest agent login or team name.
pub(super) const NAME_CHARS: usize = 100;
/// Longest payment reference.
pub(super) const REFERENCE_CHARS: usize = 64;
/// Longest order reference (an id, an order number or a tracking number).
const ORDER_REF_CHARS: usize = 64;
/// Most evidence items of a claim.
const MAX_EVIDENCE: usize = 20;
/// Most actions of a proposal.
const MAX_ACTIONS: usize = 10;
/// Largest amount of money, in fen: 100,000,000.00 CNY.
const MAX_FEN: i64 = 10_000_000_000;

/// Reads an enum field that must be set to a known value.
fn required_enum<P, D>(
    violations: &mut Violations,
    field: &str,
    value: i32,
    from_proto: fn(P) -> Option<D>,
) -> Option<D>
where
    P: TryFrom<i32>,
{
    let known = P::try_from(value).ok().and_then(from_proto);
    if known.is_none() {
        let problem = if value == 0 {
            "is required"
        } else {
            "is not a known value"
        };
        violations.add(field, problem);
    }
    known
}

/// Reads an enum field of a filter: unset (0) means any.
fn optional_enum<P, D>(
    violations: &mut Violations,
    field: &str,
    value: i32,
    from_proto: fn(P) -> Option<D>,
) -> Option<D>
where
    P: TryFrom<i32>,
{
    if value == 0 {
        return None;
    }
    required_enum(violations, field, value, from_proto)
}

/// A complaint's id (UUID) or number ("K...") at `field`.
pub(super) fn complaint_ref(field: &str, text: &str) -> Result<ComplaintRef, ApiError> {
    if text.is_empty() {
        return Err(ApiError::invalid_field(field, "is required"));
    }
    if let Ok(id) = Uuid::try_parse(text) {
        return Ok(ComplaintRef::Id(id));
    }
    if is_dated_number('K', text) {
        return Ok(ComplaintRef::Number(text.to_owned()));
    }
    Err(ApiError::invalid_field(
        field,
        "must be a complaint id (UUID) or number (\"K\" and 16 or more digits)",
    ))
}

/// An optional order reference: an id, an order number or a tracking number, as orders takes it.
fn order_ref(violations: &mut Violations, field: &str, text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    violations.limit_text(field, text, ORDER_REF_CHARS);
    let plausible = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !plausible {
        violations.add(
            field,
            "must be an order id (UUID), order number or tracking number",
        );
    }
    Some(text.to_owned())
}

/// FileComplaint: the complaint to file and the request id.
pub(super) fn new_complaint(
    request: &FileComplaintRequest,
) -> Result<(NewComplaint, Uuid), ApiError> {
    let mut violations = Violations::new();
    let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
    let Some(complaint) = &request.complaint else {
        violations.add("complaint", "is required");
        return Err(violations.into_error());
    };
    let field = |name: &str| format!("complaint.{name}");
    let kind = required_enum(
        &mut violations,
        &field("kind"),
        complaint.kind,
        kind_from_proto,
    );
    let channel = required_enum(
        &mut violations,
        &field("channel"),
        complaint.channel,
        channel_from_proto,
    );
    if channel == Some(Channel::Proactive) {
        violations.add(
            field("channel"),
            "PROACTIVE is for cases the service opens itself",
        );
    }
    let category = required_enum(
        &mut violations,
        &field("category"),
        complaint.category,
        category_from_proto,
    );
    let customer = customer_ref_field(
        &mut violations,
        &field("customer_id"),
        &complaint.customer_id,
        true,
    );
    let order = order_ref(&mut violations, &field("order_id"), &complaint.order_id);
    violations.require_text(&field("subject"), &complaint.subject, SUBJECT_CHARS);
    violations.limit_multiline_text(
        &field("description"),
        &complaint.description,
        LONG_TEXT_CHARS,
    );
    let claim = match (kind, &complaint.claim) {
        (Some(Kind::Claim), Some(claim)) => {
            if order.is_none() {
                violations.add(field("order_id"), "is required for a CLAIM");
            }
            Some(new_claim(&mut violations, claim))
        }
        (Some(Kind::Claim), None) => {
            violations.add(field("claim"), "is required for a CLAIM");
            None
        }
        (_, Some(_)) => {
            violations.add(field("claim"), "is only for a CLAIM");
            None
        }
        (_, None) => None,
    };
    violations.finish()?;
    let (Some(kind), Some(channel), Some(category), Some(customer), Some(request_id)) =
        (kind, channel, category, customer, request_id)
    else {
        return Err(ApiError::invalid_field(
            "complaint",
            "is not a valid complaint",
        ));
    };
    let new = NewComplaint {
        kind,
        channel,
        category,
        customer,
        order,
        subject: complaint.subject.clone(),
        description: complaint.description.clone(),
        claim,
    };
    Ok((new, request_id))
}

fn new_claim(violations: &mut Violations, claim: &pb::Claim) -> NewClaim {
    let claimed_fen = required_cny_fen(
        violations,
        "complaint.claim.claimed_amount",
        claim.claimed_amount.as_ref(),
        1..=MAX_FEN,
    );
    if claim.evidence.is_empty() || claim.evidence.len() > MAX_EVIDENCE {
        violations.add(
            "complaint.claim.evidence",
            format!("must list 1 to {MAX_EVIDENCE} items"),
        );
    }
    for (index, item) in claim.evidence.iter().take(MAX_EVIDENCE).enumerate() {
        violations.require_text(
            &format!("complaint.claim.evidence[{index}]"),
            item,
            REASON_CHARS,
        );
    }
    NewClaim {
        claimed_fen,
        evidence: claim.evidence.clone(),
    }
}

/// A text the caller must give.
pub(super) fn required(field: &str, value: &str, max_chars: usize) -> Result<String, ApiError> {
    let mut violations = Violations::new();
    violations.require_text(field, value, max_chars);
    violations.finish()?;
    Ok(value.to_owned())
}

/// A text the caller may give, spanning lines.
pub(super) fn optional_long(
    field: &str,
    value: &str,
    max_chars: usize,
) -> Result<String, ApiError> {
    let mut violations = Violations::new();
    violations.limit_multiline_text(field, value, max_chars);
    violations.finish()?;
    Ok(value.to_owned())
}

/// A required text that may span lines.
pub(super) fn required_long(
    field: &str,
    value: &str,
    max_chars: usize,
) -> Result<String, ApiError> {
    let mut violations = Violations::new();
    violations.require_multiline_text(field, value, max_chars);
    violations.finish()?;
    Ok(value.to_owned())
}

/// AssignComplaint: the agent and the team.
pub(super) fn assignment(
    request: &pb::AssignComplaintRequest,
) -> Result<(String, String), ApiError> {
    let mut violations = Violations::new();
    violations.require_text("agent", &request.agent, NAME_CHARS);
    violations.limit_text("team", &request.team, NAME_CHARS);
    violations.finish()?;
    Ok((request.agent.clone(), request.team.clone()))
}

/// SetComplaintPriority: the priority and the reason.
pub(super) fn priority_change(
    request: &pb::SetComplaintPriorityRequest,
) -> Result<(crate::domain::policy::Priority, String), ApiError> {
    let mut violations = Violations::new();
    let priority = required_enum(
        &mut violations,
        "priority",
        request.priority,
        priority_from_proto,
    );
    violations.require_text("reason", &request.reason, REASON_CHARS);
    violations.finish()?;
    let priority = priority.ok_or_else(|| ApiError::invalid_field("priority", "is required"))?;
    Ok((priority, request.reason.clone()))
}

/// RecordInvestigation: the findings, the responsible party and the root cause.
pub(super) fn investigation(
    request: &pb::RecordInvestigationRequest,
) -> Result<(String, crate::domain::kinds::ResponsibleParty, String), ApiError> {
    let mut violations = Violations::new();
    let Some(found) = &request.investigation else {
        return Err(ApiError::invalid_field("investigation", "is required"));
    };
    violations.require_multiline_text("investigation.findings", &found.findings, LONG_TEXT_CHARS);
    let party = required_enum(
        &mut violations,
        "investigation.responsible_party",
        found.responsible_party,
        party_from_proto,
    );
    violations.require_text("investigation.root_cause", &found.root_cause, REASON_CHARS);
    violations.finish()?;
    let party = party
        .ok_or_else(|| ApiError::invalid_field("investigation.responsible_party", "is required"))?;
    Ok((found.findings.clone(), party, found.root_cause.clone()))
}

/// ProposeResolution: the actions and the message.
pub(super) fn proposal(
    request: &pb::ProposeResolutionRequest,
) -> Result<(Vec<Action>, String), ApiError> {
    let mut violations = Violations::new();
    let Some(resolution) = &request.resolution else {
        return Err(ApiError::invalid_field("resolution", "is required"));
    };
    if resolution.actions.is_empty() || resolution.actions.len() > MAX_ACTIONS {
        violations.add(
            "resolution.actions",
            format!("must list 1 to {MAX_ACTIONS} actions"),
        );
    }
    let mut actions = Vec::new();
    for (index, action) in resolution.actions.iter().take(MAX_ACTIONS).enumerate() {
        let field = |name: &str| format!("resolution.actions[{index}].{name}");
        let kind = required_enum(
            &mut violations,
            &field("kind"),
            action.kind,
            action_kind_from_proto,
        );
        violations.limit_text(&field("note"), &action.note, REASON_CHARS);
        let amount_fen = match kind {
            Some(kind) if kind.pays() => Some(required_cny_fen(
                &mut violations,
                &field("amount"),
                action.amount.as_ref(),
                1..=MAX_FEN,
            )),
            Some(kind) => {
                if action.amount.is_some() {
                    violations.add(
                        field("amount"),
                        format!("must be unset for {}", kind.as_str()),
                    );
                }
                None
            }
            None => None,
        };
        if let Some(kind) = kind {
            if actions.iter().any(|known: &Action| known.kind == kind) {
                violations.add(field("kind"), "is listed twice");
            }
            actions.push(Action {
                kind,
                amount_fen,
                note: action.note.clone(),
            });
        }
    }
    violations.limit_multiline_text("resolution.message", &resolution.message, LONG_TEXT_CHARS);
    violations.finish()?;
    Ok((actions, resolution.message.clone()))
}

/// ReviewClaim: approve an amount, or reject for a reason.
pub(super) fn decision(request: &pb::ReviewClaimRequest) -> Result<Decision, ApiError> {
    let mut violations = Violations::new();
    let decision = match &request.decision {
        Some(PbDecision::ApprovedAmount(amount)) => Some(Decision::Approve(cny_fen(
            &mut violations,
            "approved_amount",
            Some(amount),
            1..=MAX_FEN,
        ))),
        Some(PbDecision::RejectionReason(reason)) => {
            violations.require_text("rejection_reason", reason, REASON_CHARS);
            Some(Decision::Reject(reason.clone()))
        }
        None => {
            violations.add(
                "decision",
                "is required: approved_amount or rejection_reason",
            );
            None
        }
    };
    violations.finish()?;
    decision.ok_or_else(|| ApiError::invalid_field("decision", "is required"))
}

/// RateResolution: the score and the comment.
pub(super) fn rating(request: &pb::RateResolutionRequest) -> Result<(i16, String), ApiError> {
    let mut violations = Violations::new();
    let Some(rating) = &request.rating else {
        return Err(ApiError::invalid_field("rating", "is required"));
    };
    let score = violations.in_range("rating.score", rating.score, 1..=5);
    violations.limit_multiline_text("rating.comment", &rating.comment, MESSAGE_CHARS);
    violations.finish()?;
    let score = score
        .and_then(|score| i16::try_from(score).ok())
        .ok_or_else(|| ApiError::invalid_field("rating.score", "must be from 1 to 5"))?;
    Ok((score, rating.comment.clone()))
}

/// A ListComplaints or CountComplaints filter, with the customer still to resolve (a customer
/// code is resolved by the use case).
pub(super) struct Filter {
    /// The query without the customer.
    pub query: ComplaintQuery,
    /// The customer, by id or code.
    pub customer: Option<logistics_platform::fields::CustomerRef>,
}

/// Reads a filter; unset fields match everything.
pub(super) fn filter(filter: Option<&pb::ComplaintFilter>) -> Result<Filter, ApiError> {
    let Some(filter) = filter else {
        return Ok(Filter {
            query: ComplaintQuery::default(),
            customer: None,
        });
    };
    let mut violations = Violations::new();
    let field = |name: &str| format!("filter.{name}");
    let customer = customer_ref_field(
        &mut violations,
        &field("customer_id"),
        &filter.customer_id,
        false,
    );
    let order = order_ref(&mut violations, &field("order_id"), &filter.order_id);
    if filter.statuses.len() > 7 {
        violations.add(field("statuses"), "must list at most 7 statuses");
    }
    let statuses = filter
        .statuses
        .iter()
        .take(7)
        .enumerate()
        .filter_map(|(index, status)| {
            required_enum(
                &mut violations,
                &format!("filter.statuses[{index}]"),
                *status,
                status_from_proto,
            )
        })
        .collect();
    let kind = optional_enum(
        &mut violations,
        &field("kind"),
        filter.kind,
        kind_from_proto,
    );
    let category = optional_enum(
        &mut violations,
        &field("category"),
        filter.category,
        category_from_proto,
    );
    let priority = optional_enum(
        &mut violations,
        &field("priority"),
        filter.priority,
        priority_from_proto,
    );
    let channel = optional_enum(
        &mut violations,
        &field("channel"),
        filter.channel,
        channel_from_proto,
    );
    violations.limit_text(&field("assigned_agent"), &filter.assigned_agent, NAME_CHARS);
    violations.limit_text(&field("assigned_team"), &filter.assigned_team, NAME_CHARS);
    let start_time = violations.optional_time(&field("start_time"), filter.start_time.as_ref());
    let end_time = violations.optional_time(&field("end_time"), filter.end_time.as_ref());
    if let (Some(start), Some(end)) = (start_time, end_time)
        && end <= start
    {
        violations.add(field("end_time"), "must be after start_time");
    }
    violations.finish()?;
    let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    Ok(Filter {
        query: ComplaintQuery {
            customer_id: None,
            order,
            statuses,
            kind,
            category,
            priority,
            assigned_agent: non_empty(&filter.assigned_agent),
            assigned_team: non_empty(&filter.assigned_team),
            channel,
            start_time,
            end_time,
            due_soon: filter.due_soon,
            breached: filter.breached,
        },
        customer,
    })
}

//! Engagement records between the wire and the store: validating request fields (collecting every
//! violation, with paths like `follow_up.due_time`) and converting rows to protobuf messages.

use chrono::{DateTime, TimeDelta, Utc};
use logistics_contracts::customers as pb;
use logistics_platform::error::{Violations, parse_uuid};
use prost_types::Timestamp;
use uuid::Uuid;

use crate::domain::follow_up::{FollowUpReason, FollowUpStatus, SurveyScores};
use crate::domain::interaction::{Channel, Direction};
use crate::store::engagement::{FollowUpFilter, InteractionFilter, NewFollowUp, NewInteraction};
use crate::store::surveys::{NewSurvey, SurveyFilter};

const MAX_SUBJECT: usize = 200;
const MAX_SUMMARY: usize = 4000;
const MAX_AGENT: usize = 100;
const MAX_FOLLOW_UP_NOTES: usize = 2000;
const MAX_REFERENCE: usize = 100;
pub(super) const MAX_OUTCOME: usize = 200;
pub(super) const MAX_OUTCOME_NOTES: usize = 4000;
const MAX_COMMENT: usize = 2000;

/// How far ahead of our clock a caller's "when it happened" may be: covers clock skew, not typos.
const FUTURE_TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// A protobuf timestamp as a time, recording a violation when it is out of range.
fn to_time(violations: &mut Violations, field: &str, value: &Timestamp) -> Option<DateTime<Utc>> {
    violations.time(field, value)
}

/// An optional time.
pub(super) fn optional_time(
    violations: &mut Violations,
    field: &str,
    value: Option<&Timestamp>,
) -> Option<DateTime<Utc>> {
    value.and_then(|value| to_time(violations, field, value))
}

/// When something happened: `now` when not given, refused when further ahead than clock skew.
pub(super) fn past_time(
    violations: &mut Violations,
    field: &str,
    value: Option<&Timestamp>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match optional_time(violations, field, value) {
        Some(time) if time > now + FUTURE_TOLERANCE => {
            violations.add(field, "must not be more than 5 minutes in the future");
            now
        }
        Some(time) => time,
        None => now,
    }
}

/// An optional UUID: empty means "not given".
fn optional_uuid(violations: &mut Violations, field: &str, value: &str) -> Option<Uuid> {
    if value.is_empty() {
        None
    } else {
        parse_uuid(violations, field, value)
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A half-open time range [start, end) of a list filter.
fn time_range(
    violations: &mut Violations,
    (start_field, start): (&str, Option<&Timestamp>),
    (end_field, end): (&str, Option<&Timestamp>),
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let start = optional_time(violations, start_field, start);
    let end = optional_time(violations, end_field, end);
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        violations.add(end_field, format!("must be after {start_field}"));
    }
    (start, end)
}

fn channel_from_proto(value: i32) -> Option<Option<Channel>> {
    Some(match pb::InteractionChannel::try_from(value).ok()? {
        pb::InteractionChannel::Unspecified => None,
        pb::InteractionChannel::Phone => Some(Channel::Phone),
        pb::InteractionChannel::Email => Some(Channel::Email),
        pb::InteractionChannel::Visit => Some(Channel::Visit),
        pb::InteractionChannel::Letter => Some(Channel::Letter),
        pb::InteractionChannel::OnlineChat => Some(Channel::OnlineChat),
        pb::InteractionChannel::Hotline => Some(Channel::Hotline),
    })
}

/// Checks LogInteraction's interaction; `None` only when violations were recorded.
pub(super) fn validate_interaction(
    interaction: &pb::Interaction,
    now: DateTime<Utc>,
    violations: &mut Violations,
) -> Option<NewInteraction> {
    let customer_id = parse_uuid(
        violations,
        "interaction.customer_id",
        &interaction.customer_id,
    );
    let channel = match channel_from_proto(interaction.channel) {
        Some(Some(channel)) => Some(channel),
        Some(None) => {
            violations.add("interaction.channel", "is required");
            None
        }
        None => {
            violations.add("interaction.channel", "is not a known channel");
            None
        }
    };
    let direction = match pb::InteractionDirection::try_from(interaction.direction) {
        Ok(pb::InteractionDirection::Inbound) => Some(Direction::Inbound),
        Ok(pb::InteractionDirection::Outbound) => Some(Direction::Outbound),
        Ok(pb::InteractionDirection::Unspecified) => {
            violations.add("interaction.direction", "is required");
            None
        }
        Err(_) => {
            violations.add("interaction.direction", "is not a known direction");
            None
        }
    };
    violations.require_text("interaction.subject", &interaction.subject, MAX_SUBJECT);
    violations.limit_multiline_text("interaction.summary", &interaction.summary, MAX_SUMMARY);
    violations.require_text("interaction.agent", &interaction.agent, MAX_AGENT);
    let occur_time = past_time(
        violations,
        "interaction.occur_time",
        interaction.occur_time.as_ref(),
        now,
    );
    Some(NewInteraction {
        customer_id: customer_id?,
        channel: channel?,
        direction: direction?,
        subject: interaction.subject.trim().to_owned(),
        summary: interaction.summary.clone(),
        agent: interaction.agent.trim().to_owned(),
        occur_time,
    })
}

pub(super) fn validate_interaction_filter(
    filter: Option<&pb::InteractionFilter>,
    violations: &mut Violations,
) -> InteractionFilter {
    let Some(filter) = filter else {
        return InteractionFilter::default();
    };
    let customer_id = optional_uuid(violations, "filter.customer_id", &filter.customer_id);
    violations.limit_text("filter.agent", &filter.agent, MAX_AGENT);
    let channel = channel_from_proto(filter.channel).unwrap_or_else(|| {
        violations.add("filter.channel", "is not a known channel");
        None
    });
    let (start_time, end_time) = time_range(
        violations,
        ("filter.start_time", filter.start_time.as_ref()),
        ("filter.end_time", filter.end_time.as_ref()),
    );
    InteractionFilter {
        customer_id,
        agent: non_empty(&filter.agent),
        channel,
        start_time,
        end_time,
    }
}

/// Checks ScheduleFollowUp's follow-up; `None` only when violations were recorded.
pub(super) fn validate_follow_up(
    follow_up: &pb::FollowUp,
    now: DateTime<Utc>,
    violations: &mut Violations,
) -> Option<NewFollowUp> {
    let customer_id = parse_uuid(violations, "follow_up.customer_id", &follow_up.customer_id);
    let reason = match pb::FollowUpReason::try_from(follow_up.reason) {
        Ok(pb::FollowUpReason::ThankYouAfterDelivery) => {
            Some(FollowUpReason::ThankYouAfterDelivery)
        }
        Ok(pb::FollowUpReason::ComplaintResolved) => Some(FollowUpReason::ComplaintResolved),
        Ok(pb::FollowUpReason::PeriodicReview) => Some(FollowUpReason::PeriodicReview),
        Ok(pb::FollowUpReason::Other) => Some(FollowUpReason::Other),
        Ok(pb::FollowUpReason::Unspecified) => {
            violations.add("follow_up.reason", "is required");
            None
        }
        Err(_) => {
            violations.add("follow_up.reason", "is not a known reason");
            None
        }
    };
    let due_time = match follow_up.due_time.as_ref() {
        None => {
            violations.add("follow_up.due_time", "is required");
            None
        }
        Some(due) => to_time(violations, "follow_up.due_time", due).and_then(|due| {
            if due < now - FUTURE_TOLERANCE {
                violations.add("follow_up.due_time", "must not be in the past");
                None
            } else {
                Some(due)
            }
        }),
    };
    violations.limit_text("follow_up.agent", &follow_up.agent, MAX_AGENT);
    violations.limit_multiline_text("follow_up.notes", &follow_up.notes, MAX_FOLLOW_UP_NOTES);
    violations.limit_text("follow_up.reference", &follow_up.reference, MAX_REFERENCE);
    Some(NewFollowUp {
        customer_id: customer_id?,
        reason: reason?,
        due_time: due_time?,
        agent: follow_up.agent.trim().to_owned(),
        notes: follow_up.notes.clone(),
        reference: follow_up.reference.trim().to_owned(),
    })
}

pub(super) fn validate_follow_up_filter(
    filter: Option<&pb::FollowUpFilter>,
    violations: &mut Violations,
) -> FollowUpFilter {
    let Some(filter) = filter else {
        return FollowUpFilter::default();
    };
    let customer_id = optional_uuid(violations, "filter.customer_id", &filter.customer_id);
    violations.limit_text("filter.agent", &filter.agent, MAX_AGENT);
    let status = match pb::FollowUpStatus::try_from(filter.status) {
        Ok(pb::FollowUpStatus::Unspecified) => None,
        Ok(pb::FollowUpStatus::Scheduled) => Some(FollowUpStatus::Scheduled),
        Ok(pb::FollowUpStatus::Completed) => Some(FollowUpStatus::Completed),
        Ok(pb::FollowUpStatus::Missed) => Some(FollowUpStatus::Missed),
        Ok(pb::FollowUpStatus::Cancelled) => Some(FollowUpStatus::Cancelled),
        Err(_) => {
            violations.add("filter.status", "is not a known status");
            None
        }
    };
    if filter.overdue_only && status.is_some_and(|status| status != FollowUpStatus::Scheduled) {
        violations.add(
            "filter.status",
            "must be SCHEDULED or unset with overdue_only: only scheduled follow-ups are overdue",
        );
    }
    let (due_start_time, due_end_time) = time_range(
        violations,
        ("filter.due_start_time", filter.due_start_time.as_ref()),
        ("filter.due_end_time", filter.due_end_time.as_ref()),
    );
    FollowUpFilter {
        customer_id,
        agent: non_empty(&filter.agent),
        status,
        due_start_time,
        due_end_time,
        overdue_only: filter.overdue_only,
    }
}

/// Checks RecordSurvey's survey; `None` only when violations were recorded.
pub(super) fn validate_survey(
    survey: &pb::Survey,
    now: DateTime<Utc>,
    violations: &mut Violations,
) -> Option<NewSurvey> {
    let customer_id = parse_uuid(violations, "survey.customer_id", &survey.customer_id);
    let follow_up_id = optional_uuid(violations, "survey.follow_up_id", &survey.follow_up_id);
    let scores = SurveyScores {
        timeliness: survey.timeliness,
        cargo_safety: survey.cargo_safety,
        staff_attitude: survey.staff_attitude,
        price: survey.price,
        information: survey.information,
    };
    for dimension in scores.out_of_range() {
        violations.add(
            format!("survey.{dimension}"),
            "is required: a score from 1 (very poor) to 5 (excellent)",
        );
    }
    violations.limit_multiline_text("survey.comment", &survey.comment, MAX_COMMENT);
    violations.limit_text("survey.agent", &survey.agent, MAX_AGENT);
    let survey_time = past_time(
        violations,
        "survey.survey_time",
        survey.survey_time.as_ref(),
        now,
    );
    // In range after the check above, so the narrowing cannot fail.
    let scores = scores
        .dimensions()
        .map(|(_, score)| i16::try_from(score).unwrap_or_default());
    Some(NewSurvey {
        customer_id: customer_id?,
        follow_up_id,
        scores,
        comment: survey.comment.clone(),
        agent: survey.agent.trim().to_owned(),
        survey_time,
    })
}

pub(super) fn validate_survey_filter(
    filter: Option<&pb::SurveyFilter>,
    violations: &mut Violations,
) -> SurveyFilter {
    let Some(filter) = filter else {
        return SurveyFilter::default();
    };
    let customer_id = optional_uuid(violations, "filter.customer_id", &filter.customer_id);
    let (start_time, end_time) = time_range(
        violations,
        ("filter.start_time", filter.start_time.as_ref()),
        ("filter.end_time", filter.end_time.as_ref()),
    );
    SurveyFilter {
        customer_id,
        start_time,
        end_time,
    }
}

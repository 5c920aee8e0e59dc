//! The protobuf messages the use cases write: the payloads of their change events and the first
//! answers they keep for retried requests. The api encodes its answers with the same functions, so
//! a customer reads the same on the wire, in the feed and in a replayed answer.

use logistics_contracts::common::{self as common_pb, TransportMode};
use logistics_contracts::customers::{self as pb, PointMovementKind};
use logistics_platform::ApiError;
use logistics_platform::money::cny;
use logistics_platform::stored::Stored;
use logistics_platform::time::{optional_timestamp, timestamp};
use prost_types::Duration;

use crate::domain::customer::{Customer, Kind, Role, Status as CustomerStatus, TransportNeeds};
use crate::domain::follow_up::{FollowUpReason, FollowUpStatus};
use crate::domain::grading::{GovernmentLevel, Priority, ServiceLevel, Tier, ValueClass};
use crate::domain::interaction::{Channel, Direction};
use crate::domain::loyalty::MovementKind;
use crate::store::engagement::{FollowUpRow, InteractionRow};
use crate::store::grading::{StoredPolicy, TierChangeRow};
use crate::store::loyalty::MovementRow;
use crate::store::status_history::StatusChangeRow;
use crate::store::surveys::SurveyRow;

/// The protobuf transport needs; a mode this build does not know is left out.
fn transport_needs_to_proto(needs: &TransportNeeds) -> pb::TransportNeeds {
    pb::TransportNeeds {
        usual_modes: needs
            .usual_modes
            .iter()
            .filter_map(|name| TransportMode::from_str_name(&format!("TRANSPORT_MODE_{name}")))
            .map(i32::from)
            .collect(),
        cargo_types: needs.cargo_types.clone(),
        monthly_volume_kg: needs.monthly_volume_kg,
        time_requirements: needs.time_requirements.clone(),
    }
}

/// The protobuf tier.
pub(crate) fn tier_to_proto(tier: Option<Tier>) -> pb::CustomerTier {
    match tier {
        None => pb::CustomerTier::Unspecified,
        Some(Tier::Frequent) => pb::CustomerTier::Frequent,
        Some(Tier::Occasional) => pb::CustomerTier::Occasional,
        Some(Tier::Large) => pb::CustomerTier::Large,
        Some(Tier::Medium) => pb::CustomerTier::Medium,
        Some(Tier::Small) => pb::CustomerTier::Small,
        Some(Tier::GovernmentA) => pb::CustomerTier::GovernmentA,
        Some(Tier::GovernmentB) => pb::CustomerTier::GovernmentB,
        Some(Tier::GovernmentC) => pb::CustomerTier::GovernmentC,
    }
}

/// The protobuf value class.
pub(crate) fn value_class_to_proto(class: ValueClass) -> pb::ValueClass {
    match class {
        ValueClass::Key => pb::ValueClass::Key,
        ValueClass::General => pb::ValueClass::General,
        ValueClass::Potential => pb::ValueClass::Potential,
    }
}

/// The protobuf status.
pub(crate) fn status_to_proto(status: CustomerStatus) -> pb::CustomerStatus {
    match status {
        CustomerStatus::Prospect => pb::CustomerStatus::Prospect,
        CustomerStatus::Active => pb::CustomerStatus::Active,
        CustomerStatus::Dormant => pb::CustomerStatus::Dormant,
        CustomerStatus::Churned => pb::CustomerStatus::Churned,
        CustomerStatus::Blocked => pb::CustomerStatus::Blocked,
    }
}

/// The customer as the wire shows it: in answers, change events and stored first answers.
pub(crate) fn customer_to_proto(customer: &Customer) -> pb::Customer {
    let kind = match customer.kind {
        Kind::Individual => pb::CustomerKind::Individual,
        Kind::Enterprise => pb::CustomerKind::Enterprise,
        Kind::Government => pb::CustomerKind::Government,
    };
    let role = match customer.profile.role {
        Role::EndCustomer => pb::CustomerRole::EndCustomer,
        Role::Intermediary => pb::CustomerRole::Intermediary,
    };
    let status = status_to_proto(customer.status);
    pb::Customer {
        id: customer.id.to_string(),
        customer_code: customer.customer_code.clone(),
        kind: kind.into(),
        role: role.into(),
        display_name: customer.profile.display_name.clone(),
        industry: customer.profile.industry.clone(),
        region_code: customer.profile.region_code.clone(),
        status: status.into(),
        account_manager: customer.profile.account_manager.clone(),
        notes: customer.profile.notes.clone(),
        create_time: Some(timestamp(customer.create_time)),
        update_time: Some(timestamp(customer.update_time)),
        delete_time: optional_timestamp(customer.delete_time),
        etag: customer.etag(),
        tier: tier_to_proto(customer.tier).into(),
        value_class: value_class_to_proto(customer.value_class).into(),
        government_level: match customer.government_level {
            None => pb::GovernmentLevel::Unspecified,
            Some(GovernmentLevel::A) => pb::GovernmentLevel::A,
            Some(GovernmentLevel::B) => pb::GovernmentLevel::B,
            Some(GovernmentLevel::C) => pb::GovernmentLevel::C,
        }
        .into(),
        last_shipment_time: optional_timestamp(customer.last_shipment_time),
        addresses: customer
            .profile
            .addresses
            .iter()
            .map(common_pb::Address::from)
            .collect(),
        transport_needs: Some(transport_needs_to_proto(&customer.profile.transport_needs)),
    }
}

/// A version of the grading policy as the wire shows it (GradingPolicyUpdated carries it too).
pub(crate) fn policy_to_proto(stored: &StoredPolicy) -> pb::GradingPolicy {
    let policy = &stored.policy;
    pb::GradingPolicy {
        version: stored.version,
        frequent_min_shipments: policy.frequent_min_shipments as i32,
        frequent_window_days: policy.frequent_window_days as i32,
        large_min_spend: Some(cny(policy.large_min_spend_fen)),
        medium_min_spend: Some(cny(policy.medium_min_spend_fen)),
        spend_window_days: policy.spend_window_days as i32,
        dormant_after_days: policy.dormant_after_days as i32,
        churned_after_days: policy.churned_after_days as i32,
        service_levels: policy
            .service_levels
            .iter()
            .map(service_level_to_proto)
            .collect(),
        create_time: Some(timestamp(stored.create_time)),
        created_by: stored.created_by.clone(),
        etag: logistics_platform::etag::of(stored.version.into()),
    }
}

/// A value class's service terms as the wire shows them.
pub(crate) fn service_level_to_proto(level: &ServiceLevel) -> pb::ServiceLevel {
    let class = ValueClass::parse(&level.value_class)
        .map_or(pb::ValueClass::Unspecified, value_class_to_proto);
    let floor = match Priority::parse(&level.complaint_priority_floor) {
        Some(Priority::Low) => common_pb::Priority::Low,
        Some(Priority::Normal) => common_pb::Priority::Normal,
        Some(Priority::High) => common_pb::Priority::High,
        Some(Priority::Urgent) => common_pb::Priority::Urgent,
        None => common_pb::Priority::Unspecified,
    };
    let minutes = |minutes: u32| Duration {
        seconds: i64::from(minutes) * 60,
        nanos: 0,
    };
    pb::ServiceLevel {
        value_class: class.into(),
        complaint_priority_floor: floor.into(),
        first_response_target: Some(minutes(level.first_response_minutes)),
        resolution_target: Some(minutes(level.resolution_minutes)),
        priority_transport: level.priority_transport,
        dedicated_account_manager: level.dedicated_account_manager,
    }
}

/// A status history row as the wire shows it (CustomerStatusChanged carries it).
pub(crate) fn status_change_to_proto(change: &StatusChangeRow) -> pb::StatusChange {
    pb::StatusChange {
        customer_id: change.customer_id.to_string(),
        from_status: status_to_proto(change.from_status.0).into(),
        to_status: status_to_proto(change.to_status.0).into(),
        reason: change.reason.clone(),
        changed_by: change.changed_by.clone(),
        change_time: Some(timestamp(change.change_time)),
    }
}

/// A tier history row as the wire shows it (CustomerTierChanged carries it).
pub(crate) fn tier_change_to_proto(change: &TierChangeRow) -> pb::TierChange {
    pb::TierChange {
        customer_id: change.customer_id.to_string(),
        from_tier: tier_to_proto(change.from_tier.map(Stored::get)).into(),
        to_tier: tier_to_proto(Some(change.to_tier.0)).into(),
        from_value_class: value_class_to_proto(change.from_value_class.0).into(),
        to_value_class: value_class_to_proto(change.to_value_class.0).into(),
        reason: change.reason.clone(),
        policy_version: change.policy_version,
        change_time: Some(timestamp(change.change_time)),
    }
}

/// The protobuf follow-up reason.
pub(crate) fn follow_up_reason_to_proto(reason: FollowUpReason) -> pb::FollowUpReason {
    match reason {
        FollowUpReason::ThankYouAfterDelivery => pb::FollowUpReason::ThankYouAfterDelivery,
        FollowUpReason::ComplaintResolved => pb::FollowUpReason::ComplaintResolved,
        FollowUpReason::PeriodicReview => pb::FollowUpReason::PeriodicReview,
        FollowUpReason::Other => pb::FollowUpReason::Other,
    }
}

/// The protobuf follow-up status.
pub(crate) fn follow_up_status_to_proto(status: FollowUpStatus) -> pb::FollowUpStatus {
    match status {
        FollowUpStatus::Scheduled => pb::FollowUpStatus::Scheduled,
        FollowUpStatus::Completed => pb::FollowUpStatus::Completed,
        FollowUpStatus::Missed => pb::FollowUpStatus::Missed,
        FollowUpStatus::Cancelled => pb::FollowUpStatus::Cancelled,
    }
}

/// A loyalty movement as the wire shows it (PointsMoved carries it).
pub(crate) fn movement_to_proto(row: &MovementRow) -> pb::PointMovement {
    let kind = match row.kind.0 {
        MovementKind::Earn => PointMovementKind::Earn,
        MovementKind::Redeem => PointMovementKind::Redeem,
        MovementKind::Adjust => PointMovementKind::Adjust,
        MovementKind::Expire => PointMovementKind::Expire,
    };
    pb::PointMovement {
        id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        kind: kind.into(),
        points: row.points,
        balance_after: row.balance_after,
        reason: row.reason.clone(),
        reference: row.reference.clone(),
        create_time: Some(timestamp(row.create_time)),
        expire_time: optional_timestamp(row.expire_time),
    }
}

/// The protobuf interaction channel.
fn channel_to_proto(channel: Channel) -> pb::InteractionChannel {
    match channel {
        Channel::Phone => pb::InteractionChannel::Phone,
        Channel::Email => pb::InteractionChannel::Email,
        Channel::Visit => pb::InteractionChannel::Visit,
        Channel::Letter => pb::InteractionChannel::Letter,
        Channel::OnlineChat => pb::InteractionChannel::OnlineChat,
        Channel::Hotline => pb::InteractionChannel::Hotline,
    }
}

/// The protobuf interaction direction.
fn direction_to_proto(direction: Direction) -> pb::InteractionDirection {
    match direction {
        Direction::Inbound => pb::InteractionDirection::Inbound,
        Direction::Outbound => pb::InteractionDirection::Outbound,
    }
}

/// An interaction as the wire shows it (the stored first answer of LogInteraction too).
pub(crate) fn interaction_to_proto(row: &InteractionRow) -> Result<pb::Interaction, ApiError> {
    Ok(pb::Interaction {
        id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        channel: channel_to_proto(row.channel.0).into(),
        direction: direction_to_proto(row.direction.0).into(),
        subject: row.subject.clone(),
        summary: row.summary.clone(),
        agent: row.agent.clone(),
        occur_time: Some(timestamp(row.occur_time)),
        create_time: Some(timestamp(row.create_time)),
    })
}

/// A follow-up as the wire shows it (the stored first answer of ScheduleFollowUp too).
pub(crate) fn follow_up_to_proto(row: &FollowUpRow) -> Result<pb::FollowUp, ApiError> {
    Ok(pb::FollowUp {
        id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        reason: follow_up_reason_to_proto(row.reason.0).into(),
        status: follow_up_status_to_proto(row.status.0).into(),
        due_time: Some(timestamp(row.due_time)),
        agent: row.agent.clone(),
        notes: row.notes.clone(),
        reference: row.reference.clone(),
        outcome: row.outcome.clone(),
        outcome_notes: row.outcome_notes.clone(),
        complete_time: optional_timestamp(row.complete_time),
        cancel_time: optional_timestamp(row.cancel_time),
        create_time: Some(timestamp(row.create_time)),
        update_time: Some(timestamp(row.update_time)),
        etag: row.etag(),
    })
}

/// A survey as the wire shows it (the stored first answer of RecordSurvey too).
pub(crate) fn survey_to_proto(row: &SurveyRow) -> pb::Survey {
    pb::Survey {
        id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        follow_up_id: row
            .follow_up_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        timeliness: row.timeliness.into(),
        cargo_safety: row.cargo_safety.into(),
        staff_attitude: row.staff_attitude.into(),
        price: row.price.into(),
        information: row.information.into(),
        comment: row.comment.clone(),
        agent: row.agent.clone(),
        survey_time: Some(timestamp(row.survey_time)),
        create_time: Some(timestamp(row.create_time)),
    }
}

//! Grading between the wire and the domain: the policy (with its field-mask update), service
//! levels, and the status and tier histories.

use logistics_contracts::common::{self as common_pb, Money};
use logistics_contracts::customers as pb;
use logistics_platform::error::Violations;
use logistics_platform::money::{cny, cny_fen};
use logistics_platform::stored::Stored;
use logistics_platform::time::timestamp;
use prost_types::Duration;

use super::customer_fields::{status_to_proto, tier_to_proto, value_class_to_proto};
use crate::domain::grading::{GradingPolicy, Priority, ServiceLevel, ValueClass};
use crate::store::grading::{StatusChangeRow, StoredPolicy, TierChangeRow};

/// Largest amount accepted anywhere, in fen: ten billion yuan.
pub(super) const MAX_AMOUNT_FEN: i64 = 1_000_000_000_000;

pub(super) fn policy_to_proto(stored: &StoredPolicy) -> pb::GradingPolicy {
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

/// A CNY amount of 0 to [`MAX_AMOUNT_FEN`]; an unset amount is zero.
pub(super) fn fen_of(money: Option<&Money>, field: &str, violations: &mut Violations) -> i64 {
    cny_fen(violations, field, money, 0..=MAX_AMOUNT_FEN)
}

pub(super) fn service_level_to_proto(level: &ServiceLevel) -> pb::ServiceLevel {
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

/// Copies the fields named in `paths` from `input` onto `policy`; records bad paths and values.
pub(super) fn apply_policy_mask(
    policy: &mut GradingPolicy,
    input: &pb::GradingPolicy,
    paths: &[String],
    violations: &mut Violations,
) {
    const PATHS: [&str; 8] = [
        "frequent_min_shipments",
        "frequent_window_days",
        "large_min_spend",
        "medium_min_spend",
        "spend_window_days",
        "dormant_after_days",
        "churned_after_days",
        "service_levels",
    ];
    if paths.is_empty() {
        violations.add(
            "update_mask",
            "names no field; list the fields to change or \"*\"",
        );
        return;
    }
    let all = paths.iter().any(|path| path == "*");
    let named: Vec<&str> = if all {
        PATHS.to_vec()
    } else {
        paths.iter().map(String::as_str).collect()
    };
    let whole = |value: i32, field: &str, violations: &mut Violations| -> u32 {
        u32::try_from(value).unwrap_or_else(|_| {
            violations.add(format!("policy.{field}"), "must not be negative");
            0
        })
    };
    for (at, path) in named.iter().enumerate() {
        match *path {
            "frequent_min_shipments" => {
                policy.frequent_min_shipments =
                    whole(input.frequent_min_shipments, path, violations)
            }
            "frequent_window_days" => {
                policy.frequent_window_days = whole(input.frequent_window_days, path, violations)
            }
            "spend_window_days" => {
                policy.spend_window_days = whole(input.spend_window_days, path, violations)
            }
            "dormant_after_days" => {
                policy.dormant_after_days = whole(input.dormant_after_days, path, violations)
            }
            "churned_after_days" => {
                policy.churned_after_days = whole(input.churned_after_days, path, violations)
            }
            "large_min_spend" => {
                policy.large_min_spend_fen = fen_of(
                    input.large_min_spend.as_ref(),
                    "policy.large_min_spend",
                    violations,
                )
            }
            "medium_min_spend" => {
                policy.medium_min_spend_fen = fen_of(
                    input.medium_min_spend.as_ref(),
                    "policy.medium_min_spend",
                    violations,
                )
            }
            "service_levels" => {
                policy.service_levels = input
                    .service_levels
                    .iter()
                    .enumerate()
                    .map(|(index, level)| service_level_from_proto(level, index, violations))
                    .collect()
            }
            other => violations.add(
                format!("update_mask.paths[{at}]"),
                format!(
                    "{other:?} is not a policy field; fields: {}",
                    PATHS.join(", ")
                ),
            ),
        }
    }
}

fn service_level_from_proto(
    level: &pb::ServiceLevel,
    index: usize,
    violations: &mut Violations,
) -> ServiceLevel {
    let field = |name: &str| format!("policy.service_levels[{index}].{name}");
    let class = match pb::ValueClass::try_from(level.value_class) {
        Ok(pb::ValueClass::Key) => ValueClass::Key.as_str(),
        Ok(pb::ValueClass::General) => ValueClass::General.as_str(),
        Ok(pb::ValueClass::Potential) => ValueClass::Potential.as_str(),
        _ => {
            violations.add(field("value_class"), "is required");
            ""
        }
    };
    let floor = match common_pb::Priority::try_from(level.complaint_priority_floor) {
        Ok(common_pb::Priority::Low) => Priority::Low.as_str(),
        Ok(common_pb::Priority::Normal) => Priority::Normal.as_str(),
        Ok(common_pb::Priority::High) => Priority::High.as_str(),
        Ok(common_pb::Priority::Urgent) => Priority::Urgent.as_str(),
        _ => {
            violations.add(field("complaint_priority_floor"), "is required");
            ""
        }
    };
    let mut minutes = |duration: Option<&Duration>, name: &str| -> u32 {
        match duration {
            Some(duration) if duration.seconds > 0 && duration.seconds % 60 == 0 => {
                u32::try_from(duration.seconds / 60).unwrap_or(u32::MAX)
            }
            _ => {
                violations.add(field(name), "must be a positive whole number of minutes");
                0
            }
        }
    };
    ServiceLevel {
        value_class: class.to_owned(),
        complaint_priority_floor: floor.to_owned(),
        first_response_minutes: minutes(
            level.first_response_target.as_ref(),
            "first_response_target",
        ),
        resolution_minutes: minutes(level.resolution_target.as_ref(), "resolution_target"),
        priority_transport: level.priority_transport,
        dedicated_account_manager: level.dedicated_account_manager,
    }
}

pub(super) fn status_change_to_proto(change: &StatusChangeRow) -> pb::StatusChange {
    pb::StatusChange {
        customer_id: change.customer_id.to_string(),
        from_status: status_to_proto(change.from_status.0).into(),
        to_status: status_to_proto(change.to_status.0).into(),
        reason: change.reason.clone(),
        changed_by: change.changed_by.clone(),
        change_time: Some(timestamp(change.change_time)),
    }
}

pub(super) fn tier_change_to_proto(change: &TierChangeRow) -> pb::TierChange {
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

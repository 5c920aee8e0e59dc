//! Grading between the wire and the domain: the policy (with its field-mask update), service
//! levels, and the status and tier histories.

use logistics_contracts::common::{self as common_pb, Money};
use logistics_contracts::customers as pb;
use logistics_platform::error::Violations;
use logistics_platform::money::cny_fen;
use prost_types::Duration;

use crate::domain::grading::{GradingPolicy, Priority, ServiceLevel, ValueClass};

/// Largest amount accepted anywhere, in fen: ten billion yuan.
pub(super) const MAX_AMOUNT_FEN: i64 = 1_000_000_000_000;

/// A CNY amount of 0 to [`MAX_AMOUNT_FEN`]; an unset amount is zero.
pub(super) fn fen_of(money: Option<&Money>, field: &str, violations: &mut Violations) -> i64 {
    cny_fen(violations, field, money, 0..=MAX_AMOUNT_FEN)
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

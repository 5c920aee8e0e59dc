//! Customer grading (客户分级) and the service levels that follow from it (差异化服务).
//!
//! Individuals are graded by how often they ship, enterprises by what they spend, government
//! customers by the level staff set. The value class the other services act on follows from the
//! tier; every prospect is POTENTIAL whatever its tier. All thresholds live in a versioned policy.

use logistics_platform::named_enum;

use serde::{Deserialize, Serialize};

use super::customer::{Kind, Status};

named_enum! {
    /// Grade within the customer's kind.
    Tier {
        /// Individual shipping often.
        Frequent = "FREQUENT",
        /// Individual shipping now and then.
        Occasional = "OCCASIONAL",
        /// Enterprise with a large spend.
        Large = "LARGE",
        /// Enterprise with a medium spend.
        Medium = "MEDIUM",
        /// Enterprise with a small spend.
        Small = "SMALL",
        /// National-level government customer.
        GovernmentA = "GOVERNMENT_A",
        /// Provincial-level government customer.
        GovernmentB = "GOVERNMENT_B",
        /// Municipal-level government customer.
        GovernmentC = "GOVERNMENT_C",
    }
}

named_enum! {
    /// What the other services act on.
    ValueClass { Key = "KEY", General = "GENERAL", Potential = "POTENTIAL" }
}

named_enum! {
    /// Administrative level of a government customer.
    GovernmentLevel { A = "A", B = "B", C = "C" }
}

named_enum! {
    /// Complaint priority, lowest first.
    Priority { Low = "LOW", Normal = "NORMAL", High = "HIGH", Urgent = "URGENT" }
}

impl Tier {
    /// The value class of a graded (non-prospect) customer of this tier.
    pub(crate) fn value_class(self) -> ValueClass {
        match self {
            Tier::Frequent | Tier::Large | Tier::GovernmentA => ValueClass::Key,
            Tier::Medium | Tier::GovernmentB => ValueClass::General,
            Tier::Occasional | Tier::Small | Tier::GovernmentC => ValueClass::Potential,
        }
    }
}

impl GovernmentLevel {
    /// The tier of a government customer of this level.
    pub(crate) fn tier(self) -> Tier {
        match self {
            GovernmentLevel::A => Tier::GovernmentA,
            GovernmentLevel::B => Tier::GovernmentB,
            GovernmentLevel::C => Tier::GovernmentC,
        }
    }
}

/// What a value class is entitled to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ServiceLevel {
    /// The class these terms are for (stored by name).
    pub(crate) value_class: String,
    /// Lowest complaint priority (stored by name).
    pub(crate) complaint_priority_floor: String,
    /// First-response target in business minutes.
    pub(crate) first_response_minutes: u32,
    /// Resolution target in business minutes.
    pub(crate) resolution_minutes: u32,
    /// Priority transport for the customer's shipments.
    pub(crate) priority_transport: bool,
    /// A dedicated account manager.
    pub(crate) dedicated_account_manager: bool,
}

/// How customers are graded and served; versioned. A field missing from a stored version (one
/// written before the field existed) takes the handbook's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct GradingPolicy {
    /// An individual is FREQUENT with at least this many shipments in the window.
    pub(crate) frequent_min_shipments: u32,
    /// That window, in days.
    pub(crate) frequent_window_days: u32,
    /// An enterprise is LARGE from this spend (fen) over the spend window.
    pub(crate) large_min_spend_fen: i64,
    /// An enterprise is MEDIUM from this spend (fen).
    pub(crate) medium_min_spend_fen: i64,
    /// The spend window, in days.
    pub(crate) spend_window_days: u32,
    /// ACTIVE becomes DORMANT after this many days without a shipment.
    pub(crate) dormant_after_days: u32,
    /// DORMANT (or ACTIVE) becomes CHURNED after this many days without a shipment.
    pub(crate) churned_after_days: u32,
    /// Terms per value class, one each.
    pub(crate) service_levels: Vec<ServiceLevel>,
}

/// Fen per yuan.
const FEN: i64 = 100;

impl Default for GradingPolicy {
    /// The handbook's defaults (DOMAIN.md).
    fn default() -> Self {
        let level =
            |class: ValueClass, floor: Priority, first_hours: u32, resolution_hours: u32, perks| {
                ServiceLevel {
                    value_class: class.as_str().to_owned(),
                    complaint_priority_floor: floor.as_str().to_owned(),
                    first_response_minutes: first_hours * 60,
                    resolution_minutes: resolution_hours * 60,
                    priority_transport: perks,
                    dedicated_account_manager: perks,
                }
            };
        Self {
            frequent_min_shipments: 3,
            frequent_window_days: 30,
            large_min_spend_fen: 500_000 * FEN,
            medium_min_spend_fen: 100_000 * FEN,
            spend_window_days: 365,
            dormant_after_days: 90,
            churned_after_days: 180,
            service_levels: vec![
                level(ValueClass::Key, Priority::High, 2, 24, true),
                level(ValueClass::General, Priority::Normal, 4, 48, false),
                level(ValueClass::Potential, Priority::Low, 8, 72, false),
            ],
        }
    }
}

impl GradingPolicy {
    /// Every rule the policy breaks, as (field, problem); empty when it is sound.
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let mut range = |field, value: u32, low: u32, high: u32| {
            if !(low..=high).contains(&value) {
                problems.push((field, format!("must be {low} to {high}")));
            }
        };
        range(
            "frequent_min_shipments",
            self.frequent_min_shipments,
            1,
            1000,
        );
        range("frequent_window_days", self.frequent_window_days, 1, 366);
        range("spend_window_days", self.spend_window_days, 1, 1096);
        range("dormant_after_days", self.dormant_after_days, 1, 3650);
        range("churned_after_days", self.churned_after_days, 1, 3650);
        if self.medium_min_spend_fen <= 0 {
            problems.push(("medium_min_spend", "must be positive".to_owned()));
        }
        if self.large_min_spend_fen <= self.medium_min_spend_fen {
            problems.push(("large_min_spend", "must exceed medium_min_spend".to_owned()));
        }
        if self.churned_after_days <= self.dormant_after_days {
            problems.push((
                "churned_after_days",
                "must exceed dormant_after_days".to_owned(),
            ));
        }
        for class in ValueClass::ALL {
            let terms: Vec<_> = self
                .service_levels
                .iter()
                .filter(|level| level.value_class == class.as_str())
                .collect();
            if terms.len() != 1 {
                problems.push((
                    "service_levels",
                    format!("needs exactly one entry for {}", class.as_str()),
                ));
            }
        }
        for level in &self.service_levels {
            if ValueClass::parse(&level.value_class).is_none()
                || Priority::parse(&level.complaint_priority_floor).is_none()
            {
                problems.push((
                    "service_levels",
                    "every entry needs a value class and a priority floor".to_owned(),
                ));
            }
            if !(1..=30 * 24 * 60).contains(&level.first_response_minutes)
                || !(1..=30 * 24 * 60).contains(&level.resolution_minutes)
            {
                problems.push((
                    "service_levels",
                    "targets must be 1 minute to 30 days".to_owned(),
                ));
            }
            if level.resolution_minutes < level.first_response_minutes {
                problems.push((
                    "service_levels",
                    "a resolution target cannot be shorter than the first-response target"
                        .to_owned(),
                ));
            }
        }
        problems
    }

    /// The terms of `class`.
    pub(crate) fn service_level(&self, class: ValueClass) -> Option<&ServiceLevel> {
        self.service_levels
            .iter()
            .find(|level| level.value_class == class.as_str())
    }
}

/// A customer's activity within the policy's windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Activity {
    /// Shipments within `frequent_window_days`.
    pub(crate) recent_shipments: i64,
    /// Spend (fen) within `spend_window_days`.
    pub(crate) spend_fen: i64,
}

/// A grade and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grade {
    /// The tier; `None` for a government customer whose level is not set.
    pub(crate) tier: Option<Tier>,
    /// The value class.
    pub(crate) value_class: ValueClass,
    /// Why, for the tier history.
    pub(crate) reason: String,
}

/// Grades a customer.
pub(crate) fn grade(
    kind: Kind,
    status: Status,
    government_level: Option<GovernmentLevel>,
    activity: Activity,
    policy: &GradingPolicy,
) -> Grade {
    let (tier, mut reason) = match kind {
        Kind::Individual => {
            let tier = if activity.recent_shipments >= i64::from(policy.frequent_min_shipments) {
                Tier::Frequent
            } else {
                Tier::Occasional
            };
            let reason = format!(
                "{} shipments in {} days (FREQUENT from {})",
                activity.recent_shipments,
                policy.frequent_window_days,
                policy.frequent_min_shipments
            );
            (Some(tier), reason)
        }
        Kind::Enterprise => {
            let tier = if activity.spend_fen >= policy.large_min_spend_fen {
                Tier::Large
            } else if activity.spend_fen >= policy.medium_min_spend_fen {
                Tier::Medium
            } else {
                Tier::Small
            };
            let reason = format!(
                "spend of {} CNY in {} days",
                yuan(activity.spend_fen),
                policy.spend_window_days
            );
            (Some(tier), reason)
        }
        Kind::Government => match government_level {
            Some(level) => (
                Some(level.tier()),
                format!("government level {}", level.as_str()),
            ),
            None => (None, "government level not set".to_owned()),
        },
    };
    let value_class = if status == Status::Prospect {
        reason.push_str("; a prospect is POTENTIAL");
        ValueClass::Potential
    } else {
        tier.map_or(ValueClass::Potential, Tier::value_class)
    };
    Grade {
        tier,
        value_class,
        reason,
    }
}

/// Fen as yuan with two decimals, e.g. 10000000 -> "100000.00".
fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / FEN, (fen % FEN).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(recent_shipments: i64, spend_fen: i64) -> Activity {
        Activity {
            recent_shipments,
            spend_fen,
        }
    }

    #[test]
    fn individuals_are_frequent_from_three_shipments_in_thirty_days() {
        let policy = GradingPolicy::default();
        let cases = [
            (0, Tier::Occasional, ValueClass::Potential),
            (2, Tier::Occasional, ValueClass::Potential),
            (3, Tier::Frequent, ValueClass::Key),
            (40, Tier::Frequent, ValueClass::Key),
        ];
        for (shipments, tier, class) in cases {
            let grade = grade(
                Kind::Individual,
                Status::Active,
                None,
                activity(shipments, 0),
                &policy,
            );
            assert_eq!(
                (grade.tier, grade.value_class),
                (Some(tier), class),
                "{shipments}"
            );
        }
    }

    #[test]
    fn enterprises_are_graded_by_spend_at_the_exact_boundaries() {
        let policy = GradingPolicy::default();
        let cases = [
            (0, Tier::Small, ValueClass::Potential),
            (9_999_999, Tier::Small, ValueClass::Potential),
            (10_000_000, Tier::Medium, ValueClass::General),
            (49_999_999, Tier::Medium, ValueClass::General),
            (50_000_000, Tier::Large, ValueClass::Key),
        ];
        for (fen, tier, class) in cases {
            let grade = grade(
                Kind::Enterprise,
                Status::Active,
                None,
                activity(100, fen),
                &policy,
            );
            assert_eq!(
                (grade.tier, grade.value_class),
                (Some(tier), class),
                "{fen} fen"
            );
        }
    }

    #[test]
    fn government_customers_take_the_level_staff_set() {
        let policy = GradingPolicy::default();
        let cases = [
            (None, None, ValueClass::Potential),
            (
                Some(GovernmentLevel::A),
                Some(Tier::GovernmentA),
                ValueClass::Key,
            ),
            (
                Some(GovernmentLevel::B),
                Some(Tier::GovernmentB),
                ValueClass::General,
            ),
            (
                Some(GovernmentLevel::C),
                Some(Tier::GovernmentC),
                ValueClass::Potential,
            ),
        ];
        for (level, tier, class) in cases {
            let grade = grade(
                Kind::Government,
                Status::Active,
                level,
                Activity::default(),
                &policy,
            );
            assert_eq!((grade.tier, grade.value_class), (tier, class), "{level:?}");
        }
    }

    #[test]
    fn every_prospect_is_potential_whatever_its_tier() {
        let grade = grade(
            Kind::Enterprise,
            Status::Prospect,
            None,
            activity(0, 90_000_000),
            &GradingPolicy::default(),
        );
        assert_eq!(grade.tier, Some(Tier::Large));
        assert_eq!(grade.value_class, ValueClass::Potential);
    }

    #[test]
    fn the_reason_says_what_the_grade_rests_on() {
        let grade = grade(
            Kind::Enterprise,
            Status::Active,
            None,
            activity(0, 10_000_050),
            &GradingPolicy::default(),
        );
        assert_eq!(grade.reason, "spend of 100000.50 CNY in 365 days");
    }

    #[test]
    fn a_stored_policy_missing_fields_reads_with_the_defaults() {
        let policy: GradingPolicy =
            serde_json::from_str(r#"{"frequent_min_shipments": 5}"#).unwrap();
        assert_eq!(policy.frequent_min_shipments, 5);
        assert_eq!(policy.dormant_after_days, 90);
    }

    #[test]
    fn the_default_policy_is_sound_and_broken_ones_are_explained() {
        assert_eq!(GradingPolicy::default().problems(), []);
        let broken = GradingPolicy {
            large_min_spend_fen: 1,
            churned_after_days: 10,
            service_levels: Vec::new(),
            ..GradingPolicy::default()
        };
        let fields: Vec<_> = broken
            .problems()
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(
            fields,
            [
                "large_min_spend",
                "churned_after_days",
                "service_levels",
                "service_levels",
                "service_levels"
            ]
        );
    }
}

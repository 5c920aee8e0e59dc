//! The SLA policy: how urgent a complaint is and how long its clocks may run. Its priority is the
//! larger of its category's severity and the customer's service-level floor; its targets are its
//! priority's, or the customer's service level's where those are shorter.

use logistics_platform::named_enum;

use super::kinds::Category;

named_enum! {
    /// How urgently a complaint is handled, lowest first.
    Priority {
        /// Handled in turn.
        Low = "LOW",
        /// The usual priority.
        Normal = "NORMAL",
        /// Ahead of normal work.
        High = "HIGH",
        /// Immediately.
        Urgent = "URGENT",
    }
}

impl Priority {
    /// Its place from lowest (0) to highest.
    pub fn rank(self) -> usize {
        Self::ALL
            .iter()
            .position(|&priority| priority == self)
            .expect("ALL lists every priority")
    }

    /// The more urgent of the two.
    pub fn max(self, other: Priority) -> Priority {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// The most business minutes a target may be: 90 working days of 8 hours.
pub const MAX_TARGET_MINUTES: i64 = 90 * 8 * 60;

/// The two SLA targets of a complaint, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// From filing to the first response.
    pub first_response_minutes: i64,
    /// From filing to the resolution.
    pub resolution_minutes: i64,
}

impl Targets {
    /// The shorter of each target: a customer's service level may promise faster answers than
    /// its complaint's priority does, never slower ones.
    pub fn tightest(self, other: Targets) -> Targets {
        Targets {
            first_response_minutes: self
                .first_response_minutes
                .min(other.first_response_minutes),
            resolution_minutes: self.resolution_minutes.min(other.resolution_minutes),
        }
    }
}

/// One version of the SLA policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPolicy {
    /// The targets of each priority, in `Priority::ALL` order.
    targets: [Targets; 4],
    /// The least priority of each category, in `Category::ALL` order.
    severities: [Priority; 9],
}

/// A problem with a proposed policy: the field path and what is wrong.
pub type PolicyProblem = (String, String);

impl Default for SlaPolicy {
    /// The policy a new installation starts with. LOSS and DAMAGE rank highest (DOMAIN.md).
    fn default() -> Self {
        let targets = |first_response_minutes, resolution_minutes| Targets {
            first_response_minutes,
            resolution_minutes,
        };
        Self {
            targets: [
                targets(8 * 60, 5 * 8 * 60),
                targets(4 * 60, 3 * 8 * 60),
                targets(2 * 60, 2 * 8 * 60),
                targets(60, 8 * 60),
            ],
            severities: by_category(|category| match category {
                Category::Loss | Category::Damage => Priority::High,
                Category::Shortage
                | Category::Delay
                | Category::WrongDelivery
                | Category::Billing
                | Category::DocumentError
                | Category::StaffAttitude => Priority::Normal,
                Category::Other => Priority::Low,
            }),
        }
    }
}

/// Every category's priority, in `Category::ALL` order.
fn by_category(of: impl Fn(Category) -> Priority) -> [Priority; 9] {
    let mut priorities = [Priority::Low; 9];
    for (priority, &category) in priorities.iter_mut().zip(Category::ALL) {
        *priority = of(category);
    }
    priorities
}

impl SlaPolicy {
    /// A policy from every priority's targets and every category's severity, or every problem
    /// found, each with its field path (`targets[1].resolution_minutes`).
    pub fn new(
        targets: &[(Priority, Targets)],
        severities: &[(Category, Priority)],
    ) -> Result<Self, Vec<PolicyProblem>> {
        let mut problems = Vec::new();
        let mut by_priority: [Option<Targets>; 4] = [None; 4];
        for (index, &(priority, target)) in targets.iter().enumerate() {
            let field = |name: &str| format!("targets[{index}].{name}");
            let slot = &mut by_priority[priority.rank()];
            if slot.is_some() {
                problems.push((field("priority"), "is listed twice".to_owned()));
            }
            *slot = Some(target);
            let first = target.first_response_minutes;
            let resolution = target.resolution_minutes;
            if !(1..=MAX_TARGET_MINUTES).contains(&first) {
                problems.push((
                    field("first_response_minutes"),
                    format!("must be 1 to {MAX_TARGET_MINUTES}"),
                ));
            }
            if !(1..=MAX_TARGET_MINUTES).contains(&resolution) {
                problems.push((
                    field("resolution_minutes"),
                    format!("must be 1 to {MAX_TARGET_MINUTES}"),
                ));
            } else if resolution < first {
                problems.push((
                    field("resolution_minutes"),
                    "must be at least first_response_minutes".to_owned(),
                ));
            }
        }
        for (&priority, target) in Priority::ALL.iter().zip(&by_priority) {
            if target.is_none() {
                problems.push((
                    "targets".to_owned(),
                    format!("must list priority {}", priority.as_str()),
                ));
            }
        }
        let mut by_category: [Option<Priority>; 9] = [None; 9];
        for (index, &(category, priority)) in severities.iter().enumerate() {
            let Some(position) = Category::ALL.iter().position(|&known| known == category) else {
                continue;
            };
            if by_category[position].replace(priority).is_some() {
                problems.push((
                    format!("severities[{index}].category"),
                    "is listed twice".to_owned(),
                ));
            }
        }
        for (&category, severity) in Category::ALL.iter().zip(&by_category) {
            if severity.is_none() {
                problems.push((
                    "severities".to_owned(),
                    format!("must list category {}", category.as_str()),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            targets: by_priority.map(|target| target.expect("checked above")),
            severities: by_category.map(|severity| severity.expect("checked above")),
        })
    }

    /// The targets of each priority, lowest priority first.
    pub fn targets(&self) -> impl Iterator<Item = (Priority, Targets)> + '_ {
        Priority::ALL.iter().copied().zip(self.targets)
    }

    /// The severity of each category.
    pub fn severities(&self) -> impl Iterator<Item = (Category, Priority)> + '_ {
        Category::ALL.iter().copied().zip(self.severities)
    }

    /// The targets of one priority.
    pub fn targets_of(&self, priority: Priority) -> Targets {
        self.targets[priority.rank()]
    }

    /// The priority of a complaint about `category` from a customer whose service level puts its
    /// complaints at `floor` or above.
    pub fn priority_for(&self, category: Category, floor: Option<Priority>) -> Priority {
        let position = Category::ALL
            .iter()
            .position(|&known| known == category)
            .expect("ALL lists every category");
        let severity = self.severities[position];
        floor.map_or(severity, |floor| severity.max(floor))
    }

    /// The targets of a complaint at `priority` from a customer whose service level promises
    /// `service_level` (when it promises anything).
    pub fn targets_for(&self, priority: Priority, service_level: Option<Targets>) -> Targets {
        let targets = self.targets_of(priority);
        service_level.map_or(targets, |promised| targets.tightest(promised))
    }
}

#[cfg(test)]
mod tests {
    use super::{Category, Priority, SlaPolicy, Targets};

    fn targets(first_response_minutes: i64, resolution_minutes: i64) -> Targets {
        Targets {
            first_response_minutes,
            resolution_minutes,
        }
    }

    #[test]
    fn loss_and_damage_rank_highest_by_default() {
        let policy = SlaPolicy::default();
        for category in Category::ALL {
            let priority = policy.priority_for(*category, None);
            let highest = matches!(category, Category::Loss | Category::Damage);
            assert_eq!(priority == Priority::High, highest, "{category:?}");
        }
    }

    #[test]
    fn the_service_level_floor_raises_the_priority_but_never_lowers_it() {
        let policy = SlaPolicy::default();
        let cases = [
            (Category::Other, None, Priority::Low),
            (Category::Other, Some(Priority::Normal), Priority::Normal),
            (Category::Delay, Some(Priority::Urgent), Priority::Urgent),
            (Category::Damage, Some(Priority::Low), Priority::High),
            (Category::Loss, Some(Priority::High), Priority::High),
        ];
        for (category, floor, expected) in cases {
            assert_eq!(policy.priority_for(category, floor), expected);
        }
    }

    #[test]
    fn a_service_level_shortens_targets_and_never_lengthens_them() {
        let policy = SlaPolicy::default();
        let normal = policy.targets_of(Priority::Normal);
        assert_eq!(policy.targets_for(Priority::Normal, None), normal);
        let faster = targets(30, 600);
        assert_eq!(policy.targets_for(Priority::Normal, Some(faster)), faster);
        let slower = targets(10_000, 20_000);
        assert_eq!(policy.targets_for(Priority::Normal, Some(slower)), normal);
        let mixed = targets(30, 20_000);
        assert_eq!(
            policy.targets_for(Priority::Normal, Some(mixed)),
            targets(30, normal.resolution_minutes)
        );
    }

    #[test]
    fn the_default_policy_passes_its_own_checks() {
        let policy = SlaPolicy::default();
        let targets: Vec<_> = policy.targets().collect();
        let severities: Vec<_> = policy.severities().collect();
        assert_eq!(SlaPolicy::new(&targets, &severities), Ok(policy));
    }

    #[test]
    fn a_policy_with_missing_twice_listed_or_out_of_range_entries_is_refused_with_every_problem() {
        let severities: Vec<_> = SlaPolicy::default().severities().collect();
        let problems = SlaPolicy::new(
            &[
                (Priority::Low, targets(0, 10)),
                (Priority::Low, targets(60, 30)),
                (Priority::High, targets(60, super::MAX_TARGET_MINUTES + 1)),
            ],
            &severities[1..],
        )
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|(field, _)| field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "targets[0].first_response_minutes",
                "targets[1].priority",
                "targets[1].resolution_minutes",
                "targets[2].resolution_minutes",
                "targets",
                "targets",
                "severities",
            ]
        );
    }

    #[test]
    fn priorities_order_from_low_to_urgent() {
        let ranks: Vec<_> = Priority::ALL
            .iter()
            .map(|priority| priority.rank())
            .collect();
        assert_eq!(ranks, [0, 1, 2, 3]);
        assert_eq!(Priority::Low.max(Priority::High), Priority::High);
        assert_eq!(Priority::Urgent.max(Priority::Normal), Priority::Urgent);
    }
}

//! Follow-ups (return visits), survey scores and the monthly survey sample: the rules, free of I/O.

use logistics_platform::named_enum;

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

named_enum! {
    /// Where a follow-up stands.
    FollowUpStatus {
        /// Waiting to be done by its due time.
        Scheduled = "SCHEDULED",
        /// Done.
        Completed = "COMPLETED",
        /// Not done by its due time.
        Missed = "MISSED",
        /// Called off.
        Cancelled = "CANCELLED",
    }
}

named_enum! {
    /// Why a follow-up is due.
    FollowUpReason {
        /// Thank-you contact after a delivery.
        ThankYouAfterDelivery = "THANK_YOU_AFTER_DELIVERY",
        /// Check after a resolved complaint.
        ComplaintResolved = "COMPLAINT_RESOLVED",
        /// Monthly review of a KEY customer.
        PeriodicReview = "PERIODIC_REVIEW",
        /// Anything else.
        Other = "OTHER",
    }
}

/// What can happen to a follow-up after it is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FollowUpAction {
    /// Staff did it (CompleteFollowUp).
    Complete,
    /// Staff called it off (CancelFollowUp).
    Cancel,
    /// Its due time passed undone (the sweep).
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "the sweep applies this transition in SQL (store::engagement::mark_missed); \
                      the transition table and its tests keep the rule whole"
        )
    )]
    Miss,
}

impl FollowUpAction {
    /// The status the action leads to when it is allowed.
    pub(crate) fn target(self) -> FollowUpStatus {
        match self {
            Self::Complete => FollowUpStatus::Completed,
            Self::Cancel => FollowUpStatus::Cancelled,
            Self::Miss => FollowUpStatus::Missed,
        }
    }
}

/// An action the follow-up's current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IllegalTransition {
    /// Where the follow-up stands.
    pub(crate) current: FollowUpStatus,
    /// Where the action would have taken it.
    pub(crate) requested: FollowUpStatus,
}

/// The state machine: SCHEDULED -> COMPLETED | CANCELLED | MISSED, and MISSED -> COMPLETED, because
/// a return visit done late is still worth recording (it counts as done, not as done on time).
/// COMPLETED and CANCELLED are final.
pub(crate) fn transition(
    current: FollowUpStatus,
    action: FollowUpAction,
) -> Result<FollowUpStatus, IllegalTransition> {
    use FollowUpAction as A;
    use FollowUpStatus as S;
    match (current, action) {
        (S::Scheduled, A::Complete | A::Cancel | A::Miss) | (S::Missed, A::Complete) => {
            Ok(action.target())
        }
        _ => Err(IllegalTransition {
            current,
            requested: action.target(),
        }),
    }
}

/// The five dimensions of a satisfaction survey, each scored 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SurveyScores {
    /// Timeliness of pickup and delivery.
    pub(crate) timeliness: i32,
    /// Safety of the cargo.
    pub(crate) cargo_safety: i32,
    /// Attitude of staff.
    pub(crate) staff_attitude: i32,
    /// Price.
    pub(crate) price: i32,
    /// Information about the shipment.
    pub(crate) information: i32,
}

/// Lowest score of a survey dimension.
pub(crate) const MIN_SCORE: i32 = 1;
/// Highest score of a survey dimension.
pub(crate) const MAX_SCORE: i32 = 5;

impl SurveyScores {
    /// Each dimension by its field name, in the order of the contract.
    pub(crate) fn dimensions(&self) -> [(&'static str, i32); 5] {
        [
            ("timeliness", self.timeliness),
            ("cargo_safety", self.cargo_safety),
            ("staff_attitude", self.staff_attitude),
            ("price", self.price),
            ("information", self.information),
        ]
    }

    /// The dimensions whose score is outside 1 to 5 (0, the protobuf default, means "not given").
    pub(crate) fn out_of_range(&self) -> Vec<&'static str> {
        self.dimensions()
            .into_iter()
            .filter(|(_, score)| !(MIN_SCORE..=MAX_SCORE).contains(score))
            .map(|(name, _)| name)
            .collect()
    }
}

/// A calendar month, e.g. 2026-11, as used for monthly reviews and survey samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Month {
    year: i32,
    month: u32,
}

/// Hours the company's time zone, Asia/Shanghai, is ahead of UTC: 8 all year (China has no
/// daylight saving time).
const COMPANY_UTC_OFFSET_HOURS: i64 = 8;

/// Monthly reviews are due at this hour, company time, on the last day of the month.
const REVIEW_DUE_HOUR: i64 = 18;

impl Month {
    /// Reads "YYYY-MM" with a year from 2000 to 2999 and a month from 01 to 12.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.split_once('-')?;
        let digits =
            |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let month: u32 = month.parse().ok()?;
        ((2000..=2999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// The month that `time` falls in, in the company's time zone.
    pub(crate) fn containing(time: DateTime<Utc>) -> Self {
        let local = time.naive_utc() + TimeDelta::hours(COMPANY_UTC_OFFSET_HOURS);
        Self {
            year: local.year(),
            month: local.month(),
        }
    }

    /// When this month's periodic review is due: its last day, 18:00 company time. `None` only
    /// past chrono's calendar (year 262143), which [`Month::parse`] and [`Month::containing`]
    /// never produce.
    pub(crate) fn review_due_time(self) -> Option<DateTime<Utc>> {
        let (next_year, next_month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        let next_month_starts =
            NaiveDate::from_ymd_opt(next_year, next_month, 1)?.and_hms_opt(0, 0, 0)?;
        let due_local = next_month_starts - TimeDelta::hours(24 - REVIEW_DUE_HOUR);
        Some((due_local - TimeDelta::hours(COMPANY_UTC_OFFSET_HOURS)).and_utc())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Where a customer falls in a month's survey draw: a hash of the month and the customer's id, so
/// the order is reproducible, differs from month to month, and favours no one (not the oldest
/// customers, not the lowest codes).
pub(crate) fn sample_rank(month: Month, customer_id: Uuid) -> [u8; 32] {
    Sha256::new()
        .chain_update(month.to_string().as_bytes())
        .chain_update(b"\0")
        .chain_update(customer_id.as_bytes())
        .finalize()
        .into()
}

/// A customer that may be picked for a survey call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SampleCandidate {
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Its account manager.
    pub(crate) account_manager: String,
}

/// A month's survey draw over a stream of candidates: keeps, per account manager, the customers
/// with the lowest [`sample_rank`], up to `per_manager` minus those already picked for that
/// manager. Memory stays within managers x `per_manager` however many customers stream past, and
/// the outcome does not depend on the order they come in. Candidates must not include customers
/// already picked this month.
#[derive(Debug)]
pub(crate) struct SampleDraw {
    month: Month,
    per_manager: usize,
    already_picked: HashMap<String, usize>,
    // A max-heap per manager: the worst of the best so far is the one dropped when it overflows.
    best: HashMap<String, BinaryHeap<([u8; 32], Uuid)>>,
}

impl SampleDraw {
    /// A draw for `month` topping every manager up to `per_manager` customers.
    pub(crate) fn new(
        month: Month,
        already_picked: HashMap<String, usize>,
        per_manager: usize,
    ) -> Self {
        Self {
            month,
            per_manager,
            already_picked,
            best: HashMap::new(),
        }
    }

    /// How many a manager's sample still lacks.
    fn wanted(&self, manager: &str) -> usize {
        let already = self.already_picked.get(manager).copied().unwrap_or(0);
        self.per_manager.saturating_sub(already)
    }

    /// Considers one candidate.
    pub(crate) fn offer(&mut self, candidate: SampleCandidate) {
        let wanted = self.wanted(&candidate.account_manager);
        if wanted == 0 {
            return;
        }
        let rank = sample_rank(self.month, candidate.customer_id);
        let best = self.best.entry(candidate.account_manager).or_default();
        best.push((rank, candidate.customer_id));
        if best.len() > wanted {
            best.pop();
        }
    }

    /// The customers to add, per manager (A to Z), each in order of picking.
    pub(crate) fn picks(self) -> BTreeMap<String, Vec<Uuid>> {
        self.best
            .into_iter()
            .map(|(manager, best)| {
                let ids = best.into_sorted_vec().into_iter().map(|(_, id)| id);
                (manager, ids.collect())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FollowUpAction as A;
    use FollowUpStatus as S;

    #[test]
    fn every_status_and_action_has_exactly_the_documented_outcome() {
        let cases = [
            (S::Scheduled, A::Complete, Ok(S::Completed)),
            (S::Scheduled, A::Cancel, Ok(S::Cancelled)),
            (S::Scheduled, A::Miss, Ok(S::Missed)),
            (S::Missed, A::Complete, Ok(S::Completed)),
            (S::Missed, A::Cancel, Err(S::Cancelled)),
            (S::Missed, A::Miss, Err(S::Missed)),
            (S::Completed, A::Complete, Err(S::Completed)),
            (S::Completed, A::Cancel, Err(S::Cancelled)),
            (S::Completed, A::Miss, Err(S::Missed)),
            (S::Cancelled, A::Complete, Err(S::Completed)),
            (S::Cancelled, A::Cancel, Err(S::Cancelled)),
            (S::Cancelled, A::Miss, Err(S::Missed)),
        ];
        assert_eq!(cases.len(), S::ALL.len() * 3, "the table covers every pair");
        for (current, action, expected) in cases {
            let expected = expected.map_err(|requested| IllegalTransition { current, requested });
            assert_eq!(
                transition(current, action),
                expected,
                "{current:?} {action:?}"
            );
        }
    }

    #[test]
    fn stored_names_round_trip() {
        for status in S::ALL {
            assert_eq!(S::parse(status.as_str()), Some(*status));
        }
        for reason in FollowUpReason::ALL {
            assert_eq!(FollowUpReason::parse(reason.as_str()), Some(*reason));
        }
        assert_eq!(S::parse("scheduled"), None);
    }

    #[test]
    fn survey_scores_outside_one_to_five_are_named() {
        let all_fine = SurveyScores {
            timeliness: 1,
            cargo_safety: 5,
            staff_attitude: 3,
            price: 2,
            information: 4,
        };
        assert!(all_fine.out_of_range().is_empty());
        let bad = SurveyScores {
            timeliness: 0,
            cargo_safety: 6,
            staff_attitude: -1,
            ..all_fine
        };
        assert_eq!(
            bad.out_of_range(),
            ["timeliness", "cargo_safety", "staff_attitude"]
        );
    }

    #[test]
    fn months_parse_only_as_yyyy_mm() {
        let cases = [
            ("2026-11", Some("2026-11")),
            ("2000-01", Some("2000-01")),
            ("2999-12", Some("2999-12")),
            ("2026-13", None),
            ("2026-00", None),
            ("2026-1", None),
            ("26-11", None),
            ("1999-12", None),
            ("2026/11", None),
            ("2026-11-01", None),
            ("+026-11", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = Month::parse(text).map(|month| month.to_string());
            assert_eq!(parsed.as_deref(), expected, "{text:?}");
        }
    }

    #[test]
    fn the_month_of_a_time_is_taken_in_shanghai() {
        let utc = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        // 16:00 UTC on the last day is already midnight of the next month in Shanghai.
        assert_eq!(
            Month::containing(utc("2026-11-30T15:59:59Z")).to_string(),
            "2026-11"
        );
        assert_eq!(
            Month::containing(utc("2026-11-30T16:00:00Z")).to_string(),
            "2026-12"
        );
    }

    #[test]
    fn reviews_are_due_on_the_last_day_at_18_shanghai_time() {
        let cases = [
            ("2026-11", "2026-11-30T10:00:00Z"),
            ("2026-12", "2026-12-31T10:00:00Z"),
            ("2028-02", "2028-02-29T10:00:00Z"),
            ("2027-02", "2027-02-28T10:00:00Z"),
        ];
        for (month, due) in cases {
            let due = DateTime::parse_from_rfc3339(due).unwrap().to_utc();
            assert_eq!(
                Month::parse(month).unwrap().review_due_time(),
                Some(due),
                "{month}"
            );
        }
    }

    fn pick_sample(
        month: Month,
        candidates: Vec<SampleCandidate>,
        already_picked: &HashMap<String, usize>,
        per_manager: usize,
    ) -> BTreeMap<String, Vec<Uuid>> {
        let mut draw = SampleDraw::new(month, already_picked.clone(), per_manager);
        for candidate in candidates {
            draw.offer(candidate);
        }
        draw.picks()
    }

    fn candidates(manager: &str, count: u128) -> Vec<SampleCandidate> {
        (1..=count)
            .map(|n| SampleCandidate {
                customer_id: Uuid::from_u128(n),
                account_manager: manager.to_owned(),
            })
            .collect()
    }

    #[test]
    fn the_sample_is_the_same_whatever_order_the_candidates_come_in() {
        let month = Month::parse("2026-11").unwrap();
        let forward = candidates("li.wei", 20);
        let mut backward = forward.clone();
        backward.reverse();
        let none = HashMap::new();
        let first = pick_sample(month, forward, &none, 5);
        assert_eq!(first["li.wei"].len(), 5);
        assert_eq!(first, pick_sample(month, backward, &none, 5));
    }

    #[test]
    fn another_month_draws_another_sample() {
        let none = HashMap::new();
        let november = pick_sample(
            Month::parse("2026-11").unwrap(),
            candidates("a", 50),
            &none,
            5,
        );
        let december = pick_sample(
            Month::parse("2026-12").unwrap(),
            candidates("a", 50),
            &none,
            5,
        );
        assert_ne!(november, december);
    }

    #[test]
    fn a_larger_sample_extends_the_smaller_one() {
        let month = Month::parse("2026-11").unwrap();
        let mut all = candidates("a", 12);
        all.extend(candidates("b", 2).into_iter().map(|c| SampleCandidate {
            customer_id: Uuid::from_u128(c.customer_id.as_u128() + 1000),
            ..c
        }));
        let small = pick_sample(month, all.clone(), &HashMap::new(), 3);
        assert_eq!(
            small["b"].len(),
            2,
            "a manager with fewer customers gets them all"
        );
        let large = pick_sample(month, all.clone(), &HashMap::new(), 7);
        assert_eq!(large["a"][..3], small["a"][..]);

        // Picking again after the small sample, without its customers, adds the same ones.
        let rest: Vec<_> = all
            .into_iter()
            .filter(|c| !small.values().flatten().any(|id| *id == c.customer_id))
            .collect();
        let already = HashMap::from([("a".to_owned(), 3), ("b".to_owned(), 2)]);
        let added = pick_sample(month, rest, &already, 7);
        assert_eq!(added["a"][..], large["a"][3..]);
        assert!(!added.contains_key("b"), "b has nobody left to pick");
    }

    #[test]
    fn the_draw_keeps_exactly_the_lowest_ranks_of_everyone_offered() {
        let month = Month::parse("2026-11").unwrap();
        let all = candidates("a", 40);
        let mut ranked: Vec<_> = all
            .iter()
            .map(|c| (sample_rank(month, c.customer_id), c.customer_id))
            .collect();
        ranked.sort();
        let lowest: Vec<Uuid> = ranked.into_iter().take(6).map(|(_, id)| id).collect();
        assert_eq!(pick_sample(month, all, &HashMap::new(), 6)["a"], lowest);
    }
}

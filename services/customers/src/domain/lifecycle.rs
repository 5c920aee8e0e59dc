//! The customer lifecycle: PROSPECT, ACTIVE, DORMANT, CHURNED, BLOCKED.
//!
//! Shipping makes a customer ACTIVE; time without shipping makes it DORMANT, then CHURNED; staff
//! block and unblock. A blocked customer changes only by being unblocked.

use chrono::{DateTime, Utc};

use super::customer::Status;
use super::grading::GradingPolicy;

/// The status a customer moves to when it ships, if it changes.
pub(crate) fn status_after_shipment(current: Status) -> Option<Status> {
    match current {
        Status::Prospect | Status::Dormant | Status::Churned => Some(Status::Active),
        Status::Active | Status::Blocked => None,
    }
}

/// The status a customer moves to for lack of shipments at `now`, if it changes.
pub(crate) fn status_after_inactivity(
    current: Status,
    last_shipment: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    policy: &GradingPolicy,
) -> Option<Status> {
    let idle_days = (now - last_shipment?).num_days();
    let due = if idle_days >= i64::from(policy.churned_after_days) {
        Status::Churned
    } else if idle_days >= i64::from(policy.dormant_after_days) {
        Status::Dormant
    } else {
        return None;
    };
    match (current, due) {
        (Status::Active, _) | (Status::Dormant, Status::Churned) => Some(due),
        _ => None,
    }
}

/// The status of a customer whose block is lifted: what its shipments say.
pub(crate) fn status_after_unblock(
    last_shipment: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    policy: &GradingPolicy,
) -> Status {
    match last_shipment {
        None => Status::Prospect,
        Some(_) => status_after_inactivity(Status::Active, last_shipment, now, policy)
            .unwrap_or(Status::Active),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn days_ago(days: i64) -> Option<DateTime<Utc>> {
        Some(now() - Duration::days(days))
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-23T08:00:00+08:00")
            .unwrap()
            .into()
    }

    #[test]
    fn shipping_activates_every_status_but_active_and_blocked() {
        let cases = [
            (Status::Prospect, Some(Status::Active)),
            (Status::Active, None),
            (Status::Dormant, Some(Status::Active)),
            (Status::Churned, Some(Status::Active)),
            (Status::Blocked, None),
        ];
        for (current, expected) in cases {
            assert_eq!(status_after_shipment(current), expected, "{current:?}");
        }
    }

    #[test]
    fn inactivity_turns_customers_dormant_at_90_days_and_churned_at_180() {
        let policy = GradingPolicy::default();
        let cases = [
            (Status::Active, days_ago(89), None),
            (Status::Active, days_ago(90), Some(Status::Dormant)),
            (Status::Active, days_ago(179), Some(Status::Dormant)),
            (Status::Active, days_ago(180), Some(Status::Churned)),
            (Status::Dormant, days_ago(120), None),
            (Status::Dormant, days_ago(180), Some(Status::Churned)),
            (Status::Churned, days_ago(400), None),
            (Status::Blocked, days_ago(400), None),
            (Status::Prospect, None, None),
            (Status::Active, None, None),
        ];
        for (current, last, expected) in cases {
            assert_eq!(
                status_after_inactivity(current, last, now(), &policy),
                expected,
                "{current:?} {last:?}"
            );
        }
    }

    #[test]
    fn an_unblocked_customer_takes_the_status_its_shipments_give() {
        let policy = GradingPolicy::default();
        let cases = [
            (None, Status::Prospect),
            (days_ago(3), Status::Active),
            (days_ago(100), Status::Dormant),
            (days_ago(200), Status::Churned),
        ];
        for (last, expected) in cases {
            assert_eq!(
                status_after_unblock(last, now(), &policy),
                expected,
                "{last:?}"
            );
        }
    }
}

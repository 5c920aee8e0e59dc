//! What the complaints feed means for customers: a resolved complaint is followed by a call to
//! check the customer is satisfied (客户回访), once per resolution.

use chrono::{DateTime, TimeDelta, Utc};

/// How long after a resolution the check-in call is due: the customer has had a day to see the
/// remedy work, and it is still fresh.
const CHECK_IN_DELAY: TimeDelta = TimeDelta::days(2);

/// When the check-in after a resolution at `resolve_time` is due.
pub(crate) fn check_in_due(resolve_time: DateTime<Utc>) -> DateTime<Utc> {
    resolve_time + CHECK_IN_DELAY
}

/// What makes the check-in of one resolution unique: a reopened and resolved-again complaint
/// gets a check-in of its own.
pub(crate) fn check_in_key(complaint_id: &str, resolution_number: i32) -> String {
    format!("complaint:{complaint_id}#{resolution_number}")
}

/// What the check-in's notes say.
pub(crate) fn check_in_notes(complaint_number: &str, resolution_number: i32) -> String {
    if resolution_number > 1 {
        format!(
            "Check the customer is satisfied: complaint {complaint_number} was resolved again \
             (resolution {resolution_number})."
        )
    } else {
        format!("Check the customer is satisfied: complaint {complaint_number} was resolved.")
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn each_resolution_has_its_own_check_in_two_days_later() {
        let resolved = Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap();
        assert_eq!(
            check_in_due(resolved),
            Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()
        );
        assert_ne!(check_in_key("c1", 1), check_in_key("c1", 2));
        assert!(check_in_notes("K2026120500000001", 2).contains("resolution 2"));
    }
}

//! Problem shipments: which open orders need attention, and why.

use chrono::{DateTime, Duration, Utc};

use super::status::OrderStatus;
use super::tracking::is_on_the_way;

/// "No movement" threshold when the caller gives none: 24 hours (DOMAIN.md).
const DEFAULT_NO_MOVEMENT: Duration = Duration::hours(24);
/// Shortest threshold accepted.
const MIN_NO_MOVEMENT: Duration = Duration::hours(1);
/// Longest threshold accepted.
const MAX_NO_MOVEMENT: Duration = Duration::days(30);

/// Why a shipment is a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// In EXCEPTION.
    Exception,
    /// Past its promised delivery time.
    Late,
    /// Picked up, and no event for longer than the threshold.
    NoMovement,
}

/// Resolves a requested threshold in seconds: 0 is the default, else it must be within bounds.
pub(crate) fn no_movement_threshold(seconds: i64) -> Result<Duration, String> {
    if seconds == 0 {
        return Ok(DEFAULT_NO_MOVEMENT);
    }
    // Bounds are compared as plain seconds: chrono panics on a TimeDelta past about 2^63 ms,
    // and a caller may send any int64.
    let (min, max) = (MIN_NO_MOVEMENT.num_seconds(), MAX_NO_MOVEMENT.num_seconds());
    if !(min..=max).contains(&seconds) {
        return Err(format!(
            "must be 0 (24 hours) or {min} to {max} seconds (1 hour to 30 days)"
        ));
    }
    Ok(Duration::seconds(seconds))
}

/// The facts of an order that decide whether it is a problem.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shipment {
    /// Its status.
    pub(crate) status: OrderStatus,
    /// When delivery was promised.
    pub(crate) promised_delivery_time: DateTime<Utc>,
    /// When the newest event occurred.
    pub(crate) last_movement_time: Option<DateTime<Utc>>,
    /// When it was picked up.
    pub(crate) pickup_time: Option<DateTime<Utc>>,
}

/// Every reason `shipment` is a problem at `now`; empty when it is none. Final orders never are.
///
/// "No movement" is measured only once the goods are on their way: before the pickup nothing is
/// scanned, and an order waiting for its pickup shows up as late once its promise passes.
pub(crate) fn problems(
    shipment: &Shipment,
    now: DateTime<Utc>,
    no_movement: Duration,
) -> Vec<Problem> {
    let mut found = Vec::new();
    if shipment.status.is_final() {
        return found;
    }
    if shipment.status == OrderStatus::Exception {
        found.push(Problem::Exception);
    }
    if shipment.promised_delivery_time < now {
        found.push(Problem::Late);
    }
    let moved = shipment.last_movement_time.or(shipment.pickup_time);
    if is_on_the_way(shipment.status) && moved.is_some_and(|moved| moved < now - no_movement) {
        found.push(Problem::NoMovement);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn hours(n: i64) -> DateTime<Utc> {
        now() + Duration::hours(n)
    }

    #[test]
    fn each_reason_is_found_alone_and_together() {
        use OrderStatus as S;
        use Problem::*;
        // (status, promised, last movement, pickup, expected)
        type Case = (S, i64, Option<i64>, Option<i64>, &'static [Problem]);
        let cases: &[Case] = &[
            (S::InTransit, 10, Some(-1), Some(-5), &[]),
            (S::Exception, 10, Some(-1), Some(-5), &[Exception]),
            (S::InTransit, -1, Some(-1), Some(-5), &[Late]),
            (S::InTransit, 10, Some(-25), Some(-30), &[NoMovement]),
            (S::PickedUp, 10, None, Some(-25), &[NoMovement]),
            (S::PickedUp, 10, None, Some(-23), &[]),
            (
                S::Exception,
                -1,
                Some(-30),
                Some(-40),
                &[Exception, Late, NoMovement],
            ),
            // Before the pickup only lateness counts.
            (S::Confirmed, 10, None, None, &[]),
            (S::PickupScheduled, -1, None, None, &[Late]),
            // Final orders are never problems.
            (S::Delivered, -1, Some(-30), Some(-40), &[]),
            (S::ReturnedToSender, -1, Some(-30), Some(-40), &[]),
            (S::Cancelled, -1, None, None, &[]),
        ];
        for &(status, promised, last, pickup, expected) in cases {
            let shipment = Shipment {
                status,
                promised_delivery_time: hours(promised),
                last_movement_time: last.map(hours),
                pickup_time: pickup.map(hours),
            };
            assert_eq!(
                problems(&shipment, now(), DEFAULT_NO_MOVEMENT),
                expected,
                "{shipment:?}"
            );
        }
    }

    #[test]
    fn the_threshold_defaults_and_is_bounded() {
        assert_eq!(no_movement_threshold(0), Ok(DEFAULT_NO_MOVEMENT));
        assert_eq!(no_movement_threshold(3600), Ok(Duration::hours(1)));
        assert_eq!(no_movement_threshold(30 * 86_400), Ok(Duration::days(30)));
        assert!(no_movement_threshold(3599).is_err());
        assert!(no_movement_threshold(30 * 86_400 + 1).is_err());
        assert!(no_movement_threshold(-5).is_err());
        for extreme in [
            i64::MIN,
            i64::MAX,
            9_223_372_036_854_776,
            -9_223_372_036_854_776,
        ] {
            assert!(no_movement_threshold(extreme).is_err(), "{extreme}");
        }
    }
}

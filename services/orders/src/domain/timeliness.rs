//! Information timeliness (信息传递及时率): whether a tracking event reached the suite soon enough
//! after it occurred. The orders feed counts timely events per order and batch
//! (`tracking.events_recorded`); reporting divides them by all events, per day and dimension.

use chrono::{DateTime, Duration, Utc};

/// How long after it occurred an event may be received and still count as timely.
pub(crate) const TIMELY_WITHIN: Duration = Duration::minutes(15);

/// Whether an event that occurred at `occur_time` and was received at `receive_time` is timely:
/// received no later than [`TIMELY_WITHIN`] after it occurred. An event received before it
/// occurred (the sender's clock runs ahead, within the tolerance recording allows) is timely: it
/// was certainly not late.
pub(crate) fn is_timely(occur_time: DateTime<Utc>, receive_time: DateTime<Utc>) -> bool {
    receive_time - occur_time <= TIMELY_WITHIN
}

/// The events one batch stored for one order: how many, and how many of them timely.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EventCounts {
    /// Events stored.
    pub(crate) events: i32,
    /// Of them, timely ones.
    pub(crate) timely_events: i32,
}

impl EventCounts {
    /// Counts one stored event.
    pub(crate) fn add(&mut self, occur_time: DateTime<Utc>, receive_time: DateTime<Utc>) {
        self.events += 1;
        if is_timely(occur_time, receive_time) {
            self.timely_events += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn received() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
    }

    #[test]
    fn the_boundary_is_fifteen_minutes_inclusive() {
        let cases = [
            ("a second after", Duration::seconds(1), true),
            ("14:59.999 after", Duration::milliseconds(899_999), true),
            ("exactly 15:00 after", Duration::minutes(15), true),
            ("15:00.001 after", Duration::milliseconds(900_001), false),
            (
                "15:00.000001 after",
                Duration::microseconds(900_000_001),
                false,
            ),
            ("a day after", Duration::days(1), false),
            ("at once", Duration::zero(), true),
            // Clock skew: the sender's clock is ahead of ours.
            (
                "received 3 minutes before it occurred",
                Duration::minutes(-3),
                true,
            ),
        ];
        for (case, delay, timely) in cases {
            let occurred = received() - delay;
            assert_eq!(is_timely(occurred, received()), timely, "{case}");
        }
    }

    #[test]
    fn counts_add_up_events_and_timely_ones() {
        let mut counts = EventCounts::default();
        counts.add(received() - Duration::minutes(20), received());
        counts.add(received() - Duration::minutes(1), received());
        counts.add(received() - Duration::minutes(15), received());
        assert_eq!(
            counts,
            EventCounts {
                events: 3,
                timely_events: 2
            }
        );
    }
}

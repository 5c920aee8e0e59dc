//! Conversions between database times and protobuf timestamps.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

/// A protobuf timestamp of a database time.
pub fn timestamp(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// A protobuf timestamp of an optional database time.
pub fn optional_timestamp(time: Option<DateTime<Utc>>) -> Option<Timestamp> {
    time.map(timestamp)
}

/// The company's time zone, Asia/Shanghai: UTC+8 all year, as China has no daylight saving time.
/// Calendar days and months (same-day cut-offs, monthly reviews) are taken in it.
pub fn company_time_zone() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The time of a protobuf timestamp, if it is one the protobuf documents: years 1 to 9999 and
/// nanoseconds below a second. Anything else a caller sent is malformed.
pub fn from_timestamp(value: &Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(value.nanos)
        .ok()
        .filter(|nanos| *nanos < 1_000_000_000)?;
    if !(-62_135_596_800..=253_402_300_799).contains(&value.seconds) {
        return None;
    }
    DateTime::from_timestamp(value.seconds, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_outside_the_documented_range_are_refused() {
        let at = |seconds, nanos| from_timestamp(&Timestamp { seconds, nanos });
        assert!(at(0, 0).is_some());
        assert!(at(253_402_300_799, 999_999_999).is_some());
        assert!(at(253_402_300_800, 0).is_none());
        assert!(at(-62_135_596_801, 0).is_none());
        assert!(at(0, -1).is_none());
        assert!(at(0, 1_000_000_000).is_none());
        let now = Utc::now();
        assert_eq!(from_timestamp(&timestamp(now)), Some(now));
    }
}

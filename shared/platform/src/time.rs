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

//! SegmentCustomers: customers and their spend grouped by dimensions, read from the projection
//! of each customer's current dimensions; and the stored names of those dimensions' values,
//! which the projection writes and the report reads back.

use logistics_contracts::customers::{
    CustomerKind, CustomerRole, CustomerStatus, CustomerTier, ValueClass,
};
use logistics_platform::ApiError;

use super::Reports;
use crate::domain::segment::Dimension;
use crate::store::segments::{self, SegmentQuery, SegmentRow};

/// The prefix of an enum dimension's proto value names, which stored names go without.
fn prefix(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Kind => "CUSTOMER_KIND_",
        Dimension::Role => "CUSTOMER_ROLE_",
        Dimension::Tier => "CUSTOMER_TIER_",
        Dimension::ValueClass => "VALUE_CLASS_",
        Dimension::Status => "CUSTOMER_STATUS_",
        Dimension::Industry | Dimension::Region => "",
    }
}

/// The stored name of the proto value `value` of an enum dimension ("ENTERPRISE",
/// "GOVERNMENT_A", "UNSPECIFIED"...); `None` for a number these contracts do not know, or for a
/// text dimension.
pub(crate) fn stored_name(dimension: Dimension, value: i32) -> Option<String> {
    let name = match dimension {
        Dimension::Kind => CustomerKind::try_from(value).ok().map(|v| v.as_str_name()),
        Dimension::Role => CustomerRole::try_from(value).ok().map(|v| v.as_str_name()),
        Dimension::Tier => CustomerTier::try_from(value).ok().map(|v| v.as_str_name()),
        Dimension::ValueClass => ValueClass::try_from(value).ok().map(|v| v.as_str_name()),
        Dimension::Status => CustomerStatus::try_from(value)
            .ok()
            .map(|v| v.as_str_name()),
        Dimension::Industry | Dimension::Region => None,
    }?;
    Some(name.trim_start_matches(prefix(dimension)).to_owned())
}

/// The proto value of an enum dimension's stored name; UNSPECIFIED (0) for a name these
/// contracts do not know (or the empty name of a row older than the dimension's column).
pub(crate) fn proto_value(dimension: Dimension, stored: &str) -> i32 {
    let full = format!("{}{stored}", prefix(dimension));
    match dimension {
        Dimension::Kind => CustomerKind::from_str_name(&full).map(i32::from),
        Dimension::Role => CustomerRole::from_str_name(&full).map(i32::from),
        Dimension::Tier => CustomerTier::from_str_name(&full).map(i32::from),
        Dimension::ValueClass => ValueClass::from_str_name(&full).map(i32::from),
        Dimension::Status => CustomerStatus::from_str_name(&full).map(i32::from),
        Dimension::Industry | Dimension::Region => None,
    }
    .unwrap_or(0)
}

impl Reports {
    /// The page of segments `query` asks for, in its order.
    pub(crate) async fn segments(&self, query: &SegmentQuery) -> Result<Vec<SegmentRow>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        segments::segments(&mut conn, query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_go_without_the_prefix_and_come_back_to_the_same_value() {
        let cases = [
            (
                Dimension::Kind,
                CustomerKind::Enterprise as i32,
                "ENTERPRISE",
            ),
            (
                Dimension::Role,
                CustomerRole::Intermediary as i32,
                "INTERMEDIARY",
            ),
            (
                Dimension::Tier,
                CustomerTier::GovernmentA as i32,
                "GOVERNMENT_A",
            ),
            (
                Dimension::Tier,
                CustomerTier::Unspecified as i32,
                "UNSPECIFIED",
            ),
            (Dimension::ValueClass, ValueClass::Key as i32, "KEY"),
            (Dimension::Status, CustomerStatus::Churned as i32, "CHURNED"),
        ];
        for (dimension, value, name) in cases {
            assert_eq!(stored_name(dimension, value).as_deref(), Some(name));
            assert_eq!(proto_value(dimension, name), value);
        }
        assert_eq!(stored_name(Dimension::Kind, 99), None);
        assert_eq!(proto_value(Dimension::Kind, ""), 0);
    }
}

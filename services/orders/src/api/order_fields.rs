//! How OrderService reads its messages: order references, windows, times and ListOrders' filter.
//! The proto form of an order is `app::proto`'s, which CreateOrder's idempotent answer needs too.

use chrono::{DateTime, Utc};
use logistics_contracts::orders as pb;
use logistics_platform::ApiError;
use logistics_platform::address::{REGION_CODE_PREFIX_RULE, is_region_code_prefix};
use logistics_platform::error::Violations;

use super::fields::mode_from_proto;
use super::order_input::MAX_REFERENCE_CHARS;
use crate::domain::numbers::{is_order_number, is_tracking_number};
use crate::domain::order::Window;
use crate::domain::status::OrderStatus;
use crate::store::orders::{ListFilter, OrderRef};

/// What an order reference must look like.
const ORDER_REF_FORMAT: &str = "must be an order id (UUID), an order number (e.g. O2026112300000042) or a tracking number \
     (12 digits)";

/// Reads an order's id, order number or tracking number from `field`.
pub(crate) fn parse_order_ref(field: &str, text: &str) -> Result<OrderRef, ApiError> {
    let mut violations = Violations::new();
    let parsed = order_ref_field(&mut violations, field, text);
    violations.finish()?;
    parsed.ok_or_else(|| ApiError::invalid_field(field, ORDER_REF_FORMAT))
}

/// Reads an order's id, order number or tracking number from `field`, recording a violation
/// (reported with the request's other bad fields) when it is none of them.
pub(crate) fn order_ref_field(
    violations: &mut Violations,
    field: &str,
    text: &str,
) -> Option<OrderRef> {
    if text.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    let parsed = if let Ok(id) = uuid::Uuid::try_parse(text) {
        Some(OrderRef::Id(id))
    } else if is_order_number(text) {
        Some(OrderRef::Number(text.to_owned()))
    } else if is_tracking_number(text) {
        Some(OrderRef::Tracking(text.to_owned()))
    } else {
        None
    };
    if parsed.is_none() {
        violations.add(field, ORDER_REF_FORMAT);
    }
    parsed
}

/// A proto status as the service's, if it is one.
fn status_from_proto(value: i32) -> Option<OrderStatus> {
    let name = pb::OrderStatus::try_from(value).ok()?.as_str_name();
    OrderStatus::parse(name.strip_prefix("ORDER_STATUS_")?)
}

/// Reads a window from `field`, recording what is wrong with it.
pub(crate) fn read_window(
    violations: &mut Violations,
    field: &str,
    window: Option<&pb::TimeWindow>,
) -> Option<Window> {
    let Some(window) = window else {
        violations.add(field, "is required");
        return None;
    };
    let start = read_time(
        violations,
        &format!("{field}.start_time"),
        window.start_time.as_ref(),
    );
    let end = read_time(
        violations,
        &format!("{field}.end_time"),
        window.end_time.as_ref(),
    );
    Some(Window {
        start: start?,
        end: end?,
    })
}

/// Reads a required timestamp from `field`.
pub(crate) fn read_time(
    violations: &mut Violations,
    field: &str,
    time: Option<&prost_types::Timestamp>,
) -> Option<DateTime<Utc>> {
    violations.required_time(field, time)
}

/// Reads ListOrders' filter, recording every bad field.
pub(crate) fn read_filter(
    violations: &mut Violations,
    filter: Option<&pb::OrderFilter>,
) -> ListFilter {
    let Some(filter) = filter else {
        return ListFilter::default();
    };
    let mut read = ListFilter::default();
    // filter.customer_id may be a customer code, resolved by the caller of this.
    if filter.statuses.len() > 10 {
        violations.add("filter.statuses", "at most 10 statuses");
    }
    for (index, &status) in filter.statuses.iter().enumerate() {
        match status_from_proto(status) {
            Some(status) => read.statuses.push(status),
            None => violations.add(format!("filter.statuses[{index}]"), "is not a known status"),
        }
    }
    if filter.mode != 0 {
        read.mode = mode_from_proto(filter.mode);
        if read.mode.is_none() {
            violations.add("filter.mode", "is not a known transport mode");
        }
    }
    if !filter.region_code_prefix.is_empty() {
        // Letter case is forgiven here: a filter only reads.
        let prefix = filter.region_code_prefix.to_ascii_uppercase();
        if is_region_code_prefix(&prefix) {
            read.region_code_prefix = Some(prefix);
        } else {
            violations.add("filter.region_code_prefix", REGION_CODE_PREFIX_RULE);
        }
    }
    let mut time = |field: &str, value: Option<&prost_types::Timestamp>| {
        value.and_then(|value| read_time(violations, field, Some(value)))
    };
    read.created_after = time(
        "filter.create_time_after",
        filter.create_time_after.as_ref(),
    );
    read.created_before = time(
        "filter.create_time_before",
        filter.create_time_before.as_ref(),
    );
    if !filter.customer_reference.is_empty() {
        let before = violations.len();
        violations.limit_text(
            "filter.customer_reference",
            &filter.customer_reference,
            MAX_REFERENCE_CHARS,
        );
        if violations.len() == before {
            read.customer_reference = Some(filter.customer_reference.clone());
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_named_by_id_order_number_or_tracking_number() {
        let id = uuid::Uuid::now_v7();
        let tracking = crate::domain::numbers::tracking_number(42).unwrap();
        let last = tracking.as_bytes()[11] - b'0';
        let miskeyed = format!("{}{}", &tracking[..11], (last + 1) % 10);
        let cases = [
            (id.to_string(), Some(OrderRef::Id(id))),
            (
                "O2026112300000042".to_owned(),
                Some(OrderRef::Number("O2026112300000042".to_owned())),
            ),
            (tracking.clone(), Some(OrderRef::Tracking(tracking))),
            (miskeyed, None),
            ("x".repeat(65), None),
            (String::new(), None),
        ];
        for (text, expected) in cases {
            let mut violations = Violations::new();
            let parsed = order_ref_field(&mut violations, "id", &text);
            assert_eq!(parsed, expected, "{text}");
            assert_eq!(violations.is_empty(), expected.is_some(), "{text}");
        }
    }
}

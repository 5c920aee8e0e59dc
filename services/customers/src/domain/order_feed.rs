//! What the orders service's events mean to a customer's record: the rules, free of I/O.
//!
//! Two events matter. `order.created` shows the customer engaging again: a PROSPECT, DORMANT or
//! CHURNED customer becomes ACTIVE (as a shipment makes it, see [`super::lifecycle`]) and the
//! inactivity clock restarts. `order.delivered` is the shipment itself: it counts toward activity
//! and spend (hence the grade), sets the last shipment time, earns loyalty points and is owed a
//! thank-you contact within 24 hours. The others change nothing here: a cancelled order was never
//! delivered, so it never counted; a returned order was never delivered either (RETURNED_TO_SENDER
//! is a side state, not a delivery); confirmations, pickups and route changes are the orders
//! service's own business.

use chrono::{DateTime, TimeDelta, Utc};

use super::customer::Status;
use super::loyalty::MAX_AWARD_AMOUNT_MINOR;

/// How long after a delivery its thank-you contact is due (DOMAIN.md: within 24 hours).
pub(crate) const THANK_YOU_DELAY: TimeDelta = TimeDelta::hours(24);

/// The only currency a customer's spend and points are kept in.
pub(crate) const CURRENCY: &str = "CNY";

/// A delivered order's price that cannot count as spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PriceProblem {
    /// Not in CNY: adding it to fen would be wrong.
    Currency(String),
    /// Negative, or beyond any real shipment.
    OutOfRange(i64),
}

impl std::fmt::Display for PriceProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Currency(code) => write!(f, "price in {code:?}, not {CURRENCY}"),
            Self::OutOfRange(fen) => write!(f, "price of {fen} fen is out of range"),
        }
    }
}

/// The spend (fen) a delivered order adds, from its price as (currency, minor units); no price
/// is no spend. A price that cannot count is refused with why; the delivery still counts as a
/// shipment then, with no spend and no points.
pub(crate) fn spend_of(price: Option<(&str, i64)>) -> Result<i64, PriceProblem> {
    let Some((currency, fen)) = price else {
        return Ok(0);
    };
    if fen == 0 {
        return Ok(0);
    }
    if currency != CURRENCY {
        return Err(PriceProblem::Currency(currency.to_owned()));
    }
    if !(0..=MAX_AWARD_AMOUNT_MINOR).contains(&fen) {
        return Err(PriceProblem::OutOfRange(fen));
    }
    Ok(fen)
}

/// When something the orders service reports happened, for the customer's record: the reported
/// time, or when the event was written if the report has none; never later than `now`, so a peer
/// whose clock runs ahead cannot date a shipment in the future (where the grading windows, which
/// end at now, would not see it yet).
pub(crate) fn effective_time(
    reported: Option<DateTime<Utc>>,
    written: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    reported.unwrap_or(written).min(now)
}

/// When the thank-you contact for a delivery at `delivery_time` is due.
pub(crate) fn thank_you_due(delivery_time: DateTime<Utc>) -> DateTime<Utc> {
    delivery_time + THANK_YOU_DELAY
}

/// The status-history reason of a customer made ACTIVE from `from` by placing an order.
pub(crate) fn ordered_reason(from: Status, order_number: &str) -> String {
    match from {
        Status::Prospect => format!("first order (order {order_number})"),
        _ => format!("ordered again (order {order_number})"),
    }
}

/// The status-history reason of a customer made ACTIVE by a delivery.
pub(crate) fn delivered_reason(order_number: &str) -> String {
    format!("shipped (order {order_number} delivered)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().into()
    }

    #[test]
    fn a_price_counts_as_spend_only_in_cny_and_in_range() {
        let cases = [
            (None, Ok(0)),
            (Some(("CNY", 0)), Ok(0)),
            (Some(("", 0)), Ok(0)),
            (Some(("CNY", 12_345)), Ok(12_345)),
            (
                Some(("CNY", MAX_AWARD_AMOUNT_MINOR)),
                Ok(MAX_AWARD_AMOUNT_MINOR),
            ),
            (
                Some(("CNY", MAX_AWARD_AMOUNT_MINOR + 1)),
                Err(PriceProblem::OutOfRange(MAX_AWARD_AMOUNT_MINOR + 1)),
            ),
            (Some(("CNY", -5)), Err(PriceProblem::OutOfRange(-5))),
            (
                Some(("USD", 100)),
                Err(PriceProblem::Currency("USD".to_owned())),
            ),
            (Some(("", 100)), Err(PriceProblem::Currency(String::new()))),
        ];
        for (price, expected) in cases {
            assert_eq!(spend_of(price), expected, "{price:?}");
        }
    }

    #[test]
    fn a_reported_time_is_used_when_present_and_never_lies_in_the_future() {
        let now = at("2026-03-01T12:00:00Z");
        let written = at("2026-03-01T11:00:00Z");
        let cases = [
            (Some(at("2026-02-27T08:00:00Z")), at("2026-02-27T08:00:00Z")),
            (None, written),
            (Some(at("2026-03-01T12:30:00Z")), now),
        ];
        for (reported, expected) in cases {
            assert_eq!(
                effective_time(reported, written, now),
                expected,
                "{reported:?}"
            );
        }
    }

    #[test]
    fn the_thank_you_is_due_a_day_after_the_delivery() {
        assert_eq!(
            thank_you_due(at("2026-03-01T23:30:00+08:00")),
            at("2026-03-02T23:30:00+08:00")
        );
    }

    #[test]
    fn status_reasons_name_the_order() {
        assert_eq!(
            ordered_reason(Status::Prospect, "O1"),
            "first order (order O1)"
        );
        assert_eq!(
            ordered_reason(Status::Dormant, "O1"),
            "ordered again (order O1)"
        );
        assert_eq!(delivered_reason("O1"), "shipped (order O1 delivered)");
    }
}

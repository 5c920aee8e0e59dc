//! Proof of delivery: what a delivery may record, and whether it was on time.

use chrono::{DateTime, Utc};

use super::status::{IllegalTransition, OrderStatus};
use super::tracking::FUTURE_TOLERANCE;

/// Largest signature or photo, in bytes.
const MAX_IMAGE_BYTES: usize = 1024 * 1024;

/// Media types accepted for signatures and photos: raster images only, recognised by their
/// first bytes, so nothing that can carry script (SVG, HTML) is stored and served back.
const IMAGE_TYPES: &[(&str, &[u8])] = &[
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
];

/// What is wrong with an image, if anything: the part at fault (`content_type` or `content`)
/// and why.
pub(crate) fn image_problem(content_type: &str, content: &[u8]) -> Option<(&'static str, String)> {
    let Some((_, magic)) = IMAGE_TYPES.iter().find(|(name, _)| *name == content_type) else {
        return Some(("content_type", "must be image/png or image/jpeg".to_owned()));
    };
    let problem = if content.is_empty() {
        "is required".to_owned()
    } else if content.len() > MAX_IMAGE_BYTES {
        format!(
            "must be at most {MAX_IMAGE_BYTES} bytes (got {})",
            content.len()
        )
    } else if !content.starts_with(magic) {
        format!("is not an {content_type} image")
    } else {
        return None;
    };
    Some(("content", problem))
}

/// What is wrong with the counts of damaged and missing pieces of an order of `total` pieces.
pub(crate) fn pieces_problem(
    damaged: i32,
    missing: i32,
    total: i32,
) -> Option<(&'static str, String)> {
    if !(0..=total).contains(&damaged) {
        return Some(("damaged_pieces", format!("must be 0 to {total}")));
    }
    if !(0..=total).contains(&missing) {
        return Some(("missing_pieces", format!("must be 0 to {total}")));
    }
    if damaged + missing > total {
        return Some((
            "missing_pieces",
            format!("with damaged_pieces must be at most the order's {total} pieces"),
        ));
    }
    None
}

/// Why a delivery cannot be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DeliveryRefused {
    /// The order's status does not allow DELIVERED.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// The delivery time is in the future.
    #[error("delivery_time is more than 5 minutes in the future")]
    FutureTime,
    /// The delivery time is before the pickup.
    #[error("delivery_time is before the pickup")]
    BeforePickup,
}

/// Checks that an order in `status`, picked up at `pickup_time`, can be delivered at
/// `delivery_time`, seen at `now`.
pub(crate) fn check_delivery(
    status: OrderStatus,
    pickup_time: Option<DateTime<Utc>>,
    delivery_time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DeliveryRefused> {
    status.transition(OrderStatus::Delivered)?;
    if delivery_time > now + FUTURE_TOLERANCE {
        return Err(DeliveryRefused::FutureTime);
    }
    if pickup_time.is_some_and(|pickup| delivery_time < pickup) {
        return Err(DeliveryRefused::BeforePickup);
    }
    Ok(())
}

/// Whether a delivery at `delivery_time` kept the promise (on-time arrival KPI): at or before it.
pub(crate) fn on_time(delivery_time: DateTime<Utc>, promised: DateTime<Utc>) -> bool {
    delivery_time <= promised
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\nrest";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0rest";

    #[test]
    fn images_are_checked_by_type_size_and_content() {
        let big = [PNG, &vec![0u8; MAX_IMAGE_BYTES][..]].concat();
        let cases: &[(&str, &[u8], bool)] = &[
            ("image/png", PNG, true),
            ("image/jpeg", JPEG, true),
            ("image/png", JPEG, false),
            ("image/svg+xml", b"<svg/>", false),
            ("", PNG, false),
            ("image/png", b"", false),
            ("image/png", &big, false),
            ("image/png", &big[..MAX_IMAGE_BYTES], true),
        ];
        for (content_type, content, ok) in cases {
            assert_eq!(
                image_problem(content_type, content).is_none(),
                *ok,
                "{content_type} of {} bytes",
                content.len()
            );
        }
    }

    #[test]
    fn damaged_and_missing_pieces_stay_within_the_order() {
        let cases = [
            (0, 0, 3, None),
            (3, 0, 3, None),
            (1, 2, 3, None),
            (-1, 0, 3, Some("damaged_pieces")),
            (4, 0, 3, Some("damaged_pieces")),
            (0, 4, 3, Some("missing_pieces")),
            (2, 2, 3, Some("missing_pieces")),
        ];
        for (damaged, missing, total, field) in cases {
            assert_eq!(
                pieces_problem(damaged, missing, total).map(|(field, _)| field),
                field,
                "{damaged} damaged, {missing} missing of {total}"
            );
        }
    }

    #[test]
    fn delivery_is_legal_from_the_statuses_on_the_way_only() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let pickup = Some(now - Duration::hours(5));
        for &status in OrderStatus::ALL {
            let legal = matches!(
                status,
                OrderStatus::PickedUp
                    | OrderStatus::InTransit
                    | OrderStatus::OutForDelivery
                    | OrderStatus::Exception
            );
            assert_eq!(
                check_delivery(status, pickup, now, now).is_ok(),
                legal,
                "{status:?}"
            );
        }
        let on_the_way = OrderStatus::OutForDelivery;
        assert_eq!(
            check_delivery(on_the_way, pickup, now + Duration::minutes(6), now),
            Err(DeliveryRefused::FutureTime)
        );
        assert_eq!(
            check_delivery(on_the_way, pickup, now - Duration::hours(6), now),
            Err(DeliveryRefused::BeforePickup)
        );
    }

    #[test]
    fn on_time_means_no_later_than_promised() {
        let promised = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert!(on_time(promised, promised));
        assert!(on_time(promised - Duration::seconds(1), promised));
        assert!(!on_time(promised + Duration::seconds(1), promised));
    }
}

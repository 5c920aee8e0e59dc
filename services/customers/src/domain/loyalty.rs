//! Loyalty points: how many a shipment earns, when lots expire, and which lots a spend uses.
//!
//! Points added to an account form a lot that expires [`LOT_LIFETIME_DAYS`] after it was added.
//! Spending (redemptions, negative adjustments) takes from the lot that expires first, so the
//! oldest points go first, and never takes more than the unexpired points.

use chrono::{DateTime, Duration, Utc};
use logistics_platform::named_enum;

named_enum! {
    /// What moved points on an account.
    MovementKind {
        /// Earned by a shipment.
        Earn = "EARN",
        /// Spent.
        Redeem = "REDEEM",
        /// Set by hand, either way.
        Adjust = "ADJUST",
        /// A lot ran out.
        Expire = "EXPIRE",
    }
}

/// Fen of shipment price per point: DOMAIN.md's default of 1 point per 10 CNY (1,000 fen).
pub(crate) const FEN_PER_POINT: i64 = 1000;
/// Days a lot of points lives (DOMAIN.md: points expire after 365 days).
pub(crate) const LOT_LIFETIME_DAYS: i64 = 365;
/// How far ahead an account reports points about to expire.
pub(crate) const EXPIRY_NOTICE_DAYS: i64 = 30;
/// Largest manual adjustment or redemption, either way.
pub(crate) const MAX_POINTS_PER_MOVEMENT: i64 = 1_000_000;
/// Largest shipment price accepted for an award: 10 billion CNY, far past any real shipment.
pub(crate) const MAX_AWARD_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// Points earned by a shipment price in fen: whole points only, the rest is dropped.
pub(crate) fn points_for_spend(amount_minor: i64) -> i64 {
    amount_minor.max(0) / FEN_PER_POINT
}

/// When points added at `earn_time` expire.
pub(crate) fn expire_time_of(earn_time: DateTime<Utc>) -> DateTime<Utc> {
    earn_time + Duration::days(LOT_LIFETIME_DAYS)
}

/// A lot expires at its expiry instant: from then on its points are gone.
pub(crate) fn is_expired(expire_time: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expire_time <= now
}

/// Points left of one lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lot {
    /// The lot's id; ties on expiry are broken by it (older lots have lower ids).
    pub(crate) id: i64,
    /// Points not yet spent or expired.
    pub(crate) remaining: i64,
    /// When they expire.
    pub(crate) expire_time: DateTime<Utc>,
}

/// Which lots pay for a spend: (lot id, points taken from it), in the order taken.
pub(crate) type Takes = Vec<(i64, i64)>;

/// A spend larger than the unexpired points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Insufficient {
    /// Unexpired points.
    pub(crate) balance: i64,
    /// Points asked for.
    pub(crate) requested: i64,
}

/// Unexpired points of `lots` at `now`.
pub(crate) fn available(lots: &[Lot], now: DateTime<Utc>) -> i64 {
    lots.iter()
        .filter(|lot| !is_expired(lot.expire_time, now))
        .map(|lot| lot.remaining)
        .sum()
}

/// Which lots pay for spending `points` at `now`, and how much each gives: oldest first,
/// expired lots skipped. Refuses when the unexpired points do not cover it.
pub(crate) fn consume_fifo(
    lots: &[Lot],
    points: i64,
    now: DateTime<Utc>,
) -> Result<Takes, Insufficient> {
    let balance = available(lots, now);
    if points > balance {
        return Err(Insufficient {
            balance,
            requested: points,
        });
    }
    let mut usable: Vec<&Lot> = lots
        .iter()
        .filter(|lot| lot.remaining > 0 && !is_expired(lot.expire_time, now))
        .collect();
    usable.sort_by_key(|lot| (lot.expire_time, lot.id));
    let mut left = points;
    let mut takes = Vec::new();
    for lot in usable {
        if left == 0 {
            break;
        }
        let take = left.min(lot.remaining);
        takes.push((lot.id, take));
        left -= take;
    }
    Ok(takes)
}

/// Points of unexpired lots that expire within the notice window, and the earliest such expiry.
pub(crate) fn expiring_soon(lots: &[Lot], now: DateTime<Utc>) -> (i64, Option<DateTime<Utc>>) {
    let horizon = now + Duration::days(EXPIRY_NOTICE_DAYS);
    let soon = lots.iter().filter(|lot| {
        lot.remaining > 0 && !is_expired(lot.expire_time, now) && lot.expire_time <= horizon
    });
    soon.fold((0, None), |(points, first), lot| {
        let first = match first {
            Some(first) if first <= lot.expire_time => Some(first),
            _ => Some(lot.expire_time),
        };
        (points + lot.remaining, first)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn lot(id: i64, remaining: i64, days_left: i64) -> Lot {
        Lot {
            id,
            remaining,
            expire_time: now() + Duration::days(days_left),
        }
    }

    #[test]
    fn a_point_is_earned_per_full_ten_yuan() {
        let cases = [
            (-5, 0),
            (0, 0),
            (999, 0),
            (1000, 1),
            (1999, 1),
            (2000, 2),
            (123_456, 123),
            (MAX_AWARD_AMOUNT_MINOR, 1_000_000_000),
        ];
        for (fen, points) in cases {
            assert_eq!(points_for_spend(fen), points, "{fen} fen");
        }
    }

    #[test]
    fn a_lot_expires_exactly_365_days_after_it_was_earned() {
        let earned = now();
        let expires = expire_time_of(earned);
        assert_eq!(expires - earned, Duration::days(365));
        let cases = [
            (Duration::days(364), false),
            (Duration::days(365) - Duration::seconds(1), false),
            (Duration::days(365), true),
            (Duration::days(366), true),
        ];
        for (age, expired) in cases {
            assert_eq!(is_expired(expires, earned + age), expired, "age {age}");
        }
    }

    #[test]
    fn spending_takes_the_oldest_lots_first_and_never_overdraws() {
        let lots = [
            lot(3, 50, 300),
            lot(1, 30, 10),
            lot(2, 20, 10),
            lot(4, 99, 0),
        ];
        // Lot 4 expires right now: it does not count.
        assert_eq!(available(&lots, now()), 100);
        let cases: &[(i64, Result<Takes, Insufficient>)] = &[
            (1, Ok(vec![(1, 1)])),
            (30, Ok(vec![(1, 30)])),
            (31, Ok(vec![(1, 30), (2, 1)])),
            (50, Ok(vec![(1, 30), (2, 20)])),
            (100, Ok(vec![(1, 30), (2, 20), (3, 50)])),
            (
                101,
                Err(Insufficient {
                    balance: 100,
                    requested: 101,
                }),
            ),
        ];
        for (points, expected) in cases {
            assert_eq!(&consume_fifo(&lots, *points, now()), expected, "{points}");
        }
        assert_eq!(
            consume_fifo(&[], 1, now()),
            Err(Insufficient {
                balance: 0,
                requested: 1
            })
        );
    }

    #[test]
    fn points_expiring_within_thirty_days_are_reported_with_the_first_expiry() {
        let lots = [
            lot(1, 10, 0),
            lot(2, 20, 5),
            lot(3, 30, 30),
            lot(4, 40, 31),
            lot(5, 0, 2),
        ];
        assert_eq!(
            expiring_soon(&lots, now()),
            (50, Some(now() + Duration::days(5)))
        );
        assert_eq!(expiring_soon(&[lot(1, 10, 31)], now()), (0, None));
    }
}

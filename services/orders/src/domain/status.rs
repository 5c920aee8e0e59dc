//! The order status machine of DOMAIN.md: which moves are legal, and which way is forward.

use logistics_platform::named_enum;

named_enum! {
    /// Where an order stands.
    OrderStatus {
        /// Accepted and quoted.
        Created = "CREATED",
        /// Confirmed: it will be picked up.
        Confirmed = "CONFIRMED",
        /// A pickup is scheduled.
        PickupScheduled = "PICKUP_SCHEDULED",
        /// Collected.
        PickedUp = "PICKED_UP",
        /// Between hubs.
        InTransit = "IN_TRANSIT",
        /// On the delivering vehicle.
        OutForDelivery = "OUT_FOR_DELIVERY",
        /// Delivered. Final.
        Delivered = "DELIVERED",
        /// Something went wrong on the way; it may recover.
        Exception = "EXCEPTION",
        /// Sent back. Final.
        ReturnedToSender = "RETURNED_TO_SENDER",
        /// Cancelled before pickup. Final.
        Cancelled = "CANCELLED",
    }
}

/// A refused move: the order is in `from` and cannot go to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {} to {}", from.as_str(), to.as_str())]
pub(crate) struct IllegalTransition {
    /// Where the order is.
    pub(crate) from: OrderStatus,
    /// Where it was asked to go.
    pub(crate) to: OrderStatus,
}

impl OrderStatus {
    /// Whether nothing can happen to the order any more.
    pub(crate) fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered | Self::ReturnedToSender | Self::Cancelled
        )
    }

    /// Whether DOMAIN.md allows the move from `self` to `to`.
    fn can_become(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        match self {
            Created => matches!(to, Confirmed | Cancelled),
            Confirmed => matches!(to, PickupScheduled | PickedUp | Cancelled),
            PickupScheduled => matches!(to, Confirmed | PickedUp | Cancelled),
            PickedUp => matches!(
                to,
                InTransit | OutForDelivery | Delivered | Exception | ReturnedToSender
            ),
            InTransit => matches!(
                to,
                OutForDelivery | Delivered | Exception | ReturnedToSender
            ),
            OutForDelivery => matches!(to, InTransit | Delivered | Exception | ReturnedToSender),
            Exception => matches!(
                to,
                InTransit | OutForDelivery | Delivered | ReturnedToSender
            ),
            Delivered | ReturnedToSender | Cancelled => false,
        }
    }

    /// The move from `self` to `to`, or why it is refused.
    pub(crate) fn transition(self, to: OrderStatus) -> Result<OrderStatus, IllegalTransition> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{self, *};

    /// Every legal move; everything else must be refused.
    const LEGAL: &[(OrderStatus, OrderStatus)] = &[
        (Created, Confirmed),
        (Created, Cancelled),
        (Confirmed, PickupScheduled),
        (Confirmed, PickedUp),
        (Confirmed, Cancelled),
        (PickupScheduled, Confirmed),
        (PickupScheduled, PickedUp),
        (PickupScheduled, Cancelled),
        (PickedUp, InTransit),
        (PickedUp, OutForDelivery),
        (PickedUp, Delivered),
        (PickedUp, Exception),
        (PickedUp, ReturnedToSender),
        (InTransit, OutForDelivery),
        (InTransit, Delivered),
        (InTransit, Exception),
        (InTransit, ReturnedToSender),
        (OutForDelivery, InTransit),
        (OutForDelivery, Delivered),
        (OutForDelivery, Exception),
        (OutForDelivery, ReturnedToSender),
        (Exception, InTransit),
        (Exception, OutForDelivery),
        (Exception, Delivered),
        (Exception, ReturnedToSender),
    ];

    #[test]
    fn every_pair_of_statuses_is_legal_exactly_when_the_domain_lists_it() {
        for &from in OrderStatus::ALL {
            for &to in OrderStatus::ALL {
                let listed = LEGAL.contains(&(from, to));
                assert_eq!(from.can_become(to), listed, "{from:?} -> {to:?}");
                match from.transition(to) {
                    Ok(status) => assert_eq!(status, to),
                    Err(refused) => {
                        assert!(!listed);
                        assert_eq!((refused.from, refused.to), (from, to));
                    }
                }
            }
        }
    }

    #[test]
    fn final_statuses_go_nowhere() {
        for &status in OrderStatus::ALL.iter().filter(|status| status.is_final()) {
            assert!(OrderStatus::ALL.iter().all(|&to| !status.can_become(to)));
        }
    }

    /// Whether the goods have not been collected yet: only this rule's test asks.
    fn is_before_pickup(status: OrderStatus) -> bool {
        matches!(status, Created | Confirmed | PickupScheduled)
    }

    #[test]
    fn cancelling_is_possible_exactly_before_pickup() {
        for &status in OrderStatus::ALL {
            assert_eq!(
                status.can_become(Cancelled),
                is_before_pickup(status),
                "{status:?}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for &status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
    }
}

//! How tracking events move an order: applied in the order they occurred, late ones kept without
//! moving the status back, every move checked against the status machine.

use chrono::{DateTime, Duration, Utc};
use logistics_platform::named_enum;

use super::status::{IllegalTransition, OrderStatus};

named_enum! {
    /// What a tracking event reports.
    EventCode {
        /// Collected from the sender.
        PickedUp = "PICKED_UP",
        /// Arrived at a hub.
        ArrivedAtHub = "ARRIVED_AT_HUB",
        /// Left a hub.
        DepartedHub = "DEPARTED_HUB",
        /// On the way.
        InTransit = "IN_TRANSIT",
        /// On the delivering vehicle.
        OutForDelivery = "OUT_FOR_DELIVERY",
        /// A delivery attempt failed.
        DeliveryAttempted = "DELIVERY_ATTEMPTED",
        /// Delayed, with a new estimate.
        Delayed = "DELAYED",
        /// Something went wrong.
        Exception = "EXCEPTION",
        /// The exception is resolved.
        ExceptionCleared = "EXCEPTION_CLEARED",
        /// Re-routed on the way.
        RouteChanged = "ROUTE_CHANGED",
        /// Sent back to the sender.
        ReturnedToSender = "RETURNED_TO_SENDER",
        /// Delivered (written by RecordDelivery only).
        Delivered = "DELIVERED",
    }
}

named_enum! {
    /// Who reported an event.
    EventSource {
        /// A barcode scanner.
        Scanner = "SCANNER",
        /// A partner carrier's feed.
        Partner = "PARTNER",
        /// The driver's app.
        DriverApp = "DRIVER_APP",
        /// The suite itself.
        System = "SYSTEM",
    }
}

/// How far in the future of the server's clock an event may occur: scanners' clocks drift.
pub(crate) const FUTURE_TOLERANCE: Duration = Duration::minutes(5);
/// How long before the order's creation an event may occur (clock skew, orders keyed in after
/// the goods were handed over). It also bounds the partitions an order's events are looked up in.
pub(crate) const BEFORE_ORDER_TOLERANCE: Duration = Duration::days(1);

impl EventCode {
    /// The status the code stands for, when it stands for one. EXCEPTION_CLEARED depends on the
    /// order's status and is resolved by [`apply`].
    pub(crate) fn status(self) -> Option<OrderStatus> {
        match self {
            Self::PickedUp => Some(OrderStatus::PickedUp),
            Self::ArrivedAtHub | Self::DepartedHub | Self::InTransit => {
                Some(OrderStatus::InTransit)
            }
            Self::OutForDelivery => Some(OrderStatus::OutForDelivery),
            Self::Exception => Some(OrderStatus::Exception),
            Self::ReturnedToSender => Some(OrderStatus::ReturnedToSender),
            Self::Delivered => Some(OrderStatus::Delivered),
            Self::DeliveryAttempted
            | Self::Delayed
            | Self::ExceptionCleared
            | Self::RouteChanged => None,
        }
    }
}

/// Whether the goods are on their way: picked up, and neither delivered nor returned.
pub(crate) fn is_on_the_way(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::PickedUp
            | OrderStatus::InTransit
            | OrderStatus::OutForDelivery
            | OrderStatus::Exception
    )
}

/// What tracking knows of an order; [`apply`] updates it event by event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrackingState {
    /// Current status.
    pub(crate) status: OrderStatus,
    /// When the status last changed.
    pub(crate) status_time: DateTime<Utc>,
    /// When the order was created.
    pub(crate) create_time: DateTime<Utc>,
    /// When the newest accepted event occurred.
    pub(crate) last_movement_time: Option<DateTime<Utc>>,
    /// When the goods were picked up.
    pub(crate) pickup_time: Option<DateTime<Utc>>,
    /// When delivery is now expected.
    pub(crate) estimated_delivery_time: DateTime<Utc>,
    /// Whether the route was changed on the way.
    pub(crate) route_changed: bool,
}

/// The facts of an event that decide what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IncomingEvent {
    /// What happened.
    pub(crate) code: EventCode,
    /// When it happened.
    pub(crate) occur_time: DateTime<Utc>,
    /// For DELAYED: the new estimate.
    pub(crate) new_estimated_delivery_time: Option<DateTime<Utc>>,
}

/// An accepted event and what it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Stored behind a newer event: it moved nothing.
    pub(crate) late: bool,
    /// The status move it made, from and to.
    pub(crate) moved: Option<(OrderStatus, OrderStatus)>,
    /// It set the pickup time.
    pub(crate) picked_up: bool,
}

/// Why an event is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Rejection {
    /// Occurs too far in the future.
    #[error("the event occurs more than 5 minutes in the future")]
    FutureTime,
    /// Occurs long before the order existed.
    #[error("the event occurs more than a day before the order was created")]
    BeforeOrder,
    /// The move is not a legal transition.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// A code without a status on an order whose goods are not on their way.
    #[error("{} needs the goods on their way; the order is {}", code.as_str(), status.as_str())]
    NotOnTheWay {
        /// The event's code.
        code: EventCode,
        /// The order's status.
        status: OrderStatus,
    },
    /// The order is cancelled.
    #[error("the order is cancelled")]
    OrderCancelled,
    /// DELIVERED through the event API.
    #[error("DELIVERED is recorded with RecordDelivery, which takes the proof of delivery")]
    DeliveryNeedsProof,
}

/// Applies one event to `state` at `now` (the receiving clock), or says why it is refused; a
/// refused event leaves `state` as it was.
pub(crate) fn apply(
    state: &mut TrackingState,
    event: &IncomingEvent,
    now: DateTime<Utc>,
) -> Result<Applied, Rejection> {
    if event.code == EventCode::Delivered {
        return Err(Rejection::DeliveryNeedsProof);
    }
    check_time(state, event.occur_time, now)?;
    if state.status == OrderStatus::Cancelled {
        return Err(Rejection::OrderCancelled);
    }
    let late = state
        .last_movement_time
        .is_some_and(|newest| event.occur_time < newest);
    let moved = if late {
        None
    } else {
        forward_move(state, event)?
    };

    // Past this point the event is accepted.
    let mut applied = Applied {
        late,
        moved,
        picked_up: false,
    };
    if event.code == EventCode::PickedUp && state.pickup_time.is_none() {
        state.pickup_time = Some(event.occur_time);
        applied.picked_up = true;
    }
    if event.code == EventCode::RouteChanged {
        state.route_changed = true;
    }
    if late {
        return Ok(applied);
    }
    state.last_movement_time = Some(event.occur_time);
    if let Some((_, to)) = moved {
        state.status = to;
        state.status_time = event.occur_time;
    }
    if let (EventCode::Delayed, Some(estimate)) = (event.code, event.new_estimated_delivery_time) {
        state.estimated_delivery_time = estimate;
    }
    Ok(applied)
}

/// The bounds every event's and delivery's time must keep.
fn check_time(
    state: &TrackingState,
    occur_time: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Rejection> {
    if occur_time > now + FUTURE_TOLERANCE {
        return Err(Rejection::FutureTime);
    }
    if occur_time < state.create_time - BEFORE_ORDER_TOLERANCE {
        return Err(Rejection::BeforeOrder);
    }
    Ok(())
}

/// The move a newer event makes, `None` when it keeps the status, or why it may not happen.
fn forward_move(
    state: &TrackingState,
    event: &IncomingEvent,
) -> Result<Option<(OrderStatus, OrderStatus)>, Rejection> {
    let from = state.status;
    let target = match event.code {
        EventCode::ExceptionCleared if from == OrderStatus::Exception => {
            Some(OrderStatus::InTransit)
        }
        code => code.status(),
    };
    match target {
        // Nothing newer than a delivery or a return can happen, not even "the same again".
        Some(to) if from.is_final() => Err(IllegalTransition { from, to }.into()),
        Some(to) if to == from => Ok(None),
        Some(to) => from
            .transition(to)
            .map(|to| Some((from, to)))
            .map_err(Into::into),
        None if is_on_the_way(from) => Ok(None),
        None => Err(Rejection::NotOnTheWay {
            code: event.code,
            status: from,
        }),
    }
}

/// Applies events in the order they occurred (ties in the order given). Returns each event's
/// position in `events` with its outcome, in the order they were applied: the order in which
/// they are recorded.
pub(crate) fn apply_in_time_order(
    state: &mut TrackingState,
    events: &[IncomingEvent],
    now: DateTime<Utc>,
) -> Vec<(usize, Result<Applied, Rejection>)> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&index| (events[index].occur_time, index));
    order
        .into_iter()
        .map(|index| (index, apply(state, &events[index], now)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::EventCode::{self, *};
    use super::*;
    use OrderStatus as S;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn state(status: OrderStatus, last_movement: Option<i64>) -> TrackingState {
        TrackingState {
            status,
            status_time: at(0),
            create_time: at(0),
            last_movement_time: last_movement.map(at),
            pickup_time: is_on_the_way(status).then(|| at(1)),
            estimated_delivery_time: at(3000),
            route_changed: false,
        }
    }

    fn event(code: EventCode, minutes: i64) -> IncomingEvent {
        IncomingEvent {
            code,
            occur_time: at(minutes),
            new_estimated_delivery_time: (code == Delayed).then(|| at(4000)),
        }
    }

    const NOW: i64 = 600;

    /// (status, newest event at, event, occurs at, expected status after, expected late / refusal)
    #[test]
    fn events_move_forward_keep_or_are_refused() {
        type Case = (
            OrderStatus,
            Option<i64>,
            EventCode,
            i64,
            Result<OrderStatus, &'static str>,
        );
        let cases: &[Case] = &[
            // Forward along the main line.
            (S::Confirmed, None, PickedUp, 10, Ok(S::PickedUp)),
            (S::PickupScheduled, None, PickedUp, 10, Ok(S::PickedUp)),
            (S::PickedUp, Some(10), ArrivedAtHub, 20, Ok(S::InTransit)),
            (S::InTransit, Some(20), DepartedHub, 30, Ok(S::InTransit)),
            (
                S::InTransit,
                Some(30),
                OutForDelivery,
                40,
                Ok(S::OutForDelivery),
            ),
            (S::OutForDelivery, Some(40), InTransit, 50, Ok(S::InTransit)),
            (
                S::OutForDelivery,
                Some(40),
                DeliveryAttempted,
                50,
                Ok(S::OutForDelivery),
            ),
            (S::InTransit, Some(30), Exception, 40, Ok(S::Exception)),
            (S::Exception, Some(40), Exception, 50, Ok(S::Exception)),
            (
                S::Exception,
                Some(40),
                ExceptionCleared,
                50,
                Ok(S::InTransit),
            ),
            (
                S::InTransit,
                Some(40),
                ExceptionCleared,
                50,
                Ok(S::InTransit),
            ),
            (
                S::Exception,
                Some(40),
                OutForDelivery,
                50,
                Ok(S::OutForDelivery),
            ),
            (
                S::InTransit,
                Some(30),
                ReturnedToSender,
                40,
                Ok(S::ReturnedToSender),
            ),
            (S::InTransit, Some(30), Delayed, 40, Ok(S::InTransit)),
            (S::PickedUp, Some(30), RouteChanged, 40, Ok(S::PickedUp)),
            // An event at the same instant as the newest one is not late.
            (S::PickedUp, Some(30), InTransit, 30, Ok(S::InTransit)),
            // Late: stored, the status stays.
            (
                S::OutForDelivery,
                Some(40),
                ArrivedAtHub,
                20,
                Ok(S::OutForDelivery),
            ),
            (S::Delivered, Some(40), OutForDelivery, 30, Ok(S::Delivered)),
            (
                S::ReturnedToSender,
                Some(40),
                Exception,
                30,
                Ok(S::ReturnedToSender),
            ),
            // Illegal moves.
            (S::Created, None, PickedUp, 10, Err("illegal")),
            (S::Confirmed, None, ArrivedAtHub, 10, Err("illegal")),
            (S::PickupScheduled, None, OutForDelivery, 10, Err("illegal")),
            (S::Confirmed, None, Exception, 10, Err("illegal")),
            (S::Confirmed, None, ReturnedToSender, 10, Err("illegal")),
            (S::InTransit, Some(20), PickedUp, 30, Err("illegal")),
            (S::Delivered, Some(40), InTransit, 50, Err("illegal")),
            (S::Delivered, Some(40), ReturnedToSender, 50, Err("illegal")),
            (
                S::ReturnedToSender,
                Some(40),
                ReturnedToSender,
                50,
                Err("illegal"),
            ),
            (S::Confirmed, None, Delayed, 10, Err("not on the way")),
            (S::Created, None, RouteChanged, 10, Err("not on the way")),
            (
                S::Confirmed,
                None,
                ExceptionCleared,
                10,
                Err("not on the way"),
            ),
            (
                S::Delivered,
                Some(40),
                DeliveryAttempted,
                50,
                Err("not on the way"),
            ),
            // Refused whatever the status.
            (S::Cancelled, None, PickedUp, 10, Err("cancelled")),
            (S::OutForDelivery, Some(40), Delivered, 50, Err("proof")),
            (S::InTransit, Some(20), InTransit, NOW + 6, Err("future")),
            (
                S::Confirmed,
                None,
                PickedUp,
                -24 * 60 - 1,
                Err("before order"),
            ),
        ];
        for &(status, newest, code, minutes, expected) in cases {
            let mut order = state(status, newest);
            let before = order.clone();
            let outcome = apply(&mut order, &event(code, minutes), at(NOW));
            let label = format!("{status:?} newest {newest:?} + {code:?} at {minutes}");
            match (outcome, expected) {
                (Ok(applied), Ok(after)) => {
                    assert_eq!(order.status, after, "{label}");
                    let late = newest.is_some_and(|newest| minutes < newest);
                    assert_eq!(applied.late, late, "{label}");
                    assert_eq!(applied.moved.is_some(), after != status, "{label}");
                    if !late {
                        assert_eq!(order.last_movement_time, Some(at(minutes)), "{label}");
                    } else {
                        assert_eq!(
                            order.last_movement_time, before.last_movement_time,
                            "{label}"
                        );
                    }
                }
                (Err(refused), Err(kind)) => {
                    let matches = match refused {
                        Rejection::Illegal(_) => kind == "illegal",
                        Rejection::NotOnTheWay { .. } => kind == "not on the way",
                        Rejection::OrderCancelled => kind == "cancelled",
                        Rejection::DeliveryNeedsProof => kind == "proof",
                        Rejection::FutureTime => kind == "future",
                        Rejection::BeforeOrder => kind == "before order",
                    };
                    assert!(matches, "{label}: refused as {refused:?}, expected {kind}");
                    assert_eq!(order, before, "{label}: a refusal changes nothing");
                }
                (outcome, expected) => panic!("{label}: got {outcome:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn an_illegal_move_names_both_statuses() {
        let mut order = state(S::Confirmed, None);
        let refused = apply(&mut order, &event(OutForDelivery, 10), at(NOW)).unwrap_err();
        assert_eq!(
            refused,
            Rejection::Illegal(IllegalTransition {
                from: S::Confirmed,
                to: S::OutForDelivery
            })
        );
    }

    #[test]
    fn pickup_sets_the_pickup_time_and_status_time_once() {
        let mut order = state(S::PickupScheduled, None);
        let applied = apply(&mut order, &event(PickedUp, 10), at(NOW)).unwrap();
        assert!(applied.picked_up);
        assert_eq!(applied.moved, Some((S::PickupScheduled, S::PickedUp)));
        assert_eq!(order.pickup_time, Some(at(10)));
        assert_eq!(order.status_time, at(10));
        // A second pickup scan later keeps the first time.
        let again = apply(&mut order, &event(PickedUp, 20), at(NOW)).unwrap();
        assert!(!again.picked_up);
        assert_eq!(order.pickup_time, Some(at(10)));
    }

    #[test]
    fn delays_move_the_estimate_unless_late_and_route_changes_stick() {
        let mut order = state(S::InTransit, Some(30));
        apply(&mut order, &event(Delayed, 40), at(NOW)).unwrap();
        assert_eq!(order.estimated_delivery_time, at(4000));
        let mut late = state(S::InTransit, Some(30));
        apply(&mut late, &event(Delayed, 20), at(NOW)).unwrap();
        assert_eq!(late.estimated_delivery_time, at(3000));
        apply(&mut late, &event(RouteChanged, 10), at(NOW)).unwrap();
        assert!(late.route_changed);
    }

    #[test]
    fn a_batch_applies_in_occurrence_order_whatever_its_order() {
        let mut order = state(S::PickupScheduled, None);
        // Out-for-delivery first, then the hub scan, then the pickup: in time order they are legal.
        let events = [
            event(OutForDelivery, 30),
            event(ArrivedAtHub, 20),
            event(PickedUp, 10),
        ];
        let outcomes = apply_in_time_order(&mut order, &events, at(NOW));
        let applied_order: Vec<usize> = outcomes.iter().map(|(index, _)| *index).collect();
        assert_eq!(applied_order, [2, 1, 0]);
        assert!(
            outcomes
                .iter()
                .all(|(_, outcome)| matches!(outcome, Ok(a) if !a.late))
        );
        assert_eq!(order.status, S::OutForDelivery);
        assert_eq!(order.last_movement_time, Some(at(30)));
        assert_eq!(order.pickup_time, Some(at(10)));
    }

    #[test]
    fn a_refused_event_in_a_batch_does_not_stop_the_others() {
        let mut order = state(S::Confirmed, None);
        let events = [event(ArrivedAtHub, 5), event(PickedUp, 10)];
        let outcomes = apply_in_time_order(&mut order, &events, at(NOW));
        assert!(matches!(outcomes[0], (0, Err(Rejection::Illegal(_)))));
        assert!(matches!(outcomes[1], (1, Ok(_))));
        assert_eq!(order.status, S::PickedUp);
    }

    #[test]
    fn codes_and_sources_round_trip_by_name() {
        for &code in EventCode::ALL {
            assert_eq!(EventCode::parse(code.as_str()), Some(code));
        }
        for &source in EventSource::ALL {
            assert_eq!(EventSource::parse(source.as_str()), Some(source));
        }
    }
}

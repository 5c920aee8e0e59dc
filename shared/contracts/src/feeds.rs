//! What each service's change feed carries: every event's dotted type name follows from the
//! event itself, in one table per service, so no writer can file an event under the wrong name.

use crate::common::EventEnvelope;
use crate::{complaints, customers, orders};

/// A message of a `StreamChanges` stream: an envelope (id, cursor, time, type) and an event.
pub trait FeedMessage: prost::Message + Default + Send + Sync + 'static {
    /// The event's envelope; `None` is an error of the producer.
    fn envelope(&self) -> Option<&EventEnvelope>;
    /// Sets the envelope, as the feed's reader knows it.
    fn set_envelope(&mut self, envelope: EventEnvelope);
}

/// One event of a service's feed.
pub trait FeedEvent: Sized + Send {
    /// The feed message carrying it.
    type Message: FeedMessage;
    /// Its dotted type name on the feed, e.g. "customer.contact_added".
    fn event_type(&self) -> &'static str;
    /// The feed message carrying it, without an envelope (the feed adds it when read).
    fn into_message(self) -> Self::Message;
}

macro_rules! feed {
    ($package:ident) => {
        impl FeedMessage for $package::StreamChangesResponse {
            fn envelope(&self) -> Option<&EventEnvelope> {
                self.envelope.as_ref()
            }

            fn set_envelope(&mut self, envelope: EventEnvelope) {
                self.envelope = Some(envelope);
            }
        }
    };
}

feed!(customers);
feed!(orders);
feed!(complaints);

impl FeedEvent for customers::stream_changes_response::Event {
    type Message = customers::StreamChangesResponse;

    fn event_type(&self) -> &'static str {
        use customers::stream_changes_response::Event;
        match self {
            Event::CustomerCreated(_) => "customer.created",
            Event::CustomerUpdated(_) => "customer.updated",
            Event::CustomerDeleted(_) => "customer.deleted",
            Event::CustomerStatusChanged(_) => "customer.status_changed",
            Event::CustomerTierChanged(_) => "customer.tier_changed",
            Event::ActivityRecorded(_) => "customer.activity_recorded",
            Event::GradingPolicyUpdated(_) => "grading_policy.updated",
            Event::InteractionLogged(_) => "interaction.logged",
            Event::FollowUpScheduled(_) => "follow_up.scheduled",
            Event::FollowUpCompleted(_) => "follow_up.completed",
            Event::FollowUpMissed(_) => "follow_up.missed",
            Event::FollowUpCancelled(_) => "follow_up.cancelled",
            Event::SurveyRecorded(_) => "survey.recorded",
            Event::ContactAdded(_) => "customer.contact_added",
            Event::ContactUpdated(_) => "customer.contact_updated",
            Event::ContactRemoved(_) => "customer.contact_removed",
            Event::PersonalDataErased(_) => "customer.personal_data_erased",
            Event::PointsMoved(_) => "customer.points_moved",
        }
    }

    fn into_message(self) -> Self::Message {
        customers::StreamChangesResponse {
            envelope: None,
            event: Some(self),
        }
    }
}

impl FeedEvent for orders::stream_changes_response::Event {
    type Message = orders::StreamChangesResponse;

    fn event_type(&self) -> &'static str {
        use orders::stream_changes_response::Event;
        match self {
            Event::OrderCreated(_) => "order.created",
            Event::OrderConfirmed(_) => "order.confirmed",
            Event::OrderStatusChanged(_) => "order.status_changed",
            Event::PickupScheduled(_) => "order.pickup_scheduled",
            Event::PickupCancelled(_) => "order.pickup_cancelled",
            Event::VehicleDispatched(_) => "order.vehicle_dispatched",
            Event::OrderPickedUp(_) => "order.picked_up",
            Event::OrderDelivered(_) => "order.delivered",
            Event::OrderCancelled(_) => "order.cancelled",
            Event::OrderReturned(_) => "order.returned",
            Event::RouteChanged(_) => "order.route_changed",
            Event::TrackingEventsRecorded(_) => "tracking.events_recorded",
        }
    }

    fn into_message(self) -> Self::Message {
        orders::StreamChangesResponse {
            envelope: None,
            event: Some(self),
        }
    }
}

impl FeedEvent for complaints::stream_changes_response::Event {
    type Message = complaints::StreamChangesResponse;

    fn event_type(&self) -> &'static str {
        use complaints::stream_changes_response::Event;
        match self {
            Event::ComplaintFiled(_) => "complaint.filed",
            Event::ComplaintAcknowledged(_) => "complaint.acknowledged",
            Event::ComplaintAssigned(_) => "complaint.assigned",
            Event::ComplaintStatusChanged(_) => "complaint.status_changed",
            Event::ComplaintPaused(_) => "complaint.paused",
            Event::ComplaintResumed(_) => "complaint.resumed",
            Event::ComplaintWarned(_) => "complaint.warned",
            Event::ComplaintEscalated(_) => "complaint.escalated",
            Event::ComplaintResolved(_) => "complaint.resolved",
            Event::ComplaintReopened(_) => "complaint.reopened",
            Event::ComplaintClosed(_) => "complaint.closed",
            Event::ClaimReviewed(_) => "complaint.claim_reviewed",
            Event::ClaimPaid(_) => "complaint.claim_paid",
            Event::ComplaintRated(_) => "complaint.rated",
            Event::ComplaintPrioritySet(_) => "complaint.priority_set",
        }
    }

    fn into_message(self) -> Self::Message {
        complaints::StreamChangesResponse {
            envelope: None,
            event: Some(self),
        }
    }
}

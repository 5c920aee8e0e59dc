//! What each service's change feed carries: every event's dotted type name follows from the
//! event itself, in one table per service, so no writer can file an event under the wrong name,
//! and the same table lists the types a reader may ask a feed for.

use crate::common::{ChangeFeedStart, EventEnvelope};
use crate::{complaints, customers, orders};

/// A message of a `StreamChanges` stream: an envelope (id, cursor, time, type) and an event.
pub trait FeedMessage: prost::Message + Default + Send + Sync + 'static {
    /// The feed's `StreamChangesRequest`.
    type Request: prost::Message + Default + std::fmt::Debug + Send + 'static;
    /// Every event type the feed carries, as its envelopes name them.
    const EVENT_TYPES: &'static [&'static str];

    /// The event's envelope; `None` is an error of the producer.
    fn envelope(&self) -> Option<&EventEnvelope>;
    /// Sets the envelope, as the feed's reader knows it.
    fn set_envelope(&mut self, envelope: EventEnvelope);
    /// Whether the message is a checkpoint: a cursor past events the reader did not ask for,
    /// with no event.
    fn is_checkpoint(&self) -> bool {
        self.envelope()
            .is_some_and(|envelope| envelope.event_type.is_empty())
    }
    /// The request that reads the feed from `start`, only `event_types` (all of them if empty).
    fn request(start: Option<ChangeFeedStart>, event_types: Vec<String>) -> Self::Request;
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

/// A feed's table: each case of its event oneof with the type name it goes by.
macro_rules! feed {
    ($package:ident { $($case:ident => $name:literal,)+ }) => {
        impl FeedMessage for $package::StreamChangesResponse {
            type Request = $package::StreamChangesRequest;
            const EVENT_TYPES: &'static [&'static str] = &[$($name),+];

            fn envelope(&self) -> Option<&EventEnvelope> {
                self.envelope.as_ref()
            }

            fn set_envelope(&mut self, envelope: EventEnvelope) {
                self.envelope = Some(envelope);
            }

            fn request(
                start: Option<ChangeFeedStart>,
                event_types: Vec<String>,
            ) -> Self::Request {
                $package::StreamChangesRequest { start, event_types }
            }
        }

        impl FeedEvent for $package::stream_changes_response::Event {
            type Message = $package::StreamChangesResponse;

            fn event_type(&self) -> &'static str {
                use $package::stream_changes_response::Event;
                match self {
                    $(Event::$case(_) => $name,)+
                }
            }

            fn into_message(self) -> Self::Message {
                $package::StreamChangesResponse {
                    envelope: None,
                    event: Some(self),
                }
            }
        }
    };
}

feed!(customers {
    CustomerCreated => "customer.created",
    CustomerUpdated => "customer.updated",
    CustomerDeleted => "customer.deleted",
    CustomerStatusChanged => "customer.status_changed",
    CustomerTierChanged => "customer.tier_changed",
    ActivityRecorded => "customer.activity_recorded",
    GradingPolicyUpdated => "grading_policy.updated",
    InteractionLogged => "interaction.logged",
    FollowUpScheduled => "follow_up.scheduled",
    FollowUpCompleted => "follow_up.completed",
    FollowUpMissed => "follow_up.missed",
    FollowUpCancelled => "follow_up.cancelled",
    SurveyRecorded => "survey.recorded",
    ContactAdded => "customer.contact_added",
    ContactUpdated => "customer.contact_updated",
    ContactRemoved => "customer.contact_removed",
    PersonalDataErased => "customer.personal_data_erased",
    PointsMoved => "customer.points_moved",
});

feed!(orders {
    OrderCreated => "order.created",
    OrderConfirmed => "order.confirmed",
    OrderStatusChanged => "order.status_changed",
    PickupScheduled => "order.pickup_scheduled",
    PickupCancelled => "order.pickup_cancelled",
    VehicleDispatched => "order.vehicle_dispatched",
    OrderPickedUp => "order.picked_up",
    OrderDelivered => "order.delivered",
    OrderCancelled => "order.cancelled",
    OrderReturned => "order.returned",
    RouteChanged => "order.route_changed",
    TrackingEventsRecorded => "tracking.events_recorded",
});

feed!(complaints {
    ComplaintFiled => "complaint.filed",
    ComplaintAcknowledged => "complaint.acknowledged",
    ComplaintAssigned => "complaint.assigned",
    ComplaintStatusChanged => "complaint.status_changed",
    ComplaintPaused => "complaint.paused",
    ComplaintResumed => "complaint.resumed",
    ComplaintWarned => "complaint.warned",
    ComplaintEscalated => "complaint.escalated",
    ComplaintResolved => "complaint.resolved",
    ComplaintReopened => "complaint.reopened",
    ComplaintClosed => "complaint.closed",
    ClaimReviewed => "complaint.claim_reviewed",
    ClaimPaid => "complaint.claim_paid",
    ComplaintRated => "complaint.rated",
    ComplaintPrioritySet => "complaint.priority_set",
});

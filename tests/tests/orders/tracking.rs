//! End-to-end tests of TrackingService: events, reads, watches, deliveries and problem shipments.

mod bad_input;
mod cache;
mod customer_codes;
mod delivery;
mod events;
mod problems;
mod reads;
mod timeliness;
mod watch;

use chrono::{Duration, Utc};
use logistics_contracts::orders::{
    GetTrackingRequest, RecordTrackingEventsRequest, RecordTrackingEventsResponse, Tracking,
    TrackingEvent, TrackingEventCode, TrackingEventSource,
};
use logistics_platform::time::timestamp;
use logistics_tests::{TestApp, TrackingClient, create_customer, enterprise};

/// A scanner event of `code` on `tracking_number`, `minutes_ago` minutes ago.
pub fn scan(
    tracking_number: &str,
    client_event_id: &str,
    code: TrackingEventCode,
    minutes_ago: i64,
) -> TrackingEvent {
    TrackingEvent {
        client_event_id: client_event_id.to_owned(),
        tracking_number: tracking_number.to_owned(),
        code: code.into(),
        occur_time: Some(timestamp(Utc::now() - Duration::minutes(minutes_ago))),
        source: TrackingEventSource::Scanner.into(),
        source_name: "hub-sha-07".to_owned(),
        new_estimated_delivery_time: (code == TrackingEventCode::Delayed)
            .then(|| timestamp(Utc::now() + Duration::days(3))),
        ..Default::default()
    }
}

/// Records `events` in one batch.
pub async fn record(
    client: &mut TrackingClient,
    events: Vec<TrackingEvent>,
) -> RecordTrackingEventsResponse {
    client
        .record_tracking_events(RecordTrackingEventsRequest { events })
        .await
        .expect("recording tracking events")
        .into_inner()
}

/// The tracking of `number`, with as many events as a read returns by default.
pub async fn tracking(client: &mut TrackingClient, number: &str) -> Tracking {
    client
        .get_tracking(GetTrackingRequest {
            tracking_number: number.to_owned(),
            max_events: 0,
        })
        .await
        .expect("reading tracking")
        .into_inner()
}

/// A customer to place orders for; returns its id.
pub async fn customer_of(app: &TestApp) -> String {
    create_customer(&mut app.customers_client().await, enterprise("Acme Tiles"))
        .await
        .id
}

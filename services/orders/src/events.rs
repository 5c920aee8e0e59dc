//! Change events of the orders service: written to the outbox in the transaction of the change,
//! read back as `StreamChangesResponse` messages by `OrderService/StreamChanges`.

use logistics_contracts::common::EventEnvelope;
use logistics_contracts::orders::{StreamChangesResponse, stream_changes_response::Event};
use logistics_platform::ApiError;
use logistics_platform::changefeed::{self, FeedEvent};
use logistics_platform::time::timestamp;
use prost::Message as _;

/// Writes `event` about `resource_id` to the outbox, in the transaction of the change.
pub async fn append(
    tx: &mut sqlx::PgConnection,
    event_type: &str,
    resource_id: &str,
    event: Event,
) -> Result<(), ApiError> {
    let payload = StreamChangesResponse {
        envelope: None,
        event: Some(event),
    }
    .encode_to_vec();
    changefeed::append(tx, event_type, resource_id, &payload).await?;
    Ok(())
}

/// Turns an outbox row back into the typed event, with its envelope.
pub fn decode(event: FeedEvent) -> Result<StreamChangesResponse, ApiError> {
    let mut message = StreamChangesResponse::decode(event.payload.as_slice()).map_err(|error| {
        anyhow::anyhow!("outbox event {} does not decode: {error}", event.event_id)
    })?;
    message.envelope = Some(EventEnvelope {
        event_id: event.event_id.to_string(),
        cursor: event.cursor,
        occur_time: Some(timestamp(event.occur_time)),
        event_type: event.event_type,
        resource_id: event.resource_id,
    });
    Ok(message)
}

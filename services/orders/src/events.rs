//! Change events of the orders service: written to the outbox in the transaction of the change,
//! read back as `StreamChangesResponse` messages by `OrderService/StreamChanges`.

use logistics_contracts::orders::{StreamChangesResponse, stream_changes_response::Event};
use logistics_platform::ApiError;
use logistics_platform::changefeed::{self, FeedEvent};
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
    let (mut message, envelope) = event.decode::<StreamChangesResponse>()?;
    message.envelope = Some(envelope);
    Ok(message)
}

//! StreamTrackingEvents: a client stream of events applied in batches as they arrive, answered
//! with a summary.

use std::time::Duration;

use futures::StreamExt as _;
use logistics_contracts::orders::{
    StreamTrackingEventsRequest, StreamTrackingEventsResponse, TrackingEvent, TrackingEventOutcome,
};
use logistics_platform::ApiError;
use tokio::time::Instant;
use tonic::{Status, Streaming};

use super::tracking_service::{TrackingApi, record_batch};
use crate::DOMAIN;

/// Most events in one message of the stream.
const MAX_MESSAGE_EVENTS: usize = 500;
/// A batch is written once it holds this many events...
const FLUSH_EVENTS: usize = 500;
/// ...or once its first event has waited this long.
const FLUSH_AFTER: Duration = Duration::from_millis(50);
/// Rejections reported in the summary.
const REPORTED_REJECTIONS: usize = 100;

impl TrackingApi {
    /// Reads the stream to its end, writing batches as they fill or age, and sums up.
    pub(super) async fn ingest(
        &self,
        principal: &str,
        mut stream: Streaming<StreamTrackingEventsRequest>,
    ) -> Result<StreamTrackingEventsResponse, Status> {
        let mut summary = StreamTrackingEventsResponse::default();
        let mut pending: Vec<TrackingEvent> = Vec::new();
        let mut flush_at: Option<Instant> = None;
        loop {
            let received = tokio::select! {
                received = stream.next() => Some(received),
                _ = tokio::time::sleep_until(flush_at.unwrap_or_else(Instant::now)), if flush_at.is_some() => None,
            };
            match received {
                // The oldest pending event waited long enough.
                None => self.flush(principal, &mut pending, &mut summary).await?,
                Some(None) => {
                    self.flush(principal, &mut pending, &mut summary).await?;
                    return Ok(summary);
                }
                Some(Some(Err(status))) => return Err(status),
                Some(Some(Ok(message))) => {
                    let count = message.events.len();
                    if count == 0 || count > MAX_MESSAGE_EVENTS {
                        let refused = ApiError::invalid_field(
                            "events",
                            format!(
                                "each message must hold 1 to {MAX_MESSAGE_EVENTS} events (got {count}); \
                                 the {} events before it were recorded",
                                summary.received_count
                            ),
                        );
                        return Err(refused.into_status(DOMAIN));
                    }
                    pending.extend(message.events);
                    flush_at.get_or_insert_with(|| Instant::now() + FLUSH_AFTER);
                    if pending.len() >= FLUSH_EVENTS {
                        self.flush(principal, &mut pending, &mut summary).await?;
                    }
                }
            }
            if pending.is_empty() {
                flush_at = None;
            }
        }
    }

    /// Records the pending events as one batch and adds their results to the summary.
    async fn flush(
        &self,
        principal: &str,
        pending: &mut Vec<TrackingEvent>,
        summary: &mut StreamTrackingEventsResponse,
    ) -> Result<(), Status> {
        if pending.is_empty() {
            return Ok(());
        }
        let first_index = summary.received_count as usize;
        let results = record_batch(self, principal, pending, first_index)
            .await
            .map_err(|error| error.into_status(DOMAIN))?;
        summary.received_count += pending.len() as i64;
        pending.clear();
        for result in results {
            match TrackingEventOutcome::try_from(result.outcome) {
                Ok(TrackingEventOutcome::Accepted) => summary.accepted_count += 1,
                Ok(TrackingEventOutcome::Duplicate) => summary.duplicate_count += 1,
                _ => {
                    summary.rejected_count += 1;
                    if summary.first_rejections.len() < REPORTED_REJECTIONS {
                        summary.first_rejections.push(result);
                    }
                }
            }
        }
        Ok(())
    }
}

//! How far reporting trails the writes of a run: while measuring, the age of the newest orders
//! event reporting has applied, sampled every [`EVERY`]. Under steady ingestion that is the
//! projection's lag as a reader of reports sees it (plus at most the time between two writes).

use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use logistics_contracts::reporting::GetProjectionStatusRequest;
use logistics_contracts::reporting::reporting_service_client::ReportingServiceClient;
use logistics_platform::client::CallCredentials;
use tonic::transport::Channel;

use super::report::{self, Lag};

/// How often the projection is looked at.
const EVERY: Duration = Duration::from_millis(100);

/// Samples the orders feed's lag at the reporting service on `channel` from `start` to `end`.
pub async fn sample(
    channel: Channel,
    credentials: CallCredentials,
    start: Instant,
    end: Instant,
) -> anyhow::Result<Lag> {
    let mut client = ReportingServiceClient::with_interceptor(channel, credentials);
    tokio::time::sleep_until(start.into()).await;
    let mut ages_ms = Vec::new();
    let mut ticks = tokio::time::interval(EVERY);
    while Instant::now() < end {
        ticks.tick().await;
        let status = client
            .get_projection_status(GetProjectionStatusRequest {})
            .await
            .context("asking reporting for its projection status")?
            .into_inner();
        let newest = status
            .feeds
            .iter()
            .find(|feed| feed.feed == "orders")
            .and_then(|feed| feed.last_event_time.as_ref());
        if let Some(newest) = newest.and_then(|time| {
            chrono::DateTime::from_timestamp(time.seconds, time.nanos.try_into().ok()?)
        }) {
            let age = (Utc::now() - newest).num_milliseconds().max(0);
            ages_ms.push(u32::try_from(age).unwrap_or(u32::MAX));
        }
    }
    ages_ms.sort_unstable();
    anyhow::ensure!(!ages_ms.is_empty(), "reporting applied no orders event");
    Ok(Lag {
        samples: ages_ms.len(),
        p50_ms: report::nearest_rank(&ages_ms, 50),
        p99_ms: report::nearest_rank(&ages_ms, 99),
        max_ms: ages_ms[ages_ms.len() - 1],
    })
}

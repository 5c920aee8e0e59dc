//! A follower's OpenTelemetry instruments.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge};

use super::store::{Counts, CursorRow};

/// The follower's instruments: events by outcome, lag and last-applied time per feed.
pub(super) struct Metrics {
    attributes: [KeyValue; 2],
    events: Counter<u64>,
    lag: Gauge<f64>,
    last_applied: Gauge<f64>,
    following: Gauge<u64>,
}

impl Metrics {
    pub(super) fn new(service: &'static str, feed: &'static str) -> Self {
        let meter = opentelemetry::global::meter("logistics.feeds");
        Self {
            attributes: [
                KeyValue::new("feed", feed),
                KeyValue::new("follower", service),
            ],
            events: meter
                .u64_counter("logistics.feed.events")
                .with_description(
                    "Events a feed follower consumed, by feed and outcome \
                     (applied, skipped, duplicate)",
                )
                .build(),
            lag: meter
                .f64_gauge("logistics.feed.lag")
                .with_unit("s")
                .with_description("How long the last event applied took from its source")
                .build(),
            last_applied: meter
                .f64_gauge("logistics.feed.last_applied")
                .with_unit("s")
                .with_description("When the last event was applied, in seconds since the epoch")
                .build(),
            following: meter
                .u64_gauge("logistics.feed.following")
                .with_description("1 on the replica that follows the feed, 0 on standbys")
                .build(),
        }
    }

    pub(super) fn applied(&self, counts: Counts, row: &CursorRow) {
        let applied = counts.consumed - counts.skipped - counts.duplicate;
        for (outcome, count) in [
            ("applied", applied),
            ("skipped", counts.skipped),
            ("duplicate", counts.duplicate),
        ] {
            if count > 0 {
                let mut attributes = self.attributes.to_vec();
                attributes.push(KeyValue::new("outcome", outcome));
                self.events.add(count.unsigned_abs(), &attributes);
            }
        }
        if let Some(written) = row.last_event_time {
            let lag = (row.update_time - written).to_std().unwrap_or_default();
            self.lag.record(lag.as_secs_f64(), &self.attributes);
        }
        let applied_at = row.update_time.timestamp_micros() as f64 / 1e6;
        self.last_applied.record(applied_at, &self.attributes);
    }

    pub(super) fn following(&self, following: bool) {
        self.following
            .record(u64::from(following), &self.attributes);
    }
}

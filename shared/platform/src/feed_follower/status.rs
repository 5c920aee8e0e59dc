//! Where a follower stands, as its handle and the metrics report it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::store::CursorRow;

/// Where a follower stands: what reporting serves, and what the metrics show.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowerStatus {
    /// The feed's name, e.g. "orders".
    pub feed: &'static str,
    /// Whether this replica holds the feed's lock and follows it (the others stand by, and read
    /// the figures below from the database every few seconds).
    pub following: bool,
    /// The opaque cursor of the last event consumed; empty before the first.
    pub cursor: String,
    /// Events the cursor has moved past.
    pub applied_events: i64,
    /// Of those, events the handler passed over.
    pub skipped_events: i64,
    /// Of those, events whose id had been applied already.
    pub duplicate_events: i64,
    /// When the last event consumed was written at its source.
    pub last_event_time: Option<DateTime<Utc>>,
    /// When the last event was applied (the cursor last moved).
    pub last_applied_time: Option<DateTime<Utc>>,
    /// How long the last event took from its source to here (`last_applied_time -
    /// last_event_time`): it grows while the follower works behind a backlog. On a quiet feed it
    /// keeps its last value; `last_applied_time` tells since when.
    pub lag: Option<Duration>,
}

impl FollowerStatus {
    pub(super) fn new(feed: &'static str) -> Self {
        Self {
            feed,
            following: false,
            cursor: String::new(),
            applied_events: 0,
            skipped_events: 0,
            duplicate_events: 0,
            last_event_time: None,
            last_applied_time: None,
            lag: None,
        }
    }

    pub(super) fn update(&mut self, row: &CursorRow) {
        self.cursor.clone_from(&row.cursor);
        self.applied_events = row.applied_events;
        self.skipped_events = row.skipped_events;
        self.duplicate_events = row.duplicate_events;
        self.last_event_time = row.last_event_time;
        self.last_applied_time = (row.applied_events > 0).then_some(row.update_time);
        self.lag = row
            .last_event_time
            .map(|written| (row.update_time - written).to_std().unwrap_or_default());
    }
}

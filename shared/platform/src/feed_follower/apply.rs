//! The follower's unit of work: a batch of events applied in one transaction that also records
//! their ids and moves the cursor past them, each event handed to the handler unless its id was
//! applied before; and reading where the feed stands into the status.

use chrono::Utc;
use sqlx::PgConnection;

use super::store::{self, Counted, Counts};
use super::{Applied, ChangeEvent as _, EventPosition, FeedHandler, Handled, Inner};
use crate::error::ApiError;

impl<H: FeedHandler> Inner<H> {
    /// Applies `events` (read in this order after the cursor `after`) in one transaction that
    /// moves the cursor past the last. Answers how the last one went, or that another follower
    /// moved the cursor (then nothing was written), and the cursor it now stands at.
    pub(super) async fn apply(
        &self,
        after: &str,
        events: &[H::Event],
    ) -> Result<(Applied, String), ApiError> {
        let feed = self.feed;
        let mut tx = self.pool.begin().await?;
        let stored = match store::lock_cursor(&mut tx, feed).await? {
            Some(stored) => stored,
            None => {
                store::ensure_cursor(&self.pool, feed).await?;
                store::lock_cursor(&mut tx, feed)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("the {feed} feed cursor vanished"))?
            }
        };
        if stored != after {
            return Ok((
                Applied::Superseded {
                    stored: stored.clone(),
                },
                stored,
            ));
        }
        let positions = events
            .iter()
            .map(|event| self.position_of(event))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(last_position) = positions.last() else {
            return Ok((Applied::Applied, stored));
        };
        // One statement records every id of the batch, one moves the cursor past it: the
        // round trips per event are the handler's own.
        let ids: Vec<&str> = positions
            .iter()
            .map(|position| position.event_id.as_str())
            .filter(|id| !id.is_empty())
            .collect();
        let mut first = store::first_applications(&mut tx, feed, &ids).await?;
        let mut counts = Counts::default();
        let mut last = Counted::Applied;
        let mut batch = H::Batch::default();
        for (event, position) in events.iter().zip(&positions) {
            // An id is first once: a repeat within the batch is a duplicate too.
            let is_first = position.event_id.is_empty() || first.remove(&position.event_id);
            last = self
                .apply_one(&mut tx, (event, position), is_first, &mut batch)
                .await?;
            counts.add(last);
        }
        self.handler.finish(&mut tx, batch).await?;
        let row = store::advance(
            &mut tx,
            feed,
            &last_position.cursor,
            last_position.occur_time,
            counts,
        )
        .await?;
        tx.commit().await?;
        self.status.send_modify(|status| status.update(&row));
        self.metrics.applied(counts, &row);
        let applied = match last {
            Counted::Applied => Applied::Applied,
            Counted::Skipped => Applied::Skipped,
            Counted::Duplicate => Applied::Duplicate,
            Counted::Checkpoint => Applied::Checkpoint,
        };
        Ok((applied, row.cursor))
    }

    /// Where `event` sits in the feed, from its envelope.
    fn position_of(&self, event: &H::Event) -> Result<EventPosition, ApiError> {
        let feed = self.feed;
        let envelope = event
            .envelope()
            .filter(|envelope| !envelope.cursor.is_empty())
            .ok_or_else(|| anyhow::anyhow!("a {feed} event came without its cursor"))?;
        Ok(EventPosition {
            feed,
            event_id: envelope.event_id.clone(),
            cursor: envelope.cursor.clone(),
            event_type: envelope.event_type.clone(),
            resource_id: envelope.resource_id.clone(),
            occur_time: envelope
                .occur_time
                .as_ref()
                .and_then(crate::time::from_timestamp)
                .unwrap_or_else(Utc::now),
        })
    }

    /// Hands `event` to the handler, gathering into `batch`, if it is the `first` application of
    /// its id (and an event, not a checkpoint).
    async fn apply_one(
        &self,
        tx: &mut PgConnection,
        (event, position): (&H::Event, &EventPosition),
        first: bool,
        batch: &mut H::Batch,
    ) -> Result<Counted, ApiError> {
        if event.is_checkpoint() {
            return Ok(Counted::Checkpoint);
        }
        if !first {
            tracing::info!(
                feed = self.feed,
                event_id = %position.event_id,
                event_type = %position.event_type,
                "the event was applied already; passed over"
            );
            return Ok(Counted::Duplicate);
        }
        Ok(
            match self.handler.apply(tx, event, position, batch).await? {
                Handled::Applied => Counted::Applied,
                Handled::Skipped => Counted::Skipped,
            },
        )
    }

    /// Reads where the feed stands from the database into the status.
    pub(super) async fn refresh(&self, following: bool) -> Result<(), ApiError> {
        let mut connection = self.pool.acquire().await?;
        let row = store::cursor(&mut connection, self.feed).await?;
        self.status.send_modify(|status| {
            status.following = following;
            if let Some(row) = &row {
                status.update(row);
            }
        });
        self.metrics.following(following);
        Ok(())
    }
}

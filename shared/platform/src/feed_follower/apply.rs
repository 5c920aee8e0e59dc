//! The follower's unit of work: a batch of events applied in one transaction that also moves the
//! cursor past it, each event handed to the handler unless its id was applied before; and reading
//! where the feed stands into the status.

use chrono::Utc;
use sqlx::PgConnection;

use super::store::{self, Counted};
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
        let mut moved = Vec::with_capacity(events.len());
        for event in events {
            let position = self.position_of(event)?;
            let counted = self.apply_one(&mut tx, event, &position).await?;
            let row = store::advance(
                &mut tx,
                feed,
                &position.cursor,
                position.occur_time,
                counted,
            )
            .await?;
            moved.push((counted, row));
        }
        tx.commit().await?;
        let mut last = (Applied::Applied, after.to_owned());
        for (counted, row) in moved {
            self.status.send_modify(|status| status.update(&row));
            self.metrics.applied(counted, &row);
            let applied = match counted {
                Counted::Applied => Applied::Applied,
                Counted::Skipped => Applied::Skipped,
                Counted::Duplicate => Applied::Duplicate,
            };
            last = (applied, row.cursor);
        }
        Ok(last)
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

    /// Hands `event` to the handler unless its id was applied before.
    async fn apply_one(
        &self,
        tx: &mut PgConnection,
        event: &H::Event,
        position: &EventPosition,
    ) -> Result<Counted, ApiError> {
        let feed = self.feed;
        let first = position.event_id.is_empty()
            || store::first_application(tx, feed, &position.event_id).await?;
        if !first {
            tracing::info!(
                feed,
                event_id = %position.event_id,
                event_type = %position.event_type,
                "the event was applied already; passed over"
            );
            return Ok(Counted::Duplicate);
        }
        Ok(match self.handler.apply(tx, event, position).await? {
            Handled::Applied => Counted::Applied,
            Handled::Skipped => Counted::Skipped,
        })
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

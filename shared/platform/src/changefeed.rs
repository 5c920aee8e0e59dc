//! Change feeds: events written to an outbox in the transaction that makes the change, streamed to
//! readers in commit order from an opaque cursor, backlog first, then live.
//!
//! A bigserial id is not commit order: a transaction that took id 7 may commit after one that took
//! id 8, and a reader that went past 8 would never see 7. So each row is stamped with its
//! transaction id, and readers only serve rows whose transaction is older than the oldest one still
//! running (`pg_snapshot_xmin(pg_current_snapshot())`): no row can ever appear behind that horizon.
//! Rows are served in (txid, id) order and the cursor is the last (txid, id) served.
//!
//! A reader may ask for some event types only. The others are still read (without their
//! payloads) so its position moves past them, and while it passes them over it hears a checkpoint
//! at most every [`CHECKPOINT_EVERY`]: a cursor with no event, so a follower that acts on a few
//! types keeps its stored cursor near the end of the feed without a transaction per event.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use tokio::sync::{Notify, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use uuid::Uuid;

use logistics_contracts::common::{ChangeFeedStart, EventEnvelope};
use logistics_contracts::feeds::{FeedEvent, FeedMessage};
use prost::Message as _;

use crate::error::{ApiError, Violations};
use crate::pagination::TokenKey;

/// Events fetched per query.
const BATCH: i64 = 256;
/// How long an idle reader waits before looking again when no notification came: covers a horizon
/// held back by a transaction that wrote no event (and so notifies nobody when it ends).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Events buffered per reader before the feed waits for the reader.
const READER_BUFFER: usize = 256;
/// How often, at most, a reader that passes events over hears a checkpoint.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// Most event types one reader may ask for (every feed has fewer).
pub const MAX_EVENT_TYPES: usize = 32;
/// The shortest time between two NOTIFYs of an [`Announcer`]: under a stream of commits, each
/// reader of the feed (on every replica) reads once per gap instead of once per commit, and its
/// follower applies what it read in one transaction. With one NOTIFY per commit, CreateOrder
/// under load spent about a fifth of its CPU in those reads and transactions; a gap of 2 ms
/// spared little of it, 5 ms most, 20 ms a little more. A lone commit is announced at once.
pub const ANNOUNCE_GAP: Duration = Duration::from_millis(20);

/// Records `event` about `resource_id` in the outbox within `tx`, the transaction that makes the
/// change, under the type name the event's contract gives it.
pub async fn record<E: FeedEvent>(
    tx: &mut PgConnection,
    resource_id: &str,
    event: E,
) -> Result<(), ApiError> {
    let event_type = event.event_type();
    let payload = event.into_message().encode_to_vec();
    append(tx, event_type, resource_id, &payload).await?;
    Ok(())
}

/// Records several events in the order given, with one statement: what a batch write (e.g. a
/// batch of tracking events) announces.
pub async fn record_all<E: FeedEvent>(
    tx: &mut PgConnection,
    changes: impl IntoIterator<Item = (String, E)>,
) -> Result<(), ApiError> {
    let events: Vec<(&str, String, Vec<u8>)> = changes
        .into_iter()
        .map(|(resource_id, event)| {
            let event_type = event.event_type();
            (
                event_type,
                resource_id,
                event.into_message().encode_to_vec(),
            )
        })
        .collect();
    append_all(tx, &events).await?;
    Ok(())
}

/// Turns an outbox row back into the service's feed message, with its envelope.
pub fn decode<M: FeedMessage>(event: StoredEvent) -> Result<M, ApiError> {
    let (mut message, envelope) = event.decode::<M>()?;
    message.set_envelope(envelope);
    Ok(message)
}

/// A checkpoint: the feed's message with no event and an envelope holding only `cursor` and the
/// write time of the last event it passes over.
fn checkpoint<M: FeedMessage>(cursor: String, occur_time: DateTime<Utc>) -> M {
    let mut message = M::default();
    message.set_envelope(EventEnvelope {
        cursor,
        occur_time: Some(crate::time::timestamp(occur_time)),
        ..EventEnvelope::default()
    });
    message
}

/// The event types a reader asked for, each a type of the feed `M`: `None` for every type.
fn wanted_types<M: FeedMessage>(requested: Vec<String>) -> Result<Option<Vec<String>>, ApiError> {
    if requested.is_empty() {
        return Ok(None);
    }
    let mut violations = Violations::new();
    if requested.len() > MAX_EVENT_TYPES {
        violations.add(
            "event_types",
            format!("at most {MAX_EVENT_TYPES} event types"),
        );
        return Err(violations.into_error());
    }
    for (index, event_type) in requested.iter().enumerate() {
        if !M::EVENT_TYPES.contains(&event_type.as_str()) {
            violations.add(
                format!("event_types[{index}]"),
                // The whole list would not fit a description (256 characters) for every feed.
                format!(
                    "is not one of this feed's event types (as envelope.event_type names them, \
                     e.g. {:?})",
                    M::EVENT_TYPES.first().copied().unwrap_or_default()
                ),
            );
        }
    }
    violations.finish()?;
    Ok(Some(requested))
}

/// Appends an already encoded event to the outbox within `tx`: the raw writer under [`record`],
/// for tests that forge events.
pub async fn append(
    tx: &mut PgConnection,
    event_type: &str,
    resource_id: &str,
    payload: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH appended AS (
             INSERT INTO outbox (event_type, resource_id, payload) VALUES ($1, $2, $3)
         )
         SELECT pg_notify('logistics_changes.' || current_schema(), '')",
    )
    .bind(event_type)
    .bind(resource_id)
    .bind(payload)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Appends already encoded events to the outbox within `tx` with one statement, in the order
/// given: the raw writer under [`record_all`].
pub async fn append_all(
    tx: &mut PgConnection,
    events: &[(&str, String, Vec<u8>)],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let types: Vec<&str> = events
        .iter()
        .map(|(event_type, _, _)| *event_type)
        .collect();
    let resources: Vec<&str> = events
        .iter()
        .map(|(_, resource, _)| resource.as_str())
        .collect();
    let payloads: Vec<&[u8]> = events
        .iter()
        .map(|(_, _, payload)| payload.as_slice())
        .collect();
    // The ordinality keeps the bigserial ids in the order the events happened.
    sqlx::query(
        "WITH appended AS (
             INSERT INTO outbox (event_type, resource_id, payload)
             SELECT event_type, resource_id, payload
             FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY
                  AS e (event_type, resource_id, payload, position)
             ORDER BY position
         )
         SELECT pg_notify('logistics_changes.' || current_schema(), '')",
    )
    .bind(types)
    .bind(resources)
    .bind(payloads)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// An event about one resource, encoded for the outbox: one row [`push_appends`] stores.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    event_type: &'static str,
    resource_id: String,
    payload: Vec<u8>,
}

impl OutboxEntry {
    /// `event` about `resource_id`.
    pub fn new<E: FeedEvent>(resource_id: String, event: E) -> Self {
        Self {
            event_type: event.event_type(),
            resource_id,
            payload: event.into_message().encode_to_vec(),
        }
    }
}

/// Pushes onto `query` a common table expression, `appended`, that records `entries` in the
/// outbox, in their order, *without* a NOTIFY: for a create that is one statement on its own
/// (its own transaction), announced after it commits with [`Announcer::announce`].
///
/// Why not NOTIFY in the statement: PostgreSQL serialises the commits of notifying transactions
/// on one lock held across their WAL flush, so concurrent writers cannot share a flush. `pgbench
/// -N` with a NOTIFY in each transaction ran at 41 % of its rate without on this machine.
pub fn push_appends<'e>(
    query: &mut QueryBuilder<Postgres>,
    entries: impl IntoIterator<Item = &'e OutboxEntry>,
) {
    query.push("appended AS (INSERT INTO outbox (event_type, resource_id, payload) ");
    query.push_values(entries, |mut row, entry| {
        row.push_bind(entry.event_type)
            .push_bind(&entry.resource_id)
            .push_bind(&entry.payload);
    });
    query.push(")");
}

/// Wakes the feed's readers, on every replica, after a commit whose events were recorded without
/// a NOTIFY ([`push_appends`]). Announcements made while one is on its way, or within
/// [`ANNOUNCE_GAP`] after it, share the next one.
#[derive(Clone)]
pub struct Announcer {
    due: Arc<Notify>,
}

impl Announcer {
    /// Starts the task that NOTIFYs `channel` on `pool` once per burst of announcements.
    fn start(pool: PgPool, channel: String, shutdown: CancellationToken) -> Self {
        let due = Arc::new(Notify::new());
        let announcer = Self { due: due.clone() };
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = due.notified() => {}
                    () = shutdown.cancelled() => return,
                }
                // Outside any transaction the NOTIFY takes no transaction id and flushes no WAL.
                // If it fails, readers still look again within IDLE_POLL.
                let sent = sqlx::query("SELECT pg_notify($1, '')")
                    .bind(&channel)
                    .execute(&pool)
                    .await;
                if let Err(error) = sent {
                    tracing::debug!(%error, channel, "announcing new events failed");
                }
                // Announcements made meanwhile share the next NOTIFY.
                tokio::select! {
                    () = tokio::time::sleep(ANNOUNCE_GAP) => {}
                    () = shutdown.cancelled() => return,
                }
            }
        });
        announcer
    }

    /// Tells every reader of the feed that events were committed.
    pub fn announce(&self) {
        self.due.notify_one();
    }
}

/// One event as read from the outbox.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Unique id of the event.
    pub event_id: Uuid,
    /// Opaque cursor just after this event.
    pub cursor: String,
    /// When the change was written.
    pub occur_time: DateTime<Utc>,
    /// Dotted type, e.g. "customer.created".
    pub event_type: String,
    /// The resource the event is about.
    pub resource_id: String,
    /// The service's encoded event message.
    pub payload: Vec<u8>,
}

impl StoredEvent {
    /// The service's event message, decoded from the payload, and the envelope to put on it.
    pub fn decode<M: prost::Message + Default>(
        self,
    ) -> Result<(M, logistics_contracts::common::EventEnvelope), crate::ApiError> {
        let message = M::decode(self.payload.as_slice()).map_err(|error| {
            anyhow::anyhow!("outbox event {} does not decode: {error}", self.event_id)
        })?;
        let envelope = logistics_contracts::common::EventEnvelope {
            event_id: self.event_id.to_string(),
            cursor: self.cursor,
            occur_time: Some(crate::time::timestamp(self.occur_time)),
            event_type: self.event_type,
            resource_id: self.resource_id,
        };
        Ok((message, envelope))
    }
}

/// Where a reader starts.
#[derive(Debug, Clone)]
enum Start {
    /// The oldest event kept.
    Beginning,
    /// Just after the event whose cursor this is.
    After(String),
    /// The current end: only what commits from now on.
    Now,
}

impl Start {
    /// Where a `StreamChanges` request asks to start: unset is the beginning.
    fn requested(start: Option<logistics_contracts::common::ChangeFeedStart>) -> Self {
        use logistics_contracts::common::change_feed_start::Position;
        match start.and_then(|start| start.position) {
            None | Some(Position::FromNow(false)) => Start::Beginning,
            Some(Position::AfterCursor(cursor)) => Start::After(cursor),
            Some(Position::FromNow(true)) => Start::Now,
        }
    }
}

/// Position in the feed: the (txid, id) of the last event served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    txid: u64,
    id: i64,
}

/// The change feed of one service's schema.
#[derive(Clone)]
pub struct ChangeFeed {
    pool: PgPool,
    key: TokenKey,
    purpose: String,
    domain: &'static str,
    wake: watch::Receiver<u64>,
    announcer: Announcer,
    shutdown: CancellationToken,
}

impl ChangeFeed {
    /// The feed of `schema` (the pool's search_path), listening for new events until `shutdown`.
    pub fn start(
        pool: PgPool,
        schema: &'static str,
        key: TokenKey,
        domain: &'static str,
        shutdown: CancellationToken,
    ) -> Self {
        let (notify, wake) = watch::channel(0);
        let channel = format!("logistics_changes.{schema}");
        // Any notification, or a gap in hearing them, wakes every reader to look again.
        crate::notifications::listen(&pool, channel.clone(), shutdown.clone(), move |_| {
            notify.send_modify(|n: &mut u64| *n = n.wrapping_add(1))
        });
        Self {
            announcer: Announcer::start(pool.clone(), channel, shutdown.clone()),
            pool,
            key,
            purpose: format!("{schema}.changes"),
            domain,
            wake,
            shutdown,
        }
    }

    /// What wakes this feed's readers after a commit recorded with [`push_appends`].
    pub fn announcer(&self) -> &Announcer {
        &self.announcer
    }

    /// Streams the feed's messages `M` from `start` (unset: the beginning), only the events of
    /// `event_types` (empty: all), with checkpoints while it passes others over. Refuses, with
    /// INVALID_ARGUMENT, a cursor of another feed and a type the feed does not carry.
    ///
    /// The stream ends when the reader goes away or the server shuts down; a database failure ends
    /// it with UNAVAILABLE, and the reader resumes from its last cursor.
    pub async fn subscribe<M: FeedMessage>(
        &self,
        start: Option<ChangeFeedStart>,
        event_types: Vec<String>,
    ) -> Result<ReceiverStream<Result<M, Status>>, ApiError> {
        let wanted = wanted_types::<M>(event_types)?;
        let (mut position, committed_before) = match Start::requested(start) {
            Start::Beginning => (Position::default(), None),
            Start::After(cursor) => (self.open_cursor(&cursor)?, None),
            Start::Now => {
                let (position, snapshot) = self.current_end().await?;
                (position, Some(snapshot))
            }
        };
        let (sender, receiver) = mpsc::channel(READER_BUFFER);
        let feed = self.clone();
        tokio::spawn(async move {
            let mut wake = feed.wake.clone();
            let mut last_sent = Instant::now();
            // The write time of the last event passed over since the reader last heard from us.
            let mut passed_over = None;
            loop {
                let read = feed
                    .read_after(position, committed_before.as_deref(), wanted.as_deref())
                    .await;
                let batch = match read {
                    Ok(batch) => batch,
                    // Shutting down: the service may have closed its pool under this read. The
                    // stream just ends, as it would a moment later; the reader resumes from its
                    // cursor on another replica, and the log holds no false alarm.
                    Err(_) if feed.shutdown.is_cancelled() => return,
                    Err(error) => {
                        let _ = sender.send(Err(error.into_status(feed.domain))).await;
                        return;
                    }
                };
                let full = batch.len() as i64 == BATCH;
                for row in batch {
                    position = row.position;
                    let Some(payload) = row.payload else {
                        passed_over = Some(row.occur_time);
                        continue;
                    };
                    let event = StoredEvent {
                        event_id: row.event_id,
                        cursor: feed.seal_cursor(position),
                        occur_time: row.occur_time,
                        event_type: row.event_type,
                        resource_id: row.resource_id,
                        payload,
                    };
                    let message = decode(event).map_err(|error| error.into_status(feed.domain));
                    if sender.send(message).await.is_err() {
                        return;
                    }
                    last_sent = Instant::now();
                    passed_over = None;
                }
                if let Some(occur_time) = passed_over
                    && last_sent.elapsed() >= CHECKPOINT_EVERY
                {
                    let message = checkpoint(feed.seal_cursor(position), occur_time);
                    if sender.send(Ok(message)).await.is_err() {
                        return;
                    }
                    last_sent = Instant::now();
                    passed_over = None;
                }
                if full {
                    continue;
                }
                tokio::select! {
                    _ = wake.changed() => {}
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = sender.closed() => return,
                    _ = feed.shutdown.cancelled() => return,
                }
            }
        });
        Ok(ReceiverStream::new(receiver))
    }

    fn open_cursor(&self, cursor: &str) -> Result<Position, ApiError> {
        self.key
            .open(&self.purpose, cursor)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| {
                ApiError::invalid_field("start.after_cursor", "is not a cursor of this change feed")
            })
    }

    fn seal_cursor(&self, position: Position) -> String {
        let bytes = serde_json::to_vec(&position).expect("positions serialize");
        self.key.seal(&self.purpose, &bytes)
    }

    /// Where "from now" starts: just before the oldest transaction still running, together with
    /// the current snapshot. Events of transactions that snapshot sees as committed are skipped,
    /// so exactly the changes that commit after this call are served, whatever runs meanwhile.
    async fn current_end(&self) -> Result<(Position, String), ApiError> {
        let (xmin, snapshot): (String, String) = sqlx::query_as(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text, pg_current_snapshot()::text",
        )
        .fetch_one(&self.pool)
        .await?;
        let before_xmin = position_from_row((xmin, 0))?;
        let position = Position {
            txid: before_xmin.txid.saturating_sub(1),
            id: i64::MAX,
        };
        Ok((position, snapshot))
    }

    /// The next rows after `after`, in feed order; those of a type not `wanted` (when some are)
    /// come without their payload.
    async fn read_after(
        &self,
        after: Position,
        committed_before: Option<&str>,
        wanted: Option<&[String]>,
    ) -> Result<Vec<OutboxRow>, ApiError> {
        type Row = (
            String,
            i64,
            Uuid,
            String,
            String,
            Option<Vec<u8>>,
            DateTime<Utc>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            // The select list names the text form `txid_text`, never `txid`: ORDER BY prefers an
            // output column's name to a table column's, and `txid::text` named `txid` sorted the
            // feed as text ("1000" before "999"), repeating and reordering events.
            "SELECT o.txid::text AS txid_text, o.id, o.event_id, o.event_type, o.resource_id,
                    CASE WHEN $5::text[] IS NULL OR o.event_type = ANY($5::text[])
                         THEN o.payload END,
                    o.occur_time
             FROM outbox o
             WHERE (o.txid, o.id) > ($1::text::xid8, $2)
               AND o.txid < pg_snapshot_xmin(pg_current_snapshot())
               AND ($4::pg_snapshot IS NULL OR NOT pg_visible_in_snapshot(o.txid, $4::pg_snapshot))
             ORDER BY o.txid, o.id
             LIMIT $3",
        )
        .bind(after.txid.to_string())
        .bind(after.id)
        .bind(BATCH)
        .bind(committed_before)
        .bind(wanted)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(txid, id, event_id, event_type, resource_id, payload, occur_time)| {
                    Ok(OutboxRow {
                        position: position_from_row((txid, id))?,
                        event_id,
                        event_type,
                        resource_id,
                        payload,
                        occur_time,
                    })
                },
            )
            .collect()
    }
}

/// A row of the outbox as a reader reads it: no payload when the reader did not ask for its type.
struct OutboxRow {
    position: Position,
    event_id: Uuid,
    event_type: String,
    resource_id: String,
    payload: Option<Vec<u8>>,
    occur_time: DateTime<Utc>,
}

fn position_from_row((txid, id): (String, i64)) -> Result<Position, ApiError> {
    let txid = txid
        .parse()
        .map_err(|_| anyhow::anyhow!("outbox txid {txid:?} is not a number"))?;
    Ok(Position { txid, id })
}

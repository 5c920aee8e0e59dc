//! Following another service's change feed (`StreamChanges`) in the background, into a typed
//! handler that the following service plugs in.
//!
//! A [`FeedFollower`] is one feed followed by one service: "orders" followed by customers, say.
//! It owns everything but what an event means:
//! - one replica follows at a time: the one holding a PostgreSQL advisory lock named after the
//!   service and the feed, on a connection of its own outside the pool, so it is held exactly as
//!   long as that connection (a replica that dies releases it with its socket). The others stand
//!   by and try again every few seconds;
//! - a durable cursor per feed (`feed_cursors`, in the following service's schema): each stream
//!   starts after it;
//! - each event is applied in the transaction that also moves the cursor past it, after checking
//!   that the cursor still stands where the follower read it: effects and "done" commit together
//!   or not at all, and a second follower of the same feed (a standby that took over while the
//!   first was mid-event) finds the cursor moved and writes nothing. The events the stream has
//!   already delivered (up to the handler's `MAX_BATCH`, [`BATCH_EVENTS`] unless it says) share
//!   one transaction: a backlog costs one commit per batch, not per event;
//! - an event whose id was applied already (a replay after a cursor reset) moves the cursor
//!   without reaching the handler (`feed_applied_events`, pruned after a window);
//! - only the event types the handler names ([`FeedHandler::EVENT_TYPES`]), if it names some:
//!   the feed passes the others over, and the checkpoints it sends meanwhile move the cursor;
//! - reconnecting with backoff whenever the stream ends or fails;
//! - where it stands, as a [`FollowerStatus`] read from its [`FollowerHandle`], and as metrics
//!   (`logistics.feed.*`, attributes `feed` and `follower`);
//! - joining on shutdown.
//!
//! The tables are created by [`migrate`], which a following service runs after its own
//! migrations.

mod apply;
mod metrics;
mod status;
mod store;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::FutureExt as _;
use futures::future::BoxFuture;
use logistics_contracts::common::{ChangeFeedStart, change_feed_start};
use sqlx::migrate::Migrator;
use sqlx::{Connection as _, PgConnection, PgPool};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::error::ApiError;
use metrics::Metrics;
pub use status::FollowerStatus;

/// Most events applied in one transaction: enough to spare a backlog most of its commits, few
/// enough that the rows a batch locks are not held from the service's own calls for long (with
/// 100, `up --demo` showed customers' RPCs waiting a second behind a batch).
pub const BATCH_EVENTS: usize = 20;
/// How often a standby replica tries to take over the feed (and reads where the feed stands).
const STANDBY_RETRY: Duration = Duration::from_secs(2);
/// How often the follower checks that its lock connection is still alive.
const LOCK_CHECK: Duration = Duration::from_secs(5);
/// The first pause before reconnecting; it doubles on every failure in a row.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest pause before reconnecting.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long the ids of applied events are kept by default.
pub const DEDUPE_WINDOW: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// How often the leader forgets ids older than the window.
const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Creates or completes the follower's tables (`feed_cursors`, `feed_applied_events`) in the
/// pool's schema. Run it after the service's own migrations: it finds tables an older migration of
/// the service created and leaves their rows as they are.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    let mut migrator: Migrator = sqlx::migrate!("./feed_follower_migrations");
    migrator.dangerous_set_table_name("_platform_feed_migrations");
    migrator.run(pool).await?;
    Ok(())
}

/// A message of a `StreamChanges` stream: an envelope (id, cursor, time, type) and the event.
pub use logistics_contracts::feeds::FeedMessage as ChangeEvent;

/// Where an event sits in its feed, from its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPosition {
    /// The feed's name, e.g. "orders".
    pub feed: &'static str,
    /// The event's id at its source.
    pub event_id: String,
    /// The opaque cursor just after the event.
    pub cursor: String,
    /// Dotted type, e.g. "order.delivered".
    pub event_type: String,
    /// The resource the event is about.
    pub resource_id: String,
    /// When the change was written at the source; when the event was received, if the envelope
    /// lacks it.
    pub occur_time: DateTime<Utc>,
}

/// What the handler made of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Its effects, if it has any for this service, are written in the transaction.
    Applied,
    /// Passed over (e.g. it names a record this service does not know): counted in
    /// `feed_cursors.skipped_events`; the cursor moves past it all the same, so it never holds up
    /// the feed. The handler logs why.
    Skipped,
}

/// The following service's side of a feed: what each event does, in the transaction that moves
/// the cursor past it. Effects should also be idempotent by their own keys where they can: the
/// follower keeps event ids only for its dedupe window.
pub trait FeedHandler: Send + Sync + 'static {
    /// The feed's message type (its `StreamChangesResponse`).
    type Event: ChangeEvent;

    /// What the handler gathers while it applies one batch's events, to write once for them all
    /// in [`finish`](Self::finish) (sums to add to a row many events touch); `()` for handlers
    /// that write as they go.
    type Batch: Default + Send;

    /// Most events applied in one transaction: [`BATCH_EVENTS`] unless the rows a batch locks
    /// keep no call of the service waiting.
    const MAX_BATCH: usize = BATCH_EVENTS;

    /// The event types the handler acts on; empty (the default): every type. The follower asks
    /// the feed for these only, and the feed passes the others over with a checkpoint now and
    /// then, so events the handler would ignore cost no transaction, nor a record of their ids.
    const EVENT_TYPES: &'static [&'static str] = &[];

    /// Applies `event` in `tx`, or notes in `batch` what [`finish`](Self::finish) is to write.
    /// An error rolls everything back; the follower reconnects and the event comes again.
    fn apply(
        &self,
        tx: &mut PgConnection,
        event: &Self::Event,
        position: &EventPosition,
        batch: &mut Self::Batch,
    ) -> impl Future<Output = Result<Handled, ApiError>> + Send;

    /// Writes what `batch` gathered, in the batch's transaction after its last event and before
    /// the cursor moves past it.
    fn finish(
        &self,
        tx: &mut PgConnection,
        batch: Self::Batch,
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        let _ = (tx, batch);
        async { Ok(()) }
    }
}

/// What applying one event came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The handler applied it and the cursor moved past it.
    Applied,
    /// The handler passed it over; the cursor moved past it.
    Skipped,
    /// Its id was applied already: the handler was not called; the cursor moved past it.
    Duplicate,
    /// A checkpoint, not an event: the cursor moved past events of types the handler does not
    /// act on, which the feed passed over.
    Checkpoint,
    /// The cursor no longer stands where the follower read it: another follower got here first.
    /// Nothing was written; the follower resumes from `stored`.
    Superseded {
        /// The cursor as stored now.
        stored: String,
    },
}

/// One feed followed by one service.
pub struct FeedFollower<H: FeedHandler> {
    inner: Arc<Inner<H>>,
}

impl<H: FeedHandler> Clone for FeedFollower<H> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<H> {
    pool: PgPool,
    service: &'static str,
    feed: &'static str,
    handler: H,
    dedupe_window: Duration,
    status: watch::Sender<FollowerStatus>,
    metrics: Metrics,
}

/// Opens the feed's stream with a `StreamChangesRequest`.
type OpenStream<E> = Box<
    dyn Fn(
            <E as ChangeEvent>::Request,
        ) -> BoxFuture<'static, Result<tonic::Streaming<E>, tonic::Status>>
        + Send
        + Sync,
>;

impl<H: FeedHandler> FeedFollower<H> {
    /// `service` (e.g. "customers") following `feed` (e.g. "orders") into `handler`, keeping its
    /// cursor in `pool`'s schema. Lock names are `logistics.<service>.feed.<feed>`, unique across
    /// every service sharing the database.
    ///
    /// # Panics
    ///
    /// If the handler names an event type the feed does not carry: a typo there would filter out
    /// every event, so it stops the service at start-up instead.
    pub fn new(pool: PgPool, service: &'static str, feed: &'static str, handler: H) -> Self {
        for event_type in H::EVENT_TYPES {
            assert!(
                H::Event::EVENT_TYPES.contains(event_type),
                "{service} follows {event_type:?} on the {feed} feed, which carries no such type"
            );
        }
        let (status, _) = watch::channel(FollowerStatus::new(feed));
        Self {
            inner: Arc::new(Inner {
                pool,
                service,
                feed,
                handler,
                dedupe_window: DEDUPE_WINDOW,
                status,
                metrics: Metrics::new(service, feed),
            }),
        }
    }

    /// Keeps the ids of applied events for `window` (default [`DEDUPE_WINDOW`]) instead.
    pub fn with_dedupe_window(self, window: Duration) -> Self {
        let mut inner = Arc::into_inner(self.inner).expect("configured before use");
        inner.dedupe_window = window;
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The feed's name.
    pub fn feed(&self) -> &'static str {
        self.inner.feed
    }

    /// Where the follower stands, as last seen.
    pub fn status(&self) -> FollowerStatus {
        self.inner.status.borrow().clone()
    }

    /// Applies `events`, read in this order after the cursor `after` ('' for the beginning), and
    /// moves the cursor past the last, in one transaction; answers how the last one went. The
    /// unit of work of the background follower, public for replays and tests.
    pub async fn apply(&self, after: &str, events: &[H::Event]) -> Result<Applied, ApiError> {
        self.inner
            .apply(after, events)
            .await
            .map(|(applied, _)| applied)
    }

    /// Follows the feed in the background until `shutdown`: `open` calls the producer's
    /// `StreamChanges` (through a platform [`crate::client::channel`]) with the request given,
    /// which names where to start and the handler's [`FeedHandler::EVENT_TYPES`].
    pub fn spawn<F, Fut>(self, open: F, shutdown: CancellationToken) -> FollowerHandle
    where
        F: Fn(<H::Event as ChangeEvent>::Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<tonic::Response<tonic::Streaming<H::Event>>, tonic::Status>>
            + Send
            + 'static,
    {
        let open: OpenStream<H::Event> = Box::new(move |request| {
            let opening = open(request);
            Box::pin(async move { opening.await.map(tonic::Response::into_inner) })
        });
        let status = self.inner.status.subscribe();
        let span = tracing::info_span!("feed_follower", feed = self.inner.feed);
        let runner = Runner {
            inner: self.inner,
            open,
            shutdown,
        };
        FollowerHandle {
            status,
            task: tokio::spawn(runner.run().instrument(span)),
        }
    }
}

/// A follower running in the background.
pub struct FollowerHandle {
    status: watch::Receiver<FollowerStatus>,
    task: JoinHandle<()>,
}

impl FollowerHandle {
    /// Where the follower stands, as last seen.
    pub fn status(&self) -> FollowerStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every change of the status.
    pub fn watch(&self) -> watch::Receiver<FollowerStatus> {
        self.status.clone()
    }

    /// Waits for the follower to stop: call after shutdown was signalled.
    pub async fn join(self) {
        if let Err(error) = self.task.await {
            tracing::error!(%error, "a feed follower's task panicked");
        }
    }
}

/// The background task of a follower.
struct Runner<H: FeedHandler> {
    inner: Arc<Inner<H>>,
    open: OpenStream<H::Event>,
    shutdown: CancellationToken,
}

/// Why following stopped while the replica held the lock.
enum Stop {
    Shutdown,
    LockLost(sqlx::Error),
}

impl<H: FeedHandler> Runner<H> {
    async fn run(self) {
        let feed = self.inner.feed;
        loop {
            let Some(mut lock) = self.take_over().await else {
                return;
            };
            tracing::info!(feed, "this replica follows the {feed} feed");
            if let Err(error) = self.inner.refresh(true).await {
                tracing::warn!(feed, %error, "cannot read where the feed stands");
            }
            let stop = tokio::select! {
                () = self.shutdown.cancelled() => Stop::Shutdown,
                error = watch_lock(&mut lock) => Stop::LockLost(error),
                () = self.follow() => Stop::Shutdown,
                () = self.prune() => Stop::Shutdown,
            };
            self.inner
                .status
                .send_modify(|status| status.following = false);
            self.inner.metrics.following(false);
            match stop {
                Stop::Shutdown => {
                    // Closing the connection releases the lock at once for a standby.
                    let _ = lock.close().await;
                    tracing::info!(feed, "stopped following the {feed} feed");
                    return;
                }
                Stop::LockLost(error) => tracing::warn!(
                    feed, %error,
                    "lost the connection holding the feed lock; standing by"
                ),
            }
        }
    }

    fn lock_name(&self) -> String {
        format!("logistics.{}.feed.{}", self.inner.service, self.inner.feed)
    }

    /// Waits until this replica holds the feed lock, on a connection of its own; `None` on
    /// shutdown. While it stands by, it keeps the status as the database has it.
    async fn take_over(&self) -> Option<PgConnection> {
        let feed = self.inner.feed;
        let mut standby: Option<PgConnection> = None;
        loop {
            let attempt = async {
                let mut connection = match standby.take() {
                    Some(connection) => connection,
                    None => PgConnection::connect_with(&self.inner.pool.connect_options()).await?,
                };
                let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
                    .bind(self.lock_name())
                    .fetch_one(&mut connection)
                    .await?;
                Ok::<_, sqlx::Error>((ours, connection))
            };
            match attempt.await {
                Ok((true, connection)) => return Some(connection),
                Ok((false, connection)) => {
                    tracing::debug!(feed, "another replica follows the {feed} feed");
                    standby = Some(connection);
                    if let Err(error) = self.inner.refresh(false).await {
                        tracing::debug!(feed, %error, "cannot read where the feed stands");
                    }
                }
                Err(error) => {
                    tracing::warn!(feed, %error, "cannot take the feed lock; retrying");
                }
            }
            tokio::select! {
                () = self.shutdown.cancelled() => return None,
                () = tokio::time::sleep(STANDBY_RETRY) => {}
            }
        }
    }

    /// Follows the feed until cancelled: each stream from the stored cursor, a new one with backoff
    /// after it ends or fails.
    async fn follow(&self) {
        let feed = self.inner.feed;
        let mut backoff = Backoff::default();
        loop {
            match self.follow_stream(&mut backoff).await {
                Ok(()) => tracing::info!(feed, "the {feed} feed ended; reconnecting"),
                Err(error) => tracing::warn!(
                    feed, error = %format!("{error:#}"),
                    "following the {feed} feed failed; reconnecting"
                ),
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }

    /// Reads one stream from the stored cursor, applying each event; returns when the stream ends
    /// or another follower moved the cursor (the next stream resumes from where it stands).
    async fn follow_stream(&self, backoff: &mut Backoff) -> anyhow::Result<()> {
        let feed = self.inner.feed;
        store::ensure_cursor(&self.inner.pool, feed).await?;
        let mut after = {
            let mut connection = self.inner.pool.acquire().await?;
            store::cursor(&mut connection, feed)
                .await?
                .map(|stored| stored.cursor)
                .unwrap_or_default()
        };
        let start = (!after.is_empty()).then(|| ChangeFeedStart {
            position: Some(change_feed_start::Position::AfterCursor(after.clone())),
        });
        let event_types = H::EVENT_TYPES.iter().map(ToString::to_string).collect();
        let mut stream = (self.open)(H::Event::request(start, event_types)).await?;
        let mut batch = Vec::with_capacity(H::MAX_BATCH);
        while let Some(event) = stream.message().await? {
            batch.push(event);
            // With the events the stream already holds: a backlog applies a batch per commit.
            while batch.len() < H::MAX_BATCH {
                match stream.message().now_or_never() {
                    Some(Ok(Some(event))) => batch.push(event),
                    Some(Ok(None)) | None => break,
                    Some(Err(status)) => return Err(status.into()),
                }
            }
            let superseded = self.apply_batch(&mut after, &batch).await?;
            batch.clear();
            if superseded {
                tracing::info!(
                    feed,
                    "another follower moved the cursor; resuming from where it stands"
                );
                return Ok(());
            }
            backoff.reset();
        }
        Ok(())
    }

    /// Applies `batch` after the cursor `after` and moves `after` past what was applied; answers
    /// whether another follower had moved the cursor. A batch that fails (a lock another
    /// service's follower holds on the same rows, say) is applied again one event at a time, as
    /// before batching: a long transaction must not turn a short wait into a failure loop.
    async fn apply_batch(&self, after: &mut String, batch: &[H::Event]) -> anyhow::Result<bool> {
        let outcomes = match self.inner.apply(after, batch).await {
            Ok(outcome) => vec![outcome],
            Err(error) if batch.len() > 1 => {
                tracing::debug!(feed = self.inner.feed, %error, "a batch failed; one event at a time");
                let mut outcomes = Vec::with_capacity(batch.len());
                for event in batch {
                    let outcome = self.inner.apply(after, std::slice::from_ref(event)).await?;
                    let superseded = matches!(outcome.0, Applied::Superseded { .. });
                    if !superseded {
                        after.clone_from(&outcome.1);
                    }
                    outcomes.push(outcome);
                    if superseded {
                        break;
                    }
                }
                outcomes
            }
            Err(error) => return Err(error.into()),
        };
        let mut superseded = false;
        for (applied, cursor) in outcomes {
            match applied {
                Applied::Superseded { .. } => superseded = true,
                _ => *after = cursor,
            }
        }
        Ok(superseded)
    }

    /// Forgets the ids of events applied longer ago than the dedupe window, every hour.
    async fn prune(&self) {
        let feed = self.inner.feed;
        loop {
            match store::prune_applied(&self.inner.pool, feed, self.inner.dedupe_window).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(feed, pruned, "forgot the ids of old applied events"),
                Err(error) => tracing::warn!(feed, %error, "pruning applied event ids failed"),
            }
            tokio::time::sleep(PRUNE_EVERY).await;
        }
    }
}

/// Returns when the lock connection fails a liveness check: the lock went with it.
async fn watch_lock(lock: &mut PgConnection) -> sqlx::Error {
    loop {
        tokio::time::sleep(LOCK_CHECK).await;
        if let Err(error) = lock.ping().await {
            return error;
        }
    }
}

/// Pauses between reconnections: doubling from [`FIRST_BACKOFF`] up to [`MAX_BACKOFF`], each
/// drawn at random from its upper half, so replicas and services restarting together do not
/// reconnect in step.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn next_delay(&mut self) -> Duration {
        let ceiling = FIRST_BACKOFF
            .saturating_mul(2u32.saturating_pow(self.failures))
            .min(MAX_BACKOFF);
        self.failures = self.failures.saturating_add(1);
        ceiling.mul_f64(0.5 + rand::random::<f64>() / 2.0)
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

//! Following the orders service's change feed in the background: one replica at a time, from
//! the stored cursor, reconnecting with backoff whenever the stream ends or fails.
//!
//! Only the replica holding a PostgreSQL advisory lock follows; the others stand by and try again
//! every few seconds. The lock lives on a connection of its own, outside the pool, so it is held
//! exactly as long as that connection: a replica that dies releases it with its socket. Should two
//! replicas ever follow at once (a lock connection dropped while its follower was mid-event), the
//! cursor check in [`super::orders::apply`] keeps every event applied once.

use std::time::Duration;

use logistics_contracts::common::{ChangeFeedStart, change_feed_start};
use logistics_contracts::orders::StreamChangesRequest;
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_platform::ServiceContext;
use logistics_platform::client::{CallCredentials, PeerChannel, channel};
use sqlx::{Connection as _, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;

use super::orders::{Applied, FEED, apply};
use crate::store::feeds;

/// How often a standby replica tries to take over the feed.
const STANDBY_RETRY: Duration = Duration::from_secs(2);
/// How often the follower checks that its lock connection is still alive.
const LOCK_CHECK: Duration = Duration::from_secs(5);
/// The first pause before reconnecting; it doubles on every failure in a row.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest pause before reconnecting.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The advisory lock of the orders feed's follower, in the database all services share.
const LOCK_SQL: &str = "SELECT pg_try_advisory_lock(hashtext('logistics.customers.feed.orders'))";

type OrdersClient = OrderServiceClient<InterceptedService<PeerChannel, CallCredentials>>;

/// Starts following the orders feed when the context names the orders service; logs a warning
/// and follows nothing when it does not (customers then learns nothing from orders). An orders
/// URL without the service's own API key is a configuration error.
pub fn spawn(pool: PgPool, context: &ServiceContext) -> anyhow::Result<()> {
    let Some(url) = &context.peers.orders_url else {
        tracing::warn!(
            "LOGISTICS_ORDERS_URL is not set: customers will not follow the orders feed \
             (no activity, points or thank-you follow-ups from deliveries)"
        );
        return Ok(());
    };
    let (url, key) = context.peers.require("orders", Some(url))?;
    let client = OrderServiceClient::with_interceptor(
        channel(crate::NAME, &url, context.peers.call_timeout())?,
        CallCredentials::bearer(&key)?,
    );
    let follower = Follower {
        pool,
        client,
        shutdown: context.shutdown.clone(),
    };
    tokio::spawn(follower.run());
    Ok(())
}

struct Follower {
    pool: PgPool,
    client: OrdersClient,
    shutdown: CancellationToken,
}

/// Why following stopped while the replica held the lock.
enum Stop {
    Shutdown,
    LockLost(sqlx::Error),
}

impl Follower {
    async fn run(self) {
        loop {
            let Some(mut lock) = self.take_over().await else {
                return;
            };
            tracing::info!(feed = FEED, "this replica follows the orders feed");
            let stop = tokio::select! {
                () = self.shutdown.cancelled() => Stop::Shutdown,
                error = watch_lock(&mut lock) => Stop::LockLost(error),
                () = self.follow() => Stop::Shutdown,
            };
            match stop {
                Stop::Shutdown => {
                    // Closing the connection releases the lock at once for a standby.
                    let _ = lock.close().await;
                    tracing::info!(feed = FEED, "stopped following the orders feed");
                    return;
                }
                Stop::LockLost(error) => tracing::warn!(
                    feed = FEED, %error,
                    "lost the connection holding the feed lock; standing by"
                ),
            }
        }
    }

    /// Waits until this replica holds the feed lock, on a connection of its own; `None` on shutdown.
    async fn take_over(&self) -> Option<PgConnection> {
        let mut standby: Option<PgConnection> = None;
        loop {
            let attempt = async {
                let mut connection = match standby.take() {
                    Some(connection) => connection,
                    None => PgConnection::connect_with(&self.pool.connect_options()).await?,
                };
                let ours: bool = sqlx::query_scalar(LOCK_SQL)
                    .fetch_one(&mut connection)
                    .await?;
                Ok::<_, sqlx::Error>((ours, connection))
            };
            match attempt.await {
                Ok((true, connection)) => return Some(connection),
                Ok((false, connection)) => {
                    tracing::debug!(feed = FEED, "another replica follows the orders feed");
                    standby = Some(connection);
                }
                Err(error) => {
                    tracing::warn!(feed = FEED, %error, "cannot take the feed lock; retrying");
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
        let mut backoff = Backoff::default();
        loop {
            match self.follow_stream(&mut backoff).await {
                Ok(()) => tracing::info!(feed = FEED, "the orders feed ended; reconnecting"),
                Err(error) => tracing::warn!(
                    feed = FEED, error = %format!("{error:#}"),
                    "following the orders feed failed; reconnecting"
                ),
            }
            tokio::time::sleep(backoff.next_delay()).await;
        }
    }

    /// Reads one stream from the stored cursor, applying each event; returns when the stream ends
    /// or another follower moved the cursor (the next stream resumes from where it stands).
    async fn follow_stream(&self, backoff: &mut Backoff) -> anyhow::Result<()> {
        feeds::ensure_cursor(&self.pool, FEED).await?;
        let mut after = {
            let mut connection = self.pool.acquire().await?;
            feeds::cursor(&mut connection, FEED)
                .await?
                .map(|stored| stored.cursor)
                .unwrap_or_default()
        };
        let start = (!after.is_empty()).then(|| ChangeFeedStart {
            position: Some(change_feed_start::Position::AfterCursor(after.clone())),
        });
        let mut stream = self
            .client
            .clone()
            .stream_changes(StreamChangesRequest { start })
            .await?
            .into_inner();
        while let Some(event) = stream.message().await? {
            match apply(&self.pool, &after, &event).await? {
                Applied::Applied | Applied::Skipped => {
                    after = event
                        .envelope
                        .map(|envelope| envelope.cursor)
                        .unwrap_or_default();
                    backoff.reset();
                }
                Applied::Superseded { .. } => {
                    tracing::info!(
                        feed = FEED,
                        "another follower moved the cursor; resuming from where it stands"
                    );
                    return Ok(());
                }
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_pauses_double_from_100_ms_to_a_10_s_cap_with_jitter() {
        let mut backoff = Backoff::default();
        let ceilings_ms = [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000];
        for ceiling in ceilings_ms {
            let delay = backoff.next_delay();
            let ceiling = Duration::from_millis(ceiling);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "{delay:?} not within {ceiling:?}"
            );
        }
        for _ in 0..100 {
            assert!(backoff.next_delay() <= MAX_BACKOFF);
        }
    }

    #[test]
    fn a_success_starts_the_pauses_over() {
        let mut backoff = Backoff::default();
        for _ in 0..6 {
            backoff.next_delay();
        }
        backoff.reset();
        assert!(backoff.next_delay() <= FIRST_BACKOFF);
    }
}

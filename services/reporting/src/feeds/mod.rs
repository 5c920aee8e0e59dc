//! The three feeds reporting follows, each with the platform's follower: the handler decodes the
//! event and [`crate::app::projections`] applies it, in the transaction that moves the cursor.

use std::future::Future;

use logistics_contracts::complaints::complaint_service_client::ComplaintServiceClient;
use logistics_contracts::customers::customer_service_client::CustomerServiceClient;
use logistics_contracts::feeds::FeedMessage;
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_platform::ApiError;
use logistics_platform::ServiceContext;
use logistics_platform::client::{CallCredentials, PeerChannel, channel};
use logistics_platform::feed_follower::{
    EventPosition, FeedFollower, FeedHandler, FollowerHandle, FollowerStatus, Handled,
};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;

use crate::app::projections::{self, Taken};
use crate::store::pending::PendingRollups;

/// The customers feed.
pub(crate) const CUSTOMERS: &str = "customers";
/// The orders feed.
pub(crate) const ORDERS: &str = "orders";
/// The complaints feed.
pub(crate) const COMPLAINTS: &str = "complaints";

/// A feed's handler for the follower.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handler<E> {
    _event: std::marker::PhantomData<fn() -> E>,
}

fn handled(taken: Taken, position: &EventPosition) -> Handled {
    match taken {
        Taken::Applied => Handled::Applied,
        Taken::UnknownRecord => {
            tracing::warn!(
                feed = position.feed,
                event_id = %position.event_id,
                event_type = %position.event_type,
                resource_id = %position.resource_id,
                "the event names a record reporting never heard of; skipped"
            );
            Handled::Skipped
        }
    }
}

macro_rules! feed_handler {
    ($package:ident, $apply:expr) => {
        impl FeedHandler for Handler<logistics_contracts::$package::StreamChangesResponse> {
            type Event = logistics_contracts::$package::StreamChangesResponse;
            type Batch = PendingRollups;

            /// Reporting's calls read the rows a batch writes without waiting on its locks, and
            /// a longer batch folds more events into each row it writes.
            const MAX_BATCH: usize = 200;

            fn apply(
                &self,
                tx: &mut PgConnection,
                event: &Self::Event,
                position: &EventPosition,
                pending: &mut PendingRollups,
            ) -> impl Future<Output = Result<Handled, ApiError>> + Send {
                async move {
                    let Some(inner) = &event.event else {
                        // An event newer than these contracts: nothing to apply.
                        return Ok(Handled::Applied);
                    };
                    let taken = $apply((tx, pending), inner, position.occur_time).await?;
                    Ok(handled(taken, position))
                }
            }

            /// The batch's rollup increments, each row written once.
            fn finish(
                &self,
                tx: &mut PgConnection,
                pending: PendingRollups,
            ) -> impl Future<Output = Result<(), ApiError>> + Send {
                pending.write(tx)
            }
        }
    };
}

feed_handler!(customers, projections::customer_event);
feed_handler!(orders, projections::order_event);
feed_handler!(complaints, projections::complaint_event);

/// A follower of one feed into the read models of `pool`'s schema, as `follower` (the name of its
/// lock: the live projections and a rebuild follow under different names, side by side).
fn follower<E>(
    pool: &PgPool,
    follower: &'static str,
    feed: &'static str,
) -> FeedFollower<Handler<E>>
where
    E: FeedMessage,
    Handler<E>: FeedHandler<Event = E>,
{
    let handler = Handler {
        _event: std::marker::PhantomData,
    };
    FeedFollower::new(pool.clone(), follower, feed, handler)
}

type CustomersClient = CustomerServiceClient<InterceptedService<PeerChannel, CallCredentials>>;
type OrdersClient = OrderServiceClient<InterceptedService<PeerChannel, CallCredentials>>;
type ComplaintsClient = ComplaintServiceClient<InterceptedService<PeerChannel, CallCredentials>>;

/// The three feeds' producers, connected once and followed as often as needed: by the live
/// projections, and again from the beginning by each rebuild.
#[derive(Clone)]
pub(crate) struct FeedSources {
    customers: CustomersClient,
    orders: OrdersClient,
    complaints: ComplaintsClient,
}

impl FeedSources {
    /// Clients of the three producers; every URL is required (reporting has nothing to report
    /// without them).
    pub(crate) fn connect(context: &ServiceContext) -> anyhow::Result<Self> {
        let peers = &context.peers;
        let connect = |peer: &str, url: Option<&String>| -> anyhow::Result<_> {
            let (url, key) = peers.require(peer, url)?;
            Ok((
                channel(crate::NAME, &url, peers.call_timeout())?,
                CallCredentials::bearer(&key)?,
            ))
        };
        let (customers, credentials) = connect("customers", peers.customers_url.as_ref())?;
        let customers = CustomerServiceClient::with_interceptor(customers, credentials);
        let (orders, credentials) = connect("orders", peers.orders_url.as_ref())?;
        let orders = OrderServiceClient::with_interceptor(orders, credentials);
        let (complaints, credentials) = connect("complaints", peers.complaints_url.as_ref())?;
        let complaints = ComplaintServiceClient::with_interceptor(complaints, credentials);
        Ok(Self {
            customers,
            orders,
            complaints,
        })
    }

    /// Starts following the three feeds into `pool`'s schema, each from its stored cursor (from
    /// the beginning in a fresh schema), as `name`, until `stop`.
    pub(crate) fn follow(
        &self,
        pool: &PgPool,
        name: &'static str,
        stop: CancellationToken,
    ) -> Followers {
        let customers = self.customers.clone();
        let orders = self.orders.clone();
        let complaints = self.complaints.clone();
        let handles = vec![
            follower::<logistics_contracts::customers::StreamChangesResponse>(
                pool, name, CUSTOMERS,
            )
            .spawn(
                move |request| {
                    let mut client = customers.clone();
                    async move { client.stream_changes(request).await }
                },
                stop.clone(),
            ),
            follower::<logistics_contracts::orders::StreamChangesResponse>(pool, name, ORDERS)
                .spawn(
                    move |request| {
                        let mut client = orders.clone();
                        async move { client.stream_changes(request).await }
                    },
                    stop.clone(),
                ),
            follower::<logistics_contracts::complaints::StreamChangesResponse>(
                pool, name, COMPLAINTS,
            )
            .spawn(
                move |request| {
                    let mut client = complaints.clone();
                    async move { client.stream_changes(request).await }
                },
                stop.clone(),
            ),
        ];
        Followers { handles, stop }
    }
}

/// The three followers of one set of read models, running in the background.
pub(crate) struct Followers {
    handles: Vec<FollowerHandle>,
    stop: CancellationToken,
}

impl Followers {
    /// Each feed's status, in the order customers, orders, complaints.
    pub(crate) fn statuses(&self) -> Vec<FollowerStatus> {
        self.handles.iter().map(FollowerHandle::status).collect()
    }

    /// Stops the three followers and waits until they have: whatever they were applying is
    /// rolled back, and the cursors stand after the last event committed.
    pub(crate) async fn stop(self) {
        self.stop.cancel();
        for handle in self.handles {
            handle.join().await;
        }
    }
}

/// The name the live projections follow the feeds under.
pub(crate) const LIVE: &str = crate::NAME;

/// The live projections' followers: started with the service, stopped at its shutdown, and
/// started again after a rebuild swapped fresh read models in (so they resume at once from the
/// rebuild's cursors instead of at their next event).
pub(crate) struct LiveFollowers {
    sources: FeedSources,
    pool: PgPool,
    shutdown: CancellationToken,
    running: tokio::sync::Mutex<Option<Followers>>,
}

impl LiveFollowers {
    /// Starts following the feeds into `pool`'s schema until `shutdown`.
    pub(crate) fn start(sources: FeedSources, pool: PgPool, shutdown: CancellationToken) -> Self {
        let followers = sources.follow(&pool, LIVE, shutdown.child_token());
        Self {
            sources,
            pool,
            shutdown,
            running: tokio::sync::Mutex::new(Some(followers)),
        }
    }

    /// The sources, for a rebuild to follow from the beginning.
    pub(crate) fn sources(&self) -> &FeedSources {
        &self.sources
    }

    /// Each feed's status, in the order customers, orders, complaints; empty once stopped.
    pub(crate) async fn statuses(&self) -> Vec<FollowerStatus> {
        self.running
            .lock()
            .await
            .as_ref()
            .map(Followers::statuses)
            .unwrap_or_default()
    }

    /// Stops the followers and starts them again from the cursors stored now; nothing once the
    /// service is shutting down.
    pub(crate) async fn restart(&self) {
        let mut running = self.running.lock().await;
        if let Some(followers) = running.take() {
            followers.stop().await;
        }
        if !self.shutdown.is_cancelled() {
            *running = Some(
                self.sources
                    .follow(&self.pool, LIVE, self.shutdown.child_token()),
            );
        }
    }

    /// Waits for the followers to stop: call after the shutdown was signalled.
    pub(crate) async fn join(&self) {
        if let Some(followers) = self.running.lock().await.take() {
            followers.stop().await;
        }
    }
}

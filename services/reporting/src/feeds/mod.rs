//! The three feeds reporting follows, each with the platform's follower: the handler decodes the
//! event and [`crate::app::projections`] applies it, in the transaction that moves the cursor.

use std::future::Future;

use logistics_contracts::feeds::FeedMessage;
use logistics_platform::ApiError;
use logistics_platform::ServiceContext;
use logistics_platform::client::{CallCredentials, channel};
use logistics_platform::feed_follower::{
    EventPosition, FeedFollower, FeedHandler, FollowerHandle, Handled,
};
use sqlx::{PgConnection, PgPool};

use crate::app::projections::{self, Taken};

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

            fn apply(
                &self,
                tx: &mut PgConnection,
                event: &Self::Event,
                position: &EventPosition,
            ) -> impl Future<Output = Result<Handled, ApiError>> + Send {
                async move {
                    let Some(inner) = &event.event else {
                        // An event newer than these contracts: nothing to apply.
                        return Ok(Handled::Applied);
                    };
                    let taken = $apply(tx, inner, position.occur_time).await?;
                    Ok(handled(taken, position))
                }
            }
        }
    };
}

feed_handler!(customers, projections::customer_event);
feed_handler!(orders, projections::order_event);
feed_handler!(complaints, projections::complaint_event);

/// A follower of one feed over reporting's schema.
fn follower<E>(pool: &PgPool, feed: &'static str) -> FeedFollower<Handler<E>>
where
    E: FeedMessage,
    Handler<E>: FeedHandler<Event = E>,
{
    let handler = Handler {
        _event: std::marker::PhantomData,
    };
    FeedFollower::new(pool.clone(), crate::NAME, feed, handler)
}

/// Starts following the three feeds; every URL is required (reporting has nothing to report
/// without them).
pub(crate) fn spawn(
    pool: &PgPool,
    context: &ServiceContext,
) -> anyhow::Result<Vec<FollowerHandle>> {
    let peers = &context.peers;
    let shutdown = context.shutdown.clone();
    let connect = |peer: &str, url: Option<&String>| -> anyhow::Result<_> {
        let (url, key) = peers.require(peer, url)?;
        Ok((
            channel(crate::NAME, &url, peers.call_timeout())?,
            CallCredentials::bearer(&key)?,
        ))
    };
    let (customers_channel, credentials) = connect("customers", peers.customers_url.as_ref())?;
    let customers = logistics_contracts::customers::customer_service_client::CustomerServiceClient::with_interceptor(customers_channel, credentials);
    let (orders_channel, credentials) = connect("orders", peers.orders_url.as_ref())?;
    let orders =
        logistics_contracts::orders::order_service_client::OrderServiceClient::with_interceptor(
            orders_channel,
            credentials,
        );
    let (complaints_channel, credentials) = connect("complaints", peers.complaints_url.as_ref())?;
    let complaints = logistics_contracts::complaints::complaint_service_client::ComplaintServiceClient::with_interceptor(complaints_channel, credentials);
    Ok(vec![
        follower::<logistics_contracts::customers::StreamChangesResponse>(pool, CUSTOMERS).spawn(
            move |start| {
                let mut client = customers.clone();
                let request = logistics_contracts::customers::StreamChangesRequest { start };
                async move { client.stream_changes(request).await }
            },
            shutdown.clone(),
        ),
        follower::<logistics_contracts::orders::StreamChangesResponse>(pool, ORDERS).spawn(
            move |start| {
                let mut client = orders.clone();
                let request = logistics_contracts::orders::StreamChangesRequest { start };
                async move { client.stream_changes(request).await }
            },
            shutdown.clone(),
        ),
        follower::<logistics_contracts::complaints::StreamChangesResponse>(pool, COMPLAINTS).spawn(
            move |start| {
                let mut client = complaints.clone();
                let request = logistics_contracts::complaints::StreamChangesRequest { start };
                async move { client.stream_changes(request).await }
            },
            shutdown,
        ),
    ])
}

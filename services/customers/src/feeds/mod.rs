//! What the customers service learns from the other services' change feeds: the handlers it plugs
//! into the platform's feed follower, which follows each feed in the background and applies each
//! event once, in the same transaction that moves the feed's cursor.

pub(crate) mod complaints;
pub(crate) mod orders;

use logistics_contracts::complaints::complaint_service_client::ComplaintServiceClient;
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_platform::ServiceContext;
use logistics_platform::client::{CallCredentials, channel};
use logistics_platform::feed_follower::FollowerHandle;
use sqlx::PgPool;

/// Starts following the orders and complaints feeds the context names; logs a warning and skips
/// a feed whose service it does not name (customers then learns nothing from it). A URL without
/// the service's own API key is a configuration error.
pub(crate) fn spawn(pool: PgPool, context: &ServiceContext) -> anyhow::Result<Vec<FollowerHandle>> {
    let peers = &context.peers;
    let mut followers = Vec::new();
    match &peers.orders_url {
        Some(url) => {
            let (url, key) = peers.require("orders", Some(url))?;
            let client = OrderServiceClient::with_interceptor(
                channel(crate::NAME, &url, peers.call_timeout())?,
                CallCredentials::bearer(&key)?,
            );
            followers.push(orders::follower(pool.clone()).spawn(
                move |request| {
                    let mut client = client.clone();
                    async move { client.stream_changes(request).await }
                },
                context.shutdown.clone(),
            ));
        }
        None => tracing::warn!(
            "LOGISTICS_ORDERS_URL is not set: customers will not follow the orders feed \
             (no activity, points or thank-you follow-ups from deliveries)"
        ),
    }
    match &peers.complaints_url {
        Some(url) => {
            let (url, key) = peers.require("complaints", Some(url))?;
            let client = ComplaintServiceClient::with_interceptor(
                channel(crate::NAME, &url, peers.call_timeout())?,
                CallCredentials::bearer(&key)?,
            );
            followers.push(complaints::follower(pool).spawn(
                move |request| {
                    let mut client = client.clone();
                    async move { client.stream_changes(request).await }
                },
                context.shutdown.clone(),
            ));
        }
        None => tracing::warn!(
            "LOGISTICS_COMPLAINTS_URL is not set: customers will not follow the complaints feed \
             (no check-in follow-ups after resolved complaints)"
        ),
    }
    Ok(followers)
}

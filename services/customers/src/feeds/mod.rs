//! What the customers service learns from the other services' change feeds: the handlers it plugs
//! into the platform's feed follower, which follows each feed in the background and applies each
//! event once, in the same transaction that moves the feed's cursor.

pub(crate) mod orders;

use logistics_contracts::orders::StreamChangesRequest;
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_platform::ServiceContext;
use logistics_platform::client::{CallCredentials, channel};
use logistics_platform::feed_follower::FollowerHandle;
use sqlx::PgPool;

/// Starts following the orders feed when the context names the orders service; logs a warning
/// and follows nothing when it does not (customers then learns nothing from orders). An orders
/// URL without the service's own API key is a configuration error.
pub(crate) fn spawn(
    pool: PgPool,
    context: &ServiceContext,
) -> anyhow::Result<Option<FollowerHandle>> {
    let Some(url) = &context.peers.orders_url else {
        tracing::warn!(
            "LOGISTICS_ORDERS_URL is not set: customers will not follow the orders feed \
             (no activity, points or thank-you follow-ups from deliveries)"
        );
        return Ok(None);
    };
    let (url, key) = context.peers.require("orders", Some(url))?;
    let client = OrderServiceClient::with_interceptor(
        channel(crate::NAME, &url, context.peers.call_timeout())?,
        CallCredentials::bearer(&key)?,
    );
    let follower = orders::follower(pool).spawn(
        move |start| {
            let mut client = client.clone();
            async move { client.stream_changes(StreamChangesRequest { start }).await }
        },
        context.shutdown.clone(),
    );
    Ok(Some(follower))
}

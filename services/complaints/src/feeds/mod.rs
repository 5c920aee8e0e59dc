//! What the complaints service learns from the other services' change feeds: the handlers it
//! plugs into the platform's feed follower, which follows each feed in the background and applies
//! each event once, in the same transaction that moves the feed's cursor.

pub(crate) mod orders;

use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_platform::ServiceContext;
use logistics_platform::client::{CallCredentials, channel};
use logistics_platform::feed_follower::FollowerHandle;
use sqlx::PgPool;

use crate::app::Complaints;

/// Starts following the orders feed (complaints needs the orders service anyway, for evidence).
pub(crate) fn spawn(
    pool: PgPool,
    complaints: Complaints,
    context: &ServiceContext,
) -> anyhow::Result<FollowerHandle> {
    let peers = &context.peers;
    let (url, key) = peers.require("orders", peers.orders_url.as_ref())?;
    let client = OrderServiceClient::with_interceptor(
        channel(crate::NAME, &url, peers.call_timeout())?,
        CallCredentials::bearer(&key)?,
    );
    let follower = orders::follower(pool, complaints).spawn(
        move |request| {
            let mut client = client.clone();
            async move { client.stream_changes(request).await }
        },
        context.shutdown.clone(),
    );
    Ok(follower)
}

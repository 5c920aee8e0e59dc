//! The reporting service: read models built from the change feeds of customers, orders and
//! complaints, and the figures read from them, served as `logistics.reporting.v1`.

mod api;
mod app;
mod domain;
mod feeds;
mod reasons;
// Statement documents; the RenderStatement RPC (wired by the lead) is their first caller.
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "RenderStatement is not wired yet")
)]
mod render;
mod store;

pub use api::SCOPES;

use std::sync::Arc;

use logistics_contracts::reporting::reporting_service_server::ReportingServiceServer;
use logistics_platform::customers_directory::CustomersDirectory;
use logistics_platform::server::GrpcServer;
use logistics_platform::{ServiceContext, db, feed_follower};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

/// The service's name: in health checks, logs and the `logistics serve` command.
pub const NAME: &str = "reporting";
/// The domain of its errors' ErrorInfo.
pub const DOMAIN: &str = "logistics.reporting";
/// The PostgreSQL schema it owns.
pub const SCHEMA: &str = "reporting";

/// The service's migrations; a rebuild runs them again in its fresh schema.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Brings the service's schema up to date.
pub async fn migrate(context: &ServiceContext) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    db::migrate(&pool, &MIGRATOR).await?;
    feed_follower::migrate(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Follows the feeds and serves the reports on `listener` until the context's shutdown signal,
/// then waits for the followers to stop.
pub async fn run(context: ServiceContext, listener: TcpListener) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    let sources = feeds::FeedSources::connect(&context)?;
    let live = Arc::new(feeds::LiveFollowers::start(
        sources,
        pool.clone(),
        context.shutdown.clone(),
    ));
    let customers = CustomersDirectory::connect(NAME, &context.peers)?;
    let rebuilder = app::rebuild::Rebuilder::new(pool.clone(), &context, live.clone());
    rebuilder.recover().await?;
    let reports = app::Reports::new(pool.clone(), live.clone(), rebuilder);
    let api = api::reporting_service::ReportingApi::new(reports, customers);
    let limit = context.server.max_message_bytes;
    GrpcServer::new(NAME, DOMAIN, &context.server, context.keys.clone())
        .add_service(
            ReportingServiceServer::new(api).max_decoding_message_size(limit),
            api::reporting_service::SCOPES,
        )
        .serve(listener, context.shutdown.clone())
        .await?;
    live.join().await;
    pool.close().await;
    Ok(())
}

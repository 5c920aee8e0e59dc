//! The reporting service: read models built from the change feeds of customers, orders and
//! complaints, and the figures read from them, served as `logistics.reporting.v1`.

mod api;
mod app;
mod domain;
mod feeds;
mod reasons;
// Statement documents; the RenderStatement RPC (wired by the lead) is their first caller.
mod render;
mod store;

pub use api::SCOPES;
/// The tables built from the feeds alone, which RebuildProjections swaps: the fuzz test leaves
/// them out of what a refused call must not change (the followers write them in the background).
pub use store::rebuilds::SWAPPED_TABLES as PROJECTION_TABLES;

use std::sync::Arc;

use logistics_contracts::reporting::reporting_service_server::ReportingServiceServer;
use logistics_platform::customers_directory::CustomersDirectory;
use logistics_platform::jobs::{Job, JobRunner, Schedule};
use logistics_platform::pagination::PageTokens;
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

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Brings the service's schema up to date.
pub async fn migrate(context: &ServiceContext) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    migrate_schema(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Creates the read models in `pool`'s schema, whatever its name: the service's own, a rebuild's,
/// or the benchmark's (`logistics bench reporting`).
pub async fn migrate_schema(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    db::migrate(pool, &MIGRATOR).await?;
    feed_follower::migrate(pool).await
}

/// Applies orders-feed events, each with when it was written, to the read models of `conn`'s
/// schema as the follower applies one batch (without its cursor): the benchmark checks its bulk
/// loader against it.
pub async fn apply_orders_events(
    conn: &mut sqlx::PgConnection,
    events: &[(
        logistics_contracts::orders::stream_changes_response::Event,
        chrono::DateTime<chrono::Utc>,
    )],
) -> anyhow::Result<()> {
    let mut pending = store::pending::PendingRollups::default();
    let applied = async {
        for (event, written) in events {
            app::projections::order_event((&mut *conn, &mut pending), event, *written).await?;
        }
        pending.write(conn).await
    };
    applied.await.map_err(|error| anyhow::anyhow!("{error}"))
}

/// Follows the feeds and serves the reports on `listener` until the context's shutdown signal,
/// then waits for the followers and the monthly statements' job to stop.
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
    let jobs = JobRunner::new(context.shutdown.clone());
    let generation = Job::new(app::statements::JOB, pool.clone());
    let generator = reports.clone();
    jobs.schedule(
        generation.clone(),
        Schedule::every(app::statements::JOB_PERIOD),
        move || {
            let generator = generator.clone();
            async move { generator.generate_closed_month(chrono::Utc::now()).await }
        },
    );
    let tokens = PageTokens::new(context.token_key.clone(), "reporting.statements");
    let statements =
        api::statements::StatementsApi::new(reports.clone(), customers.clone(), tokens, generation);
    let api = api::reporting_service::ReportingApi::new(
        reports,
        customers,
        &context.token_key,
        statements,
    );
    let limit = context.server.max_message_bytes;
    GrpcServer::new(NAME, DOMAIN, &context.server, context.keys.clone())
        .add_service(
            ReportingServiceServer::new(api).max_decoding_message_size(limit),
            api::reporting_service::SCOPES,
        )
        .serve(listener, context.shutdown.clone())
        .await?;
    jobs.join().await;
    live.join().await;
    pool.close().await;
    Ok(())
}

//! The complaints and after-sales service: complaints, inquiries, suggestions and claims from
//! filing to closing, timed in business hours, served as the gRPC services of
//! `logistics.complaints.v1`.

mod api;
mod app;
mod clients;
mod domain;
mod feeds;
mod reasons;
mod store;

pub use api::SCOPES;

use std::time::Duration;

use logistics_contracts::complaints::complaint_service_server::ComplaintServiceServer;
use logistics_contracts::complaints::sla_service_server::SlaServiceServer;
use logistics_platform::jobs::{Job, JobRunner, Schedule};
use logistics_platform::server::GrpcServer;
use logistics_platform::{ServiceContext, db, feed_follower, idempotency};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

use crate::clients::{CustomersDirectory, OrdersDirectory};
use crate::domain::claim::ClaimWindows;

/// The service's name: in health checks, logs and the `logistics serve` command.
pub const NAME: &str = "complaints";
/// The domain of its errors' ErrorInfo.
pub const DOMAIN: &str = "logistics.complaints";
/// The PostgreSQL schema it owns.
pub const SCHEMA: &str = "complaints";

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Brings the service's schema up to date.
pub async fn migrate(context: &ServiceContext) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    db::migrate(&pool, &MIGRATOR).await?;
    feed_follower::migrate(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Settings of the complaints service alone.
#[derive(Debug, Clone, clap::Args)]
pub struct ComplaintsSettings {
    /// Seconds between two runs of the SLA sweep (warnings, escalations, closing resolved
    /// complaints after 7 days).
    #[arg(
        long,
        env = "LOGISTICS_SLA_SWEEP_SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        global = true
    )]
    pub sla_sweep_seconds: u64,

    /// Days after the delivery within which damage, shortage and delay may be claimed.
    #[arg(
        long,
        env = "LOGISTICS_CLAIM_DAYS_AFTER_DELIVERY",
        default_value_t = 21,
        value_parser = clap::value_parser!(u32).range(1..=3650),
        global = true
    )]
    pub claim_days_after_delivery: u32,

    /// Months after the promised delivery within which a loss may be claimed.
    #[arg(
        long,
        env = "LOGISTICS_CLAIM_MONTHS_AFTER_PROMISE",
        default_value_t = 9,
        value_parser = clap::value_parser!(u32).range(1..=120),
        global = true
    )]
    pub claim_months_after_promise: u32,
}

impl Default for ComplaintsSettings {
    fn default() -> Self {
        let windows = ClaimWindows::default();
        Self {
            sla_sweep_seconds: app::sweep::PERIOD.as_secs(),
            claim_days_after_delivery: windows.after_delivery_days,
            claim_months_after_promise: windows.after_promise_months,
        }
    }
}

/// Serves the service's gRPC APIs on `listener` with default settings until the context's
/// shutdown signal.
pub async fn run(context: ServiceContext, listener: TcpListener) -> anyhow::Result<()> {
    run_with(context, ComplaintsSettings::default(), listener).await
}

/// Serves the service's gRPC APIs on `listener` until the context's shutdown signal, then
/// waits for its background jobs to stop.
pub async fn run_with(
    context: ServiceContext,
    settings: ComplaintsSettings,
    listener: TcpListener,
) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    app::ensure_default_settings(&pool).await?;
    let customers = CustomersDirectory::connect(NAME, &context.peers)?;
    let orders = OrdersDirectory::connect(&context.peers)?;
    let windows = ClaimWindows {
        after_delivery_days: settings.claim_days_after_delivery,
        after_promise_months: settings.claim_months_after_promise,
    };
    let complaints = app::Complaints::new(pool.clone(), customers, orders, windows);
    let jobs = JobRunner::new(context.shutdown.clone());
    idempotency::schedule_purge(&jobs, "complaints.idempotency_purge", pool.clone());
    let sweep = Job::new("complaints.sla_sweep", pool.clone());
    let sweeper = complaints.clone();
    jobs.schedule(
        sweep.clone(),
        Schedule::every(Duration::from_secs(settings.sla_sweep_seconds)),
        move || {
            let sweeper = sweeper.clone();
            async move {
                let swept = sweeper.sweep().await?;
                if swept.warned + swept.escalated_level_1 + swept.escalated_level_2 + swept.closed
                    > 0
                {
                    tracing::info!(
                        warned = swept.warned,
                        escalated_level_1 = swept.escalated_level_1,
                        escalated_level_2 = swept.escalated_level_2,
                        closed = swept.closed,
                        "SLA sweep done"
                    );
                }
                Ok(swept)
            }
        },
    );
    let follower = feeds::spawn(pool.clone(), complaints.clone(), &context)?;
    let limit = context.server.max_message_bytes;
    let complaint_api = api::complaint_service::ComplaintsApi::new(complaints.clone(), &context);
    let sla_api = api::sla_service::SlaApi::new(complaints, sweep);
    GrpcServer::new(NAME, DOMAIN, &context.server, context.keys.clone())
        .add_service(
            ComplaintServiceServer::new(complaint_api).max_decoding_message_size(limit),
            api::complaint_service::SCOPES,
        )
        .add_service(
            SlaServiceServer::new(sla_api).max_decoding_message_size(limit),
            api::sla_service::SCOPES,
        )
        .serve(listener, context.shutdown.clone())
        .await?;
    jobs.join().await;
    follower.join().await;
    pool.close().await;
    Ok(())
}

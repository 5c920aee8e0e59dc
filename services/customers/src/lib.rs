//! The customers service: who the logistics company's customers are, how they are graded and
//! served, served as the gRPC services of `logistics.customers.v1`.

mod api;
mod app;
mod domain;
mod feeds;
mod reasons;
mod store;

/// The scope tables of every RPC the service serves, for the suite's test that every RPC of the
/// protos has one.
pub use api::SCOPES;
/// The follow-up sweep (its `JOB` name and `schedule`), for the engagement test that runs it on a
/// runner of its own.
pub use app::follow_up_sweep;
/// Applying one orders-feed event as the follower does, and what came of it: for the orders-feed
/// tests that feed events by hand.
pub use feeds::orders::{Applied, apply as apply_orders_event};
/// Pruning AddContact's first answers, for the redaction test that ages one past retention.
pub use store::contacts::prune_first_answers;

use std::time::Duration;

use logistics_contracts::customers::contact_service_server::ContactServiceServer;
use logistics_contracts::customers::customer_service_server::CustomerServiceServer;
use logistics_contracts::customers::engagement_service_server::EngagementServiceServer;
use logistics_contracts::customers::loyalty_service_server::LoyaltyServiceServer;
use logistics_platform::jobs::{Job, JobRunner, Schedule};
use logistics_platform::server::GrpcServer;
use logistics_platform::{ServiceContext, db, feed_follower, idempotency};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

/// The service's name: in health checks, logs and the `logistics serve` command.
pub const NAME: &str = "customers";
/// The domain of its errors' ErrorInfo.
pub const DOMAIN: &str = "logistics.customers";
/// The PostgreSQL schema it owns.
pub const SCHEMA: &str = "customers";

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Brings the service's schema up to date.
pub async fn migrate(context: &ServiceContext) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    db::migrate(&pool, &MIGRATOR).await?;
    // After 0006, which created feed_cursors before the follower moved into the platform.
    feed_follower::migrate(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Serves the service's gRPC APIs on `listener` until the context's shutdown signal, then
/// waits for its background jobs to stop.
pub async fn run(context: ServiceContext, listener: TcpListener) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    store::grading::ensure_default_policy(&pool).await?;
    let limit = context.server.max_message_bytes;
    let customers = api::customer_service::CustomersApi::new(pool.clone(), &context);
    let engagement = api::engagement_service::EngagementApi::new(pool.clone(), &context);
    let contacts = api::contact_service::ContactsApi::new(pool.clone(), &context)?;
    let loyalty = api::loyalty_service::LoyaltyApi::new(pool.clone(), &context);
    let jobs = schedule_jobs(&pool, &context, &customers, &engagement, &loyalty);
    let followers = feeds::spawn(pool.clone(), &context)?;
    GrpcServer::new(NAME, DOMAIN, &context.server, context.keys.clone())
        .add_service(
            CustomerServiceServer::new(customers).max_decoding_message_size(limit),
            api::customer_service::SCOPES,
        )
        .add_service(
            EngagementServiceServer::new(engagement).max_decoding_message_size(limit),
            api::engagement_service::SCOPES,
        )
        .add_service(
            ContactServiceServer::new(contacts).max_decoding_message_size(limit),
            api::contact_service::SCOPES,
        )
        .add_service(
            LoyaltyServiceServer::new(loyalty).max_decoding_message_size(limit),
            api::loyalty_service::SCOPES,
        )
        .serve(listener, context.shutdown.clone())
        .await?;
    jobs.join().await;
    for follower in followers {
        follower.join().await;
    }
    pool.close().await;
    Ok(())
}

/// How often the lifecycle sweep runs (DORMANT / CHURNED, grades that age out of their windows).
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// Starts the service's periodic jobs; each runs on one replica at a time.
fn schedule_jobs(
    pool: &PgPool,
    context: &ServiceContext,
    customers: &api::customer_service::CustomersApi,
    engagement: &api::engagement_service::EngagementApi,
    loyalty: &api::loyalty_service::LoyaltyApi,
) -> JobRunner {
    let jobs = JobRunner::new(context.shutdown.clone());
    idempotency::schedule_purge(&jobs, "customers.idempotency_purge", pool.clone());
    app::follow_up_sweep::schedule(
        &jobs,
        engagement.follow_up_sweep_job(),
        pool.clone(),
        Schedule::every(app::follow_up_sweep::PERIOD),
    );
    loyalty.schedule_expiry(&jobs);
    let sweep_pool = pool.clone();
    jobs.schedule(
        customers.lifecycle_sweep_job(),
        Schedule::every(SWEEP_EVERY),
        move || {
            let pool = sweep_pool.clone();
            async move {
                let swept = app::lifecycle::sweep(&pool).await?;
                tracing::info!(
                    dormant = swept.became_dormant,
                    churned = swept.became_churned,
                    regraded = swept.regraded,
                    "lifecycle sweep done"
                );
                Ok(swept)
            }
        },
    );
    // AddContact's first answers hold personal data: keep them no longer than the request ids
    // they answer.
    let prune_pool = pool.clone();
    jobs.schedule(
        Job::new("customers.first_contact_answers_prune", pool.clone()),
        Schedule::every(idempotency::PURGE_EVERY),
        move || {
            let pool = prune_pool.clone();
            async move {
                let pruned =
                    store::contacts::prune_first_answers(&pool, idempotency::RETENTION).await?;
                if pruned > 0 {
                    tracing::info!(
                        pruned,
                        "pruned first answers of expired AddContact requests"
                    );
                }
                Ok(pruned)
            }
        },
    );
    jobs
}

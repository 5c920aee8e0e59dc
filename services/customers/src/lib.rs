//! The customers service: who the logistics company's customers are, how they are graded and
//! served, served as the gRPC services of `logistics.customers.v1`.

pub mod api;
pub mod domain;
mod events;
pub mod feeds;
pub mod store;

use std::time::Duration;

use logistics_contracts::customers::contact_service_server::ContactServiceServer;
use logistics_contracts::customers::customer_service_server::CustomerServiceServer;
use logistics_contracts::customers::engagement_service_server::EngagementServiceServer;
use logistics_contracts::customers::loyalty_service_server::LoyaltyServiceServer;
use logistics_platform::server::GrpcServer;
use logistics_platform::{ServiceContext, db, idempotency};
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
    pool.close().await;
    Ok(())
}

/// Serves the service's gRPC APIs on `listener` until the context's shutdown signal.
pub async fn run(context: ServiceContext, listener: TcpListener) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    idempotency::spawn_purger(pool.clone(), context.shutdown.clone());
    store::grading::ensure_default_policy(&pool).await?;
    api::follow_up_sweep::spawn(
        pool.clone(),
        api::follow_up_sweep::PERIOD,
        context.shutdown.clone(),
    );
    let limit = context.server.max_message_bytes;
    let customers = api::customer_service::CustomersApi::new(pool.clone(), &context);
    spawn_lifecycle_sweeper(customers.clone(), pool.clone(), context.shutdown.clone());
    let engagement = api::engagement_service::EngagementApi::new(pool.clone(), &context);
    let contacts = api::contact_service::ContactsApi::new(pool.clone(), &context)?;
    let loyalty = api::loyalty_service::LoyaltyApi::new(pool.clone(), &context);
    loyalty.spawn_expiry(context.shutdown.clone());
    feeds::follower::spawn(pool.clone(), &context)?;
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
    pool.close().await;
    Ok(())
}

/// How often the lifecycle sweep runs (DORMANT / CHURNED, grades that age out of their windows).
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// Runs the lifecycle sweep periodically. Replicas take turns through an advisory lock, so one
/// sweep runs at a time however many pods there are.
fn spawn_lifecycle_sweeper(
    api: api::customer_service::CustomersApi,
    pool: sqlx::PgPool,
    shutdown: tokio_util::sync::CancellationToken,
) {
    tokio::spawn(async move {
        // The first sweep waits a whole period: a restart loop must not turn into a sweep loop.
        let mut every =
            tokio::time::interval_at(tokio::time::Instant::now() + SWEEP_EVERY, SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            let outcome = async {
                let mut lock = pool.acquire().await?;
                let ours: bool = sqlx::query_scalar(
                    "SELECT pg_try_advisory_lock(hashtext('logistics.customers.lifecycle_sweep'))",
                )
                .fetch_one(&mut *lock)
                .await?;
                if !ours {
                    return Ok(None);
                }
                let swept = api.sweep().await;
                // AddContact's first answers hold personal data: keep them no longer than the
                // request ids they answer.
                let pruned =
                    store::contacts::prune_first_answers(&pool, idempotency::RETENTION).await;
                sqlx::query(
                    "SELECT pg_advisory_unlock(hashtext('logistics.customers.lifecycle_sweep'))",
                )
                .execute(&mut *lock)
                .await?;
                let swept = swept?;
                Ok(Some((swept, pruned?)))
            };
            match outcome.await {
                Ok(Some((swept, pruned))) => tracing::info!(
                    dormant = swept.became_dormant,
                    churned = swept.became_churned,
                    regraded = swept.regraded,
                    first_contact_answers_pruned = pruned,
                    "lifecycle sweep done"
                ),
                Ok(None) => tracing::debug!("another replica is sweeping"),
                Err(error) => {
                    let error: logistics_platform::ApiError = error;
                    tracing::warn!(error = %error, "lifecycle sweep failed; retrying next time");
                }
            }
        }
    });
}

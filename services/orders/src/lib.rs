//! The orders and tracking service: shipments from quote to proof of delivery, served as the gRPC
//! services of `logistics.orders.v1`.
//!
//! Its rooms: `api` decodes, calls a use case and encodes; `app` holds the use cases; `domain`
//! the rules, free of I/O; `store` the SQL, one module per group of tables; `clients` the
//! services it calls. Everything is crate-private but the few re-exports below.

mod api;
mod app;
mod clients;
mod domain;
mod reasons;
mod store;

/// The scope of every RPC this crate serves: the suite's server test holds it to the protos.
pub use api::SCOPES;
/// The client of the customers service: the suite's tests call it against a refusing peer.
pub use clients::CustomersDirectory;
/// Tracking numbers as the service draws them: the orders tests name shipments that do not exist.
pub use domain::numbers::tracking_number;
/// The order status machine's states: the orders tests read stored statuses with it.
pub use domain::status::OrderStatus;

use chrono::NaiveTime;
use logistics_contracts::orders::address_book_service_server::AddressBookServiceServer;
use logistics_contracts::orders::order_service_server::OrderServiceServer;
use logistics_contracts::orders::quote_service_server::QuoteServiceServer;
use logistics_platform::jobs::JobRunner;
use logistics_platform::server::GrpcServer;
use logistics_platform::{ServiceContext, db, idempotency};
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;

/// The service's name: in health checks, logs and the `logistics serve` command.
pub const NAME: &str = "orders";
/// The domain of its errors' ErrorInfo.
pub const DOMAIN: &str = "logistics.orders";
/// The PostgreSQL schema it owns.
pub const SCHEMA: &str = "orders";

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Brings the service's schema up to date.
pub async fn migrate(context: &ServiceContext) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    db::migrate(&pool, &MIGRATOR).await?;
    pool.close().await;
    Ok(())
}

/// Settings of the orders service alone.
#[derive(Debug, Clone, clap::Args)]
pub struct OrdersSettings {
    /// Same-day pickup cut-off, company time (Asia/Shanghai), as HH:MM: a pickup for today must be
    /// booked before it.
    #[arg(
        long,
        env = "LOGISTICS_SAME_DAY_PICKUP_CUTOFF",
        default_value = "15:00",
        value_parser = parse_time_of_day,
        global = true
    )]
    pub same_day_pickup_cutoff: NaiveTime,
    /// Tracking events kept in memory by the tracking cache, in all: each shipment counts its
    /// events plus one, twice (once more for the answers encoded from them); 0 turns the cache
    /// off.
    #[arg(
        long,
        env = "LOGISTICS_TRACKING_CACHE_EVENTS",
        default_value_t = DEFAULT_TRACKING_CACHE_EVENTS,
        global = true
    )]
    pub tracking_cache_events: u64,
}

/// About 40 MiB at most, at a few hundred bytes an event.
const DEFAULT_TRACKING_CACHE_EVENTS: u64 = 100_000;

impl Default for OrdersSettings {
    fn default() -> Self {
        Self {
            same_day_pickup_cutoff: domain::pickup::DEFAULT_SAME_DAY_CUTOFF,
            tracking_cache_events: DEFAULT_TRACKING_CACHE_EVENTS,
        }
    }
}

fn parse_time_of_day(text: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| format!("{text:?} is not a time HH:MM"))
}

/// Serves the service's gRPC APIs on `listener` with default settings until the context's
/// shutdown signal.
pub async fn run(context: ServiceContext, listener: TcpListener) -> anyhow::Result<()> {
    run_with(context, OrdersSettings::default(), listener).await
}

/// Serves the service's gRPC APIs on `listener` until the context's shutdown signal.
pub async fn run_with(
    context: ServiceContext,
    settings: OrdersSettings,
    listener: TcpListener,
) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    let jobs = JobRunner::new(context.shutdown.clone());
    idempotency::schedule_purge(&jobs, "orders.idempotency_purge", pool.clone());
    store::rate_cards::ensure_default_card(&pool).await?;
    let limit = context.server.max_message_bytes;
    let quoter = app::quotes::Quoter::new(pool.clone());
    let quotes = api::quote_service::QuotesApi::new(pool.clone(), quoter.clone());
    let customers = clients::CustomersDirectory::connect(&context.peers)?;
    let address_book = api::address_book_service::AddressBookApi::new(
        pool.clone(),
        context.token_key.clone(),
        customers.clone(),
    );
    let (cache, wake) = app::tracking_cache::TrackingCache::follow(
        pool.clone(),
        SCHEMA,
        settings.tracking_cache_events,
        context.shutdown.clone(),
    );
    let tracking = api::tracking_service::TrackingApi::new(
        pool.clone(),
        (cache.clone(), wake),
        &context,
        customers.clone(),
    );
    let orders = api::order_service::OrdersApi::new(
        pool.clone(),
        customers,
        quoter,
        cache,
        &settings,
        &context,
    );
    app::partitions::schedule_partition_upkeep(&jobs, pool.clone());
    GrpcServer::new(NAME, DOMAIN, &context.server, context.keys.clone())
        .add_service(
            OrderServiceServer::new(orders).max_decoding_message_size(limit),
            api::order_service::SCOPES,
        )
        .add_service(
            QuoteServiceServer::new(quotes).max_decoding_message_size(limit),
            api::quote_service::SCOPES,
        )
        .add_service(
            AddressBookServiceServer::new(address_book).max_decoding_message_size(limit),
            api::address_book_service::SCOPES,
        )
        .add_service(
            api::tracking_service::server(tracking, limit),
            api::tracking_service::SCOPES,
        )
        .serve(listener, context.shutdown.clone())
        .await?;
    jobs.join().await;
    pool.close().await;
    Ok(())
}

//! The customers service: customer records of the logistics company, served as
//! `logistics.customers.v1.CustomerService`.

pub mod api;
pub mod domain;
mod events;
pub mod store;

use logistics_contracts::customers::contact_service_server::ContactServiceServer;
use logistics_contracts::customers::customer_service_server::CustomerServiceServer;
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
    let limit = context.server.max_message_bytes;
    let customers = api::customer_service::CustomersApi::new(pool.clone(), &context);
    let contacts = api::contact_service::ContactsApi::new(pool.clone(), &context)?;
    let loyalty = api::loyalty_service::LoyaltyApi::new(pool.clone(), &context);
    loyalty.spawn_expiry(context.shutdown.clone());
    GrpcServer::new(NAME, DOMAIN, &context.server, context.keys.clone())
        .add_service(
            CustomerServiceServer::new(customers).max_decoding_message_size(limit),
            api::customer_service::SCOPES,
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

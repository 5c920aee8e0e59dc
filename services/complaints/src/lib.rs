//! The complaints and after-sales service.
//!
//! Its API lands with its own issue; until then the service runs with gRPC health and reflection
//! only, so deployments, probes and the suite's wiring can be exercised end to end, and it owns
//! (creates) its PostgreSQL schema.

pub mod domain;
pub(crate) mod app;
pub(crate) mod clients;
pub(crate) mod reasons;
pub(crate) mod store;

use logistics_platform::server::GrpcServer;
use logistics_platform::{ServiceContext, db};
use tokio::net::TcpListener;

/// The service's name: in health checks, logs and the `logistics serve` command.
pub const NAME: &str = "complaints";
/// The domain of its errors' ErrorInfo.
pub const DOMAIN: &str = "logistics.complaints";
/// The PostgreSQL schema it owns.
pub const SCHEMA: &str = "complaints";

/// Creates the service's schema; its tables come with its API.
pub async fn migrate(context: &ServiceContext) -> anyhow::Result<()> {
    let pool = db::connect(&context.database_url, SCHEMA, &context.database).await?;
    pool.close().await;
    Ok(())
}

/// Serves health and reflection on `listener` until the context's shutdown signal.
pub async fn run(context: ServiceContext, listener: TcpListener) -> anyhow::Result<()> {
    GrpcServer::new(NAME, DOMAIN, &context.server, context.keys.clone())
        .serve(listener, context.shutdown.clone())
        .await
}

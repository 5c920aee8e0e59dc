//! Command line: every setting is a flag with a `LOGISTICS_...` environment variable and a default.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use logistics_platform::client::PeersConfig;
use logistics_platform::db::DatabaseConfig;
use logistics_platform::server::ServerConfig;
use logistics_platform::telemetry::TelemetryConfig;

use crate::services::Service;

/// The logistics customer-service suite: customers, orders and tracking, complaints, reporting.
#[derive(Debug, Parser)]
#[command(name = "logistics", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Logging.
    #[command(flatten)]
    pub telemetry: TelemetryConfig,

    /// Settings of every service.
    #[command(flatten)]
    pub shared: Shared,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run all four services in one process, on an embedded PostgreSQL unless
    /// LOGISTICS_DATABASE_URL is set. Prints the endpoints and a development API key.
    Up {
        /// Once the suite is up, load the demo data set (`logistics seed` of the default size and
        /// seed) through its public RPCs; a failure of it is reported and the suite keeps serving.
        #[arg(long)]
        demo: bool,
    },
    /// Run one service (microservices mode, e.g. one Kubernetes Deployment per service).
    Serve {
        /// The service to run.
        #[arg(value_enum)]
        service: Service,
    },
    /// Apply schema migrations and exit (a Kubernetes Job or init container).
    Migrate {
        /// Only this service's schema; all of them when omitted.
        #[arg(value_enum)]
        service: Option<Service>,
    },
    /// Load a realistic data set into a running suite through its public RPCs: customers of every
    /// kind and grade, 12 months of orders with their tracking and deliveries, complaints and
    /// follow-ups. The same --seed creates nothing new when run again.
    Seed(crate::seed::SeedArgs),
    /// Send load to a running service and print throughput and latency (benchmarks).
    Load(crate::load::LoadArgs),
    /// Run a benchmark that sets up its own data (on LOGISTICS_DATABASE_URL, or a throwaway
    /// embedded PostgreSQL) and prints its figures next to a baseline of the same run.
    Bench {
        /// Which.
        #[command(subcommand)]
        bench: crate::bench::Bench,
    },
    /// Mint a new API key and print the entry to add to the API keys file.
    NewKey {
        /// Who the key is for, e.g. "orders-service" or "ops-team".
        #[arg(long)]
        principal: String,
        /// Scopes granted, e.g. `customers:read` or `orders:*`; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
}

/// Settings shared by every command that runs services.
#[derive(Debug, Clone, Args)]
pub struct Shared {
    /// Database.
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// gRPC servers.
    #[command(flatten)]
    pub server: ServerConfig,

    /// The other services, and this one's key for calling them.
    #[command(flatten)]
    pub peers: PeersConfig,

    /// The orders service.
    #[command(flatten)]
    pub orders: logistics_orders::OrdersSettings,

    /// The complaints service.
    #[command(flatten)]
    pub complaints: logistics_complaints::ComplaintsSettings,

    /// TOML file of API keys (`[[keys]]` with principal, sha256, scopes). `up` creates one with a
    /// development key in the data directory when this is not set.
    #[arg(long, env = "LOGISTICS_API_KEYS_FILE", global = true)]
    pub api_keys_file: Option<PathBuf>,

    /// Secret that seals page tokens and change-feed cursors; all replicas must share it. `up`
    /// keeps one in the data directory when this is not set.
    #[arg(
        long,
        env = "LOGISTICS_TOKEN_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub token_secret: Option<String>,

    /// Keys encrypting personal data (customer contacts) at rest: `id:<base64 of 32 bytes>`
    /// entries separated by commas, the first one sealing new values, the others only opening
    /// older ones (key rotation). The customers service refuses to start without it; `up` keeps one
    /// in the data directory when this is not set.
    #[arg(
        long,
        env = "LOGISTICS_PII_KEYS",
        hide_env_values = true,
        global = true
    )]
    pub pii_keys: Option<String>,

    /// Key of the keyed hashes (HMAC-SHA256) that find customers by exact phone or email: base64
    /// of 32 bytes, separate from the encryption keys and never rotated without re-hashing. The
    /// customers service refuses to start without it; `up` keeps one in the data directory.
    #[arg(
        long,
        env = "LOGISTICS_PII_LOOKUP_KEY",
        hide_env_values = true,
        global = true
    )]
    pub pii_lookup_key: Option<String>,

    /// Where `up` keeps its embedded database, development key and secrets.
    #[arg(
        long,
        env = "LOGISTICS_DATA_DIR",
        default_value = ".logistics",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Port of the customers service.
    #[arg(
        long,
        env = "LOGISTICS_CUSTOMERS_PORT",
        default_value_t = 50051,
        global = true
    )]
    pub customers_port: u16,

    /// Port of the orders service.
    #[arg(
        long,
        env = "LOGISTICS_ORDERS_PORT",
        default_value_t = 50052,
        global = true
    )]
    pub orders_port: u16,

    /// Port of the complaints service.
    #[arg(
        long,
        env = "LOGISTICS_COMPLAINTS_PORT",
        default_value_t = 50053,
        global = true
    )]
    pub complaints_port: u16,

    /// Port of the reporting service.
    #[arg(
        long,
        env = "LOGISTICS_REPORTING_PORT",
        default_value_t = 50054,
        global = true
    )]
    pub reporting_port: u16,

    /// `serve`: apply the service's migrations before serving.
    #[arg(long, env = "LOGISTICS_MIGRATE_ON_START", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub migrate_on_start: bool,
}

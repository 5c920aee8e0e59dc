//! Database access: one pool per service, confined to the service's own schema.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, PgPool};

/// Database settings shared by every service.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseConfig {
    /// PostgreSQL URL, e.g. `postgres://user:pass@host:5432/logistics`. Each service uses its own
    /// schema in it. `logistics up` starts an embedded PostgreSQL when this is not set.
    #[arg(long, env = "LOGISTICS_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Most connections each service keeps open.
    #[arg(
        long,
        env = "LOGISTICS_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,

    /// How long a call waits for a free connection before failing with UNAVAILABLE, in milliseconds.
    #[arg(
        long,
        env = "LOGISTICS_DB_ACQUIRE_TIMEOUT_MS",
        default_value_t = 3000,
        global = true
    )]
    pub db_acquire_timeout_ms: u64,
}

/// How long a pooled connection may sit idle and still be handed out without a ping.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Opens a pool whose connections see only `schema` (as their search_path), creating the schema
/// if it does not exist yet.
pub async fn connect(url: &str, schema: &str, config: &DatabaseConfig) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|error| anyhow::anyhow!("invalid database URL: {error}"))?
        .application_name(&format!("logistics-{schema}"))
        .options([("search_path", schema)]);
    let pool = PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(Duration::from_millis(config.db_acquire_timeout_ms))
        // A connection that was in use a moment ago is handed out as it is; only one that sat
        // idle is pinged first. sqlx's default pings every one, a round trip on every call.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= CHECK_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(|error| anyhow::anyhow!("connecting to PostgreSQL for {schema}: {error}"))?;
    // The schema name is ours, not a caller's, and is quoted.
    let create = format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema));
    sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(&pool)
        .await?;
    Ok(pool)
}

/// Brings the pool's schema up to date: the platform's tables (outbox, idempotency keys) first,
/// then the service's own migrations. Each set keeps its own history table in the schema.
pub async fn migrate(pool: &PgPool, service: &Migrator) -> anyhow::Result<()> {
    let mut platform = sqlx::migrate!("./migrations");
    platform.dangerous_set_table_name("_platform_migrations");
    platform.run(pool).await?;
    service.run(pool).await?;
    Ok(())
}

/// Quotes an SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Takes the session advisory lock `name` (hashed with `hashtext`) if no one holds it, on a
/// connection of its own taken out of `pool`, and answers that connection: the lock is held
/// exactly as long as it is open, so a holder that dies or is dropped half-way releases it with
/// its socket, where a pooled connection would carry the lock on to its next user. `None` when
/// someone else holds it. Close the connection to release the lock.
pub async fn try_session_lock(
    pool: &PgPool,
    name: &str,
) -> Result<Option<PgConnection>, sqlx::Error> {
    let mut connection = pool.acquire().await?.detach();
    let ours: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
        .bind(name)
        .fetch_one(&mut connection)
        .await?;
    if ours {
        Ok(Some(connection))
    } else {
        let _ = connection.close().await;
        Ok(None)
    }
}

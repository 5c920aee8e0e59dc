//! What a service needs from the process that runs it.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::auth::ApiKeys;
use crate::client::PeersConfig;
use crate::db::DatabaseConfig;
use crate::pagination::TokenKey;
use crate::pii::PiiCipher;
use crate::server::ServerConfig;

/// Everything a service is built from: settings, credentials, secrets and the shutdown signal.
#[derive(Clone)]
pub struct ServiceContext {
    /// Server settings.
    pub server: ServerConfig,
    /// Database settings.
    pub database: DatabaseConfig,
    /// The database URL (resolved: an embedded server's, or the configured one).
    pub database_url: String,
    /// Known API keys.
    pub keys: Arc<ApiKeys>,
    /// Seals page tokens and change-feed cursors.
    pub token_key: TokenKey,
    /// Encrypts personal data at rest; services that store none run without it.
    pub pii: Option<Arc<PiiCipher>>,
    /// The other services this one calls, and its own key for calling them.
    pub peers: PeersConfig,
    /// Cancelled when the process shuts down.
    pub shutdown: CancellationToken,
}

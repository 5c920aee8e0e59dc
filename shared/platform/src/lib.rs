//! What every service of the logistics suite shares, so no two services write it twice:
//! configuration pieces, telemetry, the gRPC server and clients, the error mapping, database pools
//! and migrations, pagination, idempotency, change feeds and their follower, authentication, and
//! an embedded PostgreSQL for development and tests.

pub mod address;
pub mod auth;
pub mod batching;
pub mod cache;
pub mod changefeed;
pub mod client;
pub mod context;
pub mod customers_directory;
pub mod db;
pub mod documents;
pub mod embedded_pg;
pub mod error;
pub mod etag;
pub mod feed_follower;
pub mod field_mask;
pub mod fields;
pub mod idempotency;
pub mod jobs;
pub mod money;
mod named_enum;
pub mod notifications;
pub mod numbers;
pub mod pagination;
pub mod pii;
pub mod reasons;
pub mod sequences;
pub mod server;
pub mod stored;
pub mod telemetry;
pub mod time;

pub use context::ServiceContext;
pub use error::ApiError;

//! The gRPC service of the reporting package, sharing how it answers.

pub(crate) mod reporting_service;
pub(crate) mod statements;

use logistics_platform::ApiError;
use logistics_platform::auth::ScopeTable;
use tonic::{Response, Status};

use crate::DOMAIN;

/// The scope tables of every service this crate serves: each RPC names the scope it needs.
pub const SCOPES: &[ScopeTable] = &[reporting_service::SCOPES];

/// Turns a handler's result into the gRPC answer, mapping errors under the service's domain.
pub(crate) fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result
        .map(Response::new)
        .map_err(|error| error.into_status(DOMAIN))
}

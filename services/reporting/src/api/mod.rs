//! The gRPC service of the reporting package, sharing how it answers.

mod csv_table;
mod exports;
mod kpi_query;
mod regional;
pub(crate) mod reporting_service;
mod scorecards;
mod segments;
pub(crate) mod statements;

use logistics_platform::ApiError;
use logistics_platform::auth::{ScopeTable, principal_of};
use tonic::{Request, Response, Status};

use crate::DOMAIN;

/// The scope tables of every service this crate serves: each RPC names the scope it needs.
pub const SCOPES: &[ScopeTable] = &[reporting_service::SCOPES];

/// Turns a handler's result into the gRPC answer, mapping errors under the service's domain.
pub(crate) fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result
        .map(Response::new)
        .map_err(|error| error.into_status(DOMAIN))
}

/// The caller's name, for what it creates and its request ids.
pub(crate) fn principal_name<T>(request: &Request<T>) -> Result<String, Status> {
    principal_of(request)
        .map(|principal| principal.name.to_string())
        .map_err(|error| error.into_status(DOMAIN))
}

//! The gRPC services of the complaints package, one module each, sharing how they answer.

mod complaint_fields;
pub(crate) mod complaint_service;
mod sla_fields;
pub(crate) mod sla_service;

use logistics_platform::ApiError;
use logistics_platform::auth::{ScopeTable, principal_of};
use tonic::{Request, Response, Status};

use crate::DOMAIN;

/// The scope tables of every service this crate serves: each RPC names the scope it needs.
pub const SCOPES: &[ScopeTable] = &[complaint_service::SCOPES, sla_service::SCOPES];

/// Turns a handler's result into the gRPC answer, mapping errors under the service's domain.
pub(crate) fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result
        .map(Response::new)
        .map_err(|error| error.into_status(DOMAIN))
}

/// The authenticated caller's name, for idempotency keys and the audit trail.
pub(crate) fn principal_name<T>(request: &Request<T>) -> Result<String, Status> {
    principal_of(request)
        .map(|principal| principal.name.to_string())
        .map_err(|error| error.into_status(DOMAIN))
}

//! The gRPC services of the customers package, one module each, sharing how they answer.

mod contact_fields;
pub mod contact_service;
mod customer_fields;
mod customer_lifecycle;
pub mod customer_service;
mod engagement_fields;
pub mod engagement_service;
mod erasure;
pub mod follow_up_sweep;
mod grading_fields;
pub mod loyalty_service;
mod survey_sampling;

use logistics_platform::ApiError;
use logistics_platform::auth::ScopeTable;
use tonic::{Response, Status};

use crate::DOMAIN;

/// The scope tables of every service this crate serves: each RPC names the scope it needs.
pub const SCOPES: &[ScopeTable] = &[
    customer_service::SCOPES,
    engagement_service::SCOPES,
    contact_service::SCOPES,
    loyalty_service::SCOPES,
];

/// Turns a handler's result into the gRPC answer, mapping errors under the service's domain.
pub(crate) fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result
        .map(Response::new)
        .map_err(|error| error.into_status(DOMAIN))
}

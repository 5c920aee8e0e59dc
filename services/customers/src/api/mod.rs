//! The gRPC services of the customers package, one module each (with a `*_fields.rs` for its
//! request checks and conversions), sharing how they answer. Each RPC decodes and checks its
//! request, calls one use case in `app` (or, for a plain paged list, reads the store) and encodes
//! the answer; the scope tables say which scope each RPC needs.

mod contact_fields;
pub(crate) mod contact_service;
mod customer_fields;
mod customer_lifecycle;
pub(crate) mod customer_service;
mod engagement_fields;
pub(crate) mod engagement_service;
mod grading_fields;
pub(crate) mod loyalty_service;
mod survey_sampling;

use logistics_platform::ApiError;
use logistics_platform::auth::{ScopeTable, principal_of};
use logistics_platform::error::Violations;
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::domain::customer::CustomerRef;

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

/// The authenticated caller's name, for idempotency keys and histories.
pub(crate) fn principal_name<T>(request: &Request<T>) -> Result<String, Status> {
    principal_of(request)
        .map(|principal| principal.name.to_string())
        .map_err(|error| error.into_status(DOMAIN))
}

/// Reads a customer's id or code from `field`, recording a violation (reported with the
/// request's other bad fields) when it is missing or malformed.
pub(crate) fn customer_ref_field(
    violations: &mut Violations,
    field: &str,
    text: &str,
) -> Option<CustomerRef> {
    if text.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    let parsed = CustomerRef::parse(text);
    if parsed.is_none() {
        violations.add(field, CUSTOMER_REF_FORMAT);
    }
    parsed
}

/// What a customer reference must look like.
pub(crate) const CUSTOMER_REF_FORMAT: &str =
    "must be a customer id (UUID) or a customer code (e.g. C000042)";

//! The gRPC services of the orders package, one module each, sharing how they answer. Transport
//! only: each RPC decodes and checks its request, calls its use case in `app` and encodes the
//! answer; scopes are checked by the server from the `SCOPES` tables. Streams keep their
//! plumbing here and read or write through `app` like any other RPC.

pub(crate) mod address_book_service;
mod delivery;
pub(crate) mod fields;
pub(crate) mod labels;
mod order_fields;
mod order_input;
pub(crate) mod order_service;
mod pickups;
mod problems;
pub(crate) mod quote_service;
pub(crate) mod rate_card_fields;
mod tracking_fields;
pub(crate) mod tracking_service;
mod tracking_stream;
pub(crate) mod watch;

use logistics_platform::ApiError;
use logistics_platform::auth::{ScopeTable, principal_of};
use tonic::{Request, Response, Status};

use crate::DOMAIN;

/// The scope tables of every service this crate serves: each RPC names the scope it needs.
pub const SCOPES: &[ScopeTable] = &[
    order_service::SCOPES,
    quote_service::SCOPES,
    address_book_service::SCOPES,
    tracking_service::SCOPES,
];

/// Turns a handler's result into the gRPC answer, mapping errors under the service's domain.
pub(crate) fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result
        .map(Response::new)
        .map_err(|error| error.into_status(DOMAIN))
}

/// The authenticated caller's name, for idempotency keys and audit fields.
pub(crate) fn principal_name<T>(request: &Request<T>) -> Result<String, Status> {
    principal_of(request)
        .map(|principal| principal.name.to_string())
        .map_err(|error| error.into_status(DOMAIN))
}

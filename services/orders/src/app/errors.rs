//! The errors use cases answer with about the orders and shipments callers name, shared by the
//! use cases that load them.

use logistics_platform::ApiError;

use super::proto::status_name;
use crate::domain::order::Order;
use crate::domain::status::OrderStatus;
use crate::reasons::Reason;

/// The NOT_FOUND of an order the caller named.
pub(crate) fn order_not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        reason: Reason::OrderNotFound.as_str(),
        resource: "order",
        id: id.to_owned(),
    }
}

/// NOT_FOUND for a tracking number no shipment has.
pub(crate) fn shipment_not_found(tracking_number: &str) -> ApiError {
    ApiError::NotFound {
        reason: Reason::TrackingNumberNotFound.as_str(),
        resource: "shipment",
        id: tracking_number.to_owned(),
    }
}

/// Refuses a write over a newer state than the caller read.
pub(crate) fn ensure_etag(order: &Order, etag: &str) -> Result<(), ApiError> {
    logistics_platform::etag::check(
        etag,
        order.version,
        format_args!("order {}", order.order_number),
    )
}

/// The FAILED_PRECONDITION of a move the status machine refuses, naming both statuses.
pub(crate) fn illegal_transition(order: &Order, to: OrderStatus) -> ApiError {
    ApiError::FailedPrecondition {
        reason: Reason::IllegalTransition.as_str(),
        message: format!(
            "order {} is {} and cannot become {}",
            order.order_number,
            order.status.as_str(),
            to.as_str()
        ),
        metadata: vec![
            ("current_status", status_name(order.status)),
            ("requested_status", status_name(to)),
        ],
    }
}

//! Issuing labels: the order read, then the labels of some of its pieces rendered by the
//! domain. Two steps, because the page of pieces a caller may ask for is bound to the order it
//! turns out to be.

use logistics_platform::ApiError;
use sqlx::PgPool;

use super::errors::order_not_found;
use crate::domain::label::{LabelOrder, LabelParty, render_pdf, render_svg};
use crate::domain::order::{Order, PostalAddress};
use crate::store::orders::{self as store, OrderRef};

/// How a label is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LabelKind {
    /// One PDF per piece.
    Pdf,
    /// One SVG per piece.
    Svg,
}

/// The order whose labels are asked for; `named` is how the caller wrote it.
pub(crate) async fn labelled_order(
    pool: &PgPool,
    order_ref: &OrderRef,
    named: &str,
) -> Result<Order, ApiError> {
    let mut conn = pool.acquire().await?;
    store::find(&mut conn, order_ref, false)
        .await?
        .ok_or_else(|| order_not_found(named))
}

/// The labels of `pieces` of `order`, each with its piece number.
pub(crate) fn render_labels(
    order: &Order,
    kind: LabelKind,
    pieces: impl Iterator<Item = i32>,
) -> Result<Vec<(i32, Vec<u8>)>, ApiError> {
    let label = label_order(order);
    pieces
        .map(|piece| {
            let rendered = match kind {
                LabelKind::Pdf => render_pdf(&label, &[piece]),
                LabelKind::Svg => render_svg(&label, piece).map(String::into_bytes),
            };
            rendered
                .map(|content| (piece, content))
                .map_err(|error| anyhow::anyhow!("label of order {}: {error}", order.id).into())
        })
        .collect()
}

/// What a label shows of an order.
fn label_order(order: &Order) -> LabelOrder {
    LabelOrder {
        tracking_number: order.tracking_number.clone(),
        order_number: order.order_number.clone(),
        total_pieces: order.total_pieces,
        origin: party(&order.origin),
        destination: party(&order.destination),
        mode: order.mode,
        dangerous_goods: order.cargo.iter().any(|line| line.dangerous_goods),
    }
}

/// The label's view of an address.
fn party(address: &PostalAddress) -> LabelParty {
    LabelParty {
        recipient: address.recipient.clone(),
        city: address.city.clone(),
        region_code: address.region_code.clone(),
    }
}

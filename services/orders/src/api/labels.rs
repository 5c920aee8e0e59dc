//! GetLabel: the printable labels of an order's pieces, a page of pieces at a time.
//!
//! OrderService delegates to [`get_label`]; the pieces are paged by a sealed piece offset, bound
//! to the order and the format.

use logistics_contracts::orders::{GetLabelRequest, GetLabelResponse, LabelFormat, PieceLabel};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use logistics_platform::pagination::PageTokens;
use sqlx::PgPool;

use super::order_fields::order_ref_field;
use crate::app::errors::order_not_found;
use crate::domain::label::{LabelOrder, LabelParty, render_pdf, render_svg};
use crate::domain::order::{Order, PostalAddress};
use crate::store::orders;

/// Labels per page when the caller asks for none.
pub(crate) const DEFAULT_LABEL_PAGE: usize = 20;
/// Most labels per page. Larger requests are refused rather than capped: a label page is
/// heavy (a PDF each), and a printer client asking for more must learn to page, not get a short
/// batch it may take for the whole order.
pub(crate) const MAX_LABEL_PAGE: usize = 100;

/// The labels of one page of an order's pieces.
pub(crate) async fn get_label(
    pool: &PgPool,
    page_tokens: &PageTokens,
    request: GetLabelRequest,
) -> Result<GetLabelResponse, ApiError> {
    let mut violations = Violations::new();
    let order_ref = order_ref_field(&mut violations, "id", &request.id);
    let format = match LabelFormat::try_from(request.format) {
        Ok(LabelFormat::Svg) => Some(LabelFormat::Svg),
        Ok(LabelFormat::Pdf) => Some(LabelFormat::Pdf),
        Ok(LabelFormat::Unspecified) => {
            violations.add(
                "format",
                "is required: LABEL_FORMAT_SVG or LABEL_FORMAT_PDF",
            );
            None
        }
        Err(_) => {
            violations.add("format", "is not a known label format");
            None
        }
    };
    let page_size = match usize::try_from(request.page_size) {
        Ok(0) => DEFAULT_LABEL_PAGE,
        Ok(size) if size <= MAX_LABEL_PAGE => size,
        _ => {
            violations.add(
                "page_size",
                format!("must be 0 (the default, {DEFAULT_LABEL_PAGE}) to {MAX_LABEL_PAGE}"),
            );
            0
        }
    };
    let (Some(order_ref), Some(format)) = (order_ref, format) else {
        return Err(violations.into_error());
    };
    violations.finish()?;

    let mut conn = pool.acquire().await?;
    let row = orders::find(&mut conn, &order_ref, false)
        .await?
        .ok_or_else(|| order_not_found(&request.id))?;
    drop(conn);

    let query = format!("{}/{}", row.id, format.as_str_name());
    let first: i32 = page_tokens
        .open(query.as_bytes(), &request.page_token)?
        .unwrap_or(1);
    if !(1..=row.total_pieces).contains(&first) {
        return Err(ApiError::invalid_field("page_token", "is malformed"));
    }
    let last = (i64::from(first) + page_size as i64 - 1).min(i64::from(row.total_pieces)) as i32;
    let order = label_order(&row)?;
    let pieces: Vec<i32> = (first..=last).collect();
    let rendered = |piece: i32| match format {
        LabelFormat::Pdf => render_pdf(&order, &[piece]),
        _ => render_svg(&order, piece).map(String::into_bytes),
    };
    let labels = pieces
        .iter()
        .map(|&piece| {
            rendered(piece)
                .map(|content| PieceLabel {
                    piece_number: piece,
                    content,
                })
                .map_err(|error| anyhow::anyhow!("label of order {}: {error}", row.id).into())
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let next_page_token = if last < row.total_pieces {
        page_tokens.issue(query.as_bytes(), &(last + 1))
    } else {
        String::new()
    };
    Ok(GetLabelResponse {
        tracking_number: row.tracking_number.clone(),
        content_type: match format {
            LabelFormat::Pdf => "application/pdf",
            _ => "image/svg+xml",
        }
        .to_owned(),
        labels,
        total_pieces: row.total_pieces,
        next_page_token,
    })
}

fn label_order(order: &Order) -> Result<LabelOrder, ApiError> {
    Ok(LabelOrder {
        tracking_number: order.tracking_number.clone(),
        order_number: order.order_number.clone(),
        total_pieces: order.total_pieces,
        origin: party(&order.origin),
        destination: party(&order.destination),
        mode: order.mode,
        dangerous_goods: order.cargo.iter().any(|line| line.dangerous_goods),
    })
}

/// The label's view of an address.
fn party(address: &PostalAddress) -> LabelParty {
    LabelParty {
        recipient: address.recipient.clone(),
        city: address.city.clone(),
        region_code: address.region_code.clone(),
    }
}

//! GetLabel: the printable labels of an order's pieces, a page of pieces at a time.
//!
//! OrderService delegates to [`get_label`]; the pieces are paged by a sealed piece offset, bound
//! to the order and the format. `app::labels` reads the order and renders the labels.

use logistics_contracts::orders::{GetLabelRequest, GetLabelResponse, LabelFormat, PieceLabel};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use logistics_platform::pagination::PageTokens;
use sqlx::PgPool;

use super::order_fields::order_ref_field;
use crate::app::labels::{self, LabelKind, render_labels};

/// Labels per page when the caller asks for none.
const DEFAULT_LABEL_PAGE: usize = 20;
/// Most labels per page. Larger requests are refused rather than capped: a label page is
/// heavy (a PDF each), and a printer client asking for more must learn to page, not get a short
/// batch it may take for the whole order.
const MAX_LABEL_PAGE: usize = 100;

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

    let row = labels::labelled_order(pool, &order_ref, &request.id).await?;

    let query = format!("{}/{}", row.id, format.as_str_name());
    let first: i32 = page_tokens
        .open(query.as_bytes(), &request.page_token)?
        .unwrap_or(1);
    if !(1..=row.total_pieces).contains(&first) {
        return Err(ApiError::invalid_field("page_token", "is malformed"));
    }
    let last = (i64::from(first) + page_size as i64 - 1).min(i64::from(row.total_pieces)) as i32;
    let kind = match format {
        LabelFormat::Pdf => LabelKind::Pdf,
        _ => LabelKind::Svg,
    };
    // Drawing a PDF is CPU work (a font subset per page, ~1-3 ms a label): off the async workers.
    let (row, rendered) = tokio::task::spawn_blocking(move || {
        let rendered = render_labels(&row, kind, first..=last);
        (row, rendered)
    })
    .await
    .map_err(|error| anyhow::anyhow!("rendering labels: {error}"))?;
    let labels = rendered?
        .into_iter()
        .map(|(piece_number, content)| PieceLabel {
            piece_number,
            content,
        })
        .collect();
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

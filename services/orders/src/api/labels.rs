//! GetLabel: the printable labels of an order's pieces, a page of pieces at a time.
//!
//! OrderService delegates to [`get_label`]; the pieces are paged by a sealed piece offset, bound
//! to the order and the format.

use logistics_contracts::orders::{GetLabelRequest, GetLabelResponse, LabelFormat, PieceLabel};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use logistics_platform::pagination::{PageTokens, TokenKey};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::label::{LabelOrder, LabelParty, render_pdf, render_svg};
use crate::domain::mode::TransportMode;
use crate::domain::numbers::{is_order_number, is_tracking_number};
use crate::store::labels::{self as store, LabelRow, OrderKey};

/// Labels per page when the caller asks for none.
pub const DEFAULT_LABEL_PAGE: usize = 20;
/// Most labels per page; larger requests are capped.
pub const MAX_LABEL_PAGE: usize = 100;
/// Longest order reference accepted (a UUID is 36 characters).
const MAX_ORDER_REF_CHARS: usize = 64;

/// The page tokens of GetLabel, sealed with the service's token key.
pub fn label_page_tokens(key: TokenKey) -> PageTokens {
    PageTokens::new(key, "orders.labels")
}

/// Reads how a caller names an order: its id (UUID), order number or tracking number.
pub fn order_key(violations: &mut Violations, field: &str, text: &str) -> Option<OrderKey> {
    if text.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    let key = if text.len() > MAX_ORDER_REF_CHARS {
        None
    } else if let Ok(id) = Uuid::try_parse(text) {
        Some(OrderKey::Id(id))
    } else if is_order_number(text) {
        Some(OrderKey::OrderNumber(text.to_owned()))
    } else if is_tracking_number(text) {
        Some(OrderKey::TrackingNumber(text.to_owned()))
    } else {
        None
    };
    if key.is_none() {
        violations.add(
            field,
            "must be an order id (UUID), an order number (e.g. O2026112300000042) or a tracking number (12 digits)",
        );
    }
    key
}

/// The labels of one page of an order's pieces.
pub async fn get_label(
    pool: &PgPool,
    page_tokens: &PageTokens,
    request: GetLabelRequest,
) -> Result<GetLabelResponse, ApiError> {
    let mut violations = Violations::new();
    let key = order_key(&mut violations, "id", &request.id);
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
    let page_size = match request.page_size {
        size if size < 0 => {
            violations.add("page_size", "must not be negative");
            0
        }
        0 => DEFAULT_LABEL_PAGE,
        size => (size as usize).min(MAX_LABEL_PAGE),
    };
    let (Some(key), Some(format)) = (key, format) else {
        return Err(violations.into_error());
    };
    violations.finish()?;

    let mut conn = pool.acquire().await?;
    let row = store::find(&mut conn, &key)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            reason: "ORDER_NOT_FOUND",
            resource: "order",
            id: request.id.clone(),
        })?;
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

fn label_order(row: &LabelRow) -> Result<LabelOrder, ApiError> {
    let mode = TransportMode::parse(&row.mode)
        .ok_or_else(|| anyhow::anyhow!("order {} has mode {:?}", row.id, row.mode))?;
    Ok(LabelOrder {
        tracking_number: row.tracking_number.clone(),
        order_number: row.order_number.clone(),
        total_pieces: row.total_pieces,
        origin: party(&row.origin),
        destination: party(&row.destination),
        mode,
        dangerous_goods: row.dangerous_goods,
    })
}

/// The label's view of a stored address; a missing field prints as nothing.
fn party(address: &Value) -> LabelParty {
    let text = |name: &str| {
        address
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    LabelParty {
        recipient: text("recipient"),
        city: text("city"),
        region_code: text("region_code"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_named_by_id_order_number_or_tracking_number() {
        let id = Uuid::now_v7();
        let tracking = crate::domain::numbers::tracking_number(42);
        let last = tracking.as_bytes()[11] - b'0';
        let miskeyed = format!("{}{}", &tracking[..11], (last + 1) % 10);
        let cases = [
            (id.to_string(), Some(OrderKey::Id(id))),
            (
                "O2026112300000042".to_owned(),
                Some(OrderKey::OrderNumber("O2026112300000042".to_owned())),
            ),
            (tracking.clone(), Some(OrderKey::TrackingNumber(tracking))),
            (miskeyed, None), // wrong check digit
            ("x".repeat(65), None),
            (String::new(), None),
        ];
        for (text, expected) in cases {
            let mut violations = Violations::new();
            let key = order_key(&mut violations, "id", &text);
            assert_eq!(key, expected, "{text}");
            assert_eq!(violations.is_empty(), expected.is_some(), "{text}");
        }
    }

    #[test]
    fn stored_addresses_print_what_they_have() {
        let address = serde_json::json!({
            "recipient": "Pudong Warehouse 2",
            "lines": ["88 Century Avenue"],
            "city": "Shanghai",
            "region_code": "310115",
            "country_code": "CN"
        });
        assert_eq!(
            party(&address),
            LabelParty {
                recipient: "Pudong Warehouse 2".into(),
                city: "Shanghai".into(),
                region_code: "310115".into(),
            }
        );
        assert_eq!(
            party(&serde_json::json!({"city": 5})),
            LabelParty::default()
        );
    }
}

//! CreateOrder's input: every field checked (all violations reported at once), then turned into
//! what pricing and the store need.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use logistics_contracts::orders::{self as pb, DocumentKind};
use logistics_platform::error::Violations;
use logistics_platform::fields::customer_ref_field;

use super::fields::{mode_field, validate_address, validate_cargo};
use super::order_fields::read_window;
use crate::app::orders::OrderDraft;
use crate::domain::order::{CargoLine, Document};

/// Most customer references on one order.
const MAX_REFERENCES: usize = 10;
/// Longest customer reference, in characters.
pub(crate) const MAX_REFERENCE_CHARS: usize = 64;
/// Most documents on one order.
const MAX_DOCUMENTS: usize = 20;
/// Pieces over all lines: each gets a label, so the total is bounded too.
const MAX_TOTAL_PIECES: i64 = 10_000;
/// Longest requested pickup window.
const MAX_REQUESTED_WINDOW: TimeDelta = TimeDelta::days(7);

/// Checks every field of a new order, recording each violation under `order.`; the draft when
/// nothing is wrong.
/// `now` is when the order is created: the clock's time, or the time an import asks for.
pub(crate) fn validate_new_order(
    violations: &mut Violations,
    order: &pb::Order,
    now: DateTime<Utc>,
) -> Option<OrderDraft> {
    let before = violations.len();
    let customer = customer_ref_field(violations, "order.customer_id", &order.customer_id, true);
    let mode = mode_field(violations, "order.mode", order.mode);
    let origin = validate_address(violations, "order.origin", order.origin.as_ref());
    let destination = validate_address(violations, "order.destination", order.destination.as_ref());
    let measures = validate_cargo(violations, "order.cargo", &order.cargo);
    let total_pieces: i64 = order.cargo.iter().map(|line| i64::from(line.pieces)).sum();
    if total_pieces > MAX_TOTAL_PIECES {
        violations.add(
            "order.cargo",
            format!("at most {MAX_TOTAL_PIECES} pieces over all lines (got {total_pieces})"),
        );
    }
    let requested_pickup = order.requested_pickup_window.as_ref().and_then(|window| {
        let read = read_window(violations, "order.requested_pickup_window", Some(window))?;
        if read.end <= read.start {
            violations.add(
                "order.requested_pickup_window.end_time",
                "must be after start_time",
            );
        } else if read.end - read.start > MAX_REQUESTED_WINDOW {
            violations.add(
                "order.requested_pickup_window.end_time",
                "at most 7 days after start_time",
            );
        } else if read.end <= now {
            violations.add(
                "order.requested_pickup_window.end_time",
                "must be in the future",
            );
        }
        Some(read)
    });
    let customer_references = references(violations, &order.customer_references);
    let documents = documents(violations, &order.documents);
    if violations.len() > before {
        return None;
    }
    Some(OrderDraft {
        customer: customer?,
        mode: mode?,
        origin: origin?,
        destination: destination?,
        cargo: order.cargo.iter().map(cargo_line).collect(),
        measures,
        requested_pickup,
        customer_references,
        documents,
    })
}

fn cargo_line(line: &pb::CargoLine) -> CargoLine {
    CargoLine {
        description: line.description.trim().to_owned(),
        pieces: line.pieces,
        weight_grams: line.weight_grams,
        volume_cm3: line.volume_cm3,
        declared_value_fen: line.declared_value.as_ref().map(|value| value.amount_minor),
        dangerous_goods: line.dangerous_goods,
        un_number: line.un_number.trim().to_owned(),
    }
}

fn references(violations: &mut Violations, references: &[String]) -> Vec<String> {
    if references.len() > MAX_REFERENCES {
        violations.add(
            "order.customer_references",
            format!("at most {MAX_REFERENCES} references"),
        );
        return Vec::new();
    }
    let mut seen = HashSet::new();
    for (at, reference) in references.iter().enumerate() {
        let field = format!("order.customer_references[{at}]");
        violations.require_text(&field, reference, MAX_REFERENCE_CHARS);
        if !seen.insert(reference.trim()) {
            violations.add(field, "is repeated");
        }
    }
    references
        .iter()
        .map(|reference| reference.trim().to_owned())
        .collect()
}

fn documents(violations: &mut Violations, documents: &[pb::OrderDocument]) -> Vec<Document> {
    if documents.len() > MAX_DOCUMENTS {
        violations.add(
            "order.documents",
            format!("at most {MAX_DOCUMENTS} documents"),
        );
        return Vec::new();
    }
    let mut read = Vec::with_capacity(documents.len());
    for (at, document) in documents.iter().enumerate() {
        let field = |name: &str| format!("order.documents[{at}].{name}");
        let kind = match DocumentKind::try_from(document.kind) {
            Ok(DocumentKind::Unspecified) => {
                violations.add(field("kind"), "is required");
                None
            }
            Ok(kind) => kind.as_str_name().strip_prefix("DOCUMENT_KIND_"),
            Err(_) => {
                violations.add(field("kind"), "is not a known document kind");
                None
            }
        };
        violations.require_text(&field("number"), &document.number, 64);
        violations.limit_text(&field("description"), &document.description, 200);
        read.push(Document {
            kind: kind.unwrap_or_default().to_owned(),
            number: document.number.trim().to_owned(),
            description: document.description.trim().to_owned(),
        });
    }
    read
}

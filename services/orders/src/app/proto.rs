//! The proto forms use cases write: change-feed events and idempotently stored answers are proto
//! messages, so the encoders of what they carry (orders, statuses, windows, quotes, saved
//! addresses) live here, where `app` and `api` can both use them.

use logistics_contracts::common::{Address, TransportMode as ProtoMode};
use logistics_contracts::orders::{self as pb, AddressUsage as ProtoUsage, OrderDocument};
use logistics_platform::ApiError;
use logistics_platform::etag;
use logistics_platform::money::cny;
use logistics_platform::time::{optional_timestamp, timestamp};

use crate::domain::address::AddressUsage;
use crate::domain::mode::TransportMode;
use crate::domain::order::{Document, Order, Window};
use crate::domain::quote::QuoteOutcome;
use crate::domain::status::OrderStatus;
use crate::store::address_book::SavedAddressRow;

/// The proto name of a status, e.g. `ORDER_STATUS_PICKED_UP`.
pub(crate) fn status_name(status: OrderStatus) -> String {
    format!("ORDER_STATUS_{}", status.as_str())
}

/// A status in its proto form.
pub(crate) fn status_to_proto(status: OrderStatus) -> pb::OrderStatus {
    pb::OrderStatus::from_str_name(&status_name(status)).unwrap_or(pb::OrderStatus::Unspecified)
}

/// The proto value of a domain mode.
pub(crate) fn mode_to_proto(mode: TransportMode) -> ProtoMode {
    match mode {
        TransportMode::Road => ProtoMode::Road,
        TransportMode::Rail => ProtoMode::Rail,
        TransportMode::Sea => ProtoMode::Sea,
        TransportMode::Air => ProtoMode::Air,
        TransportMode::Multimodal => ProtoMode::Multimodal,
    }
}

/// A window in its proto form.
pub(crate) fn window_to_proto(window: Window) -> pb::TimeWindow {
    pb::TimeWindow {
        start_time: Some(timestamp(window.start)),
        end_time: Some(timestamp(window.end)),
    }
}

/// The `logistics.orders.v1.Quote` of an outcome; the lead's CreateOrder stores it with the order.
pub(crate) fn quote_to_proto(outcome: &QuoteOutcome) -> pb::Quote {
    pb::Quote {
        price: Some(cny(outcome.price_fen)),
        chargeable_weight_grams: outcome.chargeable_weight_grams,
        actual_weight_grams: outcome.actual_weight_grams,
        volumetric_weight_grams: outcome.volumetric_weight_grams,
        origin_zone: outcome.origin_zone.clone(),
        destination_zone: outcome.destination_zone.clone(),
        rate_card_version: outcome.rate_card_version,
        transit_hours: outcome.transit_hours,
        promised_delivery_time: Some(timestamp(outcome.promised_delivery_time)),
    }
}

/// A document in its proto form.
fn document_to_proto(document: &Document) -> OrderDocument {
    OrderDocument {
        kind: pb::DocumentKind::from_str_name(&format!("DOCUMENT_KIND_{}", document.kind))
            .unwrap_or(pb::DocumentKind::Unspecified)
            .into(),
        number: document.number.clone(),
        description: document.description.clone(),
    }
}

/// A stored order in its proto form.
pub(crate) fn order_to_proto(order: &Order) -> pb::Order {
    pb::Order {
        id: order.id.to_string(),
        order_number: order.order_number.clone(),
        tracking_number: order.tracking_number.clone(),
        customer_id: order.customer_id.to_string(),
        mode: mode_to_proto(order.mode).into(),
        status: status_to_proto(order.status).into(),
        origin: Some(Address::from(&order.origin)),
        destination: Some(Address::from(&order.destination)),
        cargo: order
            .cargo
            .iter()
            .map(|line| pb::CargoLine {
                description: line.description.clone(),
                pieces: line.pieces,
                weight_grams: line.weight_grams,
                volume_cm3: line.volume_cm3,
                declared_value: line.declared_value_fen.map(cny),
                dangerous_goods: line.dangerous_goods,
                un_number: line.un_number.clone(),
            })
            .collect(),
        requested_pickup_window: order.requested_pickup.map(window_to_proto),
        customer_references: order.customer_references.clone(),
        documents: order.documents.iter().map(document_to_proto).collect(),
        quote: Some(quote_to_proto(&order.quote)),
        pickup: order.pickup.as_ref().map(|plan| pb::Pickup {
            window: Some(window_to_proto(plan.window)),
            same_day: plan.same_day,
            schedule_time: Some(timestamp(plan.schedule_time)),
            dispatch_time: plan
                .dispatch
                .as_ref()
                .map(|dispatch| timestamp(dispatch.time)),
            vehicle_id: plan
                .dispatch
                .as_ref()
                .map(|dispatch| dispatch.vehicle_id.clone())
                .unwrap_or_default(),
            driver_name: plan
                .dispatch
                .as_ref()
                .map(|dispatch| dispatch.driver_name.clone())
                .unwrap_or_default(),
            dispatched_on_time: plan.dispatched_on_time(),
        }),
        priority_transport: order.priority_transport,
        total_pieces: order.total_pieces,
        total_weight_grams: order.total_weight_grams,
        promised_delivery_time: Some(timestamp(order.promised_delivery_time)),
        estimated_delivery_time: Some(timestamp(order.estimated_delivery_time)),
        create_time: Some(timestamp(order.create_time)),
        update_time: Some(timestamp(order.update_time)),
        status_time: Some(timestamp(order.status_time)),
        pickup_time: optional_timestamp(order.pickup_time),
        delivery_time: optional_timestamp(order.delivery_time),
        cancel_reason: order.cancel_reason.clone().unwrap_or_default(),
        etag: order.etag(),
        created_by: order.created_by.clone(),
    }
}

/// A saved address's usage in its proto form.
fn usage_to_proto(usage: AddressUsage) -> ProtoUsage {
    match usage {
        AddressUsage::Sender => ProtoUsage::Sender,
        AddressUsage::Recipient => ProtoUsage::Recipient,
        AddressUsage::Both => ProtoUsage::Both,
    }
}

/// A saved address in its proto form: CreateSavedAddress stores it as its idempotent answer.
pub(crate) fn saved_address_to_proto(row: &SavedAddressRow) -> Result<pb::SavedAddress, ApiError> {
    let details = row.details();
    Ok(pb::SavedAddress {
        id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        label: details.label,
        address: Some(logistics_contracts::common::Address::from(&details.address)),
        usage: usage_to_proto(details.usage).into(),
        default_sender: details.default_sender,
        default_recipient: details.default_recipient,
        create_time: Some(timestamp(row.create_time)),
        update_time: Some(timestamp(row.update_time)),
        etag: etag::of(row.version),
    })
}

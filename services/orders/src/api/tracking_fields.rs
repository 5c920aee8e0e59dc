//! Reading tracking requests (each event validated on its own) and writing tracking answers.

use logistics_contracts::orders::{
    self as pb, EventFieldViolation, TrackingEventCode, TrackingEventSource, TrackingLocation,
};
use logistics_platform::ApiError;
use logistics_platform::address::{REGION_CODE_RULE, is_region_code};
use logistics_platform::error::{FieldViolation, Violations};
use logistics_platform::time::{optional_timestamp, timestamp};

use crate::app::proto::status_to_proto;
use crate::app::tracking_record::{Location, ParsedEvent};
use crate::domain::numbers::is_tracking_number;
use crate::domain::tracking::{EventCode, EventSource};
use crate::store::tracking::{EventRow, TrackedOrder};

/// Longest client event id.
const MAX_CLIENT_EVENT_ID_CHARS: usize = 64;
/// Longest source name.
pub(crate) const MAX_SOURCE_NAME_CHARS: usize = 64;
/// Longest description.
const MAX_DESCRIPTION_CHARS: usize = 500;

/// Checks one event's fields; every bad field is reported, by its path within the event.
pub(crate) fn parse_event(
    index: usize,
    event: &pb::TrackingEvent,
) -> Result<ParsedEvent, Vec<FieldViolation>> {
    let mut violations = Violations::new();
    violations.require_text(
        "client_event_id",
        &event.client_event_id,
        MAX_CLIENT_EVENT_ID_CHARS,
    );
    tracking_number_field(&mut violations, "tracking_number", &event.tracking_number);
    let code = match TrackingEventCode::try_from(event.code) {
        Ok(TrackingEventCode::Unspecified) => {
            violations.add("code", "is required");
            None
        }
        Ok(code) => enum_by_name(code.as_str_name(), "TRACKING_EVENT_CODE_", EventCode::parse),
        Err(_) => {
            violations.add("code", "is not a known TrackingEventCode");
            None
        }
    };
    let source = match TrackingEventSource::try_from(event.source) {
        Ok(TrackingEventSource::Unspecified) => {
            violations.add("source", "is required");
            None
        }
        Ok(source) => enum_by_name(
            source.as_str_name(),
            "TRACKING_EVENT_SOURCE_",
            EventSource::parse,
        ),
        Err(_) => {
            violations.add("source", "is not a known TrackingEventSource");
            None
        }
    };
    violations.require_text("source_name", &event.source_name, MAX_SOURCE_NAME_CHARS);
    violations.limit_text("description", &event.description, MAX_DESCRIPTION_CHARS);
    let location = location_field(&mut violations, event.location.as_ref());
    let occur_time = violations.required_time("occur_time", event.occur_time.as_ref());
    let new_estimate = match (&event.new_estimated_delivery_time, code) {
        (None, Some(EventCode::Delayed)) => {
            violations.add("new_estimated_delivery_time", "is required for DELAYED");
            None
        }
        (Some(_), Some(code)) if code != EventCode::Delayed => {
            violations.add("new_estimated_delivery_time", "is only for DELAYED");
            None
        }
        (Some(time), _) => violations.time("new_estimated_delivery_time", time),
        (None, _) => None,
    };
    match (violations.finish(), code, source, occur_time) {
        (Ok(()), Some(code), Some(source), Some(occur_time)) => Ok(ParsedEvent {
            index,
            client_event_id: event.client_event_id.trim().to_owned(),
            tracking_number: event.tracking_number.clone(),
            code,
            source,
            source_name: event.source_name.trim().to_owned(),
            occur_time,
            location,
            description: event.description.trim().to_owned(),
            new_estimated_delivery_time: new_estimate,
        }),
        (Err(ApiError::InvalidArgument { violations, .. }), ..) => Err(violations),
        _ => Err(vec![FieldViolation {
            field: "code".to_owned(),
            description: "is not supported".to_owned(),
        }]),
    }
}

/// The domain value of a protobuf enum value, by name without its prefix.
fn enum_by_name<T>(name: &str, prefix: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    name.strip_prefix(prefix).and_then(parse)
}

/// Records a violation unless `text` is a well-formed tracking number.
pub(crate) fn tracking_number_field(violations: &mut Violations, field: &str, text: &str) {
    if text.is_empty() {
        violations.add(field, "is required");
    } else if !is_tracking_number(text) {
        violations.add(
            field,
            "must be a tracking number: 12 digits, the last a check digit",
        );
    }
}

/// Reads an optional `location`, recording violations of its bounds.
pub(crate) fn location_field(
    violations: &mut Violations,
    location: Option<&TrackingLocation>,
) -> Location {
    let Some(location) = location else {
        return Location::default();
    };
    violations.limit_text("location.facility_code", &location.facility_code, 32);
    violations.limit_text("location.city", &location.city, 100);
    let region_code = location.region_code.trim();
    if !region_code.is_empty() && !is_region_code(region_code) {
        violations.add("location.region_code", REGION_CODE_RULE);
    }
    Location {
        facility_code: location.facility_code.trim().to_owned(),
        city: location.city.trim().to_owned(),
        region_code: region_code.to_owned(),
    }
}

/// The field violations of a rejected event, for its result.
pub(crate) fn event_violations(violations: Vec<FieldViolation>) -> Vec<EventFieldViolation> {
    violations
        .into_iter()
        .map(|violation| EventFieldViolation {
            field: violation.field,
            description: violation.description,
        })
        .collect()
}

/// A stored event as callers see it.
pub(crate) fn event_to_proto(row: &EventRow, tracking_number: &str) -> pb::TrackingEvent {
    let code = TrackingEventCode::from_str_name(&format!("TRACKING_EVENT_CODE_{}", row.code))
        .unwrap_or(TrackingEventCode::Unspecified);
    let source =
        TrackingEventSource::from_str_name(&format!("TRACKING_EVENT_SOURCE_{}", row.source))
            .unwrap_or(TrackingEventSource::Unspecified);
    pb::TrackingEvent {
        event_id: row.event_id.to_string(),
        client_event_id: row.client_event_id.clone(),
        tracking_number: tracking_number.to_owned(),
        code: code.into(),
        location: location_to_proto(&row.facility_code, &row.city, &row.region_code),
        occur_time: Some(timestamp(row.occur_time)),
        receive_time: Some(timestamp(row.receive_time)),
        source: source.into(),
        source_name: row.source_name.clone(),
        description: row.description.clone(),
        new_estimated_delivery_time: optional_timestamp(row.new_estimated_delivery_time),
        applied_status: row
            .applied_status
            .map_or(pb::OrderStatus::Unspecified, |status| {
                status_to_proto(status.0)
            })
            .into(),
        late: row.late,
    }
}

/// A location, unset when every part is empty.
pub(crate) fn location_to_proto(
    facility_code: &str,
    city: &str,
    region_code: &str,
) -> Option<TrackingLocation> {
    (!facility_code.is_empty() || !city.is_empty() || !region_code.is_empty()).then(|| {
        TrackingLocation {
            facility_code: facility_code.to_owned(),
            city: city.to_owned(),
            region_code: region_code.to_owned(),
        }
    })
}

/// The tracking of an order with its latest events, given newest first and at most `limit + 1`
/// of them: one more than shown tells that older ones exist.
pub(crate) fn tracking_to_proto(
    order: &TrackedOrder,
    mut newest_first: Vec<&EventRow>,
    limit: usize,
) -> pb::Tracking {
    let has_older_events = newest_first.len() > limit;
    newest_first.truncate(limit);
    let events = newest_first
        .iter()
        .rev()
        .map(|row| event_to_proto(row, &order.tracking_number))
        .collect();
    pb::Tracking {
        tracking_number: order.tracking_number.clone(),
        order_id: order.id.to_string(),
        order_number: order.order_number.clone(),
        status: status_to_proto(order.status.0).into(),
        status_time: Some(timestamp(order.status_time)),
        promised_delivery_time: Some(timestamp(order.promised_delivery_time)),
        estimated_delivery_time: Some(timestamp(order.estimated_delivery_time)),
        pickup_time: optional_timestamp(order.pickup_time),
        delivery_time: optional_timestamp(order.delivery_time),
        last_movement_time: optional_timestamp(order.last_movement_time),
        route_changed: order.route_changed,
        origin_region_code: order.origin_region.clone(),
        destination_region_code: order.destination_region.clone(),
        events,
        has_older_events,
    }
}

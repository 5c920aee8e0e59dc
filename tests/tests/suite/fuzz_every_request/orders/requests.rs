//! Generators of every request of the orders package.

use logistics_contracts::orders::*;
use proptest::prelude::*;

use super::{Call, Known};
use crate::fuzz_every_request::values::*;

const SAVED_ADDRESS_PATHS: &[&str] = &[
    "label",
    "address",
    "usage",
    "default_sender",
    "default_recipient",
];
const SAVED_ADDRESS_FIXED: &[&str] = &["address.city", "customer_id", "id"];

fn cargo_line() -> BoxedStrategy<CargoLine> {
    (
        text(&[
            "Ceramic tiles on pallets",
            "Grout, boxed",
            "Lithium batteries",
        ]),
        int32(1..=20),
        int64(1..=2_000_000),
        int64(1..=5_000_000),
        money(),
        prop_oneof![
            4 => (Just(false), prop_oneof![8 => Just(String::new()), 1 => text(&["UN3480"])]),
            1 => (Just(true), text(&["UN3480", "UN1234"])),
        ],
    )
        .prop_map(
            |(description, pieces, weight_grams, volume_cm3, declared_value, (dangerous, un))| {
                CargoLine {
                    description,
                    pieces,
                    weight_grams,
                    volume_cm3,
                    declared_value,
                    dangerous_goods: dangerous,
                    un_number: un,
                }
            },
        )
        .boxed()
}

fn window() -> BoxedStrategy<Option<TimeWindow>> {
    let now = chrono::Utc::now().timestamp();
    prop_oneof![
        1 => Just(None),
        3 => (0..=72 * 3600i64, 1800..=8 * 3600i64).prop_map(move |(ahead, length)| Some(TimeWindow {
            start_time: Some(prost_types::Timestamp { seconds: now + ahead, nanos: 0 }),
            end_time: Some(prost_types::Timestamp { seconds: now + ahead + length, nanos: 0 }),
        })),
        2 => (maybe_time(), maybe_time()).prop_map(|(start_time, end_time)| Some(TimeWindow { start_time, end_time })),
    ]
    .boxed()
}

fn order(k: &Known) -> BoxedStrategy<Order> {
    let document = (enumeration(7), text(&["INV-1", "PL-7"]), words())
        .prop_map(|(kind, number, description)| OrderDocument {
            kind,
            number,
            description,
        })
        .boxed();
    (
        id(&k.customers),
        enumeration(6),
        (
            prop::option::weighted(0.95, address()),
            prop::option::weighted(0.95, address()),
        ),
        list(cargo_line(), 300),
        window(),
        prop_oneof![
            8 => prop::sample::subsequence(vec!["PO-2026-0042".to_owned(), "PO-7".to_owned(), "REF-1".to_owned()], 0..=3),
            1 => list(text(&["PO-2026-0042", "PO-7"]), 100),
        ],
        prop_oneof![4 => Just(Vec::new()), 1 => list(document, 100)],
        (any::<bool>(), output_enum(11), prop::option::weighted(0.1, time()), prop_oneof![8 => Just(String::new()), 1 => id(&k.orders)]),
    )
        .prop_map(
            |(
                customer_id,
                mode,
                (origin, destination),
                cargo,
                requested_pickup_window,
                customer_references,
                documents,
                (priority_transport, status, promised_delivery_time, id),
            )| Order {
                id,
                customer_id,
                mode,
                status,
                origin,
                destination,
                cargo,
                requested_pickup_window,
                customer_references,
                documents,
                priority_transport,
                promised_delivery_time,
                ..Default::default()
            },
        )
        .boxed()
}

fn location() -> BoxedStrategy<Option<TrackingLocation>> {
    prop::option::weighted(
        0.7,
        (
            text(&["SHA-HUB-1", "PEK-07"]),
            text(&["Shanghai", "Beijing"]),
            text(&["310115", "110105"]),
        )
            .prop_map(|(facility_code, city, region_code)| TrackingLocation {
                facility_code,
                city,
                region_code,
            }),
    )
    .boxed()
}

fn tracking_event(k: &Known) -> BoxedStrategy<TrackingEvent> {
    let now = chrono::Utc::now().timestamp();
    let recent = prop_oneof![
        3 => (0..=3600i64).prop_map(move |ago| Some(prost_types::Timestamp { seconds: now - ago, nanos: 0 })),
        2 => maybe_time(),
    ];
    (
        text(&["scan-1", "scan-2", "evt-42"]),
        id(&k.tracking_numbers),
        enumeration(13),
        location(),
        recent,
        enumeration(5),
        text(&["hub-sha-07", "partner-x"]),
        words(),
        prop::option::weighted(0.2, time()),
        (
            prop_oneof![8 => Just(String::new()), 1 => text(&["evt"])],
            prop::option::weighted(0.1, time()),
            output_enum(11),
        ),
    )
        .prop_map(
            |(
                client_event_id,
                tracking_number,
                code,
                location,
                occur_time,
                source,
                source_name,
                description,
                new_estimated_delivery_time,
                (event_id, receive_time, applied_status),
            )| TrackingEvent {
                event_id,
                client_event_id,
                tracking_number,
                code,
                location,
                occur_time,
                receive_time,
                source,
                source_name,
                description,
                new_estimated_delivery_time,
                applied_status,
                late: false,
            },
        )
        .boxed()
}

fn image() -> BoxedStrategy<Option<DeliveryImage>> {
    prop::option::weighted(
        0.5,
        prop_oneof![
            4 => (text(&["image/png"]), bytes()).prop_map(|(content_type, tail)| DeliveryImage {
                content_type,
                content: [b"\x89PNG\r\n\x1a\n".as_slice(), &tail].concat(),
            }),
            1 => (text(&["image/jpeg", "text/html"]), bytes()).prop_map(|(content_type, content)| DeliveryImage {
                content_type,
                content,
            }),
        ],
    )
    .boxed()
}

fn rate_card(k: &Known) -> BoxedStrategy<RateCard> {
    let base = k.rate_card.clone();
    let zone = (
        text(&["EAST", "NORTH", "SOUTH"]),
        list(text(&["31", "11", "44", ""]), 300),
    )
        .prop_map(|(name, region_prefixes)| RateZone {
            name,
            region_prefixes,
        })
        .boxed();
    let terms = (enumeration(6), int32(1000..=8000), int32(1..=1000))
        .prop_map(|(mode, divisor, step)| ModeTerms {
            mode,
            volumetric_divisor_cm3_per_kg: divisor,
            weight_step_grams: step,
        })
        .boxed();
    let lane = (
        enumeration(6),
        text(&["EAST", "NORTH"]),
        text(&["EAST", "NORTH"]),
        (money(), money(), money()),
        int32(1..=200),
    )
        .prop_map(
            |(
                mode,
                origin_zone,
                destination_zone,
                (base_fee, fee_per_step, minimum_charge),
                transit_hours,
            )| Lane {
                mode,
                origin_zone,
                destination_zone,
                base_fee,
                fee_per_step,
                minimum_charge,
                transit_hours,
            },
        )
        .boxed();
    let surcharges = (int32(0..=100), int32(0..=100), int32(0..=100), etag());
    prop_oneof![
        // The current card with its numbers changed: mostly valid, so quotes use odd numbers.
        2 => (Just(base.clone()), surcharges.clone()).prop_map(|(card, (dg, priority, cut, etag))| RateCard {
            dangerous_goods_surcharge_percent: dg,
            priority_surcharge_percent: priority,
            priority_transit_cut_percent: cut,
            etag,
            ..card
        }),
        1 => (Just(base), list(lane.clone(), 400)).prop_map(|(card, lanes)| RateCard { lanes, ..card }),
        1 => (list(zone, 100), text(&["EAST", "NOWHERE"]), list(terms, 50), list(lane, 200), surcharges)
            .prop_map(|(zones, fallback_zone, modes, lanes, (dg, priority, cut, etag))| RateCard {
                zones,
                fallback_zone,
                modes,
                lanes,
                dangerous_goods_surcharge_percent: dg,
                priority_surcharge_percent: priority,
                priority_transit_cut_percent: cut,
                etag,
                ..Default::default()
            }),
    ]
    .boxed()
}

fn saved_address(k: &Known) -> BoxedStrategy<SavedAddress> {
    (
        id(&k.saved_addresses),
        id(&k.customers),
        // Labels are unique per customer: most get a number.
        (text(&["Pudong warehouse", "Home", "Dock 7"]), 0..100_000u32).prop_map(|(label, n)| {
            if n % 4 == 0 {
                label
            } else {
                format!("{label} {n}")
            }
        }),
        prop::option::weighted(0.95, address()),
        enumeration(4),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        etag(),
    )
        .prop_map(
            |(id, customer_id, label, address, usage, default_sender, default_recipient, etag)| {
                SavedAddress {
                    id,
                    customer_id,
                    label,
                    address,
                    usage,
                    default_sender,
                    default_recipient,
                    etag,
                    ..Default::default()
                }
            },
        )
        .boxed()
}

/// Every request of the orders package: a third built clean, to get past validation.
pub fn calls(k: &Known) -> BoxedStrategy<Call> {
    prop_oneof![1 => clean(|| any_call(k)), 2 => any_call(k)].boxed()
}

// One call per line or two, as a table: rustfmt would spread it over three times the lines.
#[rustfmt::skip]
fn any_call(k: &Known) -> BoxedStrategy<Call> {
    let order_id = || id(&k.orders);
    let tracking_number = || id(&k.tracking_numbers);
    let reason = || text(&["customer changed their mind", "truck broke down"]);
    let events = || list(tracking_event(k), 1100);
    prop_oneof![
        (prop::option::weighted(0.95, order(k)), request_id(), prop::option::weighted(0.25, time()))
            .prop_map(|(order, request_id, import_create_time)| Call::CreateOrder(CreateOrderRequest { order, request_id, import_create_time })),
        order_id().prop_map(|id| Call::GetOrder(GetOrderRequest { id })),
        (
            prop::option::of((id(&k.customers), list(enumeration(11), 100), enumeration(6), text(&["31", "110"]), maybe_time(), maybe_time(), text(&["PO-2026-0042"]))),
            enumeration(4), page_size(), page_token(),
        )
            .prop_map(|(filter, order_by, page_size, page_token)| Call::ListOrders(ListOrdersRequest {
                filter: filter.map(|(customer_id, statuses, mode, region_code_prefix, create_time_after, create_time_before, customer_reference)| OrderFilter {
                    customer_id, statuses, mode, region_code_prefix, create_time_after, create_time_before, customer_reference,
                }),
                order_by, page_size, page_token,
            })),
        (order_id(), etag()).prop_map(|(id, etag)| Call::ConfirmOrder(ConfirmOrderRequest { id, etag })),
        (id(&k.victims), reason(), etag()).prop_map(|(id, reason, etag)| Call::CancelOrder(CancelOrderRequest { id, reason, etag })),
        (order_id(), window(), etag()).prop_map(|(id, window, etag)| Call::SchedulePickup(SchedulePickupRequest { id, window, etag })),
        (id(&k.victims), reason(), etag()).prop_map(|(id, reason, etag)| Call::CancelPickup(CancelPickupRequest { id, reason, etag })),
        (order_id(), text(&["沪A12345", "TRUCK-7"]), text(&["Wang Lei"]), past_time(1))
            .prop_map(|(id, vehicle_id, driver_name, dispatch_time)| Call::DispatchVehicle(DispatchVehicleRequest { id, vehicle_id, driver_name, dispatch_time })),
        (order_id(), enumeration(3), page_size(), page_token())
            .prop_map(|(id, format, page_size, page_token)| Call::GetLabel(GetLabelRequest { id, format, page_size, page_token })),
        feed_request::<logistics_contracts::orders::StreamChangesResponse>().prop_map(Call::StreamChanges),
        (enumeration(6), prop::option::weighted(0.95, address()), prop::option::weighted(0.95, address()), list(cargo_line(), 300), future_time(3), any::<bool>())
            .prop_map(|(mode, origin, destination, cargo, pickup_time, priority_transport)| Call::QuoteShipment(QuoteShipmentRequest {
                mode, origin, destination, cargo, pickup_time, priority_transport,
            })),
        int32(0..=3).prop_map(|version| Call::GetRateCard(GetRateCardRequest { version })),
        (prop::option::weighted(0.95, rate_card(k)), reason())
            .prop_map(|(rate_card, reason)| Call::UpdateRateCard(UpdateRateCardRequest { rate_card, reason })),
        events().prop_map(|events| Call::RecordTrackingEvents(RecordTrackingEventsRequest { events })),
        list(events().prop_map(|events| StreamTrackingEventsRequest { events }).boxed(), 8)
            .prop_map(Call::StreamTrackingEvents),
        (tracking_number(), int32(0..=50)).prop_map(|(tracking_number, max_events)| Call::GetTracking(GetTrackingRequest { tracking_number, max_events })),
        (list(tracking_number(), 1000), int32(0..=50))
            .prop_map(|(tracking_numbers, max_events)| Call::BatchGetTracking(BatchGetTrackingRequest { tracking_numbers, max_events })),
        (text(&["PO-2026-0042", "PO-"]), id(&k.customers), page_size(), page_token(), int32(0..=50))
            .prop_map(|(customer_reference, customer_id, page_size, page_token, max_events)| Call::SearchTrackingByReference(SearchTrackingByReferenceRequest {
                customer_reference, customer_id, page_size, page_token, max_events,
            })),
        tracking_number().prop_map(|tracking_number| Call::WatchTracking(WatchTrackingRequest { tracking_number })),
        (
            (tracking_number(), text(&["Kit Recipient", "王芳"]), past_time(0)),
            (image(), image()),
            (int32(0..=1), int32(0..=1), any::<bool>(), any::<bool>()),
            (words(), location(), text(&["driver-app", "partner-x"])),
        )
            .prop_map(|((tracking_number, signed_by, delivery_time), (signature, photo), (damaged_pieces, missing_pieces, document_errors, route_changed), (notes, location, source_name))| {
                Call::RecordDelivery(RecordDeliveryRequest {
                    tracking_number, signed_by, delivery_time, signature, photo, damaged_pieces, missing_pieces,
                    document_errors, route_changed, notes, location, source_name,
                })
            }),
        (tracking_number(), any::<bool>()).prop_map(|(tracking_number, omit_images)| Call::GetProofOfDelivery(GetProofOfDeliveryRequest { tracking_number, omit_images })),
        (id(&k.customers), int64(0..=7 * 86_400), page_size(), page_token())
            .prop_map(|(customer_id, no_movement_seconds, page_size, page_token)| Call::ListProblemShipments(ListProblemShipmentsRequest {
                customer_id, no_movement_seconds, page_size, page_token,
            })),
        (prop::option::weighted(0.95, saved_address(k)), request_id())
            .prop_map(|(saved_address, request_id)| Call::CreateSavedAddress(CreateSavedAddressRequest { saved_address, request_id })),
        id(&k.saved_addresses).prop_map(|id| Call::GetSavedAddress(GetSavedAddressRequest { id })),
        (id(&k.customers), enumeration(4), page_size(), page_token())
            .prop_map(|(customer_id, usage, page_size, page_token)| Call::ListSavedAddresses(ListSavedAddressesRequest { customer_id, usage, page_size, page_token })),
        (prop::option::weighted(0.95, saved_address(k)), mask(SAVED_ADDRESS_PATHS, SAVED_ADDRESS_FIXED))
            .prop_map(|(saved_address, update_mask)| Call::UpdateSavedAddress(UpdateSavedAddressRequest { saved_address, update_mask })),
        (id(&k.deletable_addresses), etag()).prop_map(|(id, etag)| Call::DeleteSavedAddress(DeleteSavedAddressRequest { id, etag })),
    ]
    .boxed()
}

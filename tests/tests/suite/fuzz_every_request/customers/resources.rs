//! Generators of the resources the customers package's requests carry (customers, contacts,
//! interactions, follow-ups, surveys, grading policies) and of change-feed starts.

use logistics_contracts::customers::*;
use proptest::prelude::*;

use super::Known;
use crate::fuzz_every_request::values::*;

pub(super) fn customer(k: &Known) -> BoxedStrategy<Customer> {
    let names = (
        text(&[
            "Acme Tiles",
            "张伟",
            "Blue Harbour Trading",
            "Municipal Transit Bureau",
        ]),
        text(&["electronics", "ceramics", "retail"]),
        text(&["CN-SH", "CN-BJ"]),
        text(&["li.wei", "zhao.min", "wang.fang"]),
        words(),
    );
    let enums = (
        enumeration(4),
        enumeration(3),
        output_enum(6),
        output_enum(9),
        output_enum(4),
        output_enum(4),
    );
    let needs = prop::option::weighted(
        0.5,
        (
            list(enumeration(6), 40),
            list(text(&["pallets", "cold chain", "documents"]), 60),
            int64(0..=1_000_000),
            words(),
        )
            .prop_map(
                |(usual_modes, cargo_types, monthly_volume_kg, time_requirements)| TransportNeeds {
                    usual_modes,
                    cargo_types,
                    monthly_volume_kg,
                    time_requirements,
                },
            ),
    );
    (
        id(&k.customers),
        names,
        enums,
        list_from(0, address(), 30),
        needs,
        prop::option::weighted(0.1, time()),
        etag(),
    )
        .prop_map(
            |(
                id,
                (display_name, industry, region_code, account_manager, notes),
                (kind, role, status, tier, value_class, government_level),
                addresses,
                transport_needs,
                last_shipment_time,
                etag,
            )| Customer {
                id,
                kind,
                role,
                display_name,
                industry,
                region_code,
                status,
                account_manager,
                notes,
                etag,
                tier,
                value_class,
                government_level,
                last_shipment_time,
                addresses,
                transport_needs,
                ..Default::default()
            },
        )
        .boxed()
}

pub(super) fn contact(k: &Known) -> BoxedStrategy<Contact> {
    (
        id(&k.contacts),
        id(&k.customers),
        text(&["Li Wei", "Zhao Min", "王芳"]),
        text(&[
            "138 0013 8000",
            "+86 21 5555 0101",
            "12-34",
            "+1 (555) 010-9999",
        ]),
        text(&["li.wei@example.com", "a@b", "x@例子.中国"]),
        text(&["buyer", "warehouse", "finance"]),
        any::<bool>(),
        etag(),
    )
        .prop_map(
            |(id, customer_id, name, phone, email, role, primary, etag)| Contact {
                id,
                customer_id,
                name,
                phone,
                email,
                role,
                primary,
                etag,
                ..Default::default()
            },
        )
        .boxed()
}

pub(super) fn interaction(k: &Known) -> BoxedStrategy<Interaction> {
    (
        id(&k.customers),
        enumeration(7),
        enumeration(3),
        text(&["Delivery question", "Price review"]),
        words(),
        text(&["zhao.min", "li.wei"]),
        past_time(30),
    )
        .prop_map(
            |(customer_id, channel, direction, subject, summary, agent, occur_time)| Interaction {
                customer_id,
                channel,
                direction,
                subject,
                summary,
                agent,
                occur_time,
                ..Default::default()
            },
        )
        .boxed()
}

pub(super) fn follow_up(k: &Known) -> BoxedStrategy<FollowUp> {
    (
        id(&k.customers),
        enumeration(5),
        output_enum(5),
        future_time(30),
        text(&["zhao.min", "li.wei"]),
        words(),
        text(&["O2026-000042", "C000001"]),
        (
            prop_oneof![4 => Just(String::new()), 1 => words()],
            prop::option::weighted(0.1, time()),
        ),
    )
        .prop_map(
            |(customer_id, reason, status, due_time, agent, notes, reference, (outcome, t))| {
                FollowUp {
                    customer_id,
                    reason,
                    status,
                    due_time,
                    agent,
                    notes,
                    reference,
                    outcome,
                    complete_time: t,
                    ..Default::default()
                }
            },
        )
        .boxed()
}

pub(super) fn survey(k: &Known) -> BoxedStrategy<Survey> {
    let score = || int32(1..=5);
    (
        id(&k.customers),
        prop_oneof![1 => Just(String::new()), 3 => id(&k.follow_ups)],
        (score(), score(), score(), score(), score()),
        words(),
        text(&["zhao.min"]),
        past_time(30),
    )
        .prop_map(
            |(customer_id, follow_up_id, (t, c, s, p, i), comment, agent, survey_time)| Survey {
                customer_id,
                follow_up_id,
                timeliness: t,
                cargo_safety: c,
                staff_attitude: s,
                price: p,
                information: i,
                comment,
                agent,
                survey_time,
                ..Default::default()
            },
        )
        .boxed()
}

pub(super) fn policy() -> BoxedStrategy<GradingPolicy> {
    let level = (
        enumeration(4),
        enumeration(5),
        duration(),
        duration(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(value_class, floor, first, resolution, transport, manager)| ServiceLevel {
                value_class,
                complaint_priority_floor: floor,
                first_response_target: first,
                resolution_target: resolution,
                priority_transport: transport,
                dedicated_account_manager: manager,
            },
        )
        .boxed();
    (
        int32(0..=3),
        (
            int32(1..=50),
            int32(1..=400),
            int32(1..=400),
            int32(1..=400),
            int32(1..=800),
        ),
        money(),
        money(),
        list(level, 40),
        etag(),
    )
        .prop_map(
            |(
                version,
                (frequent, window, spend_window, dormant, churned),
                large,
                medium,
                levels,
                etag,
            )| {
                GradingPolicy {
                    version,
                    frequent_min_shipments: frequent,
                    frequent_window_days: window,
                    large_min_spend: large,
                    medium_min_spend: medium,
                    spend_window_days: spend_window,
                    dormant_after_days: dormant,
                    churned_after_days: churned,
                    service_levels: levels,
                    etag,
                    ..Default::default()
                }
            },
        )
        .boxed()
}

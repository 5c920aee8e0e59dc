//! Generators of every request of the customers package.

use logistics_contracts::common::ChangeFeedStart;
use logistics_contracts::common::change_feed_start::Position;
use logistics_contracts::customers::*;
use proptest::prelude::*;

use super::{Call, Known};
use crate::fuzz_every_request::values::*;

const CUSTOMER_PATHS: &[&str] = &[
    "role",
    "display_name",
    "industry",
    "region_code",
    "account_manager",
    "notes",
    "addresses",
    "transport_needs",
];
const CUSTOMER_FIXED: &[&str] = &[
    "kind",
    "status",
    "customer_code",
    "transport_needs.usual_modes",
];
const CONTACT_PATHS: &[&str] = &["name", "phone", "email", "role", "primary"];
const CONTACT_FIXED: &[&str] = &["customer_id", "id"];
const POLICY_PATHS: &[&str] = &[
    "frequent_min_shipments",
    "frequent_window_days",
    "spend_window_days",
    "dormant_after_days",
    "churned_after_days",
    "large_min_spend",
    "medium_min_spend",
    "service_levels",
];
const POLICY_FIXED: &[&str] = &["version", "created_by"];

fn customer(k: &Known) -> BoxedStrategy<Customer> {
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

fn contact(k: &Known) -> BoxedStrategy<Contact> {
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

fn interaction(k: &Known) -> BoxedStrategy<Interaction> {
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

fn follow_up(k: &Known) -> BoxedStrategy<FollowUp> {
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

fn survey(k: &Known) -> BoxedStrategy<Survey> {
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

fn policy() -> BoxedStrategy<GradingPolicy> {
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

fn start() -> BoxedStrategy<StreamChangesRequest> {
    prop_oneof![
        1 => Just(None),
        1 => any::<bool>().prop_map(|now| Some(Position::FromNow(now))),
        3 => text(&["", "0", "AAAA", "1:1"]).prop_map(|cursor| Some(Position::AfterCursor(cursor))),
    ]
    .prop_map(|position| StreamChangesRequest {
        start: Some(ChangeFeedStart { position }),
    })
    .boxed()
}

/// Every request of the customers package: a third built clean, to get past validation.
pub fn calls(k: &Known) -> BoxedStrategy<Call> {
    prop_oneof![1 => clean(|| any_call(k)), 2 => any_call(k)].boxed()
}

fn any_call(k: &Known) -> BoxedStrategy<Call> {
    let customer_id = || id(&k.customers);
    let reason = || text(&["customer asked", "fraud check", "annual review"]);
    prop_oneof![
        (prop::option::weighted(0.95, customer(k)), request_id()).prop_map(
            |(customer, request_id)| Call::CreateCustomer(CreateCustomerRequest {
                customer,
                request_id
            })
        ),
        customer_id().prop_map(|id| Call::GetCustomer(GetCustomerRequest { id })),
        (
            page_size(),
            page_token(),
            prop::option::of((
                enumeration(4),
                enumeration(6),
                text(&["CN-SH", "310115"]),
                text(&["Acme", "王", "%"]),
                any::<bool>()
            )),
            enumeration(5)
        )
            .prop_map(
                |(page_size, page_token, filter, order_by)| Call::ListCustomers(
                    ListCustomersRequest {
                        page_size,
                        page_token,
                        order_by,
                        filter: filter.map(
                            |(kind, status, region_code, display_name_prefix, show_deleted)| {
                                CustomerFilter {
                                    kind,
                                    status,
                                    region_code,
                                    display_name_prefix,
                                    show_deleted,
                                }
                            }
                        ),
                    }
                )
            ),
        (
            prop::option::weighted(0.95, customer(k)),
            mask(CUSTOMER_PATHS, CUSTOMER_FIXED)
        )
            .prop_map(|(customer, update_mask)| Call::UpdateCustomer(
                UpdateCustomerRequest {
                    customer,
                    update_mask
                }
            )),
        (id(&k.victims), etag())
            .prop_map(|(id, etag)| Call::DeleteCustomer(DeleteCustomerRequest { id, etag })),
        start().prop_map(Call::StreamChanges),
        (
            customer_id(),
            text(&["O2026-000042", "A-1"]),
            past_time(30),
            money()
        )
            .prop_map(
                |(customer_id, activity_id, occur_time, spend)| Call::RecordActivity(
                    RecordActivityRequest {
                        customer_id,
                        activity_id,
                        occur_time,
                        spend,
                    }
                )
            ),
        (id(&k.victims), reason(), etag()).prop_map(|(id, reason, etag)| Call::BlockCustomer(
            BlockCustomerRequest { id, reason, etag }
        )),
        (id(&k.victims), reason(), etag()).prop_map(|(id, reason, etag)| Call::UnblockCustomer(
            UnblockCustomerRequest { id, reason, etag }
        )),
        (customer_id(), enumeration(4), reason(), etag()).prop_map(|(id, level, reason, etag)| {
            Call::SetGovernmentLevel(SetGovernmentLevelRequest {
                id,
                level,
                reason,
                etag,
            })
        }),
        customer_id().prop_map(|id| Call::RegradeCustomer(RegradeCustomerRequest { id })),
        (customer_id(), page_size(), page_token()).prop_map(
            |(customer_id, page_size, page_token)| Call::ListStatusHistory(
                ListStatusHistoryRequest {
                    customer_id,
                    page_size,
                    page_token
                }
            )
        ),
        (customer_id(), page_size(), page_token()).prop_map(
            |(customer_id, page_size, page_token)| Call::ListTierHistory(ListTierHistoryRequest {
                customer_id,
                page_size,
                page_token
            })
        ),
        int32(0..=3)
            .prop_map(|version| Call::GetGradingPolicy(GetGradingPolicyRequest { version })),
        (
            prop::option::weighted(0.95, policy()),
            mask(POLICY_PATHS, POLICY_FIXED)
        )
            .prop_map(|(policy, update_mask)| Call::UpdateGradingPolicy(
                UpdateGradingPolicyRequest {
                    policy,
                    update_mask
                }
            )),
        customer_id()
            .prop_map(|customer_id| Call::GetServiceLevel(GetServiceLevelRequest { customer_id })),
        customer_id().prop_map(|id| Call::GetCustomerValue(GetCustomerValueRequest { id })),
        Just(Call::RunLifecycleSweep(RunLifecycleSweepRequest {})),
        (
            customer_id(),
            prop::option::weighted(0.95, contact(k)),
            request_id()
        )
            .prop_map(|(customer_id, contact, request_id)| Call::AddContact(
                AddContactRequest {
                    customer_id,
                    contact,
                    request_id
                }
            )),
        (
            prop::option::weighted(0.95, contact(k)),
            mask(CONTACT_PATHS, CONTACT_FIXED)
        )
            .prop_map(
                |(contact, update_mask)| Call::UpdateContact(UpdateContactRequest {
                    contact,
                    update_mask
                })
            ),
        (id(&k.removable_contacts), etag())
            .prop_map(|(id, etag)| Call::RemoveContact(RemoveContactRequest { id, etag })),
        (customer_id(), page_size(), page_token()).prop_map(
            |(customer_id, page_size, page_token)| Call::ListContacts(ListContactsRequest {
                customer_id,
                page_size,
                page_token
            })
        ),
        (
            text(&["138 0013 8000", "13800138000", "+86"]),
            text(&["li.wei@example.com", "LI.WEI@EXAMPLE.COM"])
        )
            .prop_map(|(phone, email)| Call::FindCustomersByContact(
                FindCustomersByContactRequest { phone, email }
            )),
        id(&k.victims).prop_map(|customer_id| Call::EraseCustomerPersonalData(
            EraseCustomerPersonalDataRequest { customer_id }
        )),
        (prop::option::weighted(0.95, interaction(k)), request_id()).prop_map(
            |(interaction, request_id)| Call::LogInteraction(LogInteractionRequest {
                interaction,
                request_id
            })
        ),
        (
            page_size(),
            page_token(),
            prop::option::of((
                customer_id(),
                text(&["zhao.min"]),
                enumeration(7),
                maybe_time(),
                maybe_time()
            ))
        )
            .prop_map(|(page_size, page_token, filter)| Call::ListInteractions(
                ListInteractionsRequest {
                    page_size,
                    page_token,
                    filter: filter.map(|(customer_id, agent, channel, start_time, end_time)| {
                        InteractionFilter {
                            customer_id,
                            agent,
                            channel,
                            start_time,
                            end_time,
                        }
                    }),
                }
            )),
        (prop::option::weighted(0.95, follow_up(k)), request_id()).prop_map(
            |(follow_up, request_id)| Call::ScheduleFollowUp(ScheduleFollowUpRequest {
                follow_up,
                request_id
            })
        ),
        (
            id(&k.follow_ups),
            text(&["reached", "no answer"]),
            words(),
            past_time(1),
            etag()
        )
            .prop_map(
                |(id, outcome, notes, complete_time, etag)| Call::CompleteFollowUp(
                    CompleteFollowUpRequest {
                        id,
                        outcome,
                        notes,
                        complete_time,
                        etag,
                    }
                )
            ),
        (id(&k.cancellable_follow_ups), etag())
            .prop_map(|(id, etag)| Call::CancelFollowUp(CancelFollowUpRequest { id, etag })),
        (
            page_size(),
            page_token(),
            prop::option::of((
                customer_id(),
                text(&["zhao.min"]),
                enumeration(5),
                maybe_time(),
                maybe_time(),
                any::<bool>()
            ))
        )
            .prop_map(|(page_size, page_token, filter)| Call::ListFollowUps(
                ListFollowUpsRequest {
                    page_size,
                    page_token,
                    filter: filter.map(
                        |(
                            customer_id,
                            agent,
                            status,
                            due_start_time,
                            due_end_time,
                            overdue_only,
                        )| FollowUpFilter {
                            customer_id,
                            agent,
                            status,
                            due_start_time,
                            due_end_time,
                            overdue_only,
                        }
                    ),
                }
            )),
        Just(Call::RunFollowUpSweep(RunFollowUpSweepRequest {})),
        (prop::option::weighted(0.95, survey(k)), request_id()).prop_map(|(survey, request_id)| {
            Call::RecordSurvey(RecordSurveyRequest { survey, request_id })
        }),
        (
            page_size(),
            page_token(),
            prop::option::of((customer_id(), maybe_time(), maybe_time()))
        )
            .prop_map(|(page_size, page_token, filter)| Call::ListSurveys(
                ListSurveysRequest {
                    page_size,
                    page_token,
                    filter: filter.map(|(customer_id, start_time, end_time)| SurveyFilter {
                        customer_id,
                        start_time,
                        end_time
                    }),
                }
            )),
        (
            text(&["2026-03", "2026-13", "0000-00", "9999-12", "2026-3"]),
            int32(0..=10)
        )
            .prop_map(|(month, per_manager)| Call::SampleSurveyTargets(
                SampleSurveyTargetsRequest { month, per_manager }
            )),
        customer_id().prop_map(
            |customer_id| Call::GetLoyaltyAccount(GetLoyaltyAccountRequest { customer_id })
        ),
        (
            customer_id(),
            text(&["O2026-000042", "O2026-000043"]),
            money()
        )
            .prop_map(|(customer_id, reference, amount)| Call::AwardPoints(
                AwardPointsRequest {
                    customer_id,
                    reference,
                    amount
                }
            )),
        (request_id(), customer_id(), int64(-1000..=1000), reason()).prop_map(
            |(request_id, customer_id, points, reason)| Call::AdjustPoints(AdjustPointsRequest {
                request_id,
                customer_id,
                points,
                reason
            })
        ),
        (
            request_id(),
            customer_id(),
            int64(-10..=1000),
            reason(),
            text(&["gift-1"])
        )
            .prop_map(|(request_id, customer_id, points, reason, reference)| {
                Call::RedeemPoints(RedeemPointsRequest {
                    request_id,
                    customer_id,
                    points,
                    reason,
                    reference,
                })
            }),
        (customer_id(), page_size(), page_token()).prop_map(
            |(customer_id, page_size, page_token)| Call::ListPointMovements(
                ListPointMovementsRequest {
                    customer_id,
                    page_size,
                    page_token
                }
            )
        ),
        Just(Call::RunPointsExpiry(RunPointsExpiryRequest {})),
    ]
    .boxed()
}

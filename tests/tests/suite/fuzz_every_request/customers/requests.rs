//! Generators of every request of the customers package.

use logistics_contracts::customers::*;
use proptest::prelude::*;

use super::resources::*;
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
        feed_request::<logistics_contracts::customers::StreamChangesResponse>()
            .prop_map(Call::StreamChanges),
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

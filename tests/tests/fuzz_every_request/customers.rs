//! Every RPC of the customers package (CustomerService, ContactService, EngagementService,
//! LoyaltyService) with generated requests.

use logistics_contracts::common::ChangeFeedStart;
use logistics_contracts::common::change_feed_start::Position;
use logistics_contracts::customers::*;
use logistics_tests::{
    ContactsClient, CustomersClient, EngagementClient, LoyaltyClient, TestApp, create_customer,
    enterprise, individual,
};
use proptest::prelude::*;
use tokio_stream::StreamExt as _;

use crate::values::*;
use crate::{FuzzCall, Outcome};

/// One call of the customers package.
#[derive(Debug, Clone)]
pub enum Call {
    CreateCustomer(CreateCustomerRequest),
    GetCustomer(GetCustomerRequest),
    ListCustomers(ListCustomersRequest),
    UpdateCustomer(UpdateCustomerRequest),
    DeleteCustomer(DeleteCustomerRequest),
    StreamChanges(StreamChangesRequest),
    RecordActivity(RecordActivityRequest),
    BlockCustomer(BlockCustomerRequest),
    UnblockCustomer(UnblockCustomerRequest),
    SetGovernmentLevel(SetGovernmentLevelRequest),
    RegradeCustomer(RegradeCustomerRequest),
    ListStatusHistory(ListStatusHistoryRequest),
    ListTierHistory(ListTierHistoryRequest),
    GetGradingPolicy(GetGradingPolicyRequest),
    UpdateGradingPolicy(UpdateGradingPolicyRequest),
    GetServiceLevel(GetServiceLevelRequest),
    GetCustomerValue(GetCustomerValueRequest),
    RunLifecycleSweep(RunLifecycleSweepRequest),
    AddContact(AddContactRequest),
    UpdateContact(UpdateContactRequest),
    RemoveContact(RemoveContactRequest),
    ListContacts(ListContactsRequest),
    FindCustomersByContact(FindCustomersByContactRequest),
    EraseCustomerPersonalData(EraseCustomerPersonalDataRequest),
    LogInteraction(LogInteractionRequest),
    ListInteractions(ListInteractionsRequest),
    ScheduleFollowUp(ScheduleFollowUpRequest),
    CompleteFollowUp(CompleteFollowUpRequest),
    CancelFollowUp(CancelFollowUpRequest),
    ListFollowUps(ListFollowUpsRequest),
    RunFollowUpSweep(RunFollowUpSweepRequest),
    RecordSurvey(RecordSurveyRequest),
    ListSurveys(ListSurveysRequest),
    SampleSurveyTargets(SampleSurveyTargetsRequest),
    GetLoyaltyAccount(GetLoyaltyAccountRequest),
    AwardPoints(AwardPointsRequest),
    AdjustPoints(AdjustPointsRequest),
    RedeemPoints(RedeemPointsRequest),
    ListPointMovements(ListPointMovementsRequest),
    RunPointsExpiry(RunPointsExpiryRequest),
}

impl FuzzCall for Call {
    fn rpc(&self) -> &'static str {
        macro_rules! names {
            ($($rpc:ident),* $(,)?) => {
                match self { $(Call::$rpc(_) => stringify!($rpc),)* }
            };
        }
        names!(
            CreateCustomer,
            GetCustomer,
            ListCustomers,
            UpdateCustomer,
            DeleteCustomer,
            StreamChanges,
            RecordActivity,
            BlockCustomer,
            UnblockCustomer,
            SetGovernmentLevel,
            RegradeCustomer,
            ListStatusHistory,
            ListTierHistory,
            GetGradingPolicy,
            UpdateGradingPolicy,
            GetServiceLevel,
            GetCustomerValue,
            RunLifecycleSweep,
            AddContact,
            UpdateContact,
            RemoveContact,
            ListContacts,
            FindCustomersByContact,
            EraseCustomerPersonalData,
            LogInteraction,
            ListInteractions,
            ScheduleFollowUp,
            CompleteFollowUp,
            CancelFollowUp,
            ListFollowUps,
            RunFollowUpSweep,
            RecordSurvey,
            ListSurveys,
            SampleSurveyTargets,
            GetLoyaltyAccount,
            AwardPoints,
            AdjustPoints,
            RedeemPoints,
            ListPointMovements,
            RunPointsExpiry,
        )
    }
}

/// What exists before the first case: generated ids mostly name these, so calls get past lookups.
#[derive(Debug, Clone)]
pub struct Known {
    customers: Vec<String>,
    /// Customers that deletes, erasures and blocks aim at, so the others stay usable.
    victims: Vec<String>,
    contacts: Vec<String>,
    /// Contacts that RemoveContact aims at, so the others can be updated.
    removable_contacts: Vec<String>,
    /// Follow-ups that CompleteFollowUp aims at.
    follow_ups: Vec<String>,
    /// Follow-ups that CancelFollowUp aims at.
    cancellable_follow_ups: Vec<String>,
}

/// The clients of the customers package.
#[derive(Clone)]
pub struct Clients {
    customers: CustomersClient,
    contacts: ContactsClient,
    engagement: EngagementClient,
    loyalty: LoyaltyClient,
}

impl Clients {
    pub async fn connect(app: &TestApp) -> Self {
        Self {
            customers: app.customers_client().await,
            contacts: app.contacts_client().await,
            engagement: app.engagement_client().await,
            loyalty: app.loyalty_client().await,
        }
    }
}

/// Creates customers (by id and by code), contacts, a follow-up, interactions and points.
pub async fn setup(clients: &mut Clients) -> Known {
    let mut customers = Vec::new();
    let government = Customer {
        kind: CustomerKind::Government.into(),
        government_level: GovernmentLevel::B.into(),
        ..enterprise("Municipal Transit Bureau")
    };
    for customer in [
        enterprise("Acme Tiles"),
        individual("王芳"),
        enterprise("Blue Harbour Trading"),
        government,
    ] {
        customers.push(create_customer(&mut clients.customers, customer).await.id);
    }
    let mut victims = Vec::new();
    for name in ["Short Lived Ltd", "Gone Soon Co"] {
        let created = create_customer(&mut clients.customers, enterprise(name)).await;
        victims.extend([created.id, created.customer_code]);
    }
    let mut contacts = vec![uuid::Uuid::new_v4().to_string()];
    for (name, phone, email) in [
        ("Li Wei", "138 0013 8000", "li.wei@example.com"),
        ("Zhao Min", "+86 21 5555 0101", "zhao.min@example.com"),
        ("Wang Fang", "139 0000 1111", "wang.fang@example.com"),
        ("Chen Jie", "137 2222 3333", "chen.jie@example.com"),
    ] {
        let contact = clients
            .contacts
            .add_contact(AddContactRequest {
                customer_id: customers[0].clone(),
                contact: Some(Contact {
                    name: name.to_owned(),
                    phone: phone.to_owned(),
                    email: email.to_owned(),
                    role: "buyer".to_owned(),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("adding a contact")
            .into_inner();
        contacts.push(contact.id);
    }
    let removable_contacts = [vec![contacts[0].clone()], contacts.split_off(3)].concat();
    let mut follow_ups = vec![uuid::Uuid::new_v4().to_string()];
    for (n, customer_id) in [&customers[0], &customers[2]]
        .repeat(3)
        .into_iter()
        .enumerate()
    {
        let follow_up = clients
            .engagement
            .schedule_follow_up(ScheduleFollowUpRequest {
                follow_up: Some(FollowUp {
                    customer_id: customer_id.clone(),
                    reason: FollowUpReason::PeriodicReview.into(),
                    due_time: Some(prost_types::Timestamp {
                        seconds: chrono::Utc::now().timestamp() + 86_400,
                        nanos: 0,
                    }),
                    agent: "zhao.min".to_owned(),
                    reference: format!("R-{n}"),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("scheduling a follow-up")
            .into_inner();
        follow_ups.push(follow_up.id);
    }
    let cancellable_follow_ups = [vec![follow_ups[0].clone()], follow_ups.split_off(4)].concat();
    clients
        .loyalty
        .award_points(AwardPointsRequest {
            customer_id: customers[0].clone(),
            reference: "O2026-000001".to_owned(),
            amount: Some(logistics_contracts::common::Money {
                currency_code: "CNY".to_owned(),
                amount_minor: 1_000_000,
            }),
        })
        .await
        .expect("awarding points");
    Known {
        customers,
        victims,
        contacts,
        removable_contacts,
        follow_ups,
        cancellable_follow_ups,
    }
}

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

/// Sends `call`; a stream is read for its first message (a short wait: the feed may be idle).
pub async fn send(clients: &mut Clients, call: Call) -> Outcome {
    let Clients {
        customers: c,
        contacts: ct,
        engagement: e,
        loyalty: l,
    } = clients;
    macro_rules! unary {
        ($client:expr, $method:ident, $request:expr) => {
            $client.$method($request).await.map(|_| ())
        };
    }
    match call {
        Call::CreateCustomer(r) => unary!(c, create_customer, r),
        Call::GetCustomer(r) => unary!(c, get_customer, r),
        Call::ListCustomers(r) => unary!(c, list_customers, r),
        Call::UpdateCustomer(r) => unary!(c, update_customer, r),
        Call::DeleteCustomer(r) => unary!(c, delete_customer, r),
        Call::StreamChanges(r) => {
            let mut stream = c.stream_changes(r).await?.into_inner();
            match tokio::time::timeout(std::time::Duration::from_millis(50), stream.next()).await {
                Ok(Some(Err(status))) => Err(status),
                _ => Ok(()),
            }
        }
        Call::RecordActivity(r) => unary!(c, record_activity, r),
        Call::BlockCustomer(r) => unary!(c, block_customer, r),
        Call::UnblockCustomer(r) => unary!(c, unblock_customer, r),
        Call::SetGovernmentLevel(r) => unary!(c, set_government_level, r),
        Call::RegradeCustomer(r) => unary!(c, regrade_customer, r),
        Call::ListStatusHistory(r) => unary!(c, list_status_history, r),
        Call::ListTierHistory(r) => unary!(c, list_tier_history, r),
        Call::GetGradingPolicy(r) => unary!(c, get_grading_policy, r),
        Call::UpdateGradingPolicy(r) => unary!(c, update_grading_policy, r),
        Call::GetServiceLevel(r) => unary!(c, get_service_level, r),
        Call::GetCustomerValue(r) => unary!(c, get_customer_value, r),
        Call::RunLifecycleSweep(r) => unary!(c, run_lifecycle_sweep, r),
        Call::AddContact(r) => unary!(ct, add_contact, r),
        Call::UpdateContact(r) => unary!(ct, update_contact, r),
        Call::RemoveContact(r) => unary!(ct, remove_contact, r),
        Call::ListContacts(r) => unary!(ct, list_contacts, r),
        Call::FindCustomersByContact(r) => unary!(ct, find_customers_by_contact, r),
        Call::EraseCustomerPersonalData(r) => unary!(ct, erase_customer_personal_data, r),
        Call::LogInteraction(r) => unary!(e, log_interaction, r),
        Call::ListInteractions(r) => unary!(e, list_interactions, r),
        Call::ScheduleFollowUp(r) => unary!(e, schedule_follow_up, r),
        Call::CompleteFollowUp(r) => unary!(e, complete_follow_up, r),
        Call::CancelFollowUp(r) => unary!(e, cancel_follow_up, r),
        Call::ListFollowUps(r) => unary!(e, list_follow_ups, r),
        Call::RunFollowUpSweep(r) => unary!(e, run_follow_up_sweep, r),
        Call::RecordSurvey(r) => unary!(e, record_survey, r),
        Call::ListSurveys(r) => unary!(e, list_surveys, r),
        Call::SampleSurveyTargets(r) => unary!(e, sample_survey_targets, r),
        Call::GetLoyaltyAccount(r) => unary!(l, get_loyalty_account, r),
        Call::AwardPoints(r) => unary!(l, award_points, r),
        Call::AdjustPoints(r) => unary!(l, adjust_points, r),
        Call::RedeemPoints(r) => unary!(l, redeem_points, r),
        Call::ListPointMovements(r) => unary!(l, list_point_movements, r),
        Call::RunPointsExpiry(r) => unary!(l, run_points_expiry, r),
    }
}

//! Every RPC of the customers package (CustomerService, ContactService, EngagementService,
//! LoyaltyService) with generated requests.

use logistics_contracts::customers::*;
use logistics_tests::{
    ContactsClient, CustomersClient, EngagementClient, LoyaltyClient, TestApp, create_customer,
    enterprise, individual,
};
use tokio_stream::StreamExt as _;

use super::{FuzzCall, Outcome};

mod requests;
mod resources;
pub use requests::calls;

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

//! Every RPC of the complaints package (ComplaintService, SlaService) with generated requests.

use logistics_contracts::complaints::*;
use logistics_contracts::orders::{GetOrderRequest, OrderStatus};
use logistics_tests::complaints::{ComplaintsClient, SlaClient, complaint, file};
use logistics_tests::orders::cny;
use logistics_tests::{TestApp, create_customer, enterprise, order_in_status};
use tokio_stream::StreamExt as _;

use super::{FuzzCall, Outcome};

mod requests;
pub use requests::calls;

/// One call of the complaints package.
// Requests are moved once per case, so their sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Call {
    FileComplaint(FileComplaintRequest),
    GetComplaint(GetComplaintRequest),
    ListComplaints(ListComplaintsRequest),
    CountComplaints(CountComplaintsRequest),
    AcknowledgeComplaint(AcknowledgeComplaintRequest),
    AssignComplaint(AssignComplaintRequest),
    SetComplaintPriority(SetComplaintPriorityRequest),
    RecordInvestigation(RecordInvestigationRequest),
    ProposeResolution(ProposeResolutionRequest),
    WaitForCustomer(WaitForCustomerRequest),
    ResumeComplaint(ResumeComplaintRequest),
    ResolveComplaint(ResolveComplaintRequest),
    CloseComplaint(CloseComplaintRequest),
    ReopenComplaint(ReopenComplaintRequest),
    AddComplaintNote(AddComplaintNoteRequest),
    ReviewClaim(ReviewClaimRequest),
    MarkClaimPaid(MarkClaimPaidRequest),
    RateResolution(RateResolutionRequest),
    StreamChanges(StreamChangesRequest),
    GetBusinessCalendar(GetBusinessCalendarRequest),
    UpdateBusinessCalendar(UpdateBusinessCalendarRequest),
    GetSlaPolicy(GetSlaPolicyRequest),
    UpdateSlaPolicy(UpdateSlaPolicyRequest),
    RunSlaSweep(RunSlaSweepRequest),
}

impl FuzzCall for Call {
    fn rpc(&self) -> &'static str {
        macro_rules! names {
            ($($rpc:ident),* $(,)?) => {
                match self { $(Call::$rpc(_) => stringify!($rpc),)* }
            };
        }
        names!(
            FileComplaint,
            GetComplaint,
            ListComplaints,
            CountComplaints,
            AcknowledgeComplaint,
            AssignComplaint,
            SetComplaintPriority,
            RecordInvestigation,
            ProposeResolution,
            WaitForCustomer,
            ResumeComplaint,
            ResolveComplaint,
            CloseComplaint,
            ReopenComplaint,
            AddComplaintNote,
            ReviewClaim,
            MarkClaimPaid,
            RateResolution,
            StreamChanges,
            GetBusinessCalendar,
            UpdateBusinessCalendar,
            GetSlaPolicy,
            UpdateSlaPolicy,
            RunSlaSweep,
        )
    }
}

/// What exists before the first case.
#[derive(Debug, Clone)]
pub struct Known {
    /// Customers by id and by customer code, and one that does not exist.
    customers: Vec<String>,
    /// Orders by id, order number and tracking number: the delivered one (claimable) and one
    /// still in transit (not claimable for damage), and one that does not exist.
    orders: Vec<String>,
    /// Complaints by id and by complaint number, and one that does not exist.
    complaints: Vec<String>,
    /// The CLAIM complaints, by id and number: what ReviewClaim and MarkClaimPaid aim at most.
    claims: Vec<String>,
    /// The calendar and the policy as set up, to vary.
    calendar: BusinessCalendar,
    policy: SlaPolicy,
}

/// The clients of the complaints package.
#[derive(Clone)]
pub struct Clients {
    complaints: ComplaintsClient,
    sla: SlaClient,
}

impl Clients {
    pub async fn connect(app: &TestApp) -> Self {
        Self {
            complaints: app.complaints_client().await,
            sla: app.sla_client().await,
        }
    }
}

/// Creates a customer with a delivered and an in-transit order, files complaints of every kind
/// (four of them CLAIMs about the delivered order), and reads the calendar and the policy.
pub async fn setup(app: &TestApp, clients: &mut Clients) -> Known {
    let customer =
        create_customer(&mut app.customers_client().await, enterprise("Acme Tiles")).await;
    let mut orders = vec![uuid::Uuid::new_v4().to_string()];
    for status in [OrderStatus::Delivered, OrderStatus::InTransit] {
        let (id, tracking_number) = order_in_status(app, &customer.id, status, &[]).await;
        let order = app
            .orders_client()
            .await
            .get_order(GetOrderRequest { id: id.clone() })
            .await
            .expect("reading an order back")
            .into_inner();
        orders.extend([id, order.order_number, tracking_number]);
    }
    let delivered = orders[1].clone();
    let with_order = |kind, category, order: &str| Complaint {
        order_id: order.to_owned(),
        ..complaint(&customer.id, kind, category)
    };
    let claim_of = |category, fen| Complaint {
        claim: Some(Claim {
            claimed_amount: Some(cny(fen)),
            evidence: vec![
                "photo 1: crushed carton".to_owned(),
                "delivery note".to_owned(),
            ],
            ..Claim::default()
        }),
        ..with_order(ComplaintKind::Claim, category, &delivered)
    };
    let mut complaints = vec![uuid::Uuid::new_v4().to_string()];
    let mut claims = Vec::new();
    for (index, filed) in [
        // Claimed amounts under the goods' declared value, so that approvals are mostly allowed.
        claim_of(ComplaintCategory::Damage, 600_000),
        claim_of(ComplaintCategory::Shortage, 300_000),
        claim_of(ComplaintCategory::Damage, 900_000),
        claim_of(ComplaintCategory::Shortage, 4_500),
        with_order(
            ComplaintKind::Complaint,
            ComplaintCategory::Damage,
            &delivered,
        ),
        with_order(
            ComplaintKind::Complaint,
            ComplaintCategory::Delay,
            &orders[4],
        ),
        complaint(
            &customer.id,
            ComplaintKind::Inquiry,
            ComplaintCategory::Billing,
        ),
        complaint(
            &customer.id,
            ComplaintKind::Suggestion,
            ComplaintCategory::Other,
        ),
        complaint(
            &customer.id,
            ComplaintKind::Complaint,
            ComplaintCategory::StaffAttitude,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let filed = file(&mut clients.complaints, filed).await;
        let names = [filed.id, filed.complaint_number];
        if index < 4 {
            claims.extend(names.clone());
        }
        complaints.extend(names);
    }
    let calendar = clients
        .sla
        .get_business_calendar(GetBusinessCalendarRequest { version: 0 })
        .await
        .expect("reading the calendar")
        .into_inner();
    let policy = clients
        .sla
        .get_sla_policy(GetSlaPolicyRequest {})
        .await
        .expect("reading the policy")
        .into_inner();
    Known {
        customers: vec![
            customer.id,
            customer.customer_code,
            uuid::Uuid::new_v4().to_string(),
        ],
        orders,
        complaints,
        claims,
        calendar,
        policy,
    }
}

/// Sends `call`; a server stream is read for its first message (a short wait: it may be idle).
pub async fn send(clients: &mut Clients, call: Call) -> Outcome {
    let Clients {
        complaints: c,
        sla: s,
    } = clients;
    macro_rules! unary {
        ($client:expr, $method:ident, $request:expr) => {
            $client.$method($request).await.map(|_| ())
        };
    }
    let first = std::time::Duration::from_millis(50);
    match call {
        Call::FileComplaint(r) => unary!(c, file_complaint, r),
        Call::GetComplaint(r) => unary!(c, get_complaint, r),
        Call::ListComplaints(r) => unary!(c, list_complaints, r),
        Call::CountComplaints(r) => unary!(c, count_complaints, r),
        Call::AcknowledgeComplaint(r) => unary!(c, acknowledge_complaint, r),
        Call::AssignComplaint(r) => unary!(c, assign_complaint, r),
        Call::SetComplaintPriority(r) => unary!(c, set_complaint_priority, r),
        Call::RecordInvestigation(r) => unary!(c, record_investigation, r),
        Call::ProposeResolution(r) => unary!(c, propose_resolution, r),
        Call::WaitForCustomer(r) => unary!(c, wait_for_customer, r),
        Call::ResumeComplaint(r) => unary!(c, resume_complaint, r),
        Call::ResolveComplaint(r) => unary!(c, resolve_complaint, r),
        Call::CloseComplaint(r) => unary!(c, close_complaint, r),
        Call::ReopenComplaint(r) => unary!(c, reopen_complaint, r),
        Call::AddComplaintNote(r) => unary!(c, add_complaint_note, r),
        Call::ReviewClaim(r) => unary!(c, review_claim, r),
        Call::MarkClaimPaid(r) => unary!(c, mark_claim_paid, r),
        Call::RateResolution(r) => unary!(c, rate_resolution, r),
        Call::StreamChanges(r) => {
            let mut stream = c.stream_changes(r).await?.into_inner();
            match tokio::time::timeout(first, stream.next()).await {
                Ok(Some(Err(status))) => Err(status),
                _ => Ok(()),
            }
        }
        Call::GetBusinessCalendar(r) => unary!(s, get_business_calendar, r),
        Call::UpdateBusinessCalendar(r) => unary!(s, update_business_calendar, r),
        Call::GetSlaPolicy(r) => unary!(s, get_sla_policy, r),
        Call::UpdateSlaPolicy(r) => unary!(s, update_sla_policy, r),
        Call::RunSlaSweep(r) => unary!(s, run_sla_sweep, r),
    }
}

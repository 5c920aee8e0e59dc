//! The complaints phase: each planned complaint filed now (FileComplaint takes no filing time, and
//! claims have deadlines after delivery, so complaints are about orders delivered in the last
//! weeks) and handled as far as its plan says: acknowledged, assigned, investigated, resolved,
//! rated. Resolving one makes the customers service schedule its follow-up.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use logistics_contracts::common::Money;
use logistics_contracts::complaints::complaint_service_client::ComplaintServiceClient;
use logistics_contracts::complaints::{
    AcknowledgeComplaintRequest, AssignComplaintRequest, Claim, Complaint, ComplaintCategory,
    ComplaintChannel, ComplaintKind, ComplaintStatus, FileComplaintRequest, GetComplaintRequest,
    Investigation, ProposeResolutionRequest, ProposedResolution, RateResolutionRequest, Rating,
    RecordInvestigationRequest, ResolutionAction, ResolutionActionKind, ResolveComplaintRequest,
    ResponsibleParty,
};
use logistics_platform::client::CallCredentials;
use logistics_platform::time::from_timestamp;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::orders::Placed;
use super::plan::{ComplaintPlan, Stage, Topic, request_id};

/// A complaints client that sends the API key.
pub type Complaints = ComplaintServiceClient<InterceptedService<Channel, CallCredentials>>;

/// Agents the complaints are assigned to.
const AGENTS: [&str; 3] = ["agent.sun", "agent.ma", "agent.guo"];

/// Files and handles one planned complaint; whether it was filed now (`false` when an earlier run
/// of the same seed filed it, before `run_start`).
pub async fn run(
    client: &mut Complaints,
    (seed, run_start): (u64, DateTime<Utc>),
    plan: &ComplaintPlan,
    customer_id: &str,
    order: Option<&Placed>,
) -> anyhow::Result<bool> {
    let (kind, category, subject, description) = words(plan.topic);
    let claim = (plan.topic == Topic::DamageClaim).then(|| Claim {
        claimed_amount: Some(Money {
            currency_code: "CNY".to_owned(),
            amount_minor: 150_000,
        }),
        evidence: vec!["photo of the broken cartons".to_owned()],
        ..Claim::default()
    });
    let filed = client
        .file_complaint(FileComplaintRequest {
            complaint: Some(Complaint {
                kind: kind.into(),
                channel: [
                    ComplaintChannel::Hotline,
                    ComplaintChannel::Phone,
                    ComplaintChannel::Email,
                    ComplaintChannel::Web,
                ][plan.index % 4]
                    .into(),
                category: category.into(),
                customer_id: customer_id.to_owned(),
                order_id: order.map(|order| order.id.clone()).unwrap_or_default(),
                subject: subject.to_owned(),
                description: description.to_owned(),
                claim,
                ..Complaint::default()
            }),
            request_id: request_id(seed, "complaint", plan.index).to_string(),
        })
        .await
        .with_context(|| format!("filing complaint {}", plan.index))?
        .into_inner();
    let id = filed.id;
    // The answer of a replay is the complaint as filed: read where it stands now.
    let current = client
        .get_complaint(GetComplaintRequest {
            id: id.clone(),
            ..GetComplaintRequest::default()
        })
        .await?
        .into_inner();
    let new = current
        .file_time
        .as_ref()
        .and_then(from_timestamp)
        .is_some_and(|time| time >= run_start);
    // Handled already by an earlier run (a complaint planned to stay RECEIVED has nothing to do).
    if current.status() != ComplaintStatus::Received || current.first_response_time.is_some() {
        return Ok(new);
    }
    let stage = plan.stage;
    if stage >= Stage::Acknowledged {
        client
            .acknowledge_complaint(AcknowledgeComplaintRequest {
                id: id.clone(),
                etag: String::new(),
                message: "We are sorry to hear this and are looking into it.".to_owned(),
            })
            .await
            .context("acknowledging")?;
    }
    if stage >= Stage::Assigned {
        client
            .assign_complaint(AssignComplaintRequest {
                id: id.clone(),
                etag: String::new(),
                agent: AGENTS[plan.index % AGENTS.len()].to_owned(),
                team: "after-sales".to_owned(),
            })
            .await
            .context("assigning")?;
    }
    let inquiry = matches!(plan.topic, Topic::BillingInquiry | Topic::Suggestion);
    if stage >= Stage::Investigating && !inquiry {
        client
            .record_investigation(RecordInvestigationRequest {
                id: id.clone(),
                etag: String::new(),
                investigation: Some(Investigation {
                    findings: "Checked the scans and the proof of delivery.".to_owned(),
                    responsible_party: ResponsibleParty::Carrier.into(),
                    root_cause: "Handling at the destination hub".to_owned(),
                    ..Investigation::default()
                }),
            })
            .await
            .context("investigating")?;
    }
    if stage >= Stage::Resolved {
        if !inquiry {
            client
                .propose_resolution(ProposeResolutionRequest {
                    id: id.clone(),
                    etag: String::new(),
                    resolution: Some(ProposedResolution {
                        actions: vec![ResolutionAction {
                            kind: ResolutionActionKind::Apology.into(),
                            note: "Apology and a discount on the next shipment".to_owned(),
                            ..ResolutionAction::default()
                        }],
                        message: "We apologise and will credit your next shipment.".to_owned(),
                        ..ProposedResolution::default()
                    }),
                })
                .await
                .context("proposing a resolution")?;
        }
        client
            .resolve_complaint(ResolveComplaintRequest {
                id: id.clone(),
                etag: String::new(),
                feedback: "Resolved with the customer by phone.".to_owned(),
            })
            .await
            .context("resolving")?;
    }
    if stage >= Stage::Rated {
        client
            .rate_resolution(RateResolutionRequest {
                id: id.clone(),
                rating: Some(Rating {
                    score: plan.rating,
                    comment: "Thanks for the quick answer.".to_owned(),
                    ..Rating::default()
                }),
            })
            .await
            .context("rating")?;
    }
    Ok(new)
}

fn words(topic: Topic) -> (ComplaintKind, ComplaintCategory, &'static str, &'static str) {
    use ComplaintCategory as C;
    use ComplaintKind as K;
    match topic {
        Topic::Delay => (
            K::Complaint,
            C::Delay,
            "Shipment arrived late",
            "Promised for Tuesday, arrived on Friday.",
        ),
        Topic::Damage => (
            K::Complaint,
            C::Damage,
            "Cartons crushed",
            "Several cartons arrived crushed.",
        ),
        Topic::DamageClaim => (
            K::Claim,
            C::Damage,
            "Compensation for damaged goods",
            "We claim the value of the damaged pieces.",
        ),
        Topic::Shortage => (
            K::Complaint,
            C::Shortage,
            "Pieces missing",
            "Fewer pieces arrived than were shipped.",
        ),
        Topic::DocumentError => (
            K::Complaint,
            C::DocumentError,
            "Wrong waybill",
            "The waybill did not match the goods.",
        ),
        Topic::BillingInquiry => (
            K::Inquiry,
            C::Billing,
            "Invoice question",
            "Which orders does last month's invoice cover?",
        ),
        Topic::StaffAttitude => (
            K::Complaint,
            C::StaffAttitude,
            "Rude driver",
            "The driver was rude at pickup.",
        ),
        Topic::Suggestion => (
            K::Suggestion,
            C::Other,
            "Text message before delivery",
            "Please send a message an hour before delivery.",
        ),
    }
}

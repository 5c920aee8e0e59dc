//! The engagement API end to end: interactions, follow-ups, the sweep, surveys and survey samples,
//! through the generated client against real PostgreSQL, and their events on the change feed.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use logistics_contracts::customers::{
    CancelFollowUpRequest, CompleteFollowUpRequest, Customer, DeleteCustomerRequest, FollowUp,
    FollowUpFilter, FollowUpReason, FollowUpStatus, Interaction, InteractionChannel,
    InteractionDirection, InteractionFilter, ListFollowUpsRequest, ListInteractionsRequest,
    ListSurveysRequest, LogInteractionRequest, RecordSurveyRequest, RunFollowUpSweepRequest,
    SampleSurveyTargetsRequest, SampleSurveyTargetsResponse, ScheduleFollowUpRequest,
    StreamChangesRequest, Survey, SurveyFilter, stream_changes_response::Event,
};
use logistics_tests::{
    CustomersClient, EngagementClient, TestApp, create_customer, enterprise, individual, reason,
    request_id, violated_fields,
};
use prost::Message as _;
use prost_types::Timestamp;
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic_types::StatusExt as _;

const HOUR: Duration = Duration::from_secs(3600);

fn at(offset_from_now: Duration, future: bool) -> Timestamp {
    let now = SystemTime::now();
    let time = if future {
        now + offset_from_now
    } else {
        now - offset_from_now
    };
    Timestamp::from(time)
}

fn hours_ago(hours: u32) -> Option<Timestamp> {
    Some(at(HOUR * hours, false))
}

fn in_hours(hours: u32) -> Option<Timestamp> {
    Some(at(HOUR * hours, true))
}

struct Fixture {
    app: TestApp,
    customers: CustomersClient,
    engagement: EngagementClient,
}

impl Fixture {
    async fn start() -> Self {
        let app = TestApp::spawn().await;
        let customers = app.customers_client().await;
        let engagement = app.engagement_client().await;
        Self {
            app,
            customers,
            engagement,
        }
    }

    async fn customer(&mut self, customer: Customer) -> Customer {
        create_customer(&mut self.customers, customer).await
    }

    async fn log(&mut self, interaction: Interaction) -> Interaction {
        self.engagement
            .log_interaction(LogInteractionRequest {
                interaction: Some(interaction),
                request_id: request_id(),
            })
            .await
            .expect("logging an interaction")
            .into_inner()
    }

    async fn schedule(&mut self, follow_up: FollowUp) -> FollowUp {
        self.engagement
            .schedule_follow_up(ScheduleFollowUpRequest {
                follow_up: Some(follow_up),
                request_id: request_id(),
            })
            .await
            .expect("scheduling a follow-up")
            .into_inner()
    }

    async fn complete(&mut self, id: &str, etag: &str) -> Result<FollowUp, tonic::Status> {
        self.engagement
            .complete_follow_up(CompleteFollowUpRequest {
                id: id.to_owned(),
                outcome: "customer satisfied".to_owned(),
                etag: etag.to_owned(),
                ..Default::default()
            })
            .await
            .map(|response| response.into_inner())
    }

    async fn cancel(&mut self, id: &str, etag: &str) -> Result<FollowUp, tonic::Status> {
        self.engagement
            .cancel_follow_up(CancelFollowUpRequest {
                id: id.to_owned(),
                etag: etag.to_owned(),
            })
            .await
            .map(|response| response.into_inner())
    }

    async fn follow_ups(&mut self, filter: FollowUpFilter) -> Vec<FollowUp> {
        self.engagement
            .list_follow_ups(ListFollowUpsRequest {
                filter: Some(filter),
                ..Default::default()
            })
            .await
            .expect("listing follow-ups")
            .into_inner()
            .follow_ups
    }

    async fn sweep(&mut self) -> (i32, i32) {
        let outcome = self
            .engagement
            .run_follow_up_sweep(RunFollowUpSweepRequest {})
            .await
            .expect("running the sweep")
            .into_inner();
        (outcome.missed_count, outcome.reviews_created_count)
    }

    async fn sample(&mut self, month: &str, per_manager: i32) -> SampleSurveyTargetsResponse {
        self.engagement
            .sample_survey_targets(SampleSurveyTargetsRequest {
                month: month.to_owned(),
                per_manager,
            })
            .await
            .expect("sampling survey targets")
            .into_inner()
    }

    /// Runs SQL on the customers schema, for what no RPC does (grading, back-dating).
    async fn sql(&self, statement: &str, id: &str) {
        let pool = self.app.schema_pool("customers").await;
        sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()))
            .bind(id)
            .execute(&pool)
            .await
            .expect("running setup SQL");
    }
}

fn phone_call(customer_id: &str, subject: &str) -> Interaction {
    Interaction {
        customer_id: customer_id.to_owned(),
        channel: InteractionChannel::Phone.into(),
        direction: InteractionDirection::Inbound.into(),
        subject: subject.to_owned(),
        summary: "asked where the pallet is".to_owned(),
        agent: "zhao.min".to_owned(),
        ..Default::default()
    }
}

fn thank_you(customer_id: &str, due_time: Option<Timestamp>) -> FollowUp {
    FollowUp {
        customer_id: customer_id.to_owned(),
        reason: FollowUpReason::ThankYouAfterDelivery.into(),
        due_time,
        agent: "zhao.min".to_owned(),
        reference: "O2026-000042".to_owned(),
        ..Default::default()
    }
}

fn survey(customer_id: &str, follow_up_id: &str) -> Survey {
    Survey {
        customer_id: customer_id.to_owned(),
        follow_up_id: follow_up_id.to_owned(),
        timeliness: 5,
        cargo_safety: 4,
        staff_attitude: 5,
        price: 3,
        information: 4,
        comment: "driver was friendly".to_owned(),
        agent: "zhao.min".to_owned(),
        ..Default::default()
    }
}

fn metadata(status: &tonic::Status, key: &str) -> String {
    status
        .get_error_details()
        .error_info()
        .and_then(|info| info.metadata.get(key).cloned())
        .unwrap_or_default()
}

fn sorted(mut fields: Vec<String>) -> Vec<String> {
    fields.sort();
    fields
}

// One file per area; this module keeps the fixture they share.
mod follow_ups;
mod interactions;
mod surveys;

#[tokio::test]
async fn engagement_for_an_unknown_customer_is_not_found_and_for_a_deleted_one_is_refused() {
    let mut f = Fixture::start().await;
    let gone = f.customer(enterprise("Gone")).await;
    f.customers
        .delete_customer(DeleteCustomerRequest {
            id: gone.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let unknown = uuid::Uuid::new_v4().to_string();

    for (customer_id, code, why) in [
        (&unknown, Code::NotFound, "CUSTOMER_NOT_FOUND"),
        (&gone.id, Code::FailedPrecondition, "CUSTOMER_DELETED"),
    ] {
        let interaction = f
            .engagement
            .log_interaction(LogInteractionRequest {
                interaction: Some(phone_call(customer_id, "hello")),
                request_id: request_id(),
            })
            .await
            .unwrap_err();
        let follow_up = f
            .engagement
            .schedule_follow_up(ScheduleFollowUpRequest {
                follow_up: Some(thank_you(customer_id, in_hours(24))),
                request_id: request_id(),
            })
            .await
            .unwrap_err();
        let survey = f
            .engagement
            .record_survey(RecordSurveyRequest {
                survey: Some(survey(customer_id, "")),
                request_id: request_id(),
            })
            .await
            .unwrap_err();
        for status in [interaction, follow_up, survey] {
            assert_eq!((status.code(), reason(&status).as_str()), (code, why));
        }
    }
}

#[tokio::test]
async fn a_replayed_create_returns_the_first_answer_and_a_reused_request_id_is_refused() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let request = LogInteractionRequest {
        interaction: Some(phone_call(&acme.id, "only once")),
        request_id: request_id(),
    };
    let first = f.engagement.log_interaction(request.clone()).await.unwrap();
    let replay = f.engagement.log_interaction(request.clone()).await.unwrap();
    assert_eq!(first.into_inner(), replay.into_inner());
    let listed = f
        .engagement
        .list_interactions(ListInteractionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.interactions.len(), 1);

    let status = f
        .engagement
        .log_interaction(LogInteractionRequest {
            interaction: Some(phone_call(&acme.id, "something else")),
            ..request
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");

    let schedule = ScheduleFollowUpRequest {
        follow_up: Some(thank_you(&acme.id, in_hours(24))),
        request_id: request_id(),
    };
    let first = f.engagement.schedule_follow_up(schedule.clone()).await;
    let replay = f.engagement.schedule_follow_up(schedule).await;
    assert_eq!(first.unwrap().into_inner(), replay.unwrap().into_inner());
    assert_eq!(f.follow_ups(FollowUpFilter::default()).await.len(), 1);
}

//! Erasure reaches the free text kept about the customer elsewhere: interaction subjects and
//! summaries, follow-up notes, survey comments, their stored retry answers, and the reasons staff
//! wrote for status changes (in the history and in the change feed).

use logistics_contracts::customers::{
    BlockCustomerRequest, FollowUp, FollowUpReason, Interaction, InteractionChannel,
    InteractionDirection, LogInteractionRequest, RecordSurveyRequest, ScheduleFollowUpRequest,
    Survey,
};

use super::*;

const CANARY: &str = "canary-7f3a9e";

#[tokio::test]
async fn erasure_blanks_the_free_text_of_interactions_follow_ups_and_surveys() {
    let app = TestApp::spawn().await;
    let customer = create_customer(
        &mut app.customers_client().await,
        individual("Canary Person"),
    )
    .await;
    let mut engagement = app.engagement_client().await;
    engagement
        .log_interaction(LogInteractionRequest {
            interaction: Some(Interaction {
                customer_id: customer.id.clone(),
                channel: InteractionChannel::Phone.into(),
                direction: InteractionDirection::Inbound.into(),
                subject: format!("call from {CANARY}"),
                summary: format!("{CANARY} asked about a parcel"),
                agent: "li.wei".to_owned(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();
    let tomorrow = prost_types::Timestamp {
        seconds: chrono::Utc::now().timestamp() + 86_400,
        nanos: 0,
    };
    engagement
        .schedule_follow_up(ScheduleFollowUpRequest {
            follow_up: Some(FollowUp {
                customer_id: customer.id.clone(),
                reason: FollowUpReason::Other.into(),
                due_time: Some(tomorrow),
                agent: "li.wei".to_owned(),
                notes: format!("ring {CANARY} after six"),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();
    engagement
        .record_survey(RecordSurveyRequest {
            survey: Some(Survey {
                customer_id: customer.id.clone(),
                timeliness: 5,
                cargo_safety: 4,
                staff_attitude: 5,
                price: 3,
                information: 4,
                comment: format!("{CANARY} was happy"),
                agent: "li.wei".to_owned(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();

    let mut customers = app.customers_client().await;
    customers
        .block_customer(BlockCustomerRequest {
            id: customer.id.clone(),
            reason: format!("{CANARY} phoned in a threat"),
            etag: String::new(),
        })
        .await
        .unwrap();

    app.contacts_client()
        .await
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest {
            customer_id: customer.id.clone(),
        })
        .await
        .unwrap();

    let pool = app.schema_pool("customers").await;
    let leaks: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM interactions
                 WHERE position($1 in subject) > 0 OR position($1 in summary) > 0)
              + (SELECT count(*) FROM follow_ups WHERE position($1 in notes) > 0)
              + (SELECT count(*) FROM surveys WHERE position($1 in comment) > 0)
              + (SELECT count(*) FROM status_history WHERE position($1 in reason) > 0)
              + (SELECT count(*) FROM outbox
                 WHERE position(convert_to($1, 'UTF8') in payload) > 0)
              + (SELECT count(*) FROM idempotency_keys
                 WHERE position(convert_to($1, 'UTF8') in response) > 0)",
    )
    .bind(CANARY)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(leaks, 0, "erased text survives somewhere");
    let kept: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM interactions WHERE customer_id = $1::uuid)
              + (SELECT count(*) FROM follow_ups WHERE customer_id = $1::uuid)
              + (SELECT count(*) FROM surveys WHERE customer_id = $1::uuid)",
    )
    .bind(&customer.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(kept, 3, "the anonymous records stay");
}

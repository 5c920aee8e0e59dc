//! Surveys, monthly survey samples, and every engagement event on the change feed.

use super::*;

#[tokio::test]
async fn a_recorded_survey_is_listed_and_may_only_name_a_follow_up_of_its_customer() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let beta = f.customer(enterprise("Beta")).await;
    let visit = f.schedule(thank_you(&acme.id, in_hours(24))).await;
    let recorded = f
        .engagement
        .record_survey(RecordSurveyRequest {
            survey: Some(survey(&acme.id, &visit.id)),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(recorded.follow_up_id, visit.id);
    assert_eq!((recorded.timeliness, recorded.price), (5, 3));
    assert!(recorded.survey_time.is_some());

    let foreign = f
        .engagement
        .record_survey(RecordSurveyRequest {
            survey: Some(survey(&beta.id, &visit.id)),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&foreign), ["survey.follow_up_id"]);
    let unknown = f
        .engagement
        .record_survey(RecordSurveyRequest {
            survey: Some(survey(&beta.id, &uuid::Uuid::new_v4().to_string())),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&unknown), "FOLLOW_UP_NOT_FOUND");

    let list = |customer_id: &str| ListSurveysRequest {
        filter: Some(SurveyFilter {
            customer_id: customer_id.to_owned(),
            start_time: hours_ago(1),
            end_time: in_hours(1),
        }),
        ..Default::default()
    };
    let listed = f.engagement.list_surveys(list(&acme.id)).await.unwrap();
    assert_eq!(listed.into_inner().surveys, [recorded]);
    let listed = f.engagement.list_surveys(list(&beta.id)).await.unwrap();
    assert!(listed.into_inner().surveys.is_empty());
}

#[tokio::test]
async fn a_survey_with_missing_or_out_of_range_scores_names_every_dimension() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let status = f
        .engagement
        .record_survey(RecordSurveyRequest {
            survey: Some(Survey {
                follow_up_id: "x".to_owned(),
                timeliness: 0,
                cargo_safety: 6,
                staff_attitude: -1,
                price: 1,
                information: 5,
                comment: "c".repeat(2001),
                agent: "a".repeat(101),
                survey_time: in_hours(1),
                ..survey(&acme.id, "")
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        sorted(violated_fields(&status)),
        [
            "survey.agent",
            "survey.cargo_safety",
            "survey.comment",
            "survey.follow_up_id",
            "survey.staff_attitude",
            "survey.survey_time",
            "survey.timeliness",
        ]
    );
}

fn picked(sample: &SampleSurveyTargetsResponse, manager: &str) -> Vec<String> {
    sample
        .managers
        .iter()
        .find(|m| m.account_manager == manager)
        .map(|m| m.targets.iter().map(|t| t.customer_id.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn survey_samples_are_reproducible_grow_without_changing_earlier_picks_and_never_repeat() {
    let mut f = Fixture::start().await;
    let mut eligible = HashSet::new();
    for n in 0..9 {
        eligible.insert(f.customer(enterprise(&format!("Li {n}"))).await.id);
    }
    for n in 0..2 {
        let customer = Customer {
            account_manager: "wang.fang".to_owned(),
            ..enterprise(&format!("Wang {n}"))
        };
        eligible.insert(f.customer(customer).await.id);
    }
    let blocked = f.customer(enterprise("Blocked")).await;
    f.sql(
        "UPDATE customers SET status = 'BLOCKED' WHERE id = $1::uuid",
        &blocked.id,
    )
    .await;
    let deleted = f.customer(enterprise("Deleted")).await;
    f.customers
        .delete_customer(DeleteCustomerRequest {
            id: deleted.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    f.customer(individual("No Manager")).await;

    let first = f.sample("2026-11", 0).await;
    assert_eq!(first.month, "2026-11");
    let managers: Vec<_> = first.managers.iter().map(|m| &m.account_manager).collect();
    assert_eq!(managers, ["li.wei", "wang.fang"]);
    assert_eq!(picked(&first, "li.wei").len(), 5, "the default is 5");
    assert_eq!(picked(&first, "wang.fang").len(), 2);
    let codes = first.managers[0].targets.iter().map(|t| &t.customer_code);
    assert!(codes.into_iter().all(|code| code.starts_with('C')));
    assert_eq!(
        f.sample("2026-11", 5).await,
        first,
        "the same when asked again"
    );

    let larger = f.sample("2026-11", 8).await;
    let li = picked(&larger, "li.wei");
    assert_eq!(li.len(), 8);
    assert_eq!(
        li[..5],
        picked(&first, "li.wei")[..],
        "earlier picks are kept"
    );
    assert_eq!(f.sample("2026-11", 3).await.managers[0].targets.len(), 3);
    let all: Vec<String> = larger
        .managers
        .iter()
        .flat_map(|m| m.targets.iter().map(|t| t.customer_id.clone()))
        .collect();
    let distinct: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(distinct.len(), all.len(), "no customer twice in a month");
    assert!(
        distinct.is_subset(&eligible),
        "never blocked, deleted or unmanaged"
    );

    // The draw depends only on the month and the customers: drawn afresh, it picks the same.
    f.sql("DELETE FROM survey_samples WHERE month = $1", "2026-11")
        .await;
    let redrawn = f.sample("2026-11", 8).await;
    assert_eq!(redrawn, larger);
}

#[tokio::test]
async fn sampling_refuses_a_malformed_month_and_a_per_manager_out_of_range() {
    let mut f = Fixture::start().await;
    for (month, per_manager, fields) in [
        ("2026-13", 5, vec!["month"]),
        ("November", 51, vec!["month", "per_manager"]),
        ("2026-11", -1, vec!["per_manager"]),
    ] {
        let status = f
            .engagement
            .sample_survey_targets(SampleSurveyTargetsRequest {
                month: month.to_owned(),
                per_manager,
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), fields, "{month} {per_manager}");
    }
}

#[tokio::test]
async fn engagement_changes_arrive_on_the_change_feed_without_free_text() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let secret = "Mrs Wang's mobile is 13800138000";
    f.log(Interaction {
        summary: secret.to_owned(),
        ..phone_call(&acme.id, secret)
    })
    .await;
    let done = f.schedule(thank_you(&acme.id, in_hours(24))).await;
    f.complete(&done.id, "").await.unwrap();
    let called_off = f.schedule(thank_you(&acme.id, in_hours(24))).await;
    f.cancel(&called_off.id, "").await.unwrap();
    let late = f.schedule(thank_you(&acme.id, in_hours(24))).await;
    f.sql(
        "UPDATE follow_ups SET due_time = now() - interval '1 hour' WHERE id = $1::uuid",
        &late.id,
    )
    .await;
    f.sweep().await;
    f.engagement
        .record_survey(RecordSurveyRequest {
            survey: Some(Survey {
                comment: secret.to_owned(),
                ..survey(&acme.id, &done.id)
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();

    let mut feed = f
        .customers
        .stream_changes(StreamChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut types = Vec::new();
    while types.len() < 9 {
        let event = tokio::time::timeout(Duration::from_secs(10), feed.next())
            .await
            .expect("an event within 10 s")
            .expect("the stream is open")
            .expect("an event, not an error");
        let bytes = event.encode_to_vec();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("13800138000"),
            "no free text in events"
        );
        if let Some(Event::FollowUpMissed(missed)) = &event.event {
            assert_eq!(missed.follow_up_id, late.id);
            assert_eq!(missed.status(), FollowUpStatus::Missed);
        }
        if let Some(Event::FollowUpCompleted(completed)) = &event.event {
            assert_eq!(completed.previous_status(), FollowUpStatus::Scheduled);
            assert_eq!(completed.customer_id, acme.id);
        }
        types.push(event.envelope.unwrap().event_type);
    }
    assert_eq!(
        types,
        [
            "customer.created",
            "interaction.logged",
            "follow_up.scheduled",
            "follow_up.completed",
            "follow_up.scheduled",
            "follow_up.cancelled",
            "follow_up.scheduled",
            "follow_up.missed",
            "survey.recorded",
        ]
    );
}

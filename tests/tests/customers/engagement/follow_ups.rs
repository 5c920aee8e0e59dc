//! Follow-ups: scheduling, completing, cancelling, illegal transitions, the sweep and lists.

use super::*;

#[tokio::test]
async fn a_scheduled_follow_up_is_completed_with_its_outcome_and_a_new_etag() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let scheduled = f.schedule(thank_you(&acme.id, in_hours(24))).await;
    assert_eq!(scheduled.status(), FollowUpStatus::Scheduled);
    assert_eq!(scheduled.reference, "O2026-000042");
    assert!(!scheduled.etag.is_empty());

    let completed = f
        .engagement
        .complete_follow_up(CompleteFollowUpRequest {
            id: scheduled.id.clone(),
            outcome: "happy, wants a rail quote".to_owned(),
            notes: "call back in May".to_owned(),
            complete_time: hours_ago(0),
            etag: scheduled.etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(completed.status(), FollowUpStatus::Completed);
    assert_eq!(completed.outcome, "happy, wants a rail quote");
    assert_eq!(completed.outcome_notes, "call back in May");
    assert!(completed.complete_time.is_some() && completed.cancel_time.is_none());
    assert_eq!(completed.due_time, scheduled.due_time);
    assert_ne!(completed.etag, scheduled.etag);
}

#[tokio::test]
async fn scheduling_and_completing_with_bad_fields_name_every_one_of_them() {
    let mut f = Fixture::start().await;
    let status = f
        .engagement
        .schedule_follow_up(ScheduleFollowUpRequest {
            follow_up: Some(FollowUp {
                customer_id: String::new(),
                reason: 0,
                due_time: hours_ago(2),
                agent: "a".repeat(101),
                notes: "n".repeat(2001),
                reference: "r".repeat(101),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        sorted(violated_fields(&status)),
        [
            "follow_up.agent",
            "follow_up.customer_id",
            "follow_up.due_time",
            "follow_up.notes",
            "follow_up.reason",
            "follow_up.reference",
        ]
    );
    let no_due_time = f
        .engagement
        .schedule_follow_up(ScheduleFollowUpRequest {
            follow_up: Some(thank_you(&uuid::Uuid::new_v4().to_string(), None)),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&no_due_time), ["follow_up.due_time"]);

    let status = f
        .engagement
        .complete_follow_up(CompleteFollowUpRequest {
            id: "nope".to_owned(),
            outcome: String::new(),
            notes: "n".repeat(4001),
            complete_time: in_hours(2),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        sorted(violated_fields(&status)),
        ["complete_time", "id", "notes", "outcome"]
    );
    let unknown = f
        .complete(&uuid::Uuid::new_v4().to_string(), "")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(reason(&unknown), "FOLLOW_UP_NOT_FOUND");
}

#[tokio::test]
async fn finished_follow_ups_refuse_every_further_transition_naming_both_statuses() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let completed = f.schedule(thank_you(&acme.id, in_hours(24))).await;
    f.complete(&completed.id, "").await.unwrap();
    let cancelled = f.schedule(thank_you(&acme.id, in_hours(24))).await;
    let cancelled_now = f.cancel(&cancelled.id, &cancelled.etag).await.unwrap();
    assert_eq!(cancelled_now.status(), FollowUpStatus::Cancelled);
    assert!(cancelled_now.cancel_time.is_some());
    let missed = f.schedule(thank_you(&acme.id, in_hours(24))).await;
    f.sql(
        "UPDATE follow_ups SET due_time = now() - interval '1 hour' WHERE id = $1::uuid",
        &missed.id,
    )
    .await;
    assert_eq!(f.sweep().await.0, 1);

    let cases = [
        (&completed.id, "complete", "COMPLETED", "COMPLETED"),
        (&completed.id, "cancel", "COMPLETED", "CANCELLED"),
        (&cancelled.id, "complete", "CANCELLED", "COMPLETED"),
        (&cancelled.id, "cancel", "CANCELLED", "CANCELLED"),
        (&missed.id, "cancel", "MISSED", "CANCELLED"),
    ];
    for (id, action, current, requested) in cases {
        let status = match action {
            "complete" => f.complete(id, "").await.unwrap_err(),
            _ => f.cancel(id, "").await.unwrap_err(),
        };
        assert_eq!(
            status.code(),
            Code::FailedPrecondition,
            "{action} {current}"
        );
        assert_eq!(reason(&status), "ILLEGAL_TRANSITION");
        assert_eq!(metadata(&status, "current_status"), current);
        assert_eq!(metadata(&status, "requested_status"), requested);
    }
}

#[tokio::test]
async fn a_stale_etag_is_aborted_and_changes_nothing() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let scheduled = f.schedule(thank_you(&acme.id, in_hours(24))).await;

    for status in [
        f.complete(&scheduled.id, "v999").await.unwrap_err(),
        f.cancel(&scheduled.id, "v999").await.unwrap_err(),
    ] {
        assert_eq!(status.code(), Code::Aborted);
        assert_eq!(reason(&status), "ETAG_MISMATCH");
    }
    let listed = f.follow_ups(FollowUpFilter::default()).await;
    assert_eq!(listed, [scheduled]);
}

#[tokio::test]
async fn the_sweep_marks_overdue_follow_ups_missed_and_a_missed_one_can_still_be_completed_late() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let overdue = f.schedule(thank_you(&acme.id, in_hours(1))).await;
    let upcoming = f.schedule(thank_you(&acme.id, in_hours(48))).await;
    f.sql(
        "UPDATE follow_ups SET due_time = now() - interval '2 hours' WHERE id = $1::uuid",
        &overdue.id,
    )
    .await;
    let overdue_only = FollowUpFilter {
        overdue_only: true,
        ..Default::default()
    };
    let listed = f.follow_ups(overdue_only.clone()).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, overdue.id);

    assert_eq!(f.sweep().await.0, 1);
    assert_eq!(f.sweep().await.0, 0, "nothing left to miss");
    assert!(f.follow_ups(overdue_only).await.is_empty());
    let missed = f
        .follow_ups(FollowUpFilter {
            status: FollowUpStatus::Missed.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].id, overdue.id);

    let late = f.complete(&overdue.id, &missed[0].etag).await.unwrap();
    assert_eq!(late.status(), FollowUpStatus::Completed);
    let (due, done) = (late.due_time.unwrap(), late.complete_time.unwrap());
    assert!(done.seconds > due.seconds, "stays visibly late");
    let scheduled = f
        .follow_ups(FollowUpFilter {
            status: FollowUpStatus::Scheduled.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].id, upcoming.id);
}

#[tokio::test]
async fn the_sweep_creates_exactly_one_monthly_review_per_key_customer_even_when_run_twice() {
    let mut f = Fixture::start().await;
    let key = f.customer(enterprise("Key Account")).await;
    let other_key = f.customer(enterprise("Other Key")).await;
    let general = f.customer(enterprise("General")).await;
    let deleted_key = f.customer(enterprise("Deleted Key")).await;
    for customer in [&key, &other_key, &deleted_key] {
        f.sql(
            "UPDATE customers SET value_class = 'KEY' WHERE id = $1::uuid",
            &customer.id,
        )
        .await;
    }
    f.customers
        .delete_customer(DeleteCustomerRequest {
            id: deleted_key.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();

    assert_eq!(f.sweep().await, (0, 2));
    let runs = [f.engagement.clone(), f.engagement.clone()].map(|mut client| {
        tokio::spawn(async move { client.run_follow_up_sweep(RunFollowUpSweepRequest {}).await })
    });
    for run in runs {
        let outcome = run.await.unwrap().unwrap().into_inner();
        assert_eq!(outcome.reviews_created_count, 0);
    }

    let reviews = f
        .follow_ups(FollowUpFilter {
            status: FollowUpStatus::Scheduled.into(),
            ..Default::default()
        })
        .await;
    let customers: HashSet<_> = reviews.iter().map(|r| r.customer_id.clone()).collect();
    assert_eq!(reviews.len(), 2);
    assert_eq!(customers, HashSet::from([key.id, other_key.id]));
    for review in &reviews {
        assert_eq!(review.reason(), FollowUpReason::PeriodicReview);
        assert_eq!(review.agent, "li.wei", "assigned to the account manager");
        // Due on the last day of the month at 18:00 +08:00, i.e. 10:00 UTC.
        assert_eq!(review.due_time.unwrap().seconds % 86_400, 10 * 3600);
    }
    assert!(!customers.contains(&general.id));
}

#[tokio::test]
async fn follow_ups_list_by_due_time_and_filter_by_customer_agent_status_and_due_range() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let beta = f.customer(enterprise("Beta")).await;
    let later = f.schedule(thank_you(&acme.id, in_hours(72))).await;
    let sooner = f
        .schedule(FollowUp {
            agent: "qian.li".to_owned(),
            ..thank_you(&beta.id, in_hours(24))
        })
        .await;
    let middle = f.schedule(thank_you(&acme.id, in_hours(48))).await;
    f.cancel(&middle.id, "").await.unwrap();

    let ids = |list: Vec<FollowUp>| list.into_iter().map(|f| f.id).collect::<Vec<_>>();
    let all = f.follow_ups(FollowUpFilter::default()).await;
    assert_eq!(
        ids(all),
        [sooner.id.as_str(), middle.id.as_str(), later.id.as_str()]
    );
    let by_customer = FollowUpFilter {
        customer_id: acme.id.clone(),
        status: FollowUpStatus::Scheduled.into(),
        ..Default::default()
    };
    assert_eq!(ids(f.follow_ups(by_customer).await), [later.id.as_str()]);
    let by_agent = FollowUpFilter {
        agent: "qian.li".to_owned(),
        ..Default::default()
    };
    assert_eq!(ids(f.follow_ups(by_agent).await), [sooner.id.as_str()]);
    let by_due = FollowUpFilter {
        due_start_time: middle.due_time,
        due_end_time: later.due_time,
        ..Default::default()
    };
    assert_eq!(ids(f.follow_ups(by_due).await), [middle.id.as_str()]);

    let status = f
        .engagement
        .list_follow_ups(ListFollowUpsRequest {
            filter: Some(FollowUpFilter {
                customer_id: "acme".to_owned(),
                status: FollowUpStatus::Completed.into(),
                overdue_only: true,
                due_start_time: later.due_time,
                due_end_time: sooner.due_time,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["filter.customer_id", "filter.status", "filter.due_end_time"]
    );
}

#[tokio::test]
async fn running_the_sweep_needs_the_admin_scope() {
    let app = TestApp::spawn().await;
    let mut writer = app.engagement_client_with(&app.keys.customers_writer).await;
    let status = writer
        .run_follow_up_sweep(RunFollowUpSweepRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(metadata(&status, "scope"), "customers:admin");
}

#[tokio::test]
async fn follow_up_pages_concatenate_to_the_whole_list_in_due_order() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    // Several share a due time, so the id must break ties.
    let base = SystemTime::now() + HOUR;
    for n in 0..9u32 {
        let due = Timestamp::from(base + HOUR * (n % 3));
        f.schedule(thank_you(&acme.id, Some(due))).await;
    }
    let whole = f.follow_ups(FollowUpFilter::default()).await;
    assert_eq!(whole.len(), 9);
    let due = |follow_up: &FollowUp| follow_up.due_time.map(|t| (t.seconds, t.nanos));
    assert!(whole.windows(2).all(|pair| due(&pair[0]) <= due(&pair[1])));
    for page_size in [1, 2, 4] {
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            let page = f
                .engagement
                .list_follow_ups(ListFollowUpsRequest {
                    page_size,
                    page_token: token,
                    filter: None,
                })
                .await
                .unwrap()
                .into_inner();
            assert!(page.follow_ups.len() <= page_size as usize);
            all.extend(page.follow_ups);
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(all, whole, "pages of {page_size}");
    }
}

#[tokio::test]
async fn the_background_sweep_marks_overdue_follow_ups_missed_and_stops_on_shutdown() {
    use logistics_customers::follow_up_sweep;
    use logistics_platform::jobs::{Job, JobRunner, Schedule};

    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let overdue = f.schedule(thank_you(&acme.id, in_hours(1))).await;
    f.sql(
        "UPDATE follow_ups SET due_time = now() - interval '1 hour' WHERE id = $1::uuid",
        &overdue.id,
    )
    .await;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let jobs = JobRunner::new(shutdown.clone());
    let pool = f.app.schema_pool("customers").await;
    follow_up_sweep::schedule(
        &jobs,
        Job::new(follow_up_sweep::JOB, pool.clone()),
        pool,
        Schedule::every(Duration::from_millis(50)),
    );

    let missed = FollowUpFilter {
        status: FollowUpStatus::Missed.into(),
        ..Default::default()
    };
    let mut waited = Duration::ZERO;
    while f.follow_ups(missed.clone()).await.is_empty() {
        assert!(waited < Duration::from_secs(10), "swept within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), jobs.join())
        .await
        .expect("the sweeper stops on shutdown");
}

//! Scorecard templates, scorecards and agent quality over a small known data set.

use std::time::Duration;

use logistics_contracts::complaints::{
    AssignComplaintRequest, ComplaintCategory, ComplaintKind, RateResolutionRequest, Rating,
    ResolveComplaintRequest,
};
use logistics_contracts::orders::{OrderStatus, RecordDeliveryRequest};
use logistics_contracts::reporting::{
    AgentQuality, CreateScorecardTemplateRequest, GetAgentQualityRequest, GetKpisRequest,
    GetScorecardRequest, Kpi, KpiFilter, ListScorecardTemplatesRequest, QualityRatio,
    ScorecardDirection, ScorecardItem, ScorecardTemplate,
};
use logistics_platform::time::{company_time_zone, timestamp};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::order_in_status;
use logistics_tests::{TestApp, create_customer, enterprise, reason, request_id, violated_fields};
use tonic::Code;

/// The company-local day `days_ago` days before today.
fn day(days_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days_ago))
        .with_timezone(&company_time_zone())
        .format("%Y-%m-%d")
        .to_string()
}

fn item(
    kpi: Kpi,
    weight_points: i32,
    direction: ScorecardDirection,
    (target, deduction, floor): (i32, i32, i32),
) -> ScorecardItem {
    ScorecardItem {
        kpi: kpi.into(),
        weight_points,
        direction: direction.into(),
        target_basis_points: target,
        deduction_centipoints: deduction,
        floor_basis_points: floor,
    }
}

/// The handbook's template of the test: documents 30 points (reach 95%, 2 points per point
/// short, zero below 80%); damage 20 points (at most 1%, 0.1 point per point over, zero above
/// 60%); loss 10 points (at most 0%, zero above 0%); satisfaction 40 points.
fn handbook() -> ScorecardTemplate {
    use ScorecardDirection::{HigherIsBetter, LowerIsBetter};
    ScorecardTemplate {
        display_name: "Key accounts 2026".to_owned(),
        description: "Quarterly review of key accounts.\nApproved by the service board.".to_owned(),
        items: vec![
            item(
                Kpi::DocumentAccuracyRate,
                30,
                HigherIsBetter,
                (9500, 200, 8000),
            ),
            item(Kpi::DamageRate, 20, LowerIsBetter, (100, 10, 6000)),
            item(Kpi::LossRate, 10, LowerIsBetter, (0, 500, 0)),
            item(
                Kpi::ResolutionSatisfactionRate,
                40,
                HigherIsBetter,
                (9000, 100, 5000),
            ),
        ],
        ..Default::default()
    }
}

/// Waits until reporting counts `delivered` deliveries of `customer_id` since yesterday.
async fn wait_for_deliveries(app: &TestApp, customer_id: &str, delivered: i64) {
    let mut reporting = app.reporting_client().await;
    let request = GetKpisRequest {
        start_date: day(1),
        end_date: day(0),
        filter: Some(KpiFilter {
            customer_id: customer_id.to_owned(),
            ..Default::default()
        }),
    };
    for _ in 0..200 {
        let kpis = reporting
            .get_kpis(request.clone())
            .await
            .unwrap()
            .into_inner();
        let damage = kpis
            .kpis
            .iter()
            .find(|figure| figure.kpi() == Kpi::DamageRate);
        if damage.is_some_and(|figure| figure.denominator == delivered) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("reporting never counted {delivered} deliveries of {customer_id}");
}

#[tokio::test]
async fn a_template_is_created_once_listed_and_scores_a_customer_by_its_rules() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;

    let create = CreateScorecardTemplateRequest {
        template: Some(handbook()),
        request_id: request_id(),
    };
    let created = reporting
        .create_scorecard_template(create.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(uuid::Uuid::try_parse(&created.id).is_ok());
    assert_eq!(created.items, handbook().items);
    assert!(created.create_time.is_some());
    let retried = reporting
        .create_scorecard_template(create.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried, created, "a retry answers the first response");
    let reused = reporting
        .create_scorecard_template(CreateScorecardTemplateRequest {
            template: Some(ScorecardTemplate {
                display_name: "Another".to_owned(),
                ..handbook()
            }),
            request_id: create.request_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&reused), "IDEMPOTENCY_KEY_REUSED");
    let second = reporting
        .create_scorecard_template(CreateScorecardTemplateRequest {
            template: Some(ScorecardTemplate {
                display_name: "Second".to_owned(),
                ..handbook()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner();

    // Listed oldest first, one per page, the retry not twice.
    let mut listed = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = reporting
            .list_scorecard_templates(ListScorecardTemplatesRequest {
                page_size: 1,
                page_token,
            })
            .await
            .unwrap()
            .into_inner();
        listed.extend(page.templates);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(listed, [created.clone(), second]);

    // Acme: two deliveries, one with a damaged piece; every document right; nothing lost;
    // no rated complaint.
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    order_in_status(&app, &acme.id, OrderStatus::Delivered, &[]).await;
    let (_, damaged) = order_in_status(&app, &acme.id, OrderStatus::OutForDelivery, &[]).await;
    app.tracking_client()
        .await
        .record_delivery(RecordDeliveryRequest {
            tracking_number: damaged,
            signed_by: "Wang Fang".to_owned(),
            delivery_time: Some(timestamp(chrono::Utc::now() - chrono::Duration::minutes(5))),
            damaged_pieces: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    wait_for_deliveries(&app, &acme.id, 2).await;

    let scorecard = reporting
        .get_scorecard(GetScorecardRequest {
            template_id: created.id.clone(),
            start_date: day(1),
            end_date: day(0),
            subject: Some(KpiFilter {
                customer_id: acme.customer_code.clone(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(scorecard.template_id, created.id);
    let lines: Vec<_> = scorecard
        .lines
        .iter()
        .map(|line| {
            (
                line.item.as_ref().unwrap().kpi(),
                (line.numerator, line.denominator),
                line.scored,
                line.shortfall_basis_points,
                line.deduction_centipoints,
                line.score_centipoints,
                line.past_floor,
            )
        })
        .collect();
    // Damage: 1 of 2 = 5000 basis points, 4900 over the target of 100; 0.1 point per percentage
    // point over is 10 hundredths x 49 points = 490 hundredths off 20 points.
    let damage_over = 10_000 / 2 - 100;
    let damage_deduction = 10 * damage_over / 100;
    assert_eq!(
        lines,
        [
            (Kpi::DocumentAccuracyRate, (2, 2), true, 0, 0, 3000, false),
            (
                Kpi::DamageRate,
                (1, 2),
                true,
                damage_over,
                damage_deduction,
                2000 - damage_deduction,
                false
            ),
            // 0% with a target and a floor of 0%: on the floor, which still scores.
            (Kpi::LossRate, (0, 2), true, 0, 0, 1000, false),
            (
                Kpi::ResolutionSatisfactionRate,
                (0, 0),
                false,
                0,
                0,
                0,
                false
            ),
        ]
    );
    assert_eq!(
        scorecard.total_centipoints,
        3000 + 2000 - damage_deduction + 1000
    );
    assert_eq!(
        scorecard.possible_centipoints, 6000,
        "the unscored line is not possible"
    );

    // Another customer has no facts: nothing scored.
    let other = create_customer(&mut customers, enterprise("Other")).await;
    let empty = reporting
        .get_scorecard(GetScorecardRequest {
            template_id: created.id.clone(),
            start_date: day(1),
            end_date: day(0),
            subject: Some(KpiFilter {
                customer_id: other.id.clone(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(empty.lines.iter().all(|line| !line.scored));
    assert_eq!(
        (empty.total_centipoints, empty.possible_centipoints),
        (0, 0)
    );

    let missing = reporting
        .get_scorecard(GetScorecardRequest {
            template_id: uuid::Uuid::new_v4().to_string(),
            start_date: day(0),
            end_date: day(0),
            subject: None,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(reason(&missing), "SCORECARD_TEMPLATE_NOT_FOUND");
}

#[tokio::test]
async fn a_wrong_template_is_refused_with_each_item_field_named() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    use ScorecardDirection::{HigherIsBetter, LowerIsBetter, Unspecified};
    let template = ScorecardTemplate {
        display_name: "bad\u{0}name".to_owned(),
        description: "x".repeat(1001),
        items: vec![
            item(
                Kpi::OnTimeArrivalRate,
                10,
                HigherIsBetter,
                (9500, 100, 8000),
            ),
            item(Kpi::OnTimeArrivalRate, 0, HigherIsBetter, (9500, 100, 8000)),
            item(Kpi::DamageRate, 10, LowerIsBetter, (10_001, -1, 50)),
            item(Kpi::AverageCycleTime, 10, HigherIsBetter, (100, 100, 0)),
            item(
                Kpi::OnTimeDispatchRate,
                i32::MAX,
                HigherIsBetter,
                (9000, 100, 9500),
            ),
            ScorecardItem {
                kpi: 999,
                direction: 7,
                ..item(Kpi::Unspecified, 10, Unspecified, (0, 0, i32::MIN))
            },
        ],
        ..Default::default()
    };
    let refused = reporting
        .create_scorecard_template(CreateScorecardTemplateRequest {
            template: Some(template),
            request_id: "not-a-uuid".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        [
            "request_id",
            "template.display_name",
            "template.description",
            "template.items[1].kpi",
            "template.items[1].weight_points",
            "template.items[2].target_basis_points",
            "template.items[2].deduction_centipoints",
            "template.items[3].kpi",
            "template.items[4].weight_points",
            "template.items[4].floor_basis_points",
            "template.items[5].kpi",
            "template.items[5].direction",
            "template.items[5].floor_basis_points",
        ]
    );

    let too_many = ScorecardTemplate {
        display_name: "Many".to_owned(),
        items: vec![item(Kpi::DamageRate, 1, LowerIsBetter, (0, 0, 0)); 17],
        ..Default::default()
    };
    let refused = reporting
        .create_scorecard_template(CreateScorecardTemplateRequest {
            template: Some(too_many),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["template.items"]);
    let refused = reporting
        .create_scorecard_template(CreateScorecardTemplateRequest {
            template: None,
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["template"]);

    let refused = reporting
        .get_scorecard(GetScorecardRequest {
            template_id: "nope".to_owned(),
            start_date: "2026-01-02".to_owned(),
            end_date: "2026-01-01".to_owned(),
            subject: Some(KpiFilter {
                agent: "a\nb".to_owned(),
                mode: -1,
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["template_id", "end_date", "subject.agent", "subject.mode"]
    );
    let refused = reporting
        .get_agent_quality(GetAgentQualityRequest {
            start_date: day(0),
            end_date: day(0),
            agent: "x".repeat(101),
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["agent", "page_size"]);
    let refused = reporting
        .list_scorecard_templates(ListScorecardTemplatesRequest {
            page_size: 1,
            page_token: "forged".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["page_token"]);
}

fn ratio(numerator: i64, denominator: i64) -> QualityRatio {
    QualityRatio {
        numerator,
        denominator,
        value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
    }
}

#[tokio::test]
async fn agent_quality_counts_what_each_agent_resolved_and_how_it_was_rated() {
    let app = TestApp::spawn().await;
    let acme = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut complaints = app.complaints_client().await;

    // agent-a resolves two inquiries, rated 5 and 3; agent-b resolves one, rated 4.
    for (agent, score) in [("agent-a", 5), ("agent-a", 3), ("agent-b", 4)] {
        let inquiry = file(
            &mut complaints,
            complaint(&acme.id, ComplaintKind::Inquiry, ComplaintCategory::Billing),
        )
        .await;
        complaints
            .assign_complaint(AssignComplaintRequest {
                id: inquiry.id.clone(),
                agent: agent.to_owned(),
                team: "billing".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap();
        complaints
            .resolve_complaint(ResolveComplaintRequest {
                id: inquiry.id.clone(),
                feedback: "The invoice is attached.".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap();
        complaints
            .rate_resolution(RateResolutionRequest {
                id: inquiry.id.clone(),
                rating: Some(Rating {
                    score,
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }

    // Handled = resolved; satisfied = rated 4 or 5. The inquiries were filed unassigned, so their
    // feedback timeliness counts under no agent.
    let expected = [
        AgentQuality {
            agent: "agent-a".to_owned(),
            complaints_handled: 2,
            feedback_timeliness: Some(ratio(0, 0)),
            resolution_timeliness: Some(ratio(2, 2)),
            resolution_satisfaction: Some(ratio(1, 2)),
        },
        AgentQuality {
            agent: "agent-b".to_owned(),
            complaints_handled: 1,
            feedback_timeliness: Some(ratio(0, 0)),
            resolution_timeliness: Some(ratio(1, 1)),
            resolution_satisfaction: Some(ratio(1, 1)),
        },
    ];
    let mut reporting = app.reporting_client().await;
    let request = GetAgentQualityRequest {
        start_date: day(1),
        end_date: day(0),
        page_size: 1,
        ..Default::default()
    };
    let mut agents = Vec::new();
    for _ in 0..200 {
        agents.clear();
        let mut page_token = String::new();
        loop {
            let page = reporting
                .get_agent_quality(GetAgentQualityRequest {
                    page_token,
                    ..request.clone()
                })
                .await
                .unwrap()
                .into_inner();
            agents.extend(page.agents);
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        if agents == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(agents, expected);

    // One agent only; a token of another query is refused.
    let only_b = reporting
        .get_agent_quality(GetAgentQualityRequest {
            agent: "agent-b".to_owned(),
            ..request.clone()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only_b.agents, expected[1..]);
    let first_page = reporting
        .get_agent_quality(request.clone())
        .await
        .unwrap()
        .into_inner();
    let replayed = reporting
        .get_agent_quality(GetAgentQualityRequest {
            start_date: day(2),
            page_token: first_page.next_page_token,
            ..request.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&replayed), ["page_token"]);
}

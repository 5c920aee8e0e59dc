//! Issue 11's acceptance test: a known data set (customers of each kind, orders with pickups and
//! deliveries in and out of time, incidents, scans recorded late, complaints with SLA hits and
//! breaches, ratings, follow-ups done and missed, a churned customer) driven through the real
//! services' public RPCs, and every KPI, a statement and a scorecard checked against figures the
//! test computes from the data set itself (`known_data_plan.rs`), never with reporting's code.
//! The driving is in `known_data_drive.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use logistics_contracts::complaints::ListComplaintsRequest;
use logistics_contracts::customers::ListFollowUpsRequest;
use logistics_contracts::reporting::{
    CreateScorecardTemplateRequest, GetKpisRequest, GetMonthlyStatementRequest,
    GetScorecardRequest, Kpi, KpiFilter, MonthlyStatement, ScorecardTemplate,
};
use logistics_tests::reporting::{ReportingClient, company_day, settled};
use logistics_tests::{TestApp, request_id};

use crate::known_data_drive::drive;
use crate::known_data_plan::{
    Period, Record, StatementFigures, Who, callbacks, cases, every_kpi, expected_kpis,
    expected_statement, handbook_score, scorecard_items,
};

/// Polls `read` until it equals `expected` (the feeds reach reporting, and customers schedules
/// follow-ups, a little after the calls), then returns the last answer.
async fn when_equal<T: PartialEq, F: Future<Output = T>>(
    expected: &T,
    mut read: impl FnMut() -> F,
) -> T {
    let mut got = read().await;
    for _ in 0..100 {
        if got == *expected {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        got = read().await;
    }
    got
}

/// Each KPI's sums over the period for `customer` (empty: the whole company), after checking
/// that each value follows from its sums.
async fn kpis(
    reporting: &ReportingClient,
    (first, last): (&str, &str),
    customer: &str,
) -> BTreeMap<Kpi, (i64, i64)> {
    let answer = reporting
        .clone()
        .get_kpis(GetKpisRequest {
            start_date: first.to_owned(),
            end_date: last.to_owned(),
            filter: Some(KpiFilter {
                customer_id: customer.to_owned(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    for figure in &answer.kpis {
        check_value(figure.kpi(), figure, &answer.kpis);
    }
    answer
        .kpis
        .iter()
        .map(|figure| (figure.kpi(), (figure.numerator, figure.denominator)))
        .collect()
}

/// A KPI's value follows from its sums: a ratio, or for the standard deviation of the cycle time
/// sqrt(squares / n - average²).
fn check_value(
    kpi: Kpi,
    figure: &logistics_contracts::reporting::KpiValue,
    all: &[logistics_contracts::reporting::KpiValue],
) {
    let (n, d) = (figure.numerator as f64, figure.denominator as f64);
    let expected = match kpi {
        _ if figure.denominator == 0 => None,
        Kpi::CycleTimeStddev => {
            let sum = all
                .iter()
                .find(|f| f.kpi() == Kpi::AverageCycleTime)
                .unwrap()
                .numerator as f64;
            Some((n / d - (sum / d).powi(2)).max(0.0).sqrt())
        }
        _ => Some(n / d),
    };
    match (figure.value, expected) {
        (Some(value), Some(expected)) => {
            assert!(
                (value - expected).abs() < 1e-9,
                "{kpi:?}: {value} {expected}"
            )
        }
        (value, expected) => assert_eq!(value, expected, "{kpi:?}"),
    }
}

/// The figures of a statement's own month.
fn statement_figures(statement: &MonthlyStatement) -> StatementFigures {
    let count = |figure: &Option<logistics_contracts::reporting::CountFigure>| {
        figure.as_ref().unwrap().value
    };
    let ratio = |figure: &Option<logistics_contracts::reporting::RatioFigure>| {
        let figure = figure.as_ref().unwrap();
        (figure.numerator, figure.denominator)
    };
    StatementFigures {
        shipments: count(&statement.shipments),
        pieces: count(&statement.pieces),
        weight_grams: count(&statement.weight_grams),
        dispatch: ratio(&statement.on_time_dispatch_rate),
        arrival: ratio(&statement.on_time_arrival_rate),
        documents: ratio(&statement.document_accuracy_rate),
        damage: count(&statement.damage_incidents),
        loss: count(&statement.loss_incidents),
        shortage: count(&statement.shortage_incidents),
        complaints: count(&statement.complaints),
        cycle: ratio(&statement.average_cycle_time),
    }
}

/// The customers ACTIVE at `instant`: those that had placed an order by then (customers
/// activates a customer on its first order) and had not churned.
fn active_at(record: &Record, instant: DateTime<Utc>, only: Option<Who>) -> i64 {
    let ordered: BTreeSet<Who> = record
        .shipments
        .iter()
        .filter(|shipment| shipment.created < instant)
        .map(|shipment| shipment.plan.who)
        .filter(|who| only.is_none_or(|only| only == *who))
        .filter(|who| {
            !record
                .churned
                .is_some_and(|(gone, at)| gone == *who && at < instant)
        })
        .collect();
    ordered.len() as i64
}

/// The instant company-local `day` starts.
fn start_of(day: chrono::NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(logistics_platform::time::company_time_zone())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn every_kpi_a_statement_and_a_scorecard_match_the_figures_of_a_known_data_set() {
    let app = TestApp::spawn().await;
    let (customers, record) = drive(&app).await;
    let acme = &customers[&Who::Acme];

    // The data set's assumptions about what the services add by themselves: the proactive case
    // of each damaged or short delivery, and the thank-you and check-in follow-ups (no monthly
    // review: no customer is KEY).
    let complaints_seen = when_equal(&cases(&record).len(), || async {
        app.complaints_client()
            .await
            .list_complaints(ListComplaintsRequest {
                page_size: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .complaints
            .len()
    })
    .await;
    assert_eq!(complaints_seen, cases(&record).len());
    let follow_ups_seen = when_equal(&callbacks(&record).len(), || async {
        app.engagement_client()
            .await
            .list_follow_ups(ListFollowUpsRequest {
                page_size: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .follow_ups
            .len()
    })
    .await;
    assert_eq!(follow_ups_seen, callbacks(&record).len());

    let mut reporting = app.reporting_client().await;
    settled(&mut reporting).await;
    // Yesterday and today, company time; the kit's and the plan's past events are at most 200
    // minutes old, and every fact is counted by its own day, here as in reporting.
    let (first, last) = (company_day(1), company_day(0));
    let period = Period::of(&first, &last);
    let start = start_of(period.first);

    for (only, customer) in [(None, ""), (Some(Who::Acme), acme.customer_code.as_str())] {
        let expected = expected_kpis(&record, period, only, active_at(&record, start, only));
        let got = when_equal(&expected, || kpis(&reporting, (&first, &last), customer)).await;
        assert_eq!(got, expected, "{only:?}");
        assert_eq!(got.keys().copied().collect::<Vec<_>>(), every_kpi());
    }
    // Not a vacuous data set: the company-wide figures have something on every line but churn's
    // denominator (no customer existed when yesterday began).
    let company = expected_kpis(&record, period, None, active_at(&record, start, None));
    assert!(
        company
            .iter()
            .all(|(kpi, (_, d))| *kpi == Kpi::ChurnRate || *d > 0)
    );
    assert_eq!(company[&Kpi::ChurnRate].0, 1);

    // Tomorrow's churn counts the customers ACTIVE when it starts: those with orders.
    let tomorrow = (Utc::now() + Duration::days(1))
        .with_timezone(&logistics_platform::time::company_time_zone())
        .date_naive();
    let tomorrow_text = tomorrow.to_string();
    for (only, customer) in [(None, ""), (Some(Who::Acme), acme.id.as_str())] {
        let figures = kpis(&reporting, (&tomorrow_text, &tomorrow_text), customer).await;
        let active = active_at(&record, start_of(tomorrow), only);
        assert_eq!(figures[&Kpi::ChurnRate], (0, active), "{only:?}");
    }

    // Acme's statement of this month.
    let month = last[..7].to_owned();
    let expected = expected_statement(&record, Who::Acme, &month);
    let statement = when_equal(&expected, || async {
        let statement = reporting
            .clone()
            .get_monthly_statement(GetMonthlyStatementRequest {
                customer_id: acme.customer_code.clone(),
                month: month.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        statement_figures(&statement)
    })
    .await;
    assert_eq!(statement, expected);
    assert!(expected.shipments > 0 && expected.loss > 0 && expected.shortage > 0);

    // A scorecard of the whole company and of Acme by the handbook's rule.
    let template = reporting
        .create_scorecard_template(CreateScorecardTemplateRequest {
            template: Some(ScorecardTemplate {
                display_name: "Service review".to_owned(),
                items: scorecard_items(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner();
    for (only, customer) in [(None, ""), (Some(Who::Acme), acme.id.as_str())] {
        let sums = expected_kpis(&record, period, only, active_at(&record, start, only));
        let scorecard = reporting
            .get_scorecard(GetScorecardRequest {
                template_id: template.id.clone(),
                start_date: first.clone(),
                end_date: last.clone(),
                subject: Some(KpiFilter {
                    customer_id: customer.to_owned(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        let mut expected_lines = Vec::new();
        let (mut total, mut possible) = (0, 0);
        for item in scorecard_items() {
            let counted = sums[&item.kpi()];
            let score = handbook_score(&item, counted);
            if let Some((_, _, points, _)) = score {
                total += points;
                possible += i64::from(item.weight_points) * 100;
            }
            let (shortfall, deduction, points, past_floor) = score.unwrap_or((0, 0, 0, false));
            expected_lines.push((
                item.kpi(),
                counted,
                score.is_some(),
                shortfall,
                deduction,
                points,
                past_floor,
            ));
        }
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
        assert_eq!(lines, expected_lines, "{only:?}");
        if only.is_none() {
            // The rule's every branch is met: past the floor, on the floor (feedback, 30%),
            // capped at the weight, and a partial deduction.
            assert!(lines.iter().any(|line| line.6), "{lines:?}");
            assert!(
                lines.iter().any(|line| line.5 > 0 && line.4 > 0),
                "{lines:?}"
            );
        }
        assert_eq!(
            (scorecard.total_centipoints, scorecard.possible_centipoints),
            (total, possible),
            "{only:?}"
        );
    }
}

//! RebuildProjections: the read models built again from the feeds, swapped in while reports
//! keep answering, give the same figures, and what the producers write meanwhile counts once.

use logistics_contracts::reporting::projection_rebuild::State;
use logistics_contracts::reporting::{KpiFilter, KpiValue, RebuildProjectionsRequest};
use logistics_tests::orders::{place_order, road_order};
use logistics_tests::reporting::{busy_day, kpis_since_yesterday, rebuild, settled};
use logistics_tests::{TestApp, reason};
use tonic::Code;

fn of_customer(customer_id: &str) -> KpiFilter {
    KpiFilter {
        customer_id: customer_id.to_owned(),
        ..Default::default()
    }
}

/// The company's figures and each customer's.
async fn figures(app: &TestApp, customers: &[String]) -> Vec<Vec<KpiValue>> {
    let mut reporting = app.reporting_client().await;
    let mut all = vec![kpis_since_yesterday(&mut reporting, KpiFilter::default()).await];
    for customer in customers {
        all.push(kpis_since_yesterday(&mut reporting, of_customer(customer)).await);
    }
    all
}

/// The orders created, as the route-change rate's denominator counts them.
fn created(figures: &[KpiValue]) -> i64 {
    figures
        .iter()
        .find(|figure| figure.kpi() == logistics_contracts::reporting::Kpi::RouteChangeRate)
        .map(|figure| figure.denominator)
        .expect("the route change rate")
}

#[tokio::test]
async fn a_rebuild_gives_the_same_figures_and_counts_what_came_meanwhile_once() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    let day = busy_day(&app, 3, 2).await;
    settled(&mut reporting).await;
    let before = figures(&app, &day.customers).await;
    assert_eq!(created(&before[0]), day.created);

    let started = reporting
        .rebuild_projections(RebuildProjectionsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.state(), State::Running);
    let refused = reporting
        .rebuild_projections(RebuildProjectionsRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "REBUILD_IN_PROGRESS");
    // Reports answer from the live read models while the rebuild runs, and an order placed
    // meanwhile counts once, whichever side of the swap it lands on.
    assert_eq!(figures(&app, &day.customers).await[0], before[0]);
    place_order(
        &mut app.orders_client().await,
        road_order(&day.customers[0]),
    )
    .await;

    let ended = loop {
        let latest = reporting
            .get_projection_status(logistics_contracts::reporting::GetProjectionStatusRequest {})
            .await
            .unwrap()
            .into_inner()
            .latest_rebuild
            .unwrap();
        if latest.state() != State::Running {
            break latest;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(ended.id, started.id);
    assert_eq!(ended.state(), State::Succeeded, "{ended:?}");
    assert!(ended.applied_events > 0 && ended.failure.is_empty());
    assert!(ended.end_time.is_some());
    settled(&mut reporting).await;
    let after = figures(&app, &day.customers).await;
    assert_eq!(created(&after[0]), day.created + 1);
    assert_eq!(created(&after[1]), created(&before[1]) + 1);
    // Everything but the orders created is as it was.
    let without_creations = |figures: &[Vec<KpiValue>]| -> Vec<Vec<KpiValue>> {
        figures
            .iter()
            .map(|kpis| {
                kpis.iter()
                    .filter(|figure| {
                        !matches!(
                            figure.kpi(),
                            logistics_contracts::reporting::Kpi::RouteChangeRate
                                | logistics_contracts::reporting::Kpi::ReturnRate
                        )
                    })
                    .cloned()
                    .collect()
            })
            .collect()
    };
    assert_eq!(without_creations(&after), without_creations(&before));

    // A rebuild with nothing new gives exactly the same figures.
    let again = rebuild(&mut reporting).await;
    assert_eq!(again.state(), State::Succeeded, "{again:?}");
    settled(&mut reporting).await;
    assert_eq!(figures(&app, &day.customers).await, after);
}

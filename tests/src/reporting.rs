//! The kit's part for the reporting service: a client, a day of business to report on, and
//! waiting for the projections to settle or a rebuild to end.

use std::time::Duration;

use logistics_contracts::orders::OrderStatus;
use logistics_contracts::reporting::projection_rebuild::State;
use logistics_contracts::reporting::reporting_service_client::ReportingServiceClient;
use logistics_contracts::reporting::{
    GetKpisRequest, GetProjectionStatusRequest, KpiFilter, KpiValue, ProjectionRebuild,
    RebuildProjectionsRequest,
};
use logistics_platform::client::CallCredentials;
use logistics_platform::time::company_time_zone;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::orders::{place_order, road_order};
use crate::{TestApp, channel, create_customer, enterprise, individual, order_in_status};

/// A reporting client that sends an API key.
pub type ReportingClient = ReportingServiceClient<InterceptedService<Channel, CallCredentials>>;

impl TestApp {
    /// A reporting client with every scope.
    pub async fn reporting_client(&self) -> ReportingClient {
        self.reporting_client_with(&self.keys.admin).await
    }

    /// A reporting client that sends `api_key`.
    pub async fn reporting_client_with(&self, api_key: &str) -> ReportingClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        ReportingServiceClient::with_interceptor(channel(self.reporting).await, credentials)
    }
}

/// The company-local day `days_ago` days before today, "YYYY-MM-DD" as reporting takes it.
pub fn company_day(days_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days_ago))
        .with_timezone(&company_time_zone())
        .format("%Y-%m-%d")
        .to_string()
}

/// What [`busy_day`] did, to check figures against.
#[derive(Debug, Clone)]
pub struct BusyDay {
    /// The customers' ids.
    pub customers: Vec<String>,
    /// Orders created.
    pub created: i64,
    /// Of them, delivered.
    pub delivered: i64,
}

/// A day of business through the public RPCs: `customers` customers of both kinds, each with
/// one order left as created, one picked up and `delivered_each` delivered (the kit's orders,
/// whose events occurred 200 to 100 minutes ago).
pub async fn busy_day(app: &TestApp, customers: usize, delivered_each: usize) -> BusyDay {
    let mut client = app.customers_client().await;
    let mut orders = app.orders_client().await;
    let mut day = BusyDay {
        customers: Vec::new(),
        created: 0,
        delivered: 0,
    };
    for index in 0..customers {
        let customer = if index % 2 == 0 {
            enterprise(&format!("Busy Day Trading {index}"))
        } else {
            individual(&format!("Busy Day Person {index}"))
        };
        let customer = create_customer(&mut client, customer).await;
        place_order(&mut orders, road_order(&customer.id)).await;
        order_in_status(app, &customer.id, OrderStatus::PickedUp, &[]).await;
        for _ in 0..delivered_each {
            order_in_status(app, &customer.id, OrderStatus::Delivered, &[]).await;
        }
        day.created += 2 + delivered_each as i64;
        day.delivered += delivered_each as i64;
        day.customers.push(customer.id);
    }
    day
}

/// Every KPI since yesterday (company time) of the slices `filter` takes.
pub async fn kpis_since_yesterday(
    reporting: &mut ReportingClient,
    filter: KpiFilter,
) -> Vec<KpiValue> {
    reporting
        .get_kpis(GetKpisRequest {
            start_date: company_day(1),
            end_date: company_day(0),
            filter: Some(filter),
        })
        .await
        .expect("GetKpis")
        .into_inner()
        .kpis
}

/// Waits until every feed is followed and no event came for a second: what the producers wrote
/// is applied. Panics after a minute.
pub async fn settled(reporting: &mut ReportingClient) {
    let mut last = None;
    let mut quiet_polls = 0;
    for _ in 0..600 {
        let status = reporting
            .get_projection_status(GetProjectionStatusRequest {})
            .await
            .expect("GetProjectionStatus")
            .into_inner();
        let consumed: i64 = status
            .feeds
            .iter()
            .map(|feed| feed.applied_events + feed.skipped_events)
            .sum();
        let following = status.feeds.len() == 3 && status.feeds.iter().all(|feed| feed.following);
        let rebuilding = status
            .latest_rebuild
            .is_some_and(|rebuild| rebuild.state() == State::Running);
        if following && !rebuilding && last == Some(consumed) {
            quiet_polls += 1;
            if quiet_polls == 10 {
                return;
            }
        } else {
            quiet_polls = 0;
        }
        last = Some(consumed);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the projections did not settle within a minute");
}

/// Starts a rebuild of the projections and waits for it to end; returns it as it ended.
pub async fn rebuild(reporting: &mut ReportingClient) -> ProjectionRebuild {
    let started = reporting
        .rebuild_projections(RebuildProjectionsRequest {})
        .await
        .expect("RebuildProjections")
        .into_inner();
    assert_eq!(started.state(), State::Running);
    for _ in 0..600 {
        let latest = reporting
            .get_projection_status(GetProjectionStatusRequest {})
            .await
            .expect("GetProjectionStatus")
            .into_inner()
            .latest_rebuild
            .expect("the rebuild is recorded");
        assert_eq!(latest.id, started.id, "no other rebuild ran");
        if latest.state() != State::Running {
            return latest;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the rebuild did not end within a minute");
}

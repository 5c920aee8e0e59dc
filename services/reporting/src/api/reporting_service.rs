//! `logistics.reporting.v1.ReportingService`: decode and check each request, call its report in
//! `app`, encode the answer.

use chrono::NaiveDate;
use logistics_contracts::common::TransportMode;
use logistics_contracts::reporting::reporting_service_server::ReportingService;
use logistics_contracts::reporting::{
    self as pb, FeedStatus, GenerateMonthlyStatementsRequest, GenerateMonthlyStatementsResponse,
    GetKpisRequest, GetKpisResponse, GetMonthlyStatementRequest, GetProjectionStatusRequest,
    GetStatementRequest, ListStatementsRequest, ListStatementsResponse, MonthlyStatement,
    ProjectionStatus,
};
use logistics_platform::ApiError;
use logistics_platform::auth::ScopeTable;
use logistics_platform::customers_directory::CustomersDirectory;
use logistics_platform::error::Violations;
use logistics_platform::fields::customer_ref_field;
use logistics_platform::time::timestamp;
use tonic::{Request, Response, Status};

use super::respond;
use super::statements::StatementsApi;
use crate::app::Reports;
use crate::app::kpis::KpiFigure;
use crate::app::projections::mode_name;
use crate::domain::kpi::Kpi;
use crate::store::rollups::SliceFilter;

/// The scope each RPC of ReportingService needs.
pub(crate) const SCOPES: ScopeTable = logistics_platform::scope_table!(
    "logistics.reporting.v1.ReportingService" {
        GetProjectionStatus => "reporting:read",
        GetKpis => "reporting:read",
        GetMonthlyStatement => "reporting:read",
        GenerateMonthlyStatements => "reporting:admin",
        ListStatements => "reporting:read",
        GetStatement => "reporting:read",
    }
);

/// The longest period a KPI query covers, in days.
const MAX_PERIOD_DAYS: i64 = 366;
/// Longest region code or agent login in a filter.
const FILTER_TEXT_CHARS: usize = 100;

/// The reporting API over its reports.
#[derive(Clone)]
pub(crate) struct ReportingApi {
    reports: Reports,
    customers: CustomersDirectory,
    statements: StatementsApi,
}

impl ReportingApi {
    /// The API over `reports`, resolving customer codes through `customers`; the statement RPCs
    /// are `statements`'.
    pub(crate) fn new(
        reports: Reports,
        customers: CustomersDirectory,
        statements: StatementsApi,
    ) -> Self {
        Self {
            reports,
            customers,
            statements,
        }
    }

    async fn kpis(&self, request: GetKpisRequest) -> Result<GetKpisResponse, ApiError> {
        let mut violations = Violations::new();
        let first = date(&mut violations, "start_date", &request.start_date);
        let last = date(&mut violations, "end_date", &request.end_date);
        if let (Some(first), Some(last)) = (first, last) {
            let days = (last - first).num_days();
            if days < 0 {
                violations.add("end_date", "must not be before start_date");
            } else if days >= MAX_PERIOD_DAYS {
                violations.add(
                    "end_date",
                    format!("must be at most {MAX_PERIOD_DAYS} days after start_date"),
                );
            }
        }
        let filter = request.filter.unwrap_or_default();
        let customer = customer_ref_field(
            &mut violations,
            "filter.customer_id",
            &filter.customer_id,
            false,
        );
        violations.limit_text("filter.region_code", &filter.region_code, FILTER_TEXT_CHARS);
        violations.limit_text("filter.agent", &filter.agent, FILTER_TEXT_CHARS);
        let mode = match TransportMode::try_from(filter.mode) {
            Ok(TransportMode::Unspecified) => None,
            Ok(_) => Some(mode_name(filter.mode)),
            Err(_) => {
                violations.add("filter.mode", "is not a known transport mode");
                None
            }
        };
        violations.finish()?;
        let (Some(first), Some(last)) = (first, last) else {
            return Err(ApiError::invalid_field("start_date", "is required"));
        };
        let customer_id = match &customer {
            Some(customer) => Some(self.customers.resolve(customer).await?),
            None => None,
        };
        let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        let slices = SliceFilter {
            customer_id,
            region_code: non_empty(&filter.region_code),
            mode,
            agent: non_empty(&filter.agent),
        };
        let figures = self.reports.kpis(first, last, &slices).await?;
        Ok(GetKpisResponse {
            kpis: figures.iter().map(kpi_to_proto).collect(),
        })
    }
}

/// A date "YYYY-MM-DD" at `field`.
fn date(violations: &mut Violations, field: &str, text: &str) -> Option<NaiveDate> {
    if text.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    let parsed = (text.len() == 10)
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten();
    if parsed.is_none() {
        violations.add(field, "must be a date \"YYYY-MM-DD\"");
    }
    parsed
}

fn kpi_to_proto(figure: &KpiFigure) -> pb::KpiValue {
    let kpi = match figure.kpi {
        Kpi::OnTimeDispatchRate => pb::Kpi::OnTimeDispatchRate,
        Kpi::OnTimeArrivalRate => pb::Kpi::OnTimeArrivalRate,
        Kpi::DocumentAccuracyRate => pb::Kpi::DocumentAccuracyRate,
        Kpi::DamageRate => pb::Kpi::DamageRate,
        Kpi::LossRate => pb::Kpi::LossRate,
        Kpi::ShortageRate => pb::Kpi::ShortageRate,
        Kpi::AverageCycleTime => pb::Kpi::AverageCycleTime,
        Kpi::CycleTimeStddev => pb::Kpi::CycleTimeStddev,
        Kpi::RouteChangeRate => pb::Kpi::RouteChangeRate,
        Kpi::ReturnRate => pb::Kpi::ReturnRate,
        Kpi::FeedbackTimeliness => pb::Kpi::FeedbackTimeliness,
        Kpi::ResolutionTimeliness => pb::Kpi::ResolutionTimeliness,
        Kpi::ResolutionSatisfactionRate => pb::Kpi::ResolutionSatisfactionRate,
        Kpi::InformationTimeliness => pb::Kpi::InformationTimeliness,
        Kpi::ReturnVisitRate => pb::Kpi::ReturnVisitRate,
        Kpi::ChurnRate => pb::Kpi::ChurnRate,
    };
    pb::KpiValue {
        kpi: kpi.into(),
        numerator: figure.numerator,
        denominator: figure.denominator,
        value: figure.value,
    }
}

fn status_to_proto(status: &logistics_platform::feed_follower::FollowerStatus) -> FeedStatus {
    FeedStatus {
        feed: status.feed.to_owned(),
        following: status.following,
        cursor: status.cursor.clone(),
        applied_events: status.applied_events,
        skipped_events: status.skipped_events,
        last_event_time: status.last_event_time.map(timestamp),
        last_applied_time: status.last_applied_time.map(timestamp),
        lag_millis: status
            .lag
            .map_or(0, |lag| i64::try_from(lag.as_millis()).unwrap_or(i64::MAX)),
    }
}

#[tonic::async_trait]
impl ReportingService for ReportingApi {
    async fn get_projection_status(
        &self,
        _request: Request<GetProjectionStatusRequest>,
    ) -> Result<Response<ProjectionStatus>, Status> {
        let feeds = self
            .reports
            .projection_status()
            .iter()
            .map(status_to_proto)
            .collect();
        respond(Ok(ProjectionStatus { feeds }))
    }

    async fn get_kpis(
        &self,
        request: Request<GetKpisRequest>,
    ) -> Result<Response<GetKpisResponse>, Status> {
        respond(self.kpis(request.into_inner()).await)
    }

    async fn get_monthly_statement(
        &self,
        request: Request<GetMonthlyStatementRequest>,
    ) -> Result<Response<MonthlyStatement>, Status> {
        respond(self.statements.monthly(request.into_inner()).await)
    }

    async fn generate_monthly_statements(
        &self,
        request: Request<GenerateMonthlyStatementsRequest>,
    ) -> Result<Response<GenerateMonthlyStatementsResponse>, Status> {
        respond(self.statements.generate(request.into_inner()).await)
    }

    async fn list_statements(
        &self,
        request: Request<ListStatementsRequest>,
    ) -> Result<Response<ListStatementsResponse>, Status> {
        respond(self.statements.list(request.into_inner()).await)
    }

    async fn get_statement(
        &self,
        request: Request<GetStatementRequest>,
    ) -> Result<Response<MonthlyStatement>, Status> {
        respond(self.statements.get(request.into_inner()).await)
    }
}

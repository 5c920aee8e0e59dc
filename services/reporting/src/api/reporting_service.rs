//! `logistics.reporting.v1.ReportingService`: decode and check each request, call its report in
//! `app`, encode the answer.

use logistics_contracts::reporting::reporting_service_server::ReportingService;
use logistics_contracts::reporting::{
    self as pb, CreateScorecardTemplateRequest, ExportReportRequest, ExportReportResponse,
    FeedStatus, GenerateMonthlyStatementsRequest, GenerateMonthlyStatementsResponse,
    GetAgentQualityRequest, GetAgentQualityResponse, GetKpisRequest, GetKpisResponse,
    GetMonthlyStatementRequest, GetProjectionStatusRequest, GetRegionalReportRequest,
    GetScorecardRequest, GetStatementRequest, ListScorecardTemplatesRequest,
    ListScorecardTemplatesResponse, ListStatementsRequest, ListStatementsResponse,
    MonthlyStatement, ProjectionRebuild, ProjectionStatus, RebuildProjectionsRequest,
    RegionalReport, RenderStatementRequest, RenderedStatement, Scorecard, ScorecardTemplate,
    SegmentCustomersRequest, SegmentCustomersResponse,
};
use logistics_platform::ApiError;
use logistics_platform::auth::ScopeTable;
use logistics_platform::customers_directory::CustomersDirectory;
use logistics_platform::error::Violations;
use logistics_platform::pagination::{PageTokens, TokenKey};
use logistics_platform::time::timestamp;
use tonic::{Request, Response, Status};

use super::statements::StatementsApi;
use super::{kpi_query, principal_name, respond};
use crate::app::Reports;
use crate::app::kpis::KpiFigure;
use crate::domain::kpi::Kpi;
use crate::store::rebuilds::{Rebuild, RebuildState};

/// The scope each RPC of ReportingService needs.
pub(crate) const SCOPES: ScopeTable = logistics_platform::scope_table!(
    "logistics.reporting.v1.ReportingService" {
        GetProjectionStatus => "reporting:read",
        GetKpis => "reporting:read",
        RebuildProjections => "reporting:admin",
        SegmentCustomers => "reporting:read",
        CreateScorecardTemplate => "reporting:write",
        ListScorecardTemplates => "reporting:read",
        GetScorecard => "reporting:read",
        GetAgentQuality => "reporting:read",
        GetMonthlyStatement => "reporting:read",
        GenerateMonthlyStatements => "reporting:admin",
        ListStatements => "reporting:read",
        GetStatement => "reporting:read",
        RenderStatement => "reporting:read",
        ExportReport => "reporting:read",
        GetRegionalReport => "reporting:read",
    }
);

/// The reporting API over its reports.
#[derive(Clone)]
pub(crate) struct ReportingApi {
    pub(super) reports: Reports,
    pub(super) customers: CustomersDirectory,
    /// Seals SegmentCustomers' page tokens.
    pub(super) page_tokens: PageTokens,
    /// Page tokens of ListScorecardTemplates and GetAgentQuality.
    pub(super) templates_pages: PageTokens,
    pub(super) agents_pages: PageTokens,
    pub(super) statements: StatementsApi,
}

impl ReportingApi {
    /// The API over `reports`, resolving customer codes through `customers`, sealing page
    /// tokens with `token_key`; the statement RPCs are `statements`'.
    pub(crate) fn new(
        reports: Reports,
        customers: CustomersDirectory,
        token_key: &TokenKey,
        statements: StatementsApi,
    ) -> Self {
        Self {
            reports,
            customers,
            page_tokens: PageTokens::new(token_key.clone(), "reporting.segments"),
            templates_pages: PageTokens::new(token_key.clone(), "reporting.scorecard_templates"),
            agents_pages: PageTokens::new(token_key.clone(), "reporting.agent_quality"),
            statements,
        }
    }

    pub(super) async fn kpis(&self, request: GetKpisRequest) -> Result<GetKpisResponse, ApiError> {
        let mut violations = Violations::new();
        let period = kpi_query::period(&mut violations, &request.start_date, &request.end_date);
        let filter = request.filter.unwrap_or_default();
        let filter = kpi_query::filter(&mut violations, "filter", &filter);
        violations.finish()?;
        let Some((first, last)) = period else {
            return Err(ApiError::invalid_field("start_date", "is required"));
        };
        let slices = filter.resolve(&self.customers).await?;
        let figures = self.reports.kpis(first, last, &slices).await?;
        Ok(GetKpisResponse {
            kpis: figures.iter().map(kpi_to_proto).collect(),
        })
    }
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
        Kpi::AccidentRate => pb::Kpi::AccidentRate,
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

fn rebuild_to_proto(rebuild: &Rebuild) -> ProjectionRebuild {
    let state = match rebuild.state {
        RebuildState::Running => pb::projection_rebuild::State::Running,
        RebuildState::Succeeded => pb::projection_rebuild::State::Succeeded,
        RebuildState::Failed => pb::projection_rebuild::State::Failed,
    };
    ProjectionRebuild {
        id: rebuild.id.to_string(),
        state: state.into(),
        create_time: Some(timestamp(rebuild.create_time)),
        end_time: rebuild.end_time.map(timestamp),
        applied_events: rebuild.applied_events,
        failure: rebuild.failure.clone(),
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
            .await
            .iter()
            .map(status_to_proto)
            .collect();
        let latest_rebuild = self.reports.rebuilds().latest().await;
        respond(latest_rebuild.map(|latest| ProjectionStatus {
            feeds,
            latest_rebuild: latest.as_ref().map(rebuild_to_proto),
        }))
    }

    async fn rebuild_projections(
        &self,
        _request: Request<RebuildProjectionsRequest>,
    ) -> Result<Response<ProjectionRebuild>, Status> {
        let started = self.reports.rebuilds().start().await;
        respond(started.map(|rebuild| rebuild_to_proto(&rebuild)))
    }

    async fn get_kpis(
        &self,
        request: Request<GetKpisRequest>,
    ) -> Result<Response<GetKpisResponse>, Status> {
        respond(self.kpis(request.into_inner()).await)
    }

    async fn segment_customers(
        &self,
        request: Request<SegmentCustomersRequest>,
    ) -> Result<Response<SegmentCustomersResponse>, Status> {
        respond(self.segment_customers(request.into_inner()).await)
    }

    async fn create_scorecard_template(
        &self,
        request: Request<CreateScorecardTemplateRequest>,
    ) -> Result<Response<ScorecardTemplate>, Status> {
        let principal = principal_name(&request)?;
        respond(self.create_template(principal, request.into_inner()).await)
    }

    async fn list_scorecard_templates(
        &self,
        request: Request<ListScorecardTemplatesRequest>,
    ) -> Result<Response<ListScorecardTemplatesResponse>, Status> {
        respond(self.list_templates(request.into_inner()).await)
    }

    async fn get_scorecard(
        &self,
        request: Request<GetScorecardRequest>,
    ) -> Result<Response<Scorecard>, Status> {
        respond(self.scorecard(request.into_inner()).await)
    }

    async fn get_agent_quality(
        &self,
        request: Request<GetAgentQualityRequest>,
    ) -> Result<Response<GetAgentQualityResponse>, Status> {
        respond(self.agent_quality(request.into_inner()).await)
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

    type ExportReportStream =
        tokio_stream::Iter<std::vec::IntoIter<Result<ExportReportResponse, Status>>>;

    async fn export_report(
        &self,
        request: Request<ExportReportRequest>,
    ) -> Result<Response<Self::ExportReportStream>, Status> {
        let chunks = respond(self.export(request.into_inner()).await)?.into_inner();
        Ok(Response::new(tokio_stream::iter(
            chunks.into_iter().map(Ok).collect::<Vec<_>>(),
        )))
    }

    async fn render_statement(
        &self,
        request: Request<RenderStatementRequest>,
    ) -> Result<Response<RenderedStatement>, Status> {
        respond(self.statements.render(request.into_inner()).await)
    }

    async fn get_statement(
        &self,
        request: Request<GetStatementRequest>,
    ) -> Result<Response<MonthlyStatement>, Status> {
        respond(self.statements.get(request.into_inner()).await)
    }

    async fn get_regional_report(
        &self,
        request: Request<GetRegionalReportRequest>,
    ) -> Result<Response<RegionalReport>, Status> {
        respond(self.regional_report(request.into_inner()).await)
    }
}

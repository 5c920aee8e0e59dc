//! Every RPC of the reporting package (ReportingService) with generated requests.

use chrono::{Datelike as _, Utc};
use logistics_contracts::complaints::{ComplaintCategory, ComplaintKind};
use logistics_contracts::orders::OrderStatus;
use logistics_contracts::reporting::*;
use logistics_platform::time::company_time_zone;
use logistics_tests::complaints::{complaint, file};
use logistics_tests::reporting::{ReportingClient, settled};
use logistics_tests::{TestApp, create_customer, enterprise, individual, order_in_status};

use super::{FuzzCall, Outcome};

mod requests;
pub use requests::calls;

/// One call of the reporting package.
// Requests are moved once per case, so their sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Call {
    GetProjectionStatus(GetProjectionStatusRequest),
    RebuildProjections(RebuildProjectionsRequest),
    GetKpis(GetKpisRequest),
    SegmentCustomers(SegmentCustomersRequest),
    CreateScorecardTemplate(CreateScorecardTemplateRequest),
    ListScorecardTemplates(ListScorecardTemplatesRequest),
    GetScorecard(GetScorecardRequest),
    GetAgentQuality(GetAgentQualityRequest),
    GetMonthlyStatement(GetMonthlyStatementRequest),
    GenerateMonthlyStatements(GenerateMonthlyStatementsRequest),
    ListStatements(ListStatementsRequest),
    GetStatement(GetStatementRequest),
    GetRegionalReport(GetRegionalReportRequest),
    RenderStatement(RenderStatementRequest),
    ExportReport(ExportReportRequest),
}

impl FuzzCall for Call {
    fn rpc(&self) -> &'static str {
        macro_rules! names {
            ($($rpc:ident),* $(,)?) => {
                match self { $(Call::$rpc(_) => stringify!($rpc),)* }
            };
        }
        names!(
            GetProjectionStatus,
            RebuildProjections,
            GetKpis,
            SegmentCustomers,
            CreateScorecardTemplate,
            ListScorecardTemplates,
            GetScorecard,
            GetAgentQuality,
            GetMonthlyStatement,
            GenerateMonthlyStatements,
            ListStatements,
            GetStatement,
            GetRegionalReport,
            RenderStatement,
            ExportReport,
        )
    }
}

/// What exists before the first case.
#[derive(Debug, Clone)]
pub struct Known {
    /// Customers by id and by customer code, and one that does not exist.
    customers: Vec<String>,
    /// The scorecard template set up, and one that does not exist.
    templates: Vec<String>,
    /// Days "YYYY-MM-DD" around today (company time), a year back, and the first of this month.
    days: Vec<String>,
    /// This month, the one before, and months long past, "YYYY-MM".
    months: Vec<String>,
    /// This quarter "YYYY-Qn" and others.
    quarters: Vec<String>,
    /// Statement names of the known customers (none is stored: the month before had no activity)
    /// and unknown statement ids.
    statements: Vec<String>,
}

/// The client of the reporting package.
#[derive(Clone)]
pub struct Clients {
    reporting: ReportingClient,
}

impl Clients {
    pub async fn connect(app: &TestApp) -> Self {
        Self {
            reporting: app.reporting_client().await,
        }
    }
}

/// Two customers with orders in several states and a complaint (so the rollups have figures to
/// add up), a scorecard template, and the projections settled.
pub async fn setup(app: &TestApp, clients: &mut Clients) -> Known {
    let mut customers_client = app.customers_client().await;
    let acme = create_customer(&mut customers_client, enterprise("Acme Tiles")).await;
    let person = create_customer(&mut customers_client, individual("Zhang Wei")).await;
    for status in [
        OrderStatus::Delivered,
        OrderStatus::PickedUp,
        OrderStatus::Created,
        OrderStatus::Cancelled,
    ] {
        order_in_status(app, &acme.id, status, &[]).await;
    }
    order_in_status(app, &person.id, OrderStatus::Delivered, &[]).await;
    file(
        &mut app.complaints_client().await,
        complaint(&acme.id, ComplaintKind::Complaint, ComplaintCategory::Delay),
    )
    .await;
    let template = clients
        .reporting
        .create_scorecard_template(CreateScorecardTemplateRequest {
            template: Some(ScorecardTemplate {
                display_name: "Key accounts".to_owned(),
                items: vec![ScorecardItem {
                    kpi: Kpi::OnTimeArrivalRate.into(),
                    weight_points: 60,
                    direction: ScorecardDirection::HigherIsBetter.into(),
                    target_basis_points: 9500,
                    deduction_centipoints: 200,
                    floor_basis_points: 8500,
                }],
                ..ScorecardTemplate::default()
            }),
            request_id: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .expect("creating a scorecard template")
        .into_inner();
    settled(&mut clients.reporting).await;

    let today = Utc::now().with_timezone(&company_time_zone()).date_naive();
    let day = |days_back: i64| (today - chrono::Duration::days(days_back)).to_string();
    let this_month = today.format("%Y-%m").to_string();
    let last_month = (today.with_day0(0).unwrap() - chrono::Duration::days(1))
        .format("%Y-%m")
        .to_string();
    let quarter = format!("{}-Q{}", today.year(), today.month0() / 3 + 1);
    let statements = [&acme.id, &person.id]
        .iter()
        .flat_map(|id| {
            [
                format!("customers/{id}/statements/{last_month}"),
                format!("customers/{id}/statements/{this_month}"),
            ]
        })
        .chain([uuid::Uuid::new_v4().to_string()])
        .collect();
    Known {
        customers: vec![
            acme.id,
            acme.customer_code,
            person.id,
            uuid::Uuid::new_v4().to_string(),
        ],
        templates: vec![template.id, uuid::Uuid::new_v4().to_string()],
        days: vec![
            day(0),
            day(1),
            day(30),
            day(365),
            format!("{this_month}-01"),
        ],
        months: vec![
            this_month,
            last_month,
            "2026-01".to_owned(),
            "2000-01".to_owned(),
        ],
        quarters: vec![quarter, "2026-Q1".to_owned(), "2000-Q4".to_owned()],
        statements,
    }
}

/// Sends `call`.
pub async fn send(clients: &mut Clients, call: Call) -> Outcome {
    let r = &mut clients.reporting;
    macro_rules! unary {
        ($method:ident, $request:expr) => {
            r.$method($request).await.map(|_| ())
        };
    }
    match call {
        Call::GetProjectionStatus(q) => unary!(get_projection_status, q),
        Call::RebuildProjections(q) => unary!(rebuild_projections, q),
        Call::GetKpis(q) => unary!(get_kpis, q),
        Call::SegmentCustomers(q) => unary!(segment_customers, q),
        Call::CreateScorecardTemplate(q) => unary!(create_scorecard_template, q),
        Call::ListScorecardTemplates(q) => unary!(list_scorecard_templates, q),
        Call::GetScorecard(q) => unary!(get_scorecard, q),
        Call::GetAgentQuality(q) => unary!(get_agent_quality, q),
        Call::GetMonthlyStatement(q) => unary!(get_monthly_statement, q),
        Call::GenerateMonthlyStatements(q) => unary!(generate_monthly_statements, q),
        Call::ListStatements(q) => unary!(list_statements, q),
        Call::GetStatement(q) => unary!(get_statement, q),
        Call::GetRegionalReport(q) => unary!(get_regional_report, q),
        Call::RenderStatement(q) => unary!(render_statement, q),
        // Read to its end: a failure may come with the stream too.
        Call::ExportReport(q) => {
            let mut chunks = r.export_report(q).await?.into_inner();
            while chunks.message().await?.is_some() {}
            Ok(())
        }
    }
}

//! Every reporting RPC refuses a key without its scope, before it reads or writes anything.

use logistics_contracts::reporting::*;
use logistics_tests::reporting::ReportingClient;
use logistics_tests::{TestApp, reason};
use tokio_stream::StreamExt as _;
use tonic::Code;

/// Calls every RPC of ReportingService once with `client`, each with a valid-looking request,
/// and answers each RPC's name with its outcome.
async fn call_every_rpc(
    client: &mut ReportingClient,
) -> Vec<(&'static str, Result<(), tonic::Status>)> {
    let month = "2026-01".to_owned();
    let kpis = GetKpisRequest {
        start_date: "2026-01-01".to_owned(),
        end_date: "2026-01-31".to_owned(),
        filter: None,
    };
    let export = ExportReportRequest {
        report: Some(export_report_request::Report::Kpis(kpis.clone())),
    };
    let exported = match client.export_report(export).await {
        Ok(stream) => {
            let mut chunks = stream.into_inner();
            let mut outcome = Ok(());
            while let Some(chunk) = chunks.next().await {
                if let Err(status) = chunk {
                    outcome = Err(status);
                }
            }
            outcome
        }
        Err(status) => Err(status),
    };
    vec![
        (
            "GetProjectionStatus",
            ok(client
                .get_projection_status(GetProjectionStatusRequest {})
                .await),
        ),
        (
            "RebuildProjections",
            ok(client
                .rebuild_projections(RebuildProjectionsRequest {})
                .await),
        ),
        ("GetKpis", ok(client.get_kpis(kpis).await)),
        (
            "SegmentCustomers",
            ok(client
                .segment_customers(SegmentCustomersRequest {
                    dimensions: vec![SegmentDimension::Kind.into()],
                    ..Default::default()
                })
                .await),
        ),
        (
            "CreateScorecardTemplate",
            ok(client
                .create_scorecard_template(CreateScorecardTemplateRequest::default())
                .await),
        ),
        (
            "ListScorecardTemplates",
            ok(client
                .list_scorecard_templates(ListScorecardTemplatesRequest::default())
                .await),
        ),
        (
            "GetScorecard",
            ok(client.get_scorecard(GetScorecardRequest::default()).await),
        ),
        (
            "GetAgentQuality",
            ok(client
                .get_agent_quality(GetAgentQualityRequest::default())
                .await),
        ),
        (
            "GetMonthlyStatement",
            ok(client
                .get_monthly_statement(GetMonthlyStatementRequest {
                    customer_id: "C000001".to_owned(),
                    month: month.clone(),
                })
                .await),
        ),
        (
            "GenerateMonthlyStatements",
            ok(client
                .generate_monthly_statements(GenerateMonthlyStatementsRequest { month })
                .await),
        ),
        (
            "ListStatements",
            ok(client
                .list_statements(ListStatementsRequest::default())
                .await),
        ),
        (
            "GetStatement",
            ok(client.get_statement(GetStatementRequest::default()).await),
        ),
        (
            "RenderStatement",
            ok(client
                .render_statement(RenderStatementRequest::default())
                .await),
        ),
        ("ExportReport", exported),
        (
            "GetRegionalReport",
            ok(client
                .get_regional_report(GetRegionalReportRequest {
                    period: Some(get_regional_report_request::Period::Year(2026)),
                })
                .await),
        ),
    ]
}

fn ok<T>(result: Result<T, tonic::Status>) -> Result<(), tonic::Status> {
    result.map(drop)
}

fn missing_scope(outcome: &Result<(), tonic::Status>) -> bool {
    matches!(outcome, Err(status)
        if status.code() == Code::PermissionDenied && reason(status) == "MISSING_SCOPE")
}

#[tokio::test]
async fn a_key_without_a_reporting_scope_is_refused_by_every_reporting_rpc() {
    let app = TestApp::spawn().await;
    let mut outsider = app.reporting_client_with(&app.keys.customers_reader).await;
    let outcomes = call_every_rpc(&mut outsider).await;
    assert_eq!(outcomes.len(), 15, "every RPC of ReportingService");
    for (rpc, outcome) in &outcomes {
        assert!(missing_scope(outcome), "{rpc}: {outcome:?}");
    }
}

#[tokio::test]
async fn a_reporting_reader_reads_but_cannot_create_templates_generate_statements_or_rebuild() {
    let app = TestApp::spawn().await;
    let mut reader = app.reporting_client_with(&app.keys.reporting_reader).await;
    for (rpc, outcome) in call_every_rpc(&mut reader).await {
        let writes = matches!(
            rpc,
            "RebuildProjections" | "CreateScorecardTemplate" | "GenerateMonthlyStatements"
        );
        assert_eq!(missing_scope(&outcome), writes, "{rpc}: {outcome:?}");
    }
}

//! ExportReport: every report as CSV, with the figures of its own RPC, and cells a spreadsheet
//! would run as formulas defused.

use logistics_contracts::orders::OrderStatus;
use logistics_contracts::reporting::export_report_request::Report;
use logistics_contracts::reporting::{
    ExportReportRequest, GetKpisRequest, GetMonthlyStatementRequest, KpiFilter,
    SegmentCustomersRequest, SegmentDimension,
};
use logistics_tests::reporting::{company_day, settled};
use logistics_tests::{TestApp, create_customer, enterprise, order_in_status, violated_fields};
use tokio_stream::StreamExt as _;
use tonic::Code;

/// The export of `report`: its file name and the CSV's bytes.
async fn export(app: &TestApp, report: Report) -> Result<(String, Vec<u8>), tonic::Status> {
    let mut stream = app
        .reporting_client()
        .await
        .export_report(ExportReportRequest {
            report: Some(report),
        })
        .await?
        .into_inner();
    let first = stream.next().await.expect("a first chunk")?;
    assert_eq!(first.content_type, "text/csv; charset=utf-8");
    let mut csv = first.chunk;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        assert!(chunk.content_type.is_empty() && chunk.file_name.is_empty());
        csv.extend(chunk.chunk);
    }
    Ok((first.file_name, csv))
}

fn records(csv: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv)
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn an_export_has_the_figures_of_the_report_and_defuses_formulas() {
    let app = TestApp::spawn().await;
    let hostile = "=HYPERLINK(\"http://example.com\",\"x\")";
    let customer = create_customer(
        &mut app.customers_client().await,
        logistics_contracts::customers::Customer {
            industry: hostile.to_owned(),
            ..enterprise("Acme Export")
        },
    )
    .await;
    order_in_status(&app, &customer.id, OrderStatus::Delivered, &[]).await;
    let mut reporting = app.reporting_client().await;
    settled(&mut reporting).await;

    let request = GetKpisRequest {
        start_date: company_day(1),
        end_date: company_day(0),
        filter: Some(KpiFilter {
            customer_id: customer.id.clone(),
            ..KpiFilter::default()
        }),
    };
    let kpis = reporting
        .get_kpis(request.clone())
        .await
        .unwrap()
        .into_inner()
        .kpis;
    let (file_name, csv) = export(&app, Report::Kpis(request)).await.unwrap();
    assert_eq!(file_name, "kpis.csv");
    let lines = records(&csv);
    assert_eq!(lines[0], ["kpi", "numerator", "denominator", "value"]);
    assert_eq!(lines.len(), kpis.len() + 1);
    for (line, kpi) in lines[1..].iter().zip(&kpis) {
        assert_eq!(format!("KPI_{}", line[0]), kpi.kpi().as_str_name());
        assert_eq!(line[1], kpi.numerator.to_string());
        assert_eq!(line[2], kpi.denominator.to_string());
        match kpi.value {
            Some(value) => assert!((line[3].parse::<f64>().unwrap() - value).abs() < 1e-6),
            None => assert_eq!(line[3], ""),
        }
    }
    let arrival = lines
        .iter()
        .find(|line| line[0] == "ON_TIME_ARRIVAL_RATE")
        .unwrap();
    assert_eq!(arrival[2], "1", "the delivery counts");

    let month = company_day(0)[..7].to_owned();
    let (_, csv) = export(
        &app,
        Report::MonthlyStatement(GetMonthlyStatementRequest {
            customer_id: customer.customer_code.clone(),
            month: month.clone(),
        }),
    )
    .await
    .unwrap();
    let lines = records(&csv);
    let shipments = lines.iter().find(|line| line[2] == "shipments").unwrap();
    assert_eq!(
        shipments[..4],
        [
            customer.id.clone(),
            month,
            "shipments".to_owned(),
            "1".to_owned()
        ]
    );

    // The industry is text from a caller: quoted, and prefixed so no spreadsheet runs it.
    let (_, csv) = export(
        &app,
        Report::Segments(SegmentCustomersRequest {
            dimensions: vec![SegmentDimension::Industry.into()],
            ..SegmentCustomersRequest::default()
        }),
    )
    .await
    .unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://example.com\"\",\"\"x\"\")\""),
        "{text}"
    );
    let lines = records(&csv);
    assert_eq!(
        lines[0],
        ["industry", "depth", "customers", "orders", "spend_fen"]
    );
    assert!(
        lines
            .iter()
            .any(|line| line[0] == format!("'{hostile}") && line[2] == "1")
    );
}

#[tokio::test]
async fn a_bad_export_names_the_fields_under_its_report() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    let refused = reporting
        .export_report(ExportReportRequest { report: None })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["report"]);
    let refused = reporting
        .export_report(ExportReportRequest {
            report: Some(Report::Kpis(GetKpisRequest {
                start_date: "2026-02-30".to_owned(),
                end_date: "\u{0}".to_owned(),
                filter: None,
            })),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["kpis.start_date", "kpis.end_date"]
    );
}

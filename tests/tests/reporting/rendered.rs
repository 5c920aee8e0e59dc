//! RenderStatement: a customer's monthly statement as HTML and as a PDF whose fonts travel with
//! it, made from the same rollups as GetMonthlyStatement.

use logistics_contracts::orders::OrderStatus;
use logistics_contracts::reporting::{RenderStatementRequest, StatementFormat};
use logistics_tests::reporting::settled;
use logistics_tests::{
    TestApp, create_customer, enterprise, order_in_status, reason, violated_fields,
};
use tonic::Code;

fn this_month() -> String {
    chrono::Utc::now()
        .with_timezone(&logistics_platform::time::company_time_zone())
        .format("%Y-%m")
        .to_string()
}

fn render(customer_id: &str, format: StatementFormat) -> RenderStatementRequest {
    RenderStatementRequest {
        customer_id: customer_id.to_owned(),
        month: this_month(),
        format: format.into(),
    }
}

#[tokio::test]
async fn a_statement_renders_as_html_and_as_a_pdf_that_carries_its_fonts() {
    let app = TestApp::spawn().await;
    let customer = create_customer(
        &mut app.customers_client().await,
        enterprise("上海 <Acme> & 华东物流"),
    )
    .await;
    order_in_status(&app, &customer.id, OrderStatus::Delivered, &[]).await;
    let mut reporting = app.reporting_client().await;
    settled(&mut reporting).await;

    let html = reporting
        .render_statement(render(&customer.customer_code, StatementFormat::Html))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(html.content_type, "text/html; charset=utf-8");
    assert_eq!(
        html.file_name,
        format!("statement-{}-{}.html", customer.customer_code, this_month())
    );
    let page = String::from_utf8(html.content).unwrap();
    assert!(page.contains(&this_month()));
    assert!(page.contains(&customer.customer_code));
    assert!(page.contains("上海"), "the name is on the page");
    assert!(!page.contains("<Acme>"), "and escaped");
    assert!(page.matches("<svg").count() >= 2, "both charts are inline");

    let pdf = reporting
        .render_statement(render(&customer.id, StatementFormat::Pdf))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.file_name.ends_with(".pdf"));
    assert!(pdf.content.starts_with(b"%PDF-"));
    let bytes = String::from_utf8_lossy(&pdf.content);
    assert!(bytes.contains("/FontFile2"), "the fonts are embedded");
    assert!(
        !bytes.contains("STSong"),
        "no font is named without being embedded"
    );
}

#[tokio::test]
async fn a_bad_render_request_is_refused_with_its_fields_and_an_unknown_customer_is_not_found() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    let refused = reporting
        .render_statement(RenderStatementRequest {
            customer_id: "\u{0}".to_owned(),
            month: "2026-13".to_owned(),
            format: i32::MAX,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        ["customer_id", "month", "format"]
    );
    let refused = reporting
        .render_statement(RenderStatementRequest {
            format: StatementFormat::Unspecified.into(),
            ..render("C999999", StatementFormat::Html)
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["format"]);
    let missing = reporting
        .render_statement(render("C999999", StatementFormat::Pdf))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(reason(&missing), "CUSTOMER_NOT_FOUND");
}

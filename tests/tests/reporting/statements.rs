//! Monthly statements: GetMonthlyStatement over what the services did for a customer this month,
//! the change from the month before, GenerateMonthlyStatements, ListStatements and GetStatement.
//!
//! No RPC creates an order in a past month, so the test travels in time the way the kit moves an
//! order's promise: it moves one customer's rollup rows a month back in reporting's schema once
//! the feeds were applied. That customer then has a closed month to generate, and the other a
//! month before that is empty.

use chrono::Utc;
use logistics_contracts::reporting::{
    GenerateMonthlyStatementsRequest, GetMonthlyStatementRequest, GetStatementRequest,
    ListStatementsRequest, MonthlyStatement, StatementFilter,
};
use logistics_tests::{TestApp, create_customer, enterprise, reason, violated_fields};
use tonic::Code;

use crate::statement_facts::{
    Expected, activity, figures_of, month_before, month_of, move_a_month_back, ready,
    statement_when,
};

#[tokio::test]
async fn a_statement_counts_what_the_services_did_for_the_customer_in_the_month() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    let facts = activity(&app, &acme.id).await;
    let month = month_of(Utc::now());
    let previous_month = month_before(&month);
    let expected = facts.expected(&month);
    let expected_before = facts.expected(&previous_month);

    let statement = statement_when(&app, &acme.customer_code, &month, ready(&expected)).await;
    assert_eq!(figures_of(&statement, false), expected, "{statement:#?}");
    assert_eq!(figures_of(&statement, true), expected_before);
    assert_eq!(statement.month, month);
    assert_eq!(statement.customer_id, acme.id);
    assert_eq!(
        statement.name,
        format!("customers/{}/statements/{month}", acme.id)
    );
    assert!(statement.id.is_empty() && statement.generate_time.is_none());
    // Computed on request: no stored statement by that name.
    let missing = app
        .reporting_client()
        .await
        .get_statement(GetStatementRequest {
            name: statement.name.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(reason(&missing), "STATEMENT_NOT_FOUND");

    // Unless the test runs in the first hours of a month, everything happened this month: three
    // orders of five pieces and 490 kg, one of two pickups in its window, one of two deliveries
    // on time, with right documents and without damage; the complaint and the proactive case.
    if expected_before == Expected::default() {
        assert_eq!((expected.shipments, expected.pieces), (3, 15));
        assert_eq!(expected.weight_grams, 1_470_000);
        assert_eq!(expected.dispatch, (1, 2));
        assert_eq!(expected.complaints, 2);
        // The change from an empty month before is the month's own figures; rates have none.
        assert_eq!(statement.shipments.as_ref().unwrap().change, 3);
        assert_eq!(statement.damage_incidents.as_ref().unwrap().change, 1);
        let dispatch = statement.on_time_dispatch_rate.unwrap();
        assert_eq!(dispatch.value, Some(0.5));
        assert_eq!((dispatch.previous_value, dispatch.change), (None, None));
    }
    let loss = statement.loss_incidents.as_ref().unwrap();
    let shortage = statement.shortage_incidents.as_ref().unwrap();
    assert_eq!((loss.value, shortage.value), (0, 0));
}

#[tokio::test]
async fn statements_are_generated_for_closed_months_listed_and_read_back() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    let beta = create_customer(&mut customers, enterprise("Beta")).await;
    let acme_facts = activity(&app, &acme.id).await;
    let beta_facts = activity(&app, &beta.id).await;
    let month = month_of(Utc::now());
    let last_month = month_before(&month);
    let (acme_now, beta_now) = (acme_facts.expected(&month), beta_facts.expected(&month));
    statement_when(&app, &acme.id, &month, ready(&acme_now)).await;
    let beta_seen = statement_when(&app, &beta.id, &month, ready(&beta_now)).await;
    assert_eq!(figures_of(&beta_seen, false), beta_now);

    // Beta's month moves a month back: last month now holds what this one held.
    move_a_month_back(&app, &beta.id).await;
    let beta_statement = statement_when(&app, &beta.id, &month, |_| true).await;
    assert_eq!(figures_of(&beta_statement, false), Expected::default());
    assert_eq!(
        figures_of(&beta_statement, true),
        beta_facts.expected(&month)
    );
    // The change against a month with figures: counts go down by last month's, and rates have
    // no value this month, so no change.
    let shipments = beta_statement.shipments.unwrap();
    assert_eq!(shipments.change, -beta_now.shipments);
    assert_eq!(beta_statement.on_time_dispatch_rate.unwrap().change, None);

    let mut reporting = app.reporting_client().await;
    // This month has not closed.
    let refused = reporting
        .generate_monthly_statements(GenerateMonthlyStatementsRequest {
            month: month.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "MONTH_NOT_CLOSED");

    let generated = reporting
        .generate_monthly_statements(GenerateMonthlyStatementsRequest {
            month: last_month.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(generated.month, last_month);
    // Beta, and Acme only if some of its facts fell in last month (a run in a month's first
    // hours).
    let acme_last_month = acme_facts.expected(&last_month) != Expected::default();
    assert_eq!(generated.generated_count, 1 + i32::from(acme_last_month));

    let list =
        |filter: StatementFilter, page_size: i32, page_token: String| ListStatementsRequest {
            filter: Some(filter),
            page_size,
            page_token,
        };
    let of_month = StatementFilter {
        month: last_month.clone(),
        ..Default::default()
    };
    let listed = reporting
        .list_statements(list(of_month.clone(), 0, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.statements.len(), generated.generated_count as usize);
    let stored = listed
        .statements
        .iter()
        .find(|statement| statement.customer_id == beta.id)
        .cloned()
        .expect("Beta's statement is listed");
    assert_eq!(figures_of(&stored, false), beta_facts.expected(&month));
    assert_eq!(
        stored.name,
        format!("customers/{}/statements/{last_month}", beta.id)
    );
    assert!(!stored.id.is_empty() && stored.generate_time.is_some());

    // Read back by id and by name.
    for name in [stored.id.clone(), stored.name.clone()] {
        let got = reporting
            .get_statement(GetStatementRequest { name })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got, stored);
    }
    // By customer code in the filter.
    let by_customer = reporting
        .list_statements(list(
            StatementFilter {
                customer_id: beta.customer_code.clone(),
                ..Default::default()
            },
            0,
            String::new(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_customer.statements, std::slice::from_ref(&stored));

    // A second generation replaces the month's statements: the same ids, no duplicates.
    let again = reporting
        .generate_monthly_statements(GenerateMonthlyStatementsRequest {
            month: last_month.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.generated_count, generated.generated_count);
    let relisted = reporting
        .list_statements(list(of_month.clone(), 0, String::new()))
        .await
        .unwrap()
        .into_inner();
    let ids = |statements: &[MonthlyStatement]| {
        statements
            .iter()
            .map(|statement| statement.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&relisted.statements), ids(&listed.statements));

    // One at a time, page by page, every stored statement comes once.
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = reporting
            .list_statements(list(StatementFilter::default(), 1, token))
            .await
            .unwrap()
            .into_inner();
        assert!(page.statements.len() <= 1);
        paged.extend(ids(&page.statements));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, ids(&relisted.statements));
    // A token replayed with another filter is refused.
    let first = reporting
        .list_statements(list(StatementFilter::default(), 1, String::new()))
        .await
        .unwrap()
        .into_inner();
    if !first.next_page_token.is_empty() {
        let refused = reporting
            .list_statements(list(of_month, 1, first.next_page_token))
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["page_token"]);
    }
}

#[tokio::test]
async fn bad_months_names_and_unknown_customers_are_refused() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    for month in [
        "",
        "2026-13",
        "2026-00",
        "1999-12",
        "10000-01",
        "2026-1",
        "2026-11-01",
        "2026\u{7}-11",
        "２０２６-11",
    ] {
        let refused = reporting
            .get_monthly_statement(GetMonthlyStatementRequest {
                customer_id: "C000001".to_owned(),
                month: month.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{month:?}");
        assert_eq!(violated_fields(&refused), ["month"], "{month:?}");
        let refused = reporting
            .generate_monthly_statements(GenerateMonthlyStatementsRequest {
                month: month.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["month"], "{month:?}");
    }
    let refused = reporting
        .get_monthly_statement(GetMonthlyStatementRequest {
            customer_id: "nobody\n".to_owned(),
            month: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["customer_id", "month"]);

    let unknown = reporting
        .get_monthly_statement(GetMonthlyStatementRequest {
            customer_id: "C999999".to_owned(),
            month: "2026-11".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(reason(&unknown), "CUSTOMER_NOT_FOUND");
    let unknown = reporting
        .list_statements(ListStatementsRequest {
            filter: Some(StatementFilter {
                customer_id: "C999999".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&unknown), "CUSTOMER_NOT_FOUND");

    let refused = reporting
        .list_statements(ListStatementsRequest {
            filter: Some(StatementFilter {
                customer_id: "x".to_owned(),
                month: "2026-1".to_owned(),
            }),
            page_size: i32::MIN,
            page_token: "not a token".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["filter.customer_id", "filter.month", "page_size"]
    );
    let refused = reporting
        .list_statements(ListStatementsRequest {
            page_size: i32::MAX,
            page_token: "not a token".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["page_token"]);

    for name in [
        "",
        "statement\u{0}",
        "customers/x/statements/2026-11",
        &"n".repeat(101),
    ] {
        let refused = reporting
            .get_statement(GetStatementRequest {
                name: name.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&refused), ["name"], "{name:?}");
    }
    let missing = reporting
        .get_statement(GetStatementRequest {
            name: uuid::Uuid::new_v4().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&missing), "STATEMENT_NOT_FOUND");
}

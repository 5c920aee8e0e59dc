//! Page tokens and request ids, end to end.

use std::collections::HashSet;

use logistics_contracts::customers::{
    CreateCustomerRequest, Customer, CustomerFilter, CustomerOrder, ListCustomersRequest,
};
use logistics_tests::{
    CustomersClient, TestApp, create_customer, individual, reason, request_id, violated_fields,
};
use tonic::Code;

async fn create_many(client: &mut CustomersClient, count: usize) -> Vec<Customer> {
    let mut created = Vec::new();
    for n in 0..count {
        // Names out of creation order, some equal, so name order and time order differ.
        let name = format!("Customer {:02}", (n * 7) % 11);
        created.push(create_customer(client, individual(&name)).await);
    }
    created
}

async fn list_all_pages(
    client: &mut CustomersClient,
    order: CustomerOrder,
    page_size: i32,
) -> Vec<Customer> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_customers(ListCustomersRequest {
                page_size,
                page_token: token,
                filter: None,
                order_by: order.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.customers.len() <= page_size as usize);
        all.extend(page.customers);
        if page.next_page_token.is_empty() {
            return all;
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn all_pages_concatenated_equal_the_full_list_in_every_order() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let created = create_many(&mut client, 23).await;

    for order in [
        CustomerOrder::CreateTimeDesc,
        CustomerOrder::CreateTimeAsc,
        CustomerOrder::DisplayNameAsc,
        CustomerOrder::CustomerCodeAsc,
    ] {
        let whole = list_all_pages(&mut client, order, 1000).await;
        assert_eq!(whole.len(), created.len(), "{order:?}");
        for page_size in [1, 5, 22, 23] {
            let paged = list_all_pages(&mut client, order, page_size).await;
            assert_eq!(paged, whole, "{order:?} in pages of {page_size}");
        }
        let mut expected = created.clone();
        match order {
            CustomerOrder::CreateTimeDesc => expected.reverse(),
            CustomerOrder::DisplayNameAsc => {
                expected.sort_by(|a, b| (&a.display_name, &a.id).cmp(&(&b.display_name, &b.id)))
            }
            _ => {}
        }
        let ids = |list: &[Customer]| list.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&whole), ids(&expected), "{order:?}");
    }
}

#[tokio::test]
async fn a_tampered_page_token_is_refused() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    create_many(&mut client, 3).await;
    let first = client
        .list_customers(ListCustomersRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut tampered = first.next_page_token.into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };

    let status = client
        .list_customers(ListCustomersRequest {
            page_size: 1,
            page_token: String::from_utf8(tampered).unwrap(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["page_token"]);
}

#[tokio::test]
async fn a_page_token_is_refused_with_another_filter_or_order() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    create_many(&mut client, 3).await;
    let token = client
        .list_customers(ListCustomersRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .next_page_token;

    for request in [
        ListCustomersRequest {
            page_token: token.clone(),
            order_by: CustomerOrder::DisplayNameAsc.into(),
            ..Default::default()
        },
        ListCustomersRequest {
            page_token: token.clone(),
            filter: Some(CustomerFilter {
                show_deleted: true,
                ..Default::default()
            }),
            ..Default::default()
        },
    ] {
        let status = client.list_customers(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["page_token"]);
    }
}

#[tokio::test]
async fn eight_concurrent_creates_with_one_request_id_make_one_customer_and_identical_answers() {
    let app = TestApp::spawn().await;
    let client = app.customers_client().await;
    let request = CreateCustomerRequest {
        customer: Some(individual("Only Once")),
        request_id: request_id(),
    };

    let calls = (0..8).map(|_| {
        let mut client = client.clone();
        let request = request.clone();
        tokio::spawn(async move { client.create_customer(request).await })
    });
    let answers: Vec<Customer> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap().into_inner())
        .collect();

    assert!(answers.iter().all(|answer| *answer == answers[0]));
    let pool = app.schema_pool("customers").await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM customers")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(events, 1, "one create, one change event");
}

#[tokio::test]
async fn a_request_id_reused_for_another_request_is_refused() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let id = request_id();
    client
        .create_customer(CreateCustomerRequest {
            customer: Some(individual("First")),
            request_id: id.clone(),
        })
        .await
        .unwrap();

    let status = client
        .create_customer(CreateCustomerRequest {
            customer: Some(individual("Second")),
            request_id: id,
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(violated_fields(&status), ["request_id"]);
}

#[tokio::test]
async fn request_ids_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let mut admin = app.customers_client().await;
    let mut writer = app.customers_client_with(&app.keys.customers_writer).await;
    let request = CreateCustomerRequest {
        customer: Some(individual("Same Id")),
        request_id: request_id(),
    };

    let by_admin = admin
        .create_customer(request.clone())
        .await
        .unwrap()
        .into_inner();
    let by_writer = writer.create_customer(request).await.unwrap().into_inner();

    let ids: HashSet<_> = [by_admin.id, by_writer.id].into();
    assert_eq!(ids.len(), 2, "two callers, two customers");
}

//! The interaction log: logging, validation, filters and pages.

use super::*;

#[tokio::test]
async fn logged_interactions_are_listed_newest_first_and_filter_by_customer_agent_channel_and_time()
{
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    let beta = f.customer(enterprise("Beta")).await;
    let older = f
        .log(Interaction {
            occur_time: hours_ago(3),
            ..phone_call(&acme.id, "older call")
        })
        .await;
    let newer = f
        .log(Interaction {
            occur_time: hours_ago(1),
            channel: InteractionChannel::Email.into(),
            agent: "qian.li".to_owned(),
            ..phone_call(&acme.id, "newer mail")
        })
        .await;
    let now = f.log(phone_call(&beta.id, "default time")).await;
    assert!(uuid::Uuid::parse_str(&older.id).is_ok());
    assert!(now.occur_time.is_some(), "occur_time defaults to now");
    assert_eq!(older.subject, "older call");

    let subjects = |filter: InteractionFilter| {
        let mut client = f.engagement.clone();
        async move {
            client
                .list_interactions(ListInteractionsRequest {
                    filter: Some(filter),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .interactions
                .into_iter()
                .map(|i| i.subject)
                .collect::<Vec<_>>()
        }
    };
    let all = subjects(InteractionFilter::default()).await;
    assert_eq!(all, ["default time", "newer mail", "older call"]);
    let by_customer = InteractionFilter {
        customer_id: acme.id.clone(),
        ..Default::default()
    };
    assert_eq!(subjects(by_customer).await, ["newer mail", "older call"]);
    let by_agent = InteractionFilter {
        agent: "qian.li".to_owned(),
        ..Default::default()
    };
    assert_eq!(subjects(by_agent).await, ["newer mail"]);
    let by_channel = InteractionFilter {
        channel: InteractionChannel::Phone.into(),
        ..Default::default()
    };
    assert_eq!(subjects(by_channel).await, ["default time", "older call"]);
    let by_time = InteractionFilter {
        start_time: older.occur_time,
        end_time: newer.occur_time,
        ..Default::default()
    };
    assert_eq!(subjects(by_time).await, ["older call"], "start in, end out");
}

#[tokio::test]
async fn logging_an_interaction_with_bad_fields_names_every_one_of_them() {
    let mut f = Fixture::start().await;
    let status = f
        .engagement
        .log_interaction(LogInteractionRequest {
            interaction: Some(Interaction {
                customer_id: "C000001".to_owned(),
                channel: 0,
                direction: 7,
                subject: " ".to_owned(),
                summary: "x".repeat(4001),
                agent: "a".repeat(101),
                occur_time: in_hours(1),
                ..Default::default()
            }),
            request_id: "again-not-a-uuid".to_owned(),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "INVALID_FIELDS");
    assert_eq!(
        sorted(violated_fields(&status)),
        [
            "interaction.agent",
            "interaction.channel",
            "interaction.customer_id",
            "interaction.direction",
            "interaction.occur_time",
            "interaction.subject",
            "interaction.summary",
            "request_id",
        ]
    );
    let missing = f
        .engagement
        .log_interaction(LogInteractionRequest {
            interaction: None,
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&missing), ["interaction"]);
}

#[tokio::test]
async fn interaction_pages_concatenate_to_the_whole_list_and_tokens_are_bound_to_the_filter() {
    let mut f = Fixture::start().await;
    let acme = f.customer(enterprise("Acme")).await;
    // Several share an occur_time, so the id must break ties.
    let base = SystemTime::now();
    for n in 0..13u32 {
        f.log(Interaction {
            occur_time: Some(Timestamp::from(base - HOUR * (n % 4 + 1))),
            ..phone_call(&acme.id, &format!("call {n}"))
        })
        .await;
    }
    let page = |page_size: i32, page_token: String| ListInteractionsRequest {
        page_size,
        page_token,
        filter: Some(InteractionFilter {
            customer_id: acme.id.clone(),
            ..Default::default()
        }),
    };
    let whole = f
        .engagement
        .list_interactions(page(1000, String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(whole.interactions.len(), 13);
    assert!(whole.next_page_token.is_empty());
    for page_size in [1, 4, 12] {
        let mut all = Vec::new();
        let mut token = String::new();
        loop {
            let response = f
                .engagement
                .list_interactions(page(page_size, token))
                .await
                .unwrap()
                .into_inner();
            assert!(response.interactions.len() <= page_size as usize);
            all.extend(response.interactions);
            if response.next_page_token.is_empty() {
                break;
            }
            token = response.next_page_token;
        }
        assert_eq!(all, whole.interactions, "pages of {page_size}");
    }

    let token = f
        .engagement
        .list_interactions(page(2, String::new()))
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    let status = f
        .engagement
        .list_interactions(ListInteractionsRequest {
            page_size: 2,
            page_token: token,
            filter: None,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page_token"]);
    let status = f
        .engagement
        .list_interactions(ListInteractionsRequest {
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page_size"]);
}

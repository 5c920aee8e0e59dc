//! SegmentCustomers over customers, orders and a churned customer the test makes itself through
//! the customers and orders services' public RPCs. Its regions and industries are unique to the
//! test, so other data in the same database never enters its figures.

use std::collections::BTreeMap;
use std::time::Duration;

use logistics_contracts::customers::{
    Customer, CustomerKind, CustomerStatus, CustomerTier, DeleteCustomerRequest,
    GetCustomerRequest, GovernmentLevel, RecordActivityRequest, RunLifecycleSweepRequest,
    SetGovernmentLevelRequest,
};
use logistics_contracts::orders::CancelOrderRequest;
use logistics_contracts::reporting::{
    CustomerSegment, CustomerSegmentKey, SegmentCustomersRequest, SegmentDimension,
};
use logistics_platform::time::timestamp;
use logistics_tests::orders::{cny, place_order, road_order};
use logistics_tests::reporting::ReportingClient;
use logistics_tests::{TestApp, create_customer, enterprise, individual, violated_fields};
use tonic::Code;

/// A code unique to this run, upper-case as region codes must be.
fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("{prefix}-{}", &id[..8])
}

/// What the test knows of one customer it made: its dimensions as the customers service
/// answers them, and its spend from the orders it placed and did not cancel.
#[derive(Debug, Clone)]
struct Known {
    customer: Customer,
    orders: i64,
    spend: i64,
}

/// Which key a segment of `dimensions` puts `known` in.
fn key_of(known: &Known, dimensions: &[SegmentDimension]) -> CustomerSegmentKey {
    let c = &known.customer;
    let mut key = CustomerSegmentKey::default();
    for dimension in dimensions {
        match dimension {
            SegmentDimension::Kind => key.kind = Some(c.kind),
            SegmentDimension::Role => key.role = Some(c.role),
            SegmentDimension::Tier => key.tier = Some(c.tier),
            SegmentDimension::ValueClass => key.value_class = Some(c.value_class),
            SegmentDimension::Industry => key.industry = Some(c.industry.clone()),
            SegmentDimension::Region => key.region_code = Some(c.region_code.clone()),
            SegmentDimension::Status => key.status = Some(c.status),
            SegmentDimension::Unspecified => unreachable!(),
        }
    }
    key
}

/// (customers, orders, spend) per key, computed here from what the test made.
type Figures = BTreeMap<String, (i64, i64, i64)>;

fn expected(known: &[&Known], dimensions: &[SegmentDimension], depth: usize) -> Figures {
    let mut figures = Figures::new();
    for known in known {
        let key = format!("{:?}", key_of(known, &dimensions[..depth]));
        let sums = figures.entry(key).or_default();
        *sums = (sums.0 + 1, sums.1 + known.orders, sums.2 + known.spend);
    }
    figures
}

/// The segments of `depth` in `segments`, as the figures above.
fn answered(segments: &[CustomerSegment], depth: i32) -> Figures {
    segments
        .iter()
        .filter(|segment| segment.depth == depth)
        .map(|segment| {
            let spend = segment.spend.as_ref().unwrap();
            assert_eq!(spend.currency_code, "CNY");
            (
                format!("{:?}", segment.key.clone().unwrap()),
                (
                    segment.customer_count,
                    segment.order_count,
                    spend.amount_minor,
                ),
            )
        })
        .collect()
}

/// Every page of `request`, `page_size` rows at a time.
async fn all_pages(
    reporting: &mut ReportingClient,
    mut request: SegmentCustomersRequest,
) -> Vec<CustomerSegment> {
    let mut segments = Vec::new();
    loop {
        let page = reporting
            .segment_customers(request.clone())
            .await
            .unwrap()
            .into_inner();
        segments.extend(page.segments);
        if page.next_page_token.is_empty() {
            return segments;
        }
        request.page_token = page.next_page_token;
    }
}

fn request(
    dimensions: &[SegmentDimension],
    filter: CustomerSegmentKey,
    include_subtotals: bool,
) -> SegmentCustomersRequest {
    SegmentCustomersRequest {
        dimensions: dimensions.iter().map(|d| *d as i32).collect(),
        filter: Some(filter),
        include_subtotals,
        page_size: 0,
        page_token: String::new(),
    }
}

#[tokio::test]
async fn segments_count_customers_and_their_spend_by_dimension_and_drill_down() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let mut orders = app.orders_client().await;
    let (north, south) = (unique("SEGN"), unique("SEGS"));
    let (tiles, chips) = (unique("tiles"), unique("chips"));
    let make = |name: &str, base: Customer, industry: &str, region: &str| Customer {
        display_name: name.to_owned(),
        industry: industry.to_owned(),
        region_code: region.to_owned(),
        ..base
    };
    let acme = create_customer(&mut customers, make("Acme", enterprise(""), &tiles, &north)).await;
    let bolt = create_customer(&mut customers, make("Bolt", enterprise(""), &chips, &north)).await;
    let cato = create_customer(&mut customers, make("Cato", enterprise(""), &tiles, &south)).await;
    let dong = create_customer(&mut customers, make("Dong", individual(""), "", &north)).await;
    let gone = create_customer(&mut customers, make("Gone", individual(""), "", &north)).await;
    let city = Customer {
        kind: CustomerKind::Government.into(),
        ..make("City", individual(""), &tiles, &south)
    };
    let city = create_customer(&mut customers, city).await;
    // Graded by staff: the tier and value class reach reporting as customer.tier_changed.
    customers
        .set_government_level(SetGovernmentLevelRequest {
            id: city.id.clone(),
            level: GovernmentLevel::A.into(),
            reason: "national body".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();

    // Orders: Acme three (one cancelled), Cato one, Dong one; Bolt, Gone and City none.
    let mut spend: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for customer in [&acme, &acme, &acme, &cato, &dong] {
        let order = place_order(&mut orders, road_order(&customer.id)).await;
        let price = order.quote.unwrap().price.unwrap();
        assert_eq!(price.currency_code, "CNY");
        assert!(price.amount_minor > 0);
        let sums = spend.entry(customer.id.clone()).or_default();
        if customer.id == acme.id && sums.0 == 2 {
            orders
                .cancel_order(CancelOrderRequest {
                    id: order.id,
                    reason: "ordered twice".to_owned(),
                    etag: String::new(),
                })
                .await
                .unwrap();
            continue;
        }
        *sums = (sums.0 + 1, sums.1 + price.amount_minor);
    }

    // A northern customer deleted before the sweep (the feed's order): never counted.
    let ghost = create_customer(
        &mut customers,
        make("Ghost", enterprise(""), &tiles, &north),
    )
    .await;
    customers
        .delete_customer(DeleteCustomerRequest {
            id: ghost.id,
            etag: String::new(),
        })
        .await
        .unwrap();

    // Gone shipped 200 days ago and nothing since: the sweep churns it.
    customers
        .record_activity(RecordActivityRequest {
            customer_id: gone.id.clone(),
            activity_id: "old-shipment".to_owned(),
            occur_time: Some(timestamp(chrono::Utc::now() - chrono::Duration::days(200))),
            spend: Some(cny(10_000)),
        })
        .await
        .unwrap();
    customers
        .run_lifecycle_sweep(RunLifecycleSweepRequest {})
        .await
        .unwrap();

    // Wait until reporting has followed both feeds this far: every dimension of every customer
    // the test made, as the customers service answers it (tier and status are its own, and it
    // activates a customer on its first order from its own follower, so it is read again each
    // time), and its spend as the test counted it.
    let mut reporting = app.reporting_client().await;
    let every_dimension = [
        SegmentDimension::Region,
        SegmentDimension::Kind,
        SegmentDimension::Role,
        SegmentDimension::Tier,
        SegmentDimension::ValueClass,
        SegmentDimension::Industry,
        SegmentDimension::Status,
    ];
    let made = [&acme, &bolt, &cato, &dong, &gone, &city];
    let (mut known, mut settled) = (Vec::new(), Figures::new());
    for _ in 0..200 {
        known.clear();
        for customer in made {
            let customer = customers
                .get_customer(GetCustomerRequest {
                    id: customer.id.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            let (orders, spend) = spend.get(&customer.id).copied().unwrap_or_default();
            known.push(Known {
                customer,
                orders,
                spend,
            });
        }
        settled = Figures::new();
        for region in [&north, &south] {
            let only = CustomerSegmentKey {
                region_code: Some(region.clone()),
                ..Default::default()
            };
            let rows = all_pages(&mut reporting, request(&every_dimension, only, false)).await;
            settled.extend(answered(&rows, 7));
        }
        // The customers service is done too once each customer with an order is ACTIVE.
        let activated = [0, 2, 3]
            .iter()
            .all(|&at| known[at].customer.status() == CustomerStatus::Active);
        if activated && settled == expected(&known.iter().collect::<Vec<_>>(), &every_dimension, 7)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let everyone: Vec<&Known> = known.iter().collect();
    assert_eq!(settled, expected(&everyone, &every_dimension, 7));
    assert_eq!(known[3].customer.status(), CustomerStatus::Active);
    assert_eq!(known[4].customer.status(), CustomerStatus::Churned);
    assert_eq!(known[5].customer.tier(), CustomerTier::GovernmentA);
    let in_region = |region: &str| {
        known
            .iter()
            .filter(|k| k.customer.region_code == region)
            .collect::<Vec<_>>()
    };

    // Kind, then industry, in the north, with subtotals.
    let dimensions = [SegmentDimension::Kind, SegmentDimension::Industry];
    let north_only = CustomerSegmentKey {
        region_code: Some(north.clone()),
        ..Default::default()
    };
    let northern = in_region(&north);
    let segments = all_pages(
        &mut reporting,
        request(&dimensions, north_only.clone(), true),
    )
    .await;
    for depth in 0..=2 {
        assert_eq!(
            answered(&segments, depth as i32),
            expected(&northern, &dimensions, depth),
            "depth {depth}: {segments:#?}"
        );
    }
    // Four northern customers: Acme's two orders kept, Dong's one; the cancelled one is gone.
    let total = &segments[0];
    assert_eq!((total.depth, total.customer_count), (0, 4));
    assert_eq!(total.order_count, 3);
    // Coarse to fine, and within a depth by spend, largest first.
    for pair in segments.windows(2) {
        let spend = |s: &CustomerSegment| s.spend.as_ref().unwrap().amount_minor;
        assert!(
            pair[0].depth < pair[1].depth
                || (pair[0].depth == pair[1].depth && spend(&pair[0]) >= spend(&pair[1])),
            "{pair:#?}"
        );
    }

    // Drill down: the northern enterprises by industry, without subtotals.
    let enterprises = CustomerSegmentKey {
        kind: Some(CustomerKind::Enterprise.into()),
        ..north_only.clone()
    };
    let drilled = reporting
        .segment_customers(request(&[SegmentDimension::Industry], enterprises, false))
        .await
        .unwrap()
        .into_inner()
        .segments;
    let northern_enterprises: Vec<_> = northern
        .iter()
        .copied()
        .filter(|k| k.customer.kind() == CustomerKind::Enterprise)
        .collect();
    assert_eq!(
        answered(&drilled, 1),
        expected(&northern_enterprises, &[SegmentDimension::Industry], 1)
    );
    assert_eq!(drilled.len(), 2, "tiles and chips: {drilled:#?}");

    // Status in the north: the churned customer is a segment of its own.
    let by_status = reporting
        .segment_customers(request(&[SegmentDimension::Status], north_only, false))
        .await
        .unwrap()
        .into_inner()
        .segments;
    let churned = by_status
        .iter()
        .find(|s| s.key.as_ref().unwrap().status == Some(CustomerStatus::Churned.into()))
        .expect("a CHURNED segment");
    assert_eq!((churned.customer_count, churned.order_count), (1, 0));
    assert_eq!(
        answered(&by_status, 1),
        expected(&northern, &[SegmentDimension::Status], 1)
    );

    // Several dimensions together over every customer, one row a page: the test's regions'
    // rows are what it made, whatever else the database holds.
    let all = [
        SegmentDimension::Region,
        SegmentDimension::Kind,
        SegmentDimension::Tier,
        SegmentDimension::ValueClass,
    ];
    let mut paged = request(&all, CustomerSegmentKey::default(), false);
    paged.page_size = 1;
    let rows = all_pages(&mut reporting, paged.clone()).await;
    paged.page_size = 1000;
    let whole = reporting
        .segment_customers(paged)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rows, whole.segments,
        "one row a page or all at once: the same rows"
    );
    assert!(whole.next_page_token.is_empty());
    let mine: Vec<CustomerSegment> = rows
        .into_iter()
        .filter(|s| {
            let region = s.key.as_ref().unwrap().region_code.clone().unwrap();
            region == north || region == south
        })
        .collect();
    assert_eq!(answered(&mine, 4), expected(&everyone, &all, 4));
}

#[tokio::test]
async fn bad_dimensions_filters_and_pages_are_refused_with_every_field_named() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    let refused = |request: SegmentCustomersRequest| {
        let mut reporting = reporting.clone();
        async move {
            let status = reporting.segment_customers(request).await.unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
            violated_fields(&status)
        }
    };
    let kind = [SegmentDimension::Kind];

    assert_eq!(
        refused(request(&[], CustomerSegmentKey::default(), false)).await,
        ["dimensions"]
    );
    let mut odd = request(&kind, CustomerSegmentKey::default(), false);
    odd.dimensions = vec![
        0,
        SegmentDimension::Kind as i32,
        2,
        SegmentDimension::Kind as i32,
        99,
    ];
    assert_eq!(
        refused(odd).await,
        ["dimensions[0]", "dimensions[4]", "dimensions[3]"]
    );
    let mut too_many = request(&kind, CustomerSegmentKey::default(), false);
    too_many.dimensions = vec![1; 100_000];
    assert_eq!(refused(too_many).await, ["dimensions"]);

    let bad_filter = CustomerSegmentKey {
        kind: Some(42),
        tier: Some(i32::MIN),
        status: Some(i32::MAX),
        industry: Some("tiles\u{7}".to_owned()),
        region_code: Some("X".repeat(17)),
        ..Default::default()
    };
    let mut bad = request(&kind, bad_filter, false);
    bad.page_size = i32::MIN;
    let mut fields = refused(bad).await;
    fields.sort();
    assert_eq!(
        fields,
        [
            "filter.industry",
            "filter.kind",
            "filter.region_code",
            "filter.status",
            "filter.tier",
            "page_size"
        ]
    );
    let long_industry = CustomerSegmentKey {
        industry: Some("x".repeat(101)),
        ..Default::default()
    };
    assert_eq!(
        refused(request(&kind, long_industry, false)).await,
        ["filter.industry"]
    );

    let mut forged = request(&kind, CustomerSegmentKey::default(), false);
    forged.page_token = "bm90IGEgdG9rZW4".to_owned();
    assert_eq!(refused(forged).await, ["page_token"]);

    // At the bounds: the largest page, every dimension once, an empty result.
    let mut widest = request(
        &[
            SegmentDimension::Kind,
            SegmentDimension::Role,
            SegmentDimension::Tier,
            SegmentDimension::ValueClass,
            SegmentDimension::Industry,
            SegmentDimension::Region,
            SegmentDimension::Status,
        ],
        CustomerSegmentKey {
            region_code: Some("X".repeat(16)),
            industry: Some(String::new()),
            ..Default::default()
        },
        true,
    );
    widest.page_size = i32::MAX;
    let empty = reporting
        .segment_customers(widest)
        .await
        .unwrap()
        .into_inner();
    // With subtotals the total is there even over no customer.
    assert_eq!(empty.segments.len(), 1, "{empty:#?}");
    assert_eq!(empty.segments[0].depth, 0);
    assert_eq!(empty.segments[0].customer_count, 0);
}

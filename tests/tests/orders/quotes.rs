//! QuoteService end to end against real PostgreSQL: quotes by mode and zone, chargeable weight,
//! the versioned rate card and its scopes.

use std::collections::HashMap;

use logistics_contracts::common::{Address, Money, TransportMode};
use logistics_contracts::orders::{
    CargoLine, GetRateCardRequest, Lane, Quote, QuoteShipmentRequest, RateCard,
    UpdateRateCardRequest,
};
use logistics_tests::{QuotesClient, TestApp, reason, violated_fields};
use prost_types::Timestamp;
use tonic::Code;
use tonic_types::StatusExt as _;

const SHANGHAI_PUDONG: &str = "310115";
const SHENZHEN: &str = "440305";
const WUHAN: &str = "420100";

fn at_region(region_code: &str) -> Option<Address> {
    Some(Address {
        region_code: region_code.to_owned(),
        ..Default::default()
    })
}

fn cargo(weight_grams: i64, volume_cm3: i64) -> CargoLine {
    CargoLine {
        description: "Cartons of LED lamps".to_owned(),
        pieces: 3,
        weight_grams,
        volume_cm3,
        ..Default::default()
    }
}

fn tomorrow() -> Timestamp {
    Timestamp {
        seconds: chrono::Utc::now().timestamp() + 24 * 3600,
        nanos: 0,
    }
}

fn shipment(
    mode: TransportMode,
    from: &str,
    to: &str,
    lines: Vec<CargoLine>,
) -> QuoteShipmentRequest {
    QuoteShipmentRequest {
        mode: mode.into(),
        origin: at_region(from),
        destination: at_region(to),
        cargo: lines,
        pickup_time: Some(tomorrow()),
        priority_transport: false,
    }
}

async fn quote(client: &mut QuotesClient, request: QuoteShipmentRequest) -> Quote {
    client
        .quote_shipment(request)
        .await
        .expect("a quote")
        .into_inner()
}

async fn current_card(client: &mut QuotesClient) -> RateCard {
    client
        .get_rate_card(GetRateCardRequest::default())
        .await
        .expect("the rate card")
        .into_inner()
}

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        currency_code: "CNY".to_owned(),
        amount_minor: fen,
    })
}

fn price(quote: &Quote) -> i64 {
    quote.price.as_ref().expect("a price").amount_minor
}

#[tokio::test]
async fn quotes_are_priced_by_mode_and_by_the_zones_of_the_region_codes() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;
    let pickup = tomorrow();

    // 20 kg, volume unknown: (mode, from, to) -> (zones, price fen, transit hours)
    let cases = [
        (
            TransportMode::Road,
            SHANGHAI_PUDONG,
            SHENZHEN,
            ("East", "South"),
            7_500,
            48,
        ),
        (
            TransportMode::Road,
            SHANGHAI_PUDONG,
            "320100",
            ("East", "East"),
            3_900,
            24,
        ),
        (
            TransportMode::Road,
            "CN-SH",
            "CN-GD",
            ("East", "South"),
            7_500,
            48,
        ),
        (
            TransportMode::Road,
            SHANGHAI_PUDONG,
            "810000",
            ("East", "Remote"),
            15_000,
            120,
        ),
        (
            TransportMode::Air,
            SHANGHAI_PUDONG,
            SHENZHEN,
            ("East", "South"),
            23_000,
            24,
        ),
        (
            TransportMode::Rail,
            SHANGHAI_PUDONG,
            WUHAN,
            ("East", "Central"),
            6_000,
            72,
        ),
        (
            TransportMode::Sea,
            SHANGHAI_PUDONG,
            SHENZHEN,
            ("East", "South"),
            30_000,
            168,
        ),
    ];
    for (mode, from, to, zones, fen, hours) in cases {
        let mut request = shipment(mode, from, to, vec![cargo(20_000, 0)]);
        request.pickup_time = Some(pickup);
        let answer = quote(&mut client, request).await;
        let case = format!("{mode:?} {from} -> {to}");
        assert_eq!(
            (
                answer.origin_zone.as_str(),
                answer.destination_zone.as_str()
            ),
            zones,
            "{case}"
        );
        assert_eq!(price(&answer), fen, "{case}");
        assert_eq!(answer.price.as_ref().unwrap().currency_code, "CNY");
        assert_eq!(answer.transit_hours, hours, "{case}");
        assert_eq!(answer.rate_card_version, 1);
        assert_eq!(
            answer.promised_delivery_time.unwrap().seconds,
            pickup.seconds + i64::from(hours) * 3600,
            "{case}"
        );
    }
}

#[tokio::test]
async fn the_promise_is_the_pickup_time_plus_the_transit_time_shorter_with_priority() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;
    let pickup = tomorrow();

    let mut request = shipment(
        TransportMode::Road,
        SHANGHAI_PUDONG,
        SHENZHEN,
        vec![cargo(1_000, 0)],
    );
    request.pickup_time = Some(pickup);
    let plain = quote(&mut client, request.clone()).await;
    assert_eq!(
        plain.promised_delivery_time.unwrap().seconds,
        pickup.seconds + 48 * 3600
    );

    request.priority_transport = true;
    let priority = quote(&mut client, request.clone()).await;
    assert_eq!(priority.transit_hours, 36);
    assert_eq!(
        priority.promised_delivery_time.unwrap().seconds,
        pickup.seconds + 36 * 3600
    );
    assert_eq!(
        price(&priority),
        price(&plain),
        "priority costs nothing extra by default"
    );

    request.cargo[0].dangerous_goods = true;
    request.cargo[0].un_number = "UN1263".to_owned();
    let dangerous = quote(&mut client, request).await;
    assert_eq!(price(&dangerous), price(&plain) * 13 / 10);
}

#[tokio::test]
async fn volumetric_weight_beats_actual_weight_for_light_bulky_air_cargo() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;

    // 2 kg of pillows in 0.12 m3.
    let bulky = vec![cargo(2_000, 120_000)];
    let by_air = quote(
        &mut client,
        shipment(TransportMode::Air, SHANGHAI_PUDONG, SHENZHEN, bulky.clone()),
    )
    .await;
    assert_eq!(by_air.actual_weight_grams, 2_000);
    assert_eq!(by_air.volumetric_weight_grams, 20_000);
    assert_eq!(by_air.chargeable_weight_grams, 20_000);
    assert_eq!(price(&by_air), 3_000 + 40 * 500);

    let by_road = quote(
        &mut client,
        shipment(TransportMode::Road, SHANGHAI_PUDONG, SHENZHEN, bulky),
    )
    .await;
    assert_eq!(by_road.volumetric_weight_grams, 40_000);
    assert_eq!(by_road.chargeable_weight_grams, 40_000);

    // 30 kg of steel bolts in the same box: actual weight wins.
    let dense = quote(
        &mut client,
        shipment(
            TransportMode::Air,
            SHANGHAI_PUDONG,
            SHENZHEN,
            vec![cargo(30_000, 120_000)],
        ),
    )
    .await;
    assert_eq!(dense.chargeable_weight_grams, 30_000);
}

#[tokio::test]
async fn sea_freight_to_an_inland_zone_is_refused_as_having_no_lane() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;

    let status = client
        .quote_shipment(shipment(
            TransportMode::Sea,
            SHANGHAI_PUDONG,
            WUHAN,
            vec![cargo(1_000, 0)],
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "NO_LANE");
    let details = status.get_error_details();
    let metadata: &HashMap<String, String> = &details.error_info().unwrap().metadata;
    assert_eq!(metadata["mode"], "SEA");
    assert_eq!(metadata["origin_zone"], "East");
    assert_eq!(metadata["destination_zone"], "Central");
}

#[tokio::test]
async fn every_bad_field_of_a_quote_request_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;

    let request = QuoteShipmentRequest {
        mode: TransportMode::Unspecified.into(),
        origin: None,
        destination: at_region("cn-gd"),
        cargo: vec![
            CargoLine {
                pieces: 0,
                weight_grams: 0,
                volume_cm3: -1,
                ..cargo(1, 0)
            },
            CargoLine {
                description: " ".to_owned(),
                dangerous_goods: true,
                declared_value: Some(Money {
                    currency_code: "USD".to_owned(),
                    amount_minor: -5,
                }),
                ..cargo(1_000, 0)
            },
        ],
        pickup_time: Some(Timestamp {
            seconds: chrono::Utc::now().timestamp() + 365 * 24 * 3600,
            nanos: 0,
        }),
        priority_transport: false,
    };
    let status = client.quote_shipment(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "mode",
            "origin",
            "destination.region_code",
            "cargo[0].pieces",
            "cargo[0].weight_grams",
            "cargo[0].volume_cm3",
            "cargo[1].description",
            "cargo[1].declared_value.currency_code",
            "cargo[1].declared_value.amount_minor",
            "cargo[1].un_number",
            "pickup_time",
        ]
    );

    let too_many = shipment(
        TransportMode::Road,
        SHANGHAI_PUDONG,
        SHENZHEN,
        vec![cargo(1_000, 0); 101],
    );
    let status = client.quote_shipment(too_many).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["cargo"]);
}

#[tokio::test]
async fn updating_the_rate_card_bumps_the_version_and_a_stale_update_is_aborted() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;
    let first = current_card(&mut client).await;
    assert_eq!((first.version, first.etag.as_str()), (1, "v1"));
    assert_eq!(first.created_by, "defaults");

    // Air gets a lighter divisor: 5000 cm3 per kg.
    let mut card = first.clone();
    for terms in card.modes.iter_mut() {
        if terms.mode == i32::from(TransportMode::Air) {
            terms.volumetric_divisor_cm3_per_kg = 5_000;
        }
    }
    let second = client
        .update_rate_card(UpdateRateCardRequest {
            rate_card: Some(card.clone()),
            reason: "IATA divisor for our express product".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((second.version, second.etag.as_str()), (2, "v2"));
    assert_eq!(second.created_by, "admin");
    assert_eq!(second.change_reason, "IATA divisor for our express product");
    assert_eq!(second.modes, card.modes);
    assert_eq!(current_card(&mut client).await, second);

    let answer = quote(
        &mut client,
        shipment(
            TransportMode::Air,
            SHANGHAI_PUDONG,
            SHENZHEN,
            vec![cargo(1_000, 60_000)],
        ),
    )
    .await;
    assert_eq!(answer.rate_card_version, 2);
    assert_eq!(answer.volumetric_weight_grams, 12_000);

    // Someone still holding version 1 is refused, and nothing changes.
    let status = client
        .update_rate_card(UpdateRateCardRequest {
            rate_card: Some(first.clone()),
            reason: "back to the defaults".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Aborted);
    assert_eq!(reason(&status), "ETAG_MISMATCH");
    assert_eq!(current_card(&mut client).await.version, 2);
}

#[tokio::test]
async fn of_two_concurrent_updates_of_one_version_one_wins_and_the_other_is_aborted() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;
    let first = current_card(&mut client).await;
    let updater = client.clone();
    let pool = app.schema_pool("orders").await;

    let update = |percent: i32| {
        let mut client = updater.clone();
        let mut card = first.clone();
        card.dangerous_goods_surcharge_percent = percent;
        async move {
            client
                .update_rate_card(UpdateRateCardRequest {
                    rate_card: Some(card),
                    reason: format!("dangerous goods at {percent}%"),
                })
                .await
        }
    };
    for round in 0..5 {
        let (a, b) = tokio::join!(update(40 + round), update(60 + round));
        let outcomes = [a, b];
        let won = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(won, 1, "round {round}: {outcomes:?}");
        let lost = outcomes.iter().find_map(|o| o.as_ref().err()).unwrap();
        assert_eq!(lost.code(), Code::Aborted, "{lost:?}");
        assert_eq!(current_card(&mut client).await.version, 2);
        if round < 4 {
            // Start the next round from version 1 again: a fresh app would be slow, so undo.
            sqlx::query("DELETE FROM rate_cards WHERE version > 1")
                .execute(&pool)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn get_rate_card_returns_an_old_version_as_it_was() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;
    let first = current_card(&mut client).await;
    let mut card = first.clone();
    card.lanes
        .retain(|lane| lane.mode != i32::from(TransportMode::Sea));
    card.fallback_zone = "Overseas".to_owned();
    for lane in card.lanes.iter_mut() {
        if lane.destination_zone == "Remote" {
            lane.destination_zone = "Overseas".to_owned();
        }
    }
    client
        .update_rate_card(UpdateRateCardRequest {
            rate_card: Some(card),
            reason: "no more coastal shipping".to_owned(),
        })
        .await
        .unwrap();

    let old = client
        .get_rate_card(GetRateCardRequest { version: 1 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(old, first);
    assert_eq!(current_card(&mut client).await.fallback_zone, "Overseas");

    let status = client
        .get_rate_card(GetRateCardRequest { version: 3 })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "RATE_CARD_VERSION_NOT_FOUND");
    let status = client
        .get_rate_card(GetRateCardRequest { version: -1 })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["version"]);

    let status = client
        .quote_shipment(shipment(
            TransportMode::Sea,
            SHANGHAI_PUDONG,
            SHENZHEN,
            vec![cargo(1_000, 0)],
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "NO_LANE");
}

#[tokio::test]
async fn every_bad_field_of_a_rate_card_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;
    let mut card = current_card(&mut client).await;
    card.zones[0].name = "East".to_owned(); // zones[2] is East too: reported there
    card.zones[1]
        .region_prefixes
        .push("not a prefix".to_owned());
    card.fallback_zone = String::new();
    card.modes[0].volumetric_divisor_cm3_per_kg = 0;
    card.lanes[0].mode = TransportMode::Unspecified.into();
    card.lanes[1].origin_zone = "Atlantis".to_owned();
    card.lanes[2].base_fee = None;
    card.lanes[3].minimum_charge = cny(-1);
    card.lanes[4].transit_hours = 0;
    card.priority_transit_cut_percent = 100;

    let status = client
        .update_rate_card(UpdateRateCardRequest {
            rate_card: Some(card),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields = violated_fields(&status);
    for field in [
        "reason",
        "rate_card.lanes[0].mode",
        "rate_card.lanes[2].base_fee",
        "rate_card.zones[2].name",
        "rate_card.zones[1].region_prefixes[6]",
        "rate_card.fallback_zone",
        "rate_card.modes[0].volumetric_divisor_cm3_per_kg",
        "rate_card.lanes[1].origin_zone",
        "rate_card.lanes[3].minimum_charge",
        "rate_card.lanes[4].transit_hours",
        "rate_card.priority_transit_cut_percent",
    ] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }
    assert_eq!(current_card(&mut client).await.version, 1);
}

#[tokio::test]
async fn an_orders_reader_can_quote_and_read_the_card_but_not_update_it() {
    let app = TestApp::spawn().await;
    let mut reader = app.orders_quotes_client_with(&app.keys.orders_reader).await;
    let mut outsider = app
        .orders_quotes_client_with(&app.keys.customers_reader)
        .await;
    let request = shipment(
        TransportMode::Road,
        SHANGHAI_PUDONG,
        SHENZHEN,
        vec![cargo(1_000, 0)],
    );

    reader.quote_shipment(request.clone()).await.unwrap();
    let card = current_card(&mut reader).await;
    let update = UpdateRateCardRequest {
        rate_card: Some(card),
        reason: "a reader tries".to_owned(),
    };
    let denied = [
        reader.update_rate_card(update.clone()).await.unwrap_err(),
        outsider.quote_shipment(request).await.unwrap_err(),
        outsider
            .get_rate_card(GetRateCardRequest::default())
            .await
            .unwrap_err(),
    ];
    for status in denied {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert_eq!(reason(&status), "MISSING_SCOPE");
    }

    let mut team = app.orders_quotes_client_with(&app.keys.orders_only).await;
    assert_eq!(
        team.update_rate_card(update)
            .await
            .unwrap()
            .into_inner()
            .version,
        2
    );
}

/// Found by the request fuzz: a card with hundreds of bad lanes made a status whose BadRequest
/// outgrew the HTTP/2 header block, and the caller saw INTERNAL "h2 protocol error" instead.
#[tokio::test]
async fn a_card_with_thousands_of_bad_lanes_is_refused_as_invalid_with_the_rest_counted() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_quotes_client().await;
    let mut card = current_card(&mut client).await;
    card.lanes = (0..2000)
        .map(|_| Lane {
            mode: 99,
            origin_zone: "\u{1}".repeat(300),
            destination_zone: String::new(),
            transit_hours: -1,
            ..Lane::default()
        })
        .collect();

    let status = client
        .update_rate_card(UpdateRateCardRequest {
            rate_card: Some(card),
            reason: "fuzz".to_owned(),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let details = status.get_error_details();
    let listed = details.bad_request().unwrap().field_violations.len();
    assert!(listed >= 20, "{listed}");
    let omitted: usize = details.error_info().unwrap().metadata["omitted_violations"]
        .parse()
        .unwrap();
    assert!(omitted > 1000, "{omitted}");
    assert_eq!(current_card(&mut client).await.version, 1);
}

use chrono::TimeZone;

use super::*;
use crate::domain::rate_card::{ANY_ZONE, Lane, SAME_ZONE, Zone};

const SHANGHAI: &str = "310115";
const NANJING: &str = "320100";
const SHENZHEN: &str = "440305";
const WUHAN: &str = "420100";

fn pickup() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn line(weight_grams: i64, volume_cm3: i64) -> CargoMeasure {
    CargoMeasure {
        pieces: 1,
        weight_grams,
        volume_cm3,
        dangerous_goods: false,
    }
}

fn spec(mode: TransportMode, from: &str, to: &str, lines: Vec<CargoMeasure>) -> ShipmentSpec {
    ShipmentSpec {
        mode,
        origin_region: from.into(),
        destination_region: to.into(),
        lines,
        priority_transport: false,
    }
}

fn quoted(card: &RateCard, shipment: &ShipmentSpec) -> QuoteOutcome {
    quote(card, shipment, pickup()).expect("a quote")
}

#[test]
fn chargeable_weight_is_the_larger_of_actual_and_volumetric_rounded_up_to_the_step() {
    let card = RateCard::default();
    // AIR East -> South: 30.00 CNY + 5.00 CNY per started 0.5 kg, divisor 6000 cm3/kg.
    // (weight g, volume cm3) -> (volumetric g, chargeable g, price fen)
    let cases = [
        ((10_000, 60_000), (10_000, 10_000, 13_000)), // equal
        ((10_000, 60_006), (10_001, 10_500, 13_500)), // volumetric just wins
        ((10_001, 60_000), (10_000, 10_500, 13_500)), // actual just wins
        ((2_000, 120_000), (20_000, 20_000, 23_000)), // light and bulky
        ((20_000, 0), (0, 20_000, 23_000)),           // volume unknown
        ((500, 0), (0, 500, 6_000)),                  // one step; minimum charge
        ((501, 0), (0, 1_000, 6_000)),                // a started step counts
    ];
    for ((weight, volume), (volumetric, chargeable, price)) in cases {
        let shipment = spec(
            TransportMode::Air,
            SHANGHAI,
            SHENZHEN,
            vec![line(weight, volume)],
        );
        let outcome = quoted(&card, &shipment);
        let case = format!("{weight} g, {volume} cm3");
        assert_eq!(outcome.actual_weight_grams, weight, "{case}");
        assert_eq!(outcome.volumetric_weight_grams, volumetric, "{case}");
        assert_eq!(outcome.chargeable_weight_grams, chargeable, "{case}");
        assert_eq!(outcome.price_fen, price, "{case}");
    }
}

#[test]
fn each_mode_has_its_own_volumetric_divisor() {
    let card = RateCard::default();
    // 1 kg in 0.06 m3.
    let cases = [
        (TransportMode::Air, 10_000),
        (TransportMode::Road, 20_000),
        (TransportMode::Multimodal, 20_000),
        (TransportMode::Rail, 15_000),
        (TransportMode::Sea, 60_000),
    ];
    for (mode, volumetric) in cases {
        let shipment = spec(mode, SHANGHAI, SHENZHEN, vec![line(1_000, 60_000)]);
        let outcome = quoted(&card, &shipment);
        assert_eq!(outcome.volumetric_weight_grams, volumetric, "{mode:?}");
        assert_eq!(outcome.chargeable_weight_grams, volumetric, "{mode:?}");
    }
}

#[test]
fn volumes_are_summed_before_they_are_divided() {
    let card = RateCard::default();
    let shipment = spec(
        TransportMode::Air,
        SHANGHAI,
        SHENZHEN,
        vec![line(1, 3_001), line(1, 3_001)],
    );
    let outcome = quoted(&card, &shipment);
    assert_eq!(outcome.actual_weight_grams, 2);
    assert_eq!(outcome.volumetric_weight_grams, 1_001);
}

#[test]
fn the_minimum_charge_applies_below_its_threshold_only() {
    let card = RateCard::default();
    // ROAD within East: 15.00 CNY + 1.20 CNY per started kg, at least 30.00 CNY.
    let cases = [
        (1, 3_000),
        (12_000, 3_000), // 15.00 + 12 x 1.20 = 29.40
        (12_001, 3_060), // 13 steps
        (13_000, 3_060),
        (13_001, 3_180),
    ];
    for (weight, price) in cases {
        let shipment = spec(
            TransportMode::Road,
            SHANGHAI,
            NANJING,
            vec![line(weight, 0)],
        );
        let outcome = quoted(&card, &shipment);
        assert_eq!(outcome.price_fen, price, "{weight} g");
        assert_eq!(
            (
                outcome.origin_zone.as_str(),
                outcome.destination_zone.as_str()
            ),
            ("East", "East")
        );
    }
}

#[test]
fn surcharges_are_percentages_of_the_freight_rounded_up_to_the_fen() {
    let mut card = RateCard {
        priority_surcharge_percent: 10,
        ..RateCard::default()
    };
    for lane in card.lanes.iter_mut() {
        lane.base_fee_fen = 1_001;
        lane.fee_per_step_fen = 0;
        lane.minimum_charge_fen = 0;
    }
    let dangerous = CargoMeasure {
        dangerous_goods: true,
        ..line(1_000, 0)
    };
    // (dangerous goods, priority) -> price: 1001 + ceil(300.3) and/or ceil(100.1)
    let cases = [
        ((false, false), 1_001),
        ((true, false), 1_302),
        ((false, true), 1_102),
        ((true, true), 1_403),
    ];
    for ((dangerous_goods, priority), price) in cases {
        let mut lines = vec![line(1_000, 0)];
        if dangerous_goods {
            lines.push(dangerous);
        }
        let mut shipment = spec(TransportMode::Road, SHANGHAI, NANJING, lines);
        shipment.priority_transport = priority;
        assert_eq!(
            quoted(&card, &shipment).price_fen,
            price,
            "{dangerous_goods} {priority}"
        );
    }
}

#[test]
fn priority_transport_promises_sooner_but_never_under_an_hour() {
    let mut card = RateCard::default();
    // (lane hours, cut percent) -> promised hours with priority
    let cases = [
        ((24, 25), 18),
        ((48, 25), 36),
        ((7, 25), 6), // the cut 1.75 h is rounded down
        ((3, 25), 3),
        ((1, 90), 1),
        ((10, 90), 1),
        ((24, 0), 24),
    ];
    for ((hours, cut), promised) in cases {
        for lane in card.lanes.iter_mut() {
            lane.transit_hours = hours;
        }
        card.priority_transit_cut_percent = cut;
        let mut shipment = spec(TransportMode::Road, SHANGHAI, NANJING, vec![line(1, 0)]);
        let plain = quoted(&card, &shipment);
        assert_eq!(plain.transit_hours, hours);
        shipment.priority_transport = true;
        let outcome = quoted(&card, &shipment);
        assert_eq!(outcome.transit_hours, promised, "{hours} h, {cut}%");
        assert_eq!(
            outcome.promised_delivery_time,
            pickup() + Duration::hours(i64::from(promised))
        );
    }
}

#[test]
fn the_promise_is_the_pickup_plus_the_lanes_transit_time() {
    let card = RateCard::default();
    let cases = [
        (TransportMode::Road, SHANGHAI, NANJING, 24),
        (TransportMode::Road, SHANGHAI, SHENZHEN, 48),
        (TransportMode::Road, SHANGHAI, "650102", 96),
        (TransportMode::Air, SHANGHAI, SHENZHEN, 24),
        (TransportMode::Sea, SHANGHAI, SHENZHEN, 168),
        (TransportMode::Rail, SHANGHAI, WUHAN, 72),
    ];
    for (mode, from, to, hours) in cases {
        let outcome = quoted(&card, &spec(mode, from, to, vec![line(1_000, 0)]));
        assert_eq!(outcome.transit_hours, hours, "{mode:?} {from} {to}");
        assert_eq!(
            outcome.promised_delivery_time,
            pickup() + Duration::hours(i64::from(hours))
        );
        assert_eq!(outcome.rate_card_version, 1);
    }
}

#[test]
fn the_longest_prefix_picks_the_zone_and_its_lane() {
    let mut card = RateCard::default();
    card.zones.push(Zone {
        name: "Pudong".into(),
        region_prefixes: vec![SHANGHAI.into()],
    });
    card.lanes.push(Lane {
        mode: TransportMode::Road,
        origin_zone: "Pudong".into(),
        destination_zone: ANY_ZONE.into(),
        base_fee_fen: 100,
        fee_per_step_fen: 0,
        minimum_charge_fen: 0,
        transit_hours: 6,
    });
    let outcome = quoted(
        &card,
        &spec(TransportMode::Road, SHANGHAI, NANJING, vec![line(1, 0)]),
    );
    assert_eq!(outcome.origin_zone, "Pudong");
    assert_eq!(outcome.destination_zone, "East");
    assert_eq!((outcome.price_fen, outcome.transit_hours), (100, 6));

    let outcome = quoted(
        &card,
        &spec(TransportMode::Road, "310116", NANJING, vec![line(1, 0)]),
    );
    assert_eq!(outcome.origin_zone, "East");
    assert_eq!(outcome.transit_hours, 24);
}

#[test]
fn a_shipment_without_a_lane_or_mode_is_refused() {
    let mut card = RateCard::default();
    let inland = spec(TransportMode::Sea, SHANGHAI, WUHAN, vec![line(1_000, 0)]);
    assert_eq!(
        quote(&card, &inland, pickup()),
        Err(QuoteError::NoLane {
            mode: TransportMode::Sea,
            origin_zone: "East".into(),
            destination_zone: "Central".into(),
        })
    );
    card.lanes.retain(|lane| lane.destination_zone != SAME_ZONE);
    let within = spec(TransportMode::Road, SHANGHAI, NANJING, vec![line(1_000, 0)]);
    assert!(matches!(
        quote(&card, &within, pickup()),
        Err(QuoteError::NoLane { .. })
    ));
    card.modes.retain(|terms| terms.mode != TransportMode::Air);
    let air = spec(TransportMode::Air, SHANGHAI, SHENZHEN, vec![line(1_000, 0)]);
    assert_eq!(
        quote(&card, &air, pickup()),
        Err(QuoteError::ModeNotOffered {
            mode: TransportMode::Air,
            version: 1
        })
    );
}

#[test]
fn malformed_cargo_is_refused_and_huge_cargo_never_overflows() {
    let card = RateCard::default();
    let road = |lines| spec(TransportMode::Road, SHANGHAI, NANJING, lines);
    assert_eq!(
        quote(&card, &road(vec![]), pickup()),
        Err(QuoteError::NoCargo)
    );
    let cases = [
        (
            CargoMeasure {
                pieces: 0,
                ..line(1, 0)
            },
            1,
        ),
        (line(0, 0), 1),
        (line(1, -1), 1),
    ];
    for (bad, at) in cases {
        assert_eq!(
            quote(&card, &road(vec![line(1, 0), bad]), pickup()),
            Err(QuoteError::BadCargoLine { line: at })
        );
    }
    let huge = road(vec![line(i64::MAX, i64::MAX), line(i64::MAX, i64::MAX)]);
    assert_eq!(quote(&card, &huge, pickup()), Err(QuoteError::TooLarge));
}

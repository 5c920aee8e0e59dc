use super::*;

fn fields(card: &RateCard) -> Vec<String> {
    card.problems()
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

#[test]
fn the_default_card_is_valid_and_prices_every_mode() {
    let card = RateCard::default();
    assert_eq!(card.problems(), Vec::<(String, String)>::new());
    for mode in TransportMode::ALL {
        assert!(card.mode_terms(*mode).is_some(), "{}", mode.as_str());
    }
}

#[test]
fn region_codes_find_their_zone_by_the_longest_prefix() {
    let mut card = RateCard::default();
    card.zones.push(Zone {
        name: "Pudong".into(),
        region_prefixes: vec!["310115".into()],
    });
    let cases = [
        ("310115", "Pudong"),
        ("3101151", "Pudong"),
        ("310116", "East"),
        ("31", "East"),
        ("3", "Remote"),
        ("110105", "North"),
        ("440305", "South"),
        ("650102", "Northwest"),
        ("CN-SH", "East"),
        ("CN-GD", "South"),
        ("810000", "Remote"),
        ("CN-HK", "Remote"),
        ("US-CA", "Remote"),
    ];
    for (region, zone) in cases {
        assert_eq!(card.zone_of(region), zone, "{region}");
    }
}

#[test]
fn the_most_specific_lane_wins() {
    let road = |origin: &str, destination: &str| Lane {
        mode: TransportMode::Road,
        origin_zone: origin.into(),
        destination_zone: destination.into(),
        base_fee_fen: 0,
        fee_per_step_fen: 0,
        minimum_charge_fen: 0,
        transit_hours: 1,
    };
    let card = RateCard {
        lanes: vec![
            road("*", "="),
            road("*", "*"),
            road("*", "South"),
            road("East", "*"),
            road("East", "="),
            road("East", "South"),
        ],
        ..RateCard::default()
    };
    let chosen = |origin: &str, destination: &str| {
        card.lane(TransportMode::Road, origin, destination)
            .map(|lane| (lane.origin_zone.clone(), lane.destination_zone.clone()))
    };
    let pair = |o: &str, d: &str| Some((o.to_owned(), d.to_owned()));
    assert_eq!(chosen("East", "South"), pair("East", "South"));
    assert_eq!(chosen("East", "North"), pair("East", "*"));
    assert_eq!(chosen("East", "East"), pair("East", "="));
    assert_eq!(chosen("North", "South"), pair("*", "South"));
    assert_eq!(chosen("North", "North"), pair("*", "="));
    assert_eq!(chosen("North", "Central"), pair("*", "*"));
    assert_eq!(card.lane(TransportMode::Air, "East", "South"), None);
}

#[test]
fn sea_lanes_join_coastal_zones_only() {
    let card = RateCard::default();
    assert!(card.lane(TransportMode::Sea, "East", "South").is_some());
    assert!(card.lane(TransportMode::Sea, "North", "North").is_some());
    assert!(card.lane(TransportMode::Sea, "East", "Central").is_none());
    assert!(
        card.lane(TransportMode::Sea, "Northwest", "South")
            .is_none()
    );
}

#[test]
fn the_card_round_trips_through_json_without_its_version() {
    let card = RateCard::default();
    let json = serde_json::to_value(&card).unwrap();
    assert!(json.get("version").is_none());
    let back: RateCard = serde_json::from_value(json).unwrap();
    assert_eq!(back, RateCard { version: 0, ..card });
}

#[test]
fn every_bad_field_of_a_card_is_named() {
    let mut card = RateCard::default();
    card.zones[0].name = " ".into();
    card.zones[1].name = "east".into(); // then "East", zones[2], names it again: case is ignored
    card.zones[2].region_prefixes[0] = "sh".into();
    card.zones[3].region_prefixes[0] = "32".into(); // East's already
    card.zones[4].region_prefixes.clear();
    card.fallback_zone = "*".into();
    card.modes[0].volumetric_divisor_cm3_per_kg = 499;
    card.modes[1].weight_step_grams = 99;
    card.modes[2].mode = TransportMode::Road;
    card.lanes[0].origin_zone = "Atlantis".into();
    card.lanes[1].destination_zone = "Nowhere".into();
    card.lanes[2].base_fee_fen = -1;
    card.lanes[3].fee_per_step_fen = MAX_FEE_FEN + 1;
    card.lanes[4].minimum_charge_fen = -5;
    card.lanes[5].transit_hours = 0;
    card.lanes[6] = card.lanes[5].clone();
    card.dangerous_goods_surcharge_percent = -1;
    card.priority_surcharge_percent = 501;
    card.priority_transit_cut_percent = 91;
    let found = fields(&card);
    let expected = [
        "zones[0].name",
        "zones[2].name",
        "zones[2].region_prefixes[0]",
        "zones[3].region_prefixes[0]",
        "zones[4].region_prefixes",
        "fallback_zone",
        "modes[0].volumetric_divisor_cm3_per_kg",
        "modes[1].weight_step_grams",
        "modes[2].mode",
        "lanes[0].origin_zone",
        "lanes[1].destination_zone",
        "lanes[2].base_fee",
        "lanes[3].fee_per_step",
        "lanes[4].minimum_charge",
        "lanes[5].transit_hours",
        "lanes[6].transit_hours",
        "lanes[6].destination_zone",
        "dangerous_goods_surcharge_percent",
        "priority_surcharge_percent",
        "priority_transit_cut_percent",
    ];
    for field in expected {
        assert!(found.contains(&field.to_owned()), "{field} in {found:?}");
    }
    // SEA lost its terms (modes[2] now says ROAD), so its lanes are refused too.
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("lanes[") && f.ends_with("].mode"))
    );
}

#[test]
fn bounds_on_counts_are_enforced_at_the_edges() {
    let mut card = RateCard {
        zones: (0..MAX_ZONES)
            .map(|at| Zone {
                name: format!("Z{at}"),
                region_prefixes: vec![format!("{at:03}")],
            })
            .collect(),
        ..RateCard::default()
    };
    card.lanes.retain(|lane| lane.origin_zone == ANY_ZONE);
    card.lanes
        .retain(|lane| lane.destination_zone != "Southwest");
    card.lanes
        .retain(|lane| lane.destination_zone != "Northwest");
    card.lanes.retain(|lane| lane.destination_zone != "Remote");
    assert_eq!(fields(&card), Vec::<String>::new());

    card.zones.push(Zone {
        name: "One too many".into(),
        region_prefixes: vec!["999".into()],
    });
    assert_eq!(fields(&card), ["zones"]);

    let mut card = RateCard::default();
    card.zones[0].region_prefixes = (0..MAX_PREFIXES_PER_ZONE)
        .map(|at| format!("9{at:02}"))
        .collect();
    assert_eq!(fields(&card), Vec::<String>::new());
    card.zones[0].region_prefixes.push("999".into());
    assert_eq!(fields(&card), ["zones[0].region_prefixes"]);

    let mut card = RateCard::default();
    card.lanes.clear();
    assert_eq!(fields(&card), ["lanes"]);
    card.zones[0].name = "x".repeat(MAX_ZONE_NAME_CHARS);
    card.lanes = (0..=MAX_LANES)
        .map(|at| Lane {
            mode: TransportMode::Road,
            origin_zone: ANY_ZONE.into(),
            destination_zone: SAME_ZONE.into(),
            base_fee_fen: 0,
            fee_per_step_fen: 0,
            minimum_charge_fen: 0,
            transit_hours: 1 + at as i32,
        })
        .collect();
    let found = fields(&card);
    assert_eq!(found[0], "lanes");
    card.zones[0].name = "x".repeat(MAX_ZONE_NAME_CHARS + 1);
    assert!(fields(&card).contains(&"zones[0].name".to_owned()));
}

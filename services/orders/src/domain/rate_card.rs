//! Rate cards: the zones, per-mode volumetric terms and lanes that price a shipment, with the
//! rules a card must satisfy before it can be put in force.
//!
//! A card is versioned as a whole: an update writes a new version, the highest is in force, and
//! each order keeps the version that priced it.

use serde::{Deserialize, Serialize};

use super::mode::TransportMode;

/// A lane's `origin_zone` that matches any zone, and a lane's `destination_zone` that matches any
/// zone other than the origin's.
pub(crate) const ANY_ZONE: &str = "*";
/// A lane's `destination_zone` that matches the origin's own zone (intra-zone traffic).
pub(crate) const SAME_ZONE: &str = "=";

/// Most zones on a card.
pub(crate) const MAX_ZONES: usize = 100;
/// Most region-code prefixes of one zone.
pub(crate) const MAX_PREFIXES_PER_ZONE: usize = 50;
/// Most lanes on a card.
pub(crate) const MAX_LANES: usize = 500;
/// Longest zone name, in characters.
pub(crate) const MAX_ZONE_NAME_CHARS: usize = 40;
/// Longest region-code prefix, as long as the longest region code.
const MAX_PREFIX_CHARS: usize = logistics_platform::address::MAX_REGION_CODE_CHARS;
/// Volumetric divisors accepted, in cm3 per kg: from very dense (sea, 1 t per m3 is 1000) to
/// far lighter than any carrier uses.
const DIVISOR_RANGE: std::ops::RangeInclusive<i32> = 500..=20_000;
/// Weight steps accepted, in grams: 100 g to 1 t.
const WEIGHT_STEP_RANGE: std::ops::RangeInclusive<i32> = 100..=1_000_000;
/// Largest fee of a lane, in fen (1,000,000 CNY): keeps every price far from overflow.
pub(crate) const MAX_FEE_FEN: i64 = 100_000_000;
/// Transit times accepted, in hours: 1 hour to 90 days.
const TRANSIT_HOURS_RANGE: std::ops::RangeInclusive<i32> = 1..=2160;
/// Largest surcharge, in percent of the freight.
const MAX_SURCHARGE_PERCENT: i32 = 500;
/// Largest cut of the transit time for priority transport, in percent.
const MAX_TRANSIT_CUT_PERCENT: i32 = 90;

/// Prices and promises by mode and zone. Money in fen (CNY).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RateCard {
    /// Version, from 1. Kept beside the stored card, not inside it.
    #[serde(skip)]
    pub(crate) version: i32,
    /// The zones, each a set of region-code prefixes.
    pub(crate) zones: Vec<Zone>,
    /// The zone of a region code no prefix matches (e.g. Hong Kong, Macau, abroad).
    pub(crate) fallback_zone: String,
    /// Volumetric divisor and weight step of each mode.
    pub(crate) modes: Vec<ModeTerms>,
    /// Fees and transit times by mode and zone pair.
    pub(crate) lanes: Vec<Lane>,
    /// Added to the freight when any cargo line holds dangerous goods, in percent of the freight.
    pub(crate) dangerous_goods_surcharge_percent: i32,
    /// Added to the freight for priority transport, in percent of the freight.
    pub(crate) priority_surcharge_percent: i32,
    /// How much shorter priority transport's promise is, in percent of the lane's transit time.
    pub(crate) priority_transit_cut_percent: i32,
}

/// A zone: the regions whose code starts with one of its prefixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Zone {
    /// Name, e.g. "East"; unique on the card.
    pub(crate) name: String,
    /// Region-code prefixes: GB/T 2260 digits ("31" is Shanghai, "310115" Pudong) or
    /// ISO 3166-2 codes ("CN-SH"). The longest matching prefix of the whole card wins.
    pub(crate) region_prefixes: Vec<String>,
}

/// How one mode turns volume into weight, and in which steps weight is charged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModeTerms {
    /// The mode.
    pub(crate) mode: TransportMode,
    /// Cubic centimetres that weigh one chargeable kilogram.
    pub(crate) volumetric_divisor_cm3_per_kg: i32,
    /// Chargeable weight is rounded up to a whole number of these, in grams.
    pub(crate) weight_step_grams: i32,
}

/// The price and promise between an origin and a destination zone by one mode.
///
/// `origin_zone` is a zone name or [`ANY_ZONE`]; `destination_zone` is a zone name,
/// [`SAME_ZONE`] (the origin's own zone) or [`ANY_ZONE`] (any other zone). The most specific
/// lane wins: a named origin over `*`, then a named destination over `=` or `*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Lane {
    /// The mode.
    pub(crate) mode: TransportMode,
    /// Origin zone name, or `*`.
    pub(crate) origin_zone: String,
    /// Destination zone name, `=` or `*`.
    pub(crate) destination_zone: String,
    /// Fixed part of the freight, in fen.
    pub(crate) base_fee_fen: i64,
    /// Fee per started weight step of the mode, in fen.
    pub(crate) fee_per_step_fen: i64,
    /// The freight is at least this, in fen.
    pub(crate) minimum_charge_fen: i64,
    /// Promised transit time, in hours from pickup.
    pub(crate) transit_hours: i32,
}

impl RateCard {
    /// The zone of `region_code`: the zone of the longest prefix it starts with, else the
    /// fallback zone.
    pub(crate) fn zone_of(&self, region_code: &str) -> &str {
        self.zones
            .iter()
            .flat_map(|zone| {
                zone.region_prefixes
                    .iter()
                    .map(move |prefix| (prefix, zone.name.as_str()))
            })
            .filter(|(prefix, _)| region_code.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(self.fallback_zone.as_str(), |(_, zone)| zone)
    }

    /// The terms of `mode`, if the card has them.
    pub(crate) fn mode_terms(&self, mode: TransportMode) -> Option<&ModeTerms> {
        self.modes.iter().find(|terms| terms.mode == mode)
    }

    /// The most specific lane of `mode` from `origin` to `destination` zone, if any.
    pub(crate) fn lane(
        &self,
        mode: TransportMode,
        origin: &str,
        destination: &str,
    ) -> Option<&Lane> {
        self.lanes
            .iter()
            .filter(|lane| lane.mode == mode)
            .filter_map(|lane| {
                let origin_rank = match lane.origin_zone.as_str() {
                    ANY_ZONE => 0,
                    zone if zone == origin => 1,
                    _ => return None,
                };
                let destination_rank = match lane.destination_zone.as_str() {
                    SAME_ZONE if origin == destination => 0,
                    ANY_ZONE if origin != destination => 0,
                    SAME_ZONE | ANY_ZONE => return None,
                    zone if zone == destination => 1,
                    _ => return None,
                };
                Some(((origin_rank, destination_rank), lane))
            })
            .max_by_key(|(rank, _)| *rank)
            .map(|(_, lane)| lane)
    }

    /// What is wrong with the card, as (field path, problem) pairs; empty when it can be put in
    /// force. Paths are those of the `RateCard` message, e.g. `lanes[3].origin_zone`.
    pub(crate) fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        self.zone_problems(&mut problems);
        let moded = self.mode_problems(&mut problems);
        self.lane_problems(&moded, &mut problems);
        self.surcharge_problems(&mut problems);
        problems
    }

    /// Zones: named once each, every region prefix well-formed and in one zone only.
    fn zone_problems(&self, problems: &mut Vec<(String, String)>) {
        let mut problem = |field: String, text: String| problems.push((field, text));
        if self.zones.is_empty() || self.zones.len() > MAX_ZONES {
            problem("zones".into(), format!("must list 1 to {MAX_ZONES} zones"));
        }
        let mut names: Vec<String> = Vec::new();
        let mut prefixes: Vec<&str> = Vec::new();
        for (at, zone) in self.zones.iter().enumerate().take(MAX_ZONES) {
            if let Some(why) = zone_name_problem(&zone.name) {
                problem(format!("zones[{at}].name"), why);
            } else if names.contains(&zone.name.to_lowercase()) {
                problem(
                    format!("zones[{at}].name"),
                    "names another zone already".into(),
                );
            }
            names.push(zone.name.to_lowercase());
            let count = zone.region_prefixes.len();
            if count == 0 || count > MAX_PREFIXES_PER_ZONE {
                problem(
                    format!("zones[{at}].region_prefixes"),
                    format!("must list 1 to {MAX_PREFIXES_PER_ZONE} prefixes"),
                );
            }
            for (index, prefix) in zone
                .region_prefixes
                .iter()
                .enumerate()
                .take(MAX_PREFIXES_PER_ZONE)
            {
                let field = format!("zones[{at}].region_prefixes[{index}]");
                if !is_region_prefix(prefix) {
                    problem(
                        field,
                        format!(
                            "must be 1 to {MAX_PREFIX_CHARS} upper-case letters, digits or '-', e.g. \"31\" or \"CN-SH\""
                        ),
                    );
                } else if prefixes.contains(&prefix.as_str()) {
                    problem(field, "is a prefix of another zone or listed twice".into());
                } else {
                    prefixes.push(prefix);
                }
            }
        }
        if let Some(why) = zone_name_problem(&self.fallback_zone) {
            problem("fallback_zone".into(), why);
        }
    }

    /// Mode terms: each mode once, divisors and weight steps in range. Answers the modes priced.
    fn mode_problems(&self, problems: &mut Vec<(String, String)>) -> Vec<TransportMode> {
        let mut problem = |field: String, text: String| problems.push((field, text));
        let mut moded: Vec<TransportMode> = Vec::new();
        for (at, terms) in self.modes.iter().enumerate() {
            if moded.contains(&terms.mode) {
                problem(format!("modes[{at}].mode"), "is listed twice".into());
            }
            moded.push(terms.mode);
            if !DIVISOR_RANGE.contains(&terms.volumetric_divisor_cm3_per_kg) {
                problem(
                    format!("modes[{at}].volumetric_divisor_cm3_per_kg"),
                    format!(
                        "must be {} to {} cm3 per kg",
                        DIVISOR_RANGE.start(),
                        DIVISOR_RANGE.end()
                    ),
                );
            }
            if !WEIGHT_STEP_RANGE.contains(&terms.weight_step_grams) {
                problem(
                    format!("modes[{at}].weight_step_grams"),
                    format!(
                        "must be {} to {} grams",
                        WEIGHT_STEP_RANGE.start(),
                        WEIGHT_STEP_RANGE.end()
                    ),
                );
            }
        }

        moded
    }

    /// Lanes: priced modes, known zones, one lane per key, fees and transit times in range.
    fn lane_problems(&self, moded: &[TransportMode], problems: &mut Vec<(String, String)>) {
        let mut problem = |field: String, text: String| problems.push((field, text));
        let known_zone = |name: &str| {
            name == self.fallback_zone || self.zones.iter().any(|zone| zone.name == name)
        };

        if self.lanes.is_empty() || self.lanes.len() > MAX_LANES {
            problem("lanes".into(), format!("must list 1 to {MAX_LANES} lanes"));
        }
        let mut keys: Vec<(TransportMode, &str, &str)> = Vec::new();
        for (at, lane) in self.lanes.iter().enumerate().take(MAX_LANES) {
            let field = |name: &str| format!("lanes[{at}].{name}");
            if !moded.contains(&lane.mode) {
                problem(
                    field("mode"),
                    format!("{} has no entry in modes", lane.mode.as_str()),
                );
            }
            if lane.origin_zone != ANY_ZONE && !known_zone(&lane.origin_zone) {
                problem(
                    field("origin_zone"),
                    "must be a zone of the card, the fallback zone or \"*\"".into(),
                );
            }
            let destination = lane.destination_zone.as_str();
            if destination != ANY_ZONE && destination != SAME_ZONE && !known_zone(destination) {
                problem(
                    field("destination_zone"),
                    "must be a zone of the card, the fallback zone, \"=\" or \"*\"".into(),
                );
            }
            let key = (lane.mode, lane.origin_zone.as_str(), destination);
            if keys.contains(&key) {
                problem(
                    field("destination_zone"),
                    "another lane has the same mode, origin and destination".into(),
                );
            }
            keys.push(key);
            for (name, fee) in [
                ("base_fee", lane.base_fee_fen),
                ("fee_per_step", lane.fee_per_step_fen),
                ("minimum_charge", lane.minimum_charge_fen),
            ] {
                if !(0..=MAX_FEE_FEN).contains(&fee) {
                    problem(
                        field(name),
                        format!("must be 0 to {MAX_FEE_FEN} fen (1,000,000 CNY)"),
                    );
                }
            }
            if !TRANSIT_HOURS_RANGE.contains(&lane.transit_hours) {
                problem(
                    field("transit_hours"),
                    format!(
                        "must be {} to {} hours",
                        TRANSIT_HOURS_RANGE.start(),
                        TRANSIT_HOURS_RANGE.end()
                    ),
                );
            }
        }
    }

    /// Surcharges and the priority transit cut, in percent.
    fn surcharge_problems(&self, problems: &mut Vec<(String, String)>) {
        let mut problem = |field: String, text: String| problems.push((field, text));
        for (name, percent, max) in [
            (
                "dangerous_goods_surcharge_percent",
                self.dangerous_goods_surcharge_percent,
                MAX_SURCHARGE_PERCENT,
            ),
            (
                "priority_surcharge_percent",
                self.priority_surcharge_percent,
                MAX_SURCHARGE_PERCENT,
            ),
            (
                "priority_transit_cut_percent",
                self.priority_transit_cut_percent,
                MAX_TRANSIT_CUT_PERCENT,
            ),
        ] {
            if !(0..=max).contains(&percent) {
                problem(name.into(), format!("must be 0 to {max} percent"));
            }
        }
    }
}

fn zone_name_problem(name: &str) -> Option<String> {
    let chars = name.chars().count();
    if name.trim().is_empty() {
        Some("is required".into())
    } else if chars > MAX_ZONE_NAME_CHARS {
        Some(format!("must be at most {MAX_ZONE_NAME_CHARS} characters"))
    } else if name != name.trim() || name.chars().any(char::is_control) {
        Some("must not start or end with spaces or contain control characters".into())
    } else if name == ANY_ZONE || name == SAME_ZONE {
        Some("\"*\" and \"=\" are reserved for lanes".into())
    } else {
        None
    }
}

fn is_region_prefix(prefix: &str) -> bool {
    logistics_platform::address::is_region_code_prefix(prefix)
}

/// Zones of the default card: China's usual seven regions by GB/T 2260 province prefix, with the
/// provinces' ISO 3166-2 codes too, so both kinds of region code find their zone.
const DEFAULT_ZONES: [(&str, &[&str]); 7] = [
    (
        "North",
        &[
            "11", "12", "13", "14", "15", "CN-BJ", "CN-TJ", "CN-HE", "CN-SX", "CN-NM",
        ],
    ),
    ("Northeast", &["21", "22", "23", "CN-LN", "CN-JL", "CN-HL"]),
    (
        "East",
        &[
            "31", "32", "33", "34", "35", "36", "37", "CN-SH", "CN-JS", "CN-ZJ", "CN-AH", "CN-FJ",
            "CN-JX", "CN-SD",
        ],
    ),
    ("Central", &["41", "42", "43", "CN-HA", "CN-HB", "CN-HN"]),
    ("South", &["44", "45", "46", "CN-GD", "CN-GX", "CN-HI"]),
    (
        "Southwest",
        &[
            "50", "51", "52", "53", "54", "CN-CQ", "CN-SC", "CN-GZ", "CN-YN", "CN-XZ",
        ],
    ),
    (
        "Northwest",
        &[
            "61", "62", "63", "64", "65", "CN-SN", "CN-GS", "CN-QH", "CN-NX", "CN-XJ",
        ],
    ),
];

/// Zones with a sea port: coastal shipping runs between these only.
const COASTAL_ZONES: [&str; 4] = ["North", "Northeast", "East", "South"];

impl Default for RateCard {
    /// Version 1. Volumetric divisors, and why:
    /// - AIR 6000 cm3/kg (167 kg/m3): IATA's standard for air cargo.
    /// - ROAD 3000 (333 kg/m3): the usual ratio of road less-than-truckload freight (零担).
    /// - RAIL 4000 (250 kg/m3): wagons carry more volume per tonne of payload than trucks, so
    ///   light goods are penalised less.
    /// - MULTIMODAL 3000: the road legs at both ends are the binding constraint.
    /// - SEA 1000 (1 t per m3): the revenue-ton (W/M) rule of less-than-container ocean freight.
    ///
    /// AIR is charged per started 0.5 kg as air express is; the others per started kg. Dangerous
    /// goods add 30%; priority transport (a service-level entitlement) costs nothing extra and
    /// promises 25% sooner. Sea lanes join coastal zones only.
    fn default() -> Self {
        let terms = |mode, divisor, step| ModeTerms {
            mode,
            volumetric_divisor_cm3_per_kg: divisor,
            weight_step_grams: step,
        };
        let lane = |mode, origin: &str, destination: &str, fees: (i64, i64, i64), hours| Lane {
            mode,
            origin_zone: origin.into(),
            destination_zone: destination.into(),
            base_fee_fen: fees.0,
            fee_per_step_fen: fees.1,
            minimum_charge_fen: fees.2,
            transit_hours: hours,
        };
        use TransportMode::*;
        let mut lanes = vec![
            lane(Road, ANY_ZONE, SAME_ZONE, (1_500, 120, 3_000), 24),
            lane(Road, ANY_ZONE, ANY_ZONE, (2_500, 250, 5_000), 48),
            lane(Road, ANY_ZONE, "Southwest", (3_500, 350, 7_000), 72),
            lane(Road, ANY_ZONE, "Northwest", (4_000, 400, 8_000), 96),
            lane(Road, ANY_ZONE, "Remote", (5_000, 500, 10_000), 120),
            lane(Rail, ANY_ZONE, SAME_ZONE, (2_000, 90, 5_000), 48),
            lane(Rail, ANY_ZONE, ANY_ZONE, (3_000, 150, 6_000), 72),
            lane(Rail, ANY_ZONE, "Northwest", (3_500, 200, 7_000), 96),
            lane(Air, ANY_ZONE, SAME_ZONE, (2_000, 300, 4_000), 12),
            lane(Air, ANY_ZONE, ANY_ZONE, (3_000, 500, 6_000), 24),
            lane(Air, ANY_ZONE, "Northwest", (4_000, 700, 8_000), 36),
            lane(Air, ANY_ZONE, "Remote", (5_000, 900, 10_000), 48),
            lane(Multimodal, ANY_ZONE, SAME_ZONE, (2_000, 100, 5_000), 48),
            lane(Multimodal, ANY_ZONE, ANY_ZONE, (3_000, 180, 6_000), 60),
            lane(Multimodal, ANY_ZONE, "Northwest", (3_500, 220, 7_000), 84),
        ];
        for origin in COASTAL_ZONES {
            lanes.push(lane(Sea, origin, SAME_ZONE, (15_000, 20, 20_000), 96));
            for destination in COASTAL_ZONES.into_iter().filter(|d| *d != origin) {
                lanes.push(lane(Sea, origin, destination, (20_000, 30, 30_000), 168));
            }
        }
        RateCard {
            version: 1,
            zones: DEFAULT_ZONES
                .iter()
                .map(|(name, prefixes)| Zone {
                    name: (*name).into(),
                    region_prefixes: prefixes.iter().map(|p| (*p).into()).collect(),
                })
                .collect(),
            fallback_zone: "Remote".into(),
            modes: vec![
                terms(Road, 3000, 1000),
                terms(Rail, 4000, 1000),
                terms(Sea, 1000, 1000),
                terms(Air, 6000, 500),
                terms(Multimodal, 3000, 1000),
            ],
            lanes,
            dangerous_goods_surcharge_percent: 30,
            priority_surcharge_percent: 0,
            priority_transit_cut_percent: 25,
        }
    }
}

#[cfg(test)]
#[path = "rate_card_tests.rs"]
mod tests;

//! Request fields every orders RPC validates the same way: transport modes, region codes, money,
//! times and cargo lines. Each check records its violations and carries on, so a caller learns
//! every bad field at once.

use chrono::{DateTime, Utc};
use logistics_contracts::common::{Address, TransportMode as ProtoMode};
use logistics_contracts::orders::CargoLine;
use logistics_platform::address::{REGION_CODE_RULE, Region, check_address, is_region_code};
use logistics_platform::error::Violations;
use logistics_platform::money::cny_fen;
use prost_types::Timestamp;

use crate::domain::mode::TransportMode;
use crate::domain::order::PostalAddress;
use crate::domain::quote::CargoMeasure;

/// The only currency the orders service takes.
/// Most cargo lines of a shipment.
const MAX_CARGO_LINES: usize = 100;
/// Longest cargo description, in characters.
pub(crate) const MAX_DESCRIPTION_CHARS: usize = 200;
/// Pieces of one cargo line.
const PIECES_RANGE: std::ops::RangeInclusive<i32> = 1..=10_000;
/// Weight of one cargo line, in grams: up to 100 t.
const WEIGHT_RANGE_GRAMS: std::ops::RangeInclusive<i64> = 1..=100_000_000;
/// Volume of one cargo line, in cm3: up to 1,000 m3.
const VOLUME_RANGE_CM3: std::ops::RangeInclusive<i64> = 0..=1_000_000_000;
/// Largest declared value of one cargo line, in fen (100,000,000 CNY).
const MAX_DECLARED_VALUE_FEN: i64 = 10_000_000_000;

/// The domain mode of a proto `logistics.common.v1.TransportMode`; `None` for UNSPECIFIED and
/// values this build does not know.
pub(crate) fn mode_from_proto(value: i32) -> Option<TransportMode> {
    match ProtoMode::try_from(value).ok()? {
        ProtoMode::Unspecified => None,
        ProtoMode::Road => Some(TransportMode::Road),
        ProtoMode::Rail => Some(TransportMode::Rail),
        ProtoMode::Sea => Some(TransportMode::Sea),
        ProtoMode::Air => Some(TransportMode::Air),
        ProtoMode::Multimodal => Some(TransportMode::Multimodal),
    }
}

/// A required transport mode at `field`.
pub(crate) fn mode_field(
    violations: &mut Violations,
    field: &str,
    value: i32,
) -> Option<TransportMode> {
    let mode = mode_from_proto(value);
    if mode.is_none() {
        let why = if value == 0 {
            "is required: ROAD, RAIL, SEA, AIR or MULTIMODAL"
        } else {
            "is not a known transport mode"
        };
        violations.add(field, why);
    }
    mode
}

/// A required region code at `field`.
pub(crate) fn region_code_field(violations: &mut Violations, field: &str, code: &str) -> String {
    if code.is_empty() {
        violations.add(field, "is required");
    } else if !is_region_code(code) {
        violations.add(field, REGION_CODE_RULE);
    }
    code.to_owned()
}

/// Validates a full postal address at `field` (e.g. `order.origin`, so violations read
/// `order.origin.city`) by the suite's one address check, with the region code required and a
/// recipient too (a saved address must say who is there). Returns it trimmed when it was valid.
pub(crate) fn validate_address(
    violations: &mut Violations,
    field: &str,
    address: Option<&Address>,
) -> Option<PostalAddress> {
    let Some(address) = address else {
        violations.add(field, "is required");
        return None;
    };
    let before = violations.len();
    if address.recipient.trim().is_empty() {
        violations.add(format!("{field}.recipient"), "is required");
    }
    check_address(violations, field, address, Region::Required);
    if violations.len() > before {
        return None;
    }
    Some(PostalAddress::from(address))
}

/// An optional time at `field` between `earliest` and `latest`; unset gives `default`.
pub(crate) fn time_field(
    violations: &mut Violations,
    field: &str,
    time: Option<&Timestamp>,
    default: DateTime<Utc>,
    (earliest, latest): (DateTime<Utc>, DateTime<Utc>),
) -> DateTime<Utc> {
    let Some(time) = time else {
        return default;
    };
    match violations.time(field, time) {
        None => {}
        Some(at) if at < earliest || at > latest => violations.add(
            field,
            format!(
                "must be between {} and {}",
                earliest.to_rfc3339(),
                latest.to_rfc3339()
            ),
        ),
        Some(at) => return at,
    }
    default
}

/// Validates cargo lines at `field` (e.g. `order.cargo`, so violations read
/// `order.cargo[2].weight_grams`) and returns what pricing needs of each line. The measures are
/// meaningful only when no violation was recorded.
pub(crate) fn validate_cargo(
    violations: &mut Violations,
    field: &str,
    lines: &[CargoLine],
) -> Vec<CargoMeasure> {
    if lines.is_empty() {
        violations.add(field, format!("is required: 1 to {MAX_CARGO_LINES} lines"));
        return Vec::new();
    }
    if lines.len() > MAX_CARGO_LINES {
        violations.add(
            field,
            format!(
                "must have at most {MAX_CARGO_LINES} lines (got {})",
                lines.len()
            ),
        );
        return Vec::new();
    }
    let mut measures = Vec::with_capacity(lines.len());
    for (at, line) in lines.iter().enumerate() {
        let path = |name: &str| format!("{field}[{at}].{name}");
        violations.require_text(
            &path("description"),
            &line.description,
            MAX_DESCRIPTION_CHARS,
        );
        if !PIECES_RANGE.contains(&line.pieces) {
            violations.add(
                path("pieces"),
                format!("must be {} to {}", PIECES_RANGE.start(), PIECES_RANGE.end()),
            );
        }
        if !WEIGHT_RANGE_GRAMS.contains(&line.weight_grams) {
            violations.add(
                path("weight_grams"),
                format!(
                    "must be {} to {} grams (100 t)",
                    WEIGHT_RANGE_GRAMS.start(),
                    WEIGHT_RANGE_GRAMS.end()
                ),
            );
        }
        if !VOLUME_RANGE_CM3.contains(&line.volume_cm3) {
            violations.add(
                path("volume_cm3"),
                format!(
                    "must be {} to {} cm3 (1,000 m3)",
                    VOLUME_RANGE_CM3.start(),
                    VOLUME_RANGE_CM3.end()
                ),
            );
        }
        cny_fen(
            violations,
            &path("declared_value"),
            line.declared_value.as_ref(),
            0..=MAX_DECLARED_VALUE_FEN,
        );
        match (line.dangerous_goods, line.un_number.as_str()) {
            (true, "") => violations.add(
                path("un_number"),
                "is required for dangerous goods, e.g. \"UN1263\"",
            ),
            (true, number) if !is_un_number(number) => violations.add(
                path("un_number"),
                "must be \"UN\" and four digits, e.g. \"UN1263\"",
            ),
            (false, number) if !number.is_empty() => violations.add(
                path("un_number"),
                "must be empty unless dangerous_goods is set",
            ),
            _ => {}
        }
        measures.push(CargoMeasure {
            pieces: line.pieces,
            weight_grams: line.weight_grams,
            volume_cm3: line.volume_cm3,
            dangerous_goods: line.dangerous_goods,
        });
    }
    measures
}

/// "UN" and four digits: a UN number of the dangerous goods list.
fn is_un_number(text: &str) -> bool {
    text.len() == 6 && text.starts_with("UN") && text[2..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use logistics_contracts::common::Money;
    use logistics_platform::money::cny;

    use super::*;
    use crate::app::proto::mode_to_proto;

    fn good_line() -> CargoLine {
        CargoLine {
            description: "Ceramic tiles on pallets".into(),
            pieces: 4,
            weight_grams: 800_000,
            volume_cm3: 2_000_000,
            declared_value: Some(cny(1_200_000)),
            dangerous_goods: false,
            un_number: String::new(),
        }
    }

    #[test]
    fn modes_convert_both_ways_and_unspecified_is_none() {
        for mode in TransportMode::ALL {
            assert_eq!(mode_from_proto(mode_to_proto(*mode) as i32), Some(*mode));
        }
        assert_eq!(mode_from_proto(0), None);
        assert_eq!(mode_from_proto(99), None);
    }

    #[test]
    fn cargo_bounds_are_checked_at_their_edges() {
        type Case = (fn(&mut CargoLine), Option<&'static str>);
        let cases: [Case; 14] = [
            (|_| {}, None),
            (|l| l.pieces = 10_000, None),
            (|l| l.pieces = 10_001, Some("pieces")),
            (|l| l.pieces = 0, Some("pieces")),
            (|l| l.weight_grams = 100_000_000, None),
            (|l| l.weight_grams = 100_000_001, Some("weight_grams")),
            (|l| l.weight_grams = 0, Some("weight_grams")),
            (|l| l.volume_cm3 = 0, None),
            (|l| l.volume_cm3 = 1_000_000_001, Some("volume_cm3")),
            (|l| l.description = "x".repeat(201), Some("description")),
            (|l| l.dangerous_goods = true, Some("un_number")),
            (|l| l.un_number = "UN1263".into(), Some("un_number")),
            (
                |l| {
                    l.dangerous_goods = true;
                    l.un_number = "UN126".into();
                },
                Some("un_number"),
            ),
            (
                |l| {
                    l.declared_value = Some(Money {
                        currency_code: "USD".into(),
                        amount_minor: 1,
                    })
                },
                Some("declared_value.currency_code"),
            ),
        ];
        for (at, (change, bad)) in cases.into_iter().enumerate() {
            let mut line = good_line();
            change(&mut line);
            let mut violations = Violations::new();
            let measures = validate_cargo(&mut violations, "order.cargo", &[good_line(), line]);
            assert_eq!(measures.len(), 2);
            let expected: Vec<String> = bad
                .map(|name| format!("order.cargo[1].{name}"))
                .into_iter()
                .collect();
            assert_eq!(violations.fields(), expected, "case {at}");
        }
    }

    #[test]
    fn cargo_needs_one_to_a_hundred_lines() {
        for (count, ok) in [(0, false), (1, true), (100, true), (101, false)] {
            let mut violations = Violations::new();
            validate_cargo(&mut violations, "cargo", &vec![good_line(); count]);
            assert_eq!(violations.is_empty(), ok, "{count} lines");
        }
    }

    fn pudong() -> Address {
        Address {
            recipient: " Pudong Warehouse 2 ".into(),
            lines: vec!["88 Century Avenue".into()],
            city: "Shanghai".into(),
            postal_code: "200120".into(),
            region_code: "310115".into(),
            country_code: "CN".into(),
        }
    }

    #[test]
    fn a_full_address_is_returned_trimmed() {
        let mut violations = Violations::new();
        let address = validate_address(&mut violations, "order.origin", Some(&pudong())).unwrap();
        assert!(violations.is_empty());
        assert_eq!(address.recipient, "Pudong Warehouse 2");
    }

    #[test]
    fn every_bad_part_of_an_address_is_named() {
        type Case = (fn(&mut Address), &'static [&'static str]);
        let cases: [Case; 8] = [
            (|a| a.recipient = " ".into(), &["recipient"]),
            (|a| a.lines.clear(), &["lines"]),
            (|a| a.lines = vec!["a".into(); 4], &["lines"]),
            (|a| a.lines = vec!["a".into(), " ".into()], &["lines[1]"]),
            (|a| a.city = "x".repeat(101), &["city"]),
            (|a| a.postal_code = "1".repeat(21), &["postal_code"]),
            (|a| a.region_code.clear(), &["region_code"]),
            (
                |a| {
                    a.country_code = "cn".into();
                    a.region_code = "sh".into();
                },
                &["region_code", "country_code"],
            ),
        ];
        for (at, (change, bad)) in cases.into_iter().enumerate() {
            let mut address = pudong();
            change(&mut address);
            let mut violations = Violations::new();
            violations.add("before", "an earlier field");
            let valid = validate_address(&mut violations, "a", Some(&address)).is_some();
            assert_eq!(valid, bad.is_empty(), "case {at}");
            let mut expected = vec!["before".to_owned()];
            expected.extend(bad.iter().map(|name| format!("a.{name}")));
            assert_eq!(violations.fields(), expected, "case {at}");
        }
        let mut violations = Violations::new();
        assert_eq!(validate_address(&mut violations, "a", None), None);
        assert_eq!(violations.fields(), ["a"]);
    }
}

//! Rate cards and quotes between the wire and the domain.

use logistics_contracts::common::Money;
use logistics_contracts::orders as pb;
use logistics_platform::error::Violations;
use logistics_platform::money::{cny, required_cny_fen};
use logistics_platform::time::timestamp;

use super::fields::mode_field;
use crate::app::proto::mode_to_proto;
use crate::domain::rate_card::{Lane, MAX_LANES, MAX_ZONES, ModeTerms, RateCard, Zone};
use crate::store::rate_cards::StoredRateCard;

/// A lane's fee in CNY fen; its range is one of the card's own rules, checked with the card.
fn lane_fee(violations: &mut Violations, field: &str, money: Option<&Money>) -> i64 {
    required_cny_fen(violations, field, money, i64::MIN..=i64::MAX)
}

/// The card of an UpdateRateCard request, every bad field recorded under `rate_card.`: first what
/// the wire types allow (modes, money), then the card's own rules.
pub(super) fn card_from_proto(input: &pb::RateCard, violations: &mut Violations) -> RateCard {
    let field = |name: &str| format!("rate_card.{name}");
    for (name, count, max) in [
        ("zones", input.zones.len(), MAX_ZONES),
        ("lanes", input.lanes.len(), MAX_LANES),
    ] {
        if count > max {
            violations.add(
                field(name),
                format!("must list at most {max} (got {count})"),
            );
        }
    }
    // Entries with a bad mode are left out of the card, so the card's indices may lag the
    // request's: these map them back.
    let mut modes_at = Vec::new();
    let mut modes = Vec::new();
    for (at, terms) in input.modes.iter().enumerate() {
        if let Some(mode) = mode_field(violations, &field(&format!("modes[{at}].mode")), terms.mode)
        {
            modes_at.push(at);
            modes.push(ModeTerms {
                mode,
                volumetric_divisor_cm3_per_kg: terms.volumetric_divisor_cm3_per_kg,
                weight_step_grams: terms.weight_step_grams,
            });
        }
    }
    let mut lanes_at = Vec::new();
    let mut lanes = Vec::new();
    for (at, lane) in input.lanes.iter().enumerate().take(MAX_LANES) {
        let path = |name: &str| field(&format!("lanes[{at}].{name}"));
        let mode = mode_field(violations, &path("mode"), lane.mode);
        let base_fee_fen = lane_fee(violations, &path("base_fee"), lane.base_fee.as_ref());
        let fee_per_step_fen = lane_fee(
            violations,
            &path("fee_per_step"),
            lane.fee_per_step.as_ref(),
        );
        let minimum_charge_fen = lane_fee(
            violations,
            &path("minimum_charge"),
            lane.minimum_charge.as_ref(),
        );
        if let Some(mode) = mode {
            lanes_at.push(at);
            lanes.push(Lane {
                mode,
                origin_zone: lane.origin_zone.clone(),
                destination_zone: lane.destination_zone.clone(),
                base_fee_fen,
                fee_per_step_fen,
                minimum_charge_fen,
                transit_hours: lane.transit_hours,
            });
        }
    }
    let card = RateCard {
        version: 0,
        zones: input
            .zones
            .iter()
            .take(MAX_ZONES)
            .map(|zone| Zone {
                name: zone.name.clone(),
                region_prefixes: zone.region_prefixes.clone(),
            })
            .collect(),
        fallback_zone: input.fallback_zone.clone(),
        modes,
        lanes,
        dangerous_goods_surcharge_percent: input.dangerous_goods_surcharge_percent,
        priority_surcharge_percent: input.priority_surcharge_percent,
        priority_transit_cut_percent: input.priority_transit_cut_percent,
    };
    for (path, problem) in card.problems() {
        // A list the request does fill is only "empty" here because its bad entries were left out.
        let left_out = (path == "lanes" && !input.lanes.is_empty())
            || (path == "modes" && !input.modes.is_empty());
        if !left_out {
            let path = remap(&remap(&path, "modes", &modes_at), "lanes", &lanes_at);
            violations.add(field(&path), problem);
        }
    }
    card
}

/// `list[k]...` with `k` an index into the card, as `list[at[k]]...`, an index into the request.
fn remap(path: &str, list: &str, at: &[usize]) -> String {
    let Some(rest) = path
        .strip_prefix(list)
        .and_then(|rest| rest.strip_prefix('['))
    else {
        return path.to_owned();
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return path.to_owned();
    };
    match index.parse::<usize>().ok().and_then(|k| at.get(k)) {
        Some(original) => format!("{list}[{original}]{tail}"),
        None => path.to_owned(),
    }
}

/// The message of a stored card version.
pub(super) fn card_to_proto(stored: &StoredRateCard) -> pb::RateCard {
    let card = &stored.card;
    pb::RateCard {
        version: card.version,
        zones: card
            .zones
            .iter()
            .map(|zone| pb::RateZone {
                name: zone.name.clone(),
                region_prefixes: zone.region_prefixes.clone(),
            })
            .collect(),
        fallback_zone: card.fallback_zone.clone(),
        modes: card
            .modes
            .iter()
            .map(|terms| pb::ModeTerms {
                mode: mode_to_proto(terms.mode).into(),
                volumetric_divisor_cm3_per_kg: terms.volumetric_divisor_cm3_per_kg,
                weight_step_grams: terms.weight_step_grams,
            })
            .collect(),
        lanes: card
            .lanes
            .iter()
            .map(|lane| pb::Lane {
                mode: mode_to_proto(lane.mode).into(),
                origin_zone: lane.origin_zone.clone(),
                destination_zone: lane.destination_zone.clone(),
                base_fee: Some(cny(lane.base_fee_fen)),
                fee_per_step: Some(cny(lane.fee_per_step_fen)),
                minimum_charge: Some(cny(lane.minimum_charge_fen)),
                transit_hours: lane.transit_hours,
            })
            .collect(),
        dangerous_goods_surcharge_percent: card.dangerous_goods_surcharge_percent,
        priority_surcharge_percent: card.priority_surcharge_percent,
        priority_transit_cut_percent: card.priority_transit_cut_percent,
        created_by: stored.created_by.clone(),
        create_time: Some(timestamp(stored.create_time)),
        change_reason: stored.change_reason.clone(),
        etag: logistics_platform::etag::of(card.version.into()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn stored(card: RateCard) -> StoredRateCard {
        StoredRateCard {
            card,
            created_by: "test".into(),
            change_reason: "test".into(),
            create_time: Utc::now(),
        }
    }

    #[test]
    fn the_default_card_survives_the_wire() {
        let card = RateCard::default();
        let proto = card_to_proto(&stored(card.clone()));
        let mut violations = Violations::new();
        let back = card_from_proto(&proto, &mut violations);
        assert!(violations.is_empty());
        assert_eq!(back, RateCard { version: 0, ..card });
    }

    #[test]
    fn problems_after_a_left_out_entry_name_the_requests_index() {
        let mut proto = card_to_proto(&stored(RateCard::default()));
        proto.lanes[0].mode = 0;
        proto.lanes[2].transit_hours = 0;
        proto.lanes[3].base_fee = None;
        proto.lanes[4].fee_per_step = Some(logistics_contracts::common::Money {
            currency_code: "USD".into(),
            amount_minor: -1,
        });
        proto.modes[0].mode = 42;
        proto.modes[1].weight_step_grams = 1;
        let mut violations = Violations::new();
        card_from_proto(&proto, &mut violations);
        let found = violations.fields();
        for field in [
            "rate_card.lanes[0].mode",
            "rate_card.lanes[2].transit_hours",
            "rate_card.lanes[3].base_fee",
            "rate_card.lanes[4].fee_per_step.currency_code",
            "rate_card.lanes[4].fee_per_step",
            "rate_card.modes[0].mode",
            "rate_card.modes[1].weight_step_grams",
        ] {
            assert!(found.contains(&field), "{field} in {found:?}");
        }
        // ROAD lost its terms, so each remaining ROAD lane is refused, under its own index.
        assert!(found.contains(&"rate_card.lanes[1].mode"), "{found:?}");
    }

    #[test]
    fn paths_are_mapped_back_to_the_request() {
        assert_eq!(remap("lanes[1].mode", "lanes", &[0, 2]), "lanes[2].mode");
        assert_eq!(remap("lanes", "lanes", &[0, 2]), "lanes");
        assert_eq!(remap("modes[0].mode", "lanes", &[5]), "modes[0].mode");
    }
}

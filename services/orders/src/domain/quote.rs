//! Quoting a shipment from a rate card: chargeable weight, price and promised delivery time.
//!
//! Integer arithmetic only, and every rounding favours a promise the company can keep:
//! - volumetric weight is volume × 1000 / divisor grams, rounded up to the gram;
//! - chargeable weight is the larger of actual and volumetric weight, rounded up to the mode's
//!   weight step (started steps are charged);
//! - freight is the lane's base fee plus its fee per step, at least its minimum charge;
//! - each surcharge is a percentage of the freight, rounded up to the fen; they do not compound;
//! - priority transport cuts the transit time by a percentage, the cut rounded down to the hour,
//!   never below one hour.

use chrono::{DateTime, Duration, Utc};

use super::mode::TransportMode;
use super::rate_card::RateCard;

/// Grams in a kilogram: divisors are in cm3 per kg, weights in grams.
const GRAMS_PER_KG: i128 = 1000;

/// The measures of one cargo line that pricing needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CargoMeasure {
    /// Pieces of the line, at least 1.
    pub(crate) pieces: i32,
    /// Total actual weight of the line, in grams, at least 1.
    pub(crate) weight_grams: i64,
    /// Total volume of the line, in cm3; 0 when unknown.
    pub(crate) volume_cm3: i64,
    /// Whether the line holds dangerous goods.
    pub(crate) dangerous_goods: bool,
}

/// A shipment to price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShipmentSpec {
    /// How it travels.
    pub(crate) mode: TransportMode,
    /// Region code of the origin, e.g. "310115" or "CN-SH".
    pub(crate) origin_region: String,
    /// Region code of the destination.
    pub(crate) destination_region: String,
    /// The cargo, at least one line.
    pub(crate) lines: Vec<CargoMeasure>,
    /// Whether the customer's service level grants priority transport.
    pub(crate) priority_transport: bool,
}

/// A price and a promise. Orders keep the one they were accepted with, as JSON: fields added later
/// default when older rows are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub(crate) struct QuoteOutcome {
    /// The price, in fen (CNY).
    pub(crate) price_fen: i64,
    /// The weight charged for: the larger of actual and volumetric, rounded up to the mode's step.
    pub(crate) chargeable_weight_grams: i64,
    /// The sum of the lines' weights.
    pub(crate) actual_weight_grams: i64,
    /// The lines' total volume turned into weight by the mode's divisor, rounded up to the gram.
    pub(crate) volumetric_weight_grams: i64,
    /// The origin's zone.
    pub(crate) origin_zone: String,
    /// The destination's zone.
    pub(crate) destination_zone: String,
    /// The version of the card that priced it.
    pub(crate) rate_card_version: i32,
    /// Promised transit time, in hours from pickup.
    pub(crate) transit_hours: i32,
    /// Pickup time plus the transit time.
    pub(crate) promised_delivery_time: DateTime<Utc>,
}

/// Why a shipment cannot be quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum QuoteError {
    /// The shipment has no cargo line.
    #[error("a shipment needs at least one cargo line")]
    NoCargo,
    /// A cargo line has no pieces, no weight or a negative volume.
    #[error("cargo line {line} needs pieces, a weight, and a volume of zero or more")]
    BadCargoLine {
        /// Index of the line.
        line: usize,
    },
    /// The card does not carry the mode at all.
    #[error("rate card v{version} has no terms for {}", mode.as_str())]
    ModeNotOffered {
        /// The mode.
        mode: TransportMode,
        /// The card's version.
        version: i32,
    },
    /// The card has no lane of the mode between the zones (e.g. SEA to an inland zone).
    #[error("no {} lane from zone {origin_zone} to zone {destination_zone}", mode.as_str())]
    NoLane {
        /// The mode.
        mode: TransportMode,
        /// Zone of the origin.
        origin_zone: String,
        /// Zone of the destination.
        destination_zone: String,
    },
    /// The price or a weight does not fit in 64 bits (not reachable within the API's bounds).
    #[error("the shipment is too large to price")]
    TooLarge,
}

/// Prices `shipment` by `card` for a pickup at `pickup_at`.
pub(crate) fn quote(
    card: &RateCard,
    shipment: &ShipmentSpec,
    pickup_at: DateTime<Utc>,
) -> Result<QuoteOutcome, QuoteError> {
    if shipment.lines.is_empty() {
        return Err(QuoteError::NoCargo);
    }
    if let Some(line) = shipment
        .lines
        .iter()
        .position(|l| l.pieces < 1 || l.weight_grams < 1 || l.volume_cm3 < 0)
    {
        return Err(QuoteError::BadCargoLine { line });
    }
    let terms = card
        .mode_terms(shipment.mode)
        .ok_or(QuoteError::ModeNotOffered {
            mode: shipment.mode,
            version: card.version,
        })?;
    let origin_zone = card.zone_of(&shipment.origin_region);
    let destination_zone = card.zone_of(&shipment.destination_region);
    let lane = card
        .lane(shipment.mode, origin_zone, destination_zone)
        .ok_or_else(|| QuoteError::NoLane {
            mode: shipment.mode,
            origin_zone: origin_zone.to_owned(),
            destination_zone: destination_zone.to_owned(),
        })?;

    let actual: i128 = shipment
        .lines
        .iter()
        .map(|l| i128::from(l.weight_grams))
        .sum();
    let volume: i128 = shipment
        .lines
        .iter()
        .map(|l| i128::from(l.volume_cm3))
        .sum();
    let divisor = i128::from(terms.volumetric_divisor_cm3_per_kg.max(1));
    let volumetric = ceil_div(volume * GRAMS_PER_KG, divisor);
    let step = i128::from(terms.weight_step_grams.max(1));
    let steps = ceil_div(actual.max(volumetric), step);

    let freight = (i128::from(lane.base_fee_fen) + steps * i128::from(lane.fee_per_step_fen))
        .max(i128::from(lane.minimum_charge_fen));
    let surcharge = |percent: i32| ceil_div(freight * i128::from(percent), 100);
    let mut price = freight;
    if shipment.lines.iter().any(|l| l.dangerous_goods) {
        price += surcharge(card.dangerous_goods_surcharge_percent);
    }
    let mut transit_hours = lane.transit_hours;
    if shipment.priority_transport {
        price += surcharge(card.priority_surcharge_percent);
        let cut = i64::from(transit_hours) * i64::from(card.priority_transit_cut_percent) / 100;
        transit_hours = (i64::from(transit_hours) - cut).max(1) as i32;
    }
    let promised_delivery_time = pickup_at
        .checked_add_signed(Duration::hours(i64::from(transit_hours)))
        .ok_or(QuoteError::TooLarge)?;

    let fit = |value: i128| i64::try_from(value).map_err(|_| QuoteError::TooLarge);
    Ok(QuoteOutcome {
        price_fen: fit(price)?,
        chargeable_weight_grams: fit(steps * step)?,
        actual_weight_grams: fit(actual)?,
        volumetric_weight_grams: fit(volumetric)?,
        origin_zone: origin_zone.to_owned(),
        destination_zone: destination_zone.to_owned(),
        rate_card_version: card.version,
        transit_hours,
        promised_delivery_time,
    })
}

/// `numerator / denominator` rounded up, for a non-negative numerator and a positive denominator.
fn ceil_div(numerator: i128, denominator: i128) -> i128 {
    (numerator + denominator - 1) / denominator
}

#[cfg(test)]
#[path = "quote_tests.rs"]
mod tests;

//! Money on the wire: every amount the suite takes or gives is CNY in fen (分), checked here.

use std::ops::RangeInclusive;

use logistics_contracts::common::Money;

use crate::error::Violations;

/// The one currency the suite prices in.
pub const CNY: &str = "CNY";

/// `fen` as Money in CNY.
pub fn cny(fen: i64) -> Money {
    Money {
        currency_code: CNY.to_owned(),
        amount_minor: fen,
    }
}

/// Checks the CNY amount at `field` (`field.currency_code`, `field.amount_minor`) against
/// `range` and answers it in fen: 0 when absent or out of range, the amount even under a wrong
/// currency (so the caller's own rules may name their problems with it too). An all-default
/// Money (no currency, no amount) reads as zero yuan: that is what a JSON `{}` decodes to.
pub fn cny_fen(
    violations: &mut Violations,
    field: &str,
    money: Option<&Money>,
    range: RangeInclusive<i64>,
) -> i64 {
    let Some(money) = money else {
        return 0;
    };
    if money.currency_code != CNY && !(money.currency_code.is_empty() && money.amount_minor == 0) {
        violations.add(format!("{field}.currency_code"), "must be CNY");
    }
    if range.contains(&money.amount_minor) {
        money.amount_minor
    } else {
        violations.add(
            format!("{field}.amount_minor"),
            format!("must be {} to {} fen", range.start(), range.end()),
        );
        0
    }
}

/// As [`cny_fen`], and a missing amount is refused as required.
pub fn required_cny_fen(
    violations: &mut Violations,
    field: &str,
    money: Option<&Money>,
    range: RangeInclusive<i64>,
) -> i64 {
    if money.is_none() {
        violations.add(field, "is required");
    }
    cny_fen(violations, field, money, range)
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt as _;

    use super::*;

    fn check(money: Option<Money>) -> (i64, Vec<String>) {
        let mut violations = Violations::new();
        let fen = required_cny_fen(&mut violations, "fee", money.as_ref(), 0..=1_000);
        let fields = violations
            .into_error()
            .into_status("test")
            .get_error_details()
            .bad_request()
            .map(|bad| {
                bad.field_violations
                    .iter()
                    .map(|v| v.field.clone())
                    .collect()
            })
            .unwrap_or_default();
        (fen, fields)
    }

    #[test]
    fn an_amount_is_cny_within_its_range_and_required_when_asked() {
        assert_eq!(check(Some(cny(1_000))), (1_000, vec![]));
        assert_eq!(check(Some(Money::default())), (0, vec![]));
        assert_eq!(check(None), (0, vec!["fee".to_owned()]));
        let usd = Money {
            currency_code: "USD".to_owned(),
            amount_minor: 5,
        };
        assert_eq!(check(Some(usd)), (5, vec!["fee.currency_code".to_owned()]));
        assert_eq!(
            check(Some(cny(i64::MIN))),
            (0, vec!["fee.amount_minor".to_owned()])
        );
    }
}

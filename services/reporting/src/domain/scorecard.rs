//! Scorecard templates (绩效考核模板) and their scoring rule, in integers: rates in basis points,
//! points in hundredths. "Reaches T%; each percentage point short deducts D points; below F%
//! scores zero" (lower is better: "at most T%; each point over deducts D; above F% scores zero").
//! Pure: the API checks templates with [`check_item`], GetScorecard scores with [`score`].

use logistics_platform::named_enum;

use crate::domain::kpi::Kpi;

/// The most items a template has (there are fewer rate KPIs than this).
pub const MAX_ITEMS: usize = 16;
/// The most points one item is worth.
pub const MAX_WEIGHT_POINTS: i32 = 1000;
/// 100%, in basis points.
pub const FULL_BASIS_POINTS: i32 = 10_000;
/// The largest deduction per percentage point, in hundredths of a point (1000 points).
pub const MAX_DEDUCTION_CENTIPOINTS: i32 = 100_000;

named_enum! {
    /// Which way a KPI is better.
    Direction {
        /// Higher is better: short of the target deducts.
        HigherIsBetter = "HIGHER_IS_BETTER",
        /// Lower is better: over the target deducts.
        LowerIsBetter = "LOWER_IS_BETTER",
    }
}

/// One KPI's rule in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The KPI.
    pub kpi: Kpi,
    /// Points when the target is met.
    pub weight_points: i32,
    /// Which way is better.
    pub direction: Direction,
    /// The target, in basis points.
    pub target_basis_points: i32,
    /// Points deducted per percentage point short (or over), in hundredths of a point.
    pub deduction_centipoints: i32,
    /// The zero floor, in basis points.
    pub floor_basis_points: i32,
}

/// Whether a KPI can be scored: only rates are, the cycle times are minutes.
pub fn is_rate(kpi: Kpi) -> bool {
    !matches!(kpi, Kpi::AverageCycleTime | Kpi::CycleTimeStddev)
}

/// What is wrong with one rule's numbers, as (field name, description) pairs; the KPI's own
/// checks (known, a rate, not twice) are the caller's, which sees the whole template.
pub fn check_rule(rule: &Rule) -> Vec<(&'static str, String)> {
    let mut wrong = Vec::new();
    if !(1..=MAX_WEIGHT_POINTS).contains(&rule.weight_points) {
        wrong.push((
            "weight_points",
            format!("must be from 1 to {MAX_WEIGHT_POINTS}"),
        ));
    }
    let basis = 0..=FULL_BASIS_POINTS;
    if !basis.contains(&rule.target_basis_points) {
        wrong.push((
            "target_basis_points",
            format!("must be from 0 to {FULL_BASIS_POINTS}"),
        ));
    }
    if !(0..=MAX_DEDUCTION_CENTIPOINTS).contains(&rule.deduction_centipoints) {
        wrong.push((
            "deduction_centipoints",
            format!("must be from 0 to {MAX_DEDUCTION_CENTIPOINTS}"),
        ));
    }
    if !basis.contains(&rule.floor_basis_points) {
        wrong.push((
            "floor_basis_points",
            format!("must be from 0 to {FULL_BASIS_POINTS}"),
        ));
    } else if basis.contains(&rule.target_basis_points) {
        match rule.direction {
            Direction::HigherIsBetter if rule.floor_basis_points > rule.target_basis_points => {
                wrong.push((
                    "floor_basis_points",
                    "must not be above target_basis_points when higher is better".to_owned(),
                ));
            }
            Direction::LowerIsBetter if rule.floor_basis_points < rule.target_basis_points => {
                wrong.push((
                    "floor_basis_points",
                    "must not be below target_basis_points when lower is better".to_owned(),
                ));
            }
            _ => {}
        }
    }
    wrong
}

/// One rule applied to a KPI's sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineScore {
    /// Whether anything was counted; an unscored line adds nothing.
    pub scored: bool,
    /// Short of (over) the target, in basis points, rounded to the nearest.
    pub shortfall_basis_points: i64,
    /// Points deducted, in hundredths, at most the weight.
    pub deduction_centipoints: i64,
    /// Points scored, in hundredths.
    pub score_centipoints: i64,
    /// Past the zero floor.
    pub past_floor: bool,
}

/// `numerator / denominator` rounded to the nearest integer, halves up; both non-negative.
fn rounded(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// Scores `rule` on the KPI's sums `numerator / denominator`, exactly: the rate is never rounded
/// before the comparison with the target and the floor.
pub fn score(rule: &Rule, numerator: i64, denominator: i64) -> LineScore {
    if denominator <= 0 {
        return LineScore {
            scored: false,
            shortfall_basis_points: 0,
            deduction_centipoints: 0,
            score_centipoints: 0,
            past_floor: false,
        };
    }
    let weight = i128::from(rule.weight_points) * 100;
    let denominator = i128::from(denominator);
    // The rate in basis points times the denominator, so every comparison stays in integers.
    let value = i128::from(numerator.max(0)) * i128::from(FULL_BASIS_POINTS);
    let target = i128::from(rule.target_basis_points) * denominator;
    let floor = i128::from(rule.floor_basis_points) * denominator;
    let (short, past_floor) = match rule.direction {
        Direction::HigherIsBetter => ((target - value).max(0), value < floor),
        Direction::LowerIsBetter => ((value - target).max(0), value > floor),
    };
    // short / denominator is in basis points; D x (short / denominator) / 100 is the deduction
    // in hundredths of a point (D per percentage point = per 100 basis points).
    let deduction = rounded(
        i128::from(rule.deduction_centipoints) * short,
        100 * denominator,
    )
    .min(weight);
    let (deduction, score) = if past_floor {
        (weight, 0)
    } else {
        (deduction, weight - deduction)
    };
    let narrow = |wide: i128| i64::try_from(wide).unwrap_or(i64::MAX);
    LineScore {
        scored: true,
        shortfall_basis_points: narrow(rounded(short, denominator)),
        deduction_centipoints: narrow(deduction),
        score_centipoints: narrow(score),
        past_floor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On-time arrival: 20 points, reaches 95%, 2 points per point short, zero below 85%.
    const ARRIVAL: Rule = Rule {
        kpi: Kpi::OnTimeArrivalRate,
        weight_points: 20,
        direction: Direction::HigherIsBetter,
        target_basis_points: 9500,
        deduction_centipoints: 200,
        floor_basis_points: 8500,
    };

    /// Damage: 10 points, at most 1%, 5 points per point over, zero above 3%.
    const DAMAGE: Rule = Rule {
        kpi: Kpi::DamageRate,
        weight_points: 10,
        direction: Direction::LowerIsBetter,
        target_basis_points: 100,
        deduction_centipoints: 500,
        floor_basis_points: 300,
    };

    /// (name, rule, numerator, denominator, shortfall bp, deduction, score, past floor)
    type Case = (&'static str, Rule, i64, i64, i64, i64, i64, bool);

    #[test]
    fn a_rule_scores_by_its_distance_from_the_target_up_to_the_floor() {
        let cases: &[Case] = &[
            ("at target", ARRIVAL, 95, 100, 0, 0, 2000, false),
            ("over-achieving", ARRIVAL, 100, 100, 0, 0, 2000, false),
            ("one point short", ARRIVAL, 94, 100, 100, 200, 1800, false),
            ("at the floor", ARRIVAL, 85, 100, 1000, 2000, 0, false),
            (
                "just past the floor",
                ARRIVAL,
                8499,
                10000,
                1001,
                2000,
                0,
                true,
            ),
            (
                "a third of a point short",
                ARRIVAL,
                284,
                300,
                33,
                67,
                1933,
                false,
            ),
            ("lower: at target", DAMAGE, 1, 100, 0, 0, 1000, false),
            (
                "lower: better than target",
                DAMAGE,
                0,
                100,
                0,
                0,
                1000,
                false,
            ),
            (
                "lower: one point over",
                DAMAGE,
                2,
                100,
                100,
                500,
                500,
                false,
            ),
            ("lower: at the floor", DAMAGE, 3, 100, 200, 1000, 0, false),
            (
                "lower: just past the floor",
                DAMAGE,
                301,
                10000,
                201,
                1000,
                0,
                true,
            ),
        ];
        for &(name, rule, numerator, denominator, shortfall, deduction, score_, past) in cases {
            let line = score(&rule, numerator, denominator);
            assert_eq!(
                line,
                LineScore {
                    scored: true,
                    shortfall_basis_points: shortfall,
                    deduction_centipoints: deduction,
                    score_centipoints: score_,
                    past_floor: past,
                },
                "{name}"
            );
        }
    }

    #[test]
    fn a_deduction_never_takes_more_than_the_weight() {
        let steep = Rule {
            deduction_centipoints: MAX_DEDUCTION_CENTIPOINTS,
            floor_basis_points: 0,
            ..ARRIVAL
        };
        let line = score(&steep, 1, 2);
        assert_eq!(
            (line.deduction_centipoints, line.score_centipoints),
            (2000, 0)
        );
        assert!(!line.past_floor);
    }

    #[test]
    fn nothing_counted_is_not_scored() {
        assert!(!score(&ARRIVAL, 0, 0).scored);
        assert_eq!(score(&ARRIVAL, 0, 0).score_centipoints, 0);
    }

    #[test]
    fn sums_at_the_extremes_do_not_overflow() {
        let line = score(&ARRIVAL, i64::MAX, i64::MAX);
        assert_eq!(line.score_centipoints, 2000);
        let line = score(&DAMAGE, i64::MAX, i64::MAX);
        assert!(line.past_floor);
        assert_eq!(line.shortfall_basis_points, 9900);
        let line = score(&ARRIVAL, 1, i64::MAX);
        assert!(line.past_floor);
    }

    #[test]
    fn the_floor_must_lie_on_the_far_side_of_the_target() {
        let above = Rule {
            floor_basis_points: 9600,
            ..ARRIVAL
        };
        assert_eq!(check_rule(&above)[0].0, "floor_basis_points");
        let below = Rule {
            floor_basis_points: 50,
            ..DAMAGE
        };
        assert_eq!(check_rule(&below)[0].0, "floor_basis_points");
        assert!(check_rule(&ARRIVAL).is_empty());
        assert!(check_rule(&DAMAGE).is_empty());
    }

    #[test]
    fn numbers_out_of_bounds_are_named() {
        let wild = Rule {
            weight_points: 0,
            target_basis_points: 10_001,
            deduction_centipoints: -1,
            floor_basis_points: i32::MIN,
            ..ARRIVAL
        };
        let fields: Vec<&str> = check_rule(&wild).iter().map(|(field, _)| *field).collect();
        assert_eq!(
            fields,
            [
                "weight_points",
                "target_basis_points",
                "deduction_centipoints",
                "floor_basis_points"
            ]
        );
        assert!(!is_rate(Kpi::AverageCycleTime));
        assert!(is_rate(Kpi::ChurnRate));
    }
}

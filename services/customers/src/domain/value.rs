//! Customer value (客户价值评估): recency, frequency and monetary scores from 1 to 5.
//!
//! The rule: among every customer that shipped in the last 365 days, the 20th, 40th, 60th and
//! 80th percentiles of each figure cut the population into fifths; a customer's score is 1 plus
//! the number of cuts it beats. "Beats" means strictly more shipments or spend, or strictly fewer
//! days since the last shipment, so ties sit in the lower fifth. A customer that did not ship in
//! those 365 days scores 1 on all three.

/// A customer's own figures over the last 365 days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ValueFigures {
    /// Days since the last shipment ever; `None` if it never shipped.
    pub(crate) days_since_last_shipment: Option<i64>,
    /// Shipments in the last 365 days.
    pub(crate) shipments: i64,
    /// Spend (fen) in the last 365 days.
    pub(crate) spend_fen: i64,
}

/// The four cuts of each figure over the population.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Quintiles {
    /// Cuts of days since the last shipment (fewer is better).
    pub(crate) recency_days: [f64; 4],
    /// Cuts of shipment counts.
    pub(crate) shipments: [f64; 4],
    /// Cuts of spend in fen.
    pub(crate) spend_fen: [f64; 4],
}

/// Recency, frequency and monetary scores, each 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RfmScores {
    /// Recency.
    pub(crate) recency: i32,
    /// Frequency.
    pub(crate) frequency: i32,
    /// Monetary.
    pub(crate) monetary: i32,
}

/// Scores a customer's figures against the population's cuts.
pub(crate) fn rfm_scores(figures: ValueFigures, quintiles: Option<&Quintiles>) -> RfmScores {
    let lowest = RfmScores {
        recency: 1,
        frequency: 1,
        monetary: 1,
    };
    let (Some(quintiles), true) = (quintiles, figures.shipments > 0) else {
        return lowest;
    };
    let beaten = |cuts: &[f64; 4], beats: &dyn Fn(f64) -> bool| {
        1 + cuts.iter().filter(|&&cut| beats(cut)).count() as i32
    };
    let days = figures.days_since_last_shipment.unwrap_or(i64::MAX) as f64;
    RfmScores {
        recency: beaten(&quintiles.recency_days, &|cut| days < cut),
        frequency: beaten(&quintiles.shipments, &|cut| figures.shipments as f64 > cut),
        monetary: beaten(&quintiles.spend_fen, &|cut| figures.spend_fen as f64 > cut),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quintiles() -> Quintiles {
        Quintiles {
            recency_days: [10.0, 30.0, 60.0, 120.0],
            shipments: [1.0, 2.0, 5.0, 10.0],
            spend_fen: [10_000.0, 50_000.0, 100_000.0, 1_000_000.0],
        }
    }

    fn figures(days: i64, shipments: i64, spend_fen: i64) -> ValueFigures {
        ValueFigures {
            days_since_last_shipment: Some(days),
            shipments,
            spend_fen,
        }
    }

    #[test]
    fn each_score_counts_the_cuts_the_customer_beats() {
        let cases = [
            (figures(5, 11, 2_000_000), (5, 5, 5)),
            (figures(10, 10, 1_000_000), (4, 4, 4)),
            (figures(45, 3, 60_000), (3, 3, 3)),
            (figures(200, 1, 10_000), (1, 1, 1)),
            (figures(119, 2, 10_001), (2, 2, 2)),
        ];
        for (figures, (r, f, m)) in cases {
            let scores = rfm_scores(figures, Some(&quintiles()));
            assert_eq!(
                (scores.recency, scores.frequency, scores.monetary),
                (r, f, m),
                "{figures:?}"
            );
        }
    }

    #[test]
    fn a_customer_without_shipments_in_a_year_scores_one_everywhere() {
        let lowest = RfmScores {
            recency: 1,
            frequency: 1,
            monetary: 1,
        };
        assert_eq!(rfm_scores(figures(400, 0, 0), Some(&quintiles())), lowest);
        assert_eq!(rfm_scores(ValueFigures::default(), None), lowest);
    }
}

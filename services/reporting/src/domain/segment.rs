//! Customer segmentation (客户细分): the dimensions customers are grouped by, and which lists of
//! them make a valid grouping. Pure: the store turns a checked grouping into SQL.

/// A variable customers are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Dimension {
    /// Individual, enterprise, government.
    Kind,
    /// End customer or intermediary.
    Role,
    /// The grade within the kind.
    Tier,
    /// KEY, GENERAL, POTENTIAL.
    ValueClass,
    /// The industry text.
    Industry,
    /// The home region code.
    Region,
    /// The lifecycle status.
    Status,
}

impl Dimension {
    /// Every dimension, in the order the proto numbers them.
    pub(crate) const ALL: [Dimension; 7] = [
        Dimension::Kind,
        Dimension::Role,
        Dimension::Tier,
        Dimension::ValueClass,
        Dimension::Industry,
        Dimension::Region,
        Dimension::Status,
    ];

    /// The `customer_facts` column holding it: a fixed name, never caller text, so it may be
    /// written into SQL.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Dimension::Kind => "kind",
            Dimension::Role => "role",
            Dimension::Tier => "tier",
            Dimension::ValueClass => "value_class",
            Dimension::Industry => "industry",
            Dimension::Region => "region_code",
            Dimension::Status => "status",
        }
    }
}

/// Why a list of dimensions is no grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupingProblem {
    /// No dimension at all.
    Empty,
    /// The dimension at this index came earlier in the list too.
    Repeated(usize),
}

/// Checks that `dimensions` groups customers: at least one, none twice (so never more than
/// [`Dimension::ALL`] has). Returns every problem, first to last.
pub(crate) fn check_grouping(dimensions: &[Dimension]) -> Vec<GroupingProblem> {
    if dimensions.is_empty() {
        return vec![GroupingProblem::Empty];
    }
    dimensions
        .iter()
        .enumerate()
        .filter(|(index, dimension)| dimensions[..*index].contains(dimension))
        .map(|(index, _)| GroupingProblem::Repeated(index))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Dimension::*;
    use super::GroupingProblem::*;
    use super::*;

    #[test]
    fn a_grouping_needs_one_dimension_and_takes_each_at_most_once() {
        let cases: &[(&[Dimension], &[GroupingProblem])] = &[
            (&[], &[Empty]),
            (&[Kind], &[]),
            (&[Kind, Industry, Region], &[]),
            (&Dimension::ALL, &[]),
            (&[Kind, Kind], &[Repeated(1)]),
            (
                &[Tier, Region, Tier, Region, Tier],
                &[Repeated(2), Repeated(3), Repeated(4)],
            ),
        ];
        for (dimensions, problems) in cases {
            assert_eq!(check_grouping(dimensions), *problems, "{dimensions:?}");
        }
    }

    #[test]
    fn every_dimension_has_its_own_column() {
        let mut columns: Vec<_> = Dimension::ALL.iter().map(|d| d.column()).collect();
        columns.sort_unstable();
        columns.dedup();
        assert_eq!(columns.len(), Dimension::ALL.len());
    }
}

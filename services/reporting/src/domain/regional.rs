//! Quarterly and annual reports by region: the period (a quarter, a year or a range of months),
//! the peak and off-peak rule, a region's trend and share. Pure integers: the app reads the
//! monthly sums from the rollups and asks these functions what they make.

use chrono::Datelike;

use super::statement::{Month, YEARS};

/// The most months a report covers.
pub const MAX_MONTHS: i64 = 24;

/// What a violation of a quarter says.
pub const QUARTER_RULE: &str =
    "must be a quarter \"YYYY-Qn\" with n from 1 to 4 and a year from 2000 to 9999";

/// Whole months `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first month.
    pub first: Month,
    /// The last month.
    pub last: Month,
}

/// Months from `first` to `last` (negative when `last` comes first).
fn months_between(first: Month, last: Month) -> i64 {
    let (a, b) = (first.first_day(), last.first_day());
    i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month())
}

/// Why a range of months is not a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// The last month comes before the first.
    Backwards,
    /// More than [`MAX_MONTHS`] months.
    TooLong,
}

impl Period {
    /// The quarter "YYYY-Qn"; `None` for anything else.
    pub fn quarter(text: &str) -> Option<Self> {
        let (year, quarter) = text.split_once("-Q")?;
        let digits = year.len() == 4 && year.bytes().all(|byte| byte.is_ascii_digit());
        let quarter = match quarter {
            "1" => 1,
            "2" => 2,
            "3" => 3,
            "4" => 4,
            _ => return None,
        };
        if !digits {
            return None;
        }
        let first = Month::parse(&format!("{year}-{:02}", quarter * 3 - 2))?;
        Some(Self {
            first,
            last: first.next().next(),
        })
    }

    /// The calendar year `year` (in [`YEARS`]); `None` for another.
    pub fn year(year: i32) -> Option<Self> {
        if !YEARS.contains(&year) {
            return None;
        }
        Some(Self {
            first: Month::parse(&format!("{year:04}-01"))?,
            last: Month::parse(&format!("{year:04}-12"))?,
        })
    }

    /// The months `first..=last`, at most [`MAX_MONTHS`].
    pub fn range(first: Month, last: Month) -> Result<Self, RangeError> {
        match months_between(first, last) {
            span if span < 0 => Err(RangeError::Backwards),
            span if span >= MAX_MONTHS => Err(RangeError::TooLong),
            _ => Ok(Self { first, last }),
        }
    }

    /// Every month of the period, in order.
    pub fn months(self) -> Vec<Month> {
        let mut months = vec![self.first];
        while let Some(&month) = months.last().filter(|month| **month < self.last) {
            months.push(month.next());
        }
        months
    }
}

/// How busy a month is for its period (淡旺季).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Season {
    /// At least 120% of the period's monthly mean.
    Peak,
    /// At most 80% of it.
    OffPeak,
    /// Neither, or nothing shipped in the period.
    Normal,
}

/// The season of a month of `shipments` in a period of `months` months and `total` shipments:
/// with the mean `total / months`, peak when `100·months·shipments >= 120·total`, off-peak when
/// `<= 80·total`, in integers so the boundaries are exact.
pub fn season(shipments: i64, total: i64, months: usize) -> Season {
    if total <= 0 || months == 0 {
        return Season::Normal;
    }
    let scaled = 100 * i128::from(shipments) * months as i128;
    let total = i128::from(total);
    if scaled >= 120 * total {
        Season::Peak
    } else if scaled <= 80 * total {
        Season::OffPeak
    } else {
        Season::Normal
    }
}

/// An exact ratio of integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// Above the line.
    pub numerator: i64,
    /// Below the line.
    pub denominator: i64,
}

impl Ratio {
    /// numerator / denominator; `None` when the denominator is not positive.
    pub fn value(self) -> Option<f64> {
        super::kpi::ratio(self.numerator, self.denominator)
    }
}

/// The least-squares slope of `series` against its index (0, 1, ...): numerator
/// `n·Σ(i·y) - Σi·Σy`, denominator `n·Σi² - (Σi)²`, reduced by their greatest common divisor
/// (the denominator is 0 for fewer than two points); the numerator saturates at the i64 bounds.
pub fn slope(series: &[i64]) -> Ratio {
    let n = series.len() as i128;
    let (mut sum_i, mut sum_ii, mut sum_y, mut sum_iy) = (0i128, 0i128, 0i128, 0i128);
    for (index, &y) in series.iter().enumerate() {
        let (i, y) = (index as i128, i128::from(y));
        sum_i += i;
        sum_ii += i * i;
        sum_y += y;
        sum_iy += i * y;
    }
    let mut numerator = n * sum_iy - sum_i * sum_y;
    let mut denominator = n * sum_ii - sum_i * sum_i;
    let divisor = gcd(numerator.unsigned_abs(), denominator.unsigned_abs());
    if divisor > 1 {
        numerator /= divisor as i128;
        denominator /= divisor as i128;
    }
    let clamp =
        |value: i128| i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX });
    Ratio {
        numerator: clamp(numerator),
        denominator: clamp(denominator),
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    #[test]
    fn a_month_exactly_at_120_percent_of_the_mean_is_peak_and_just_below_is_normal() {
        // Four months, 100 shipments: the mean is 25; 30 is 120% of it.
        assert_eq!(season(30, 100, 4), Season::Peak);
        assert_eq!(season(29, 100, 4), Season::Normal);
        // 20 is 80% of it.
        assert_eq!(season(20, 100, 4), Season::OffPeak);
        assert_eq!(season(21, 100, 4), Season::Normal);
        // A mean that is no integer: 3 months, 10 shipments, mean 3.33; 4 is 120%, exactly.
        assert_eq!(season(4, 10, 3), Season::Peak);
        // 2.67 is 80%: 2 is under it, 3 is above it.
        assert_eq!(season(2, 10, 3), Season::OffPeak);
        assert_eq!(season(3, 10, 3), Season::Normal);
    }

    #[test]
    fn nothing_shipped_or_one_month_makes_every_month_normal() {
        assert_eq!(season(0, 0, 12), Season::Normal);
        assert_eq!(season(7, 7, 1), Season::Normal);
        assert_eq!(season(0, 5, 12), Season::OffPeak);
        assert_eq!(season(i64::MAX, i64::MAX, 24), Season::Peak, "no overflow");
    }

    #[test]
    fn the_slope_is_the_least_squares_line_through_the_months() {
        assert_eq!(
            slope(&[10, 20, 30]),
            Ratio {
                numerator: 10,
                denominator: 1
            }
        );
        assert_eq!(slope(&[30, 20, 10]).value(), Some(-10.0));
        // y = 1, 2, 2: n=3, Σi=3, Σi²=5, Σy=5, Σiy=6: (18-15)/(15-9) = 1/2.
        assert_eq!(
            slope(&[1, 2, 2]),
            Ratio {
                numerator: 1,
                denominator: 2
            }
        );
        assert_eq!(
            slope(&[5]),
            Ratio {
                numerator: 0,
                denominator: 0
            }
        );
        assert_eq!(slope(&[5]).value(), None);
        assert_eq!(slope(&[]).denominator, 0);
        assert_eq!(slope(&[0, i64::MAX]).value(), Some(i64::MAX as f64));
    }

    #[test]
    fn quarters_years_and_ranges_name_their_months() {
        let q3 = Period::quarter("2026-Q3").unwrap();
        assert_eq!((q3.first, q3.last), (month("2026-07"), month("2026-09")));
        assert_eq!(q3.months().len(), 3);
        let q4 = Period::quarter("2026-Q4").unwrap();
        assert_eq!(q4.last, month("2026-12"));
        for bad in [
            "2026-Q0",
            "2026-Q5",
            "2026Q1",
            "1999-Q1",
            "+026-Q1",
            "2026-Q1\n",
            "２０２６-Q1",
            "",
        ] {
            assert_eq!(Period::quarter(bad), None, "{bad:?}");
        }
        let year = Period::year(2026).unwrap();
        assert_eq!(year.months().len(), 12);
        assert_eq!(Period::year(1999), None);
        assert_eq!(Period::year(i32::MAX), None);
        assert_eq!(Period::year(9999).unwrap().last, month("9999-12"));
        let longest = Period::range(month("2025-01"), month("2026-12")).unwrap();
        assert_eq!(longest.months().len(), 24);
        assert_eq!(
            Period::range(month("2025-01"), month("2027-01")),
            Err(RangeError::TooLong)
        );
        assert_eq!(
            Period::range(month("2026-02"), month("2026-01")),
            Err(RangeError::Backwards)
        );
        assert_eq!(
            Period::range(month("2026-02"), month("2026-02"))
                .unwrap()
                .months()
                .len(),
            1
        );
    }
}

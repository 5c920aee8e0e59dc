//! The table of a statement: each figure formatted for a reader, with the previous month's and the
//! change, and whether the change is good news.

use super::StatementFigures;

/// Shown where a figure has no value (no denominator: nothing was due, nothing was delivered).
pub(super) const ABSENT: &str = "—";

/// A figure this month and the month before.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Compared<T> {
    /// This month's value.
    pub(crate) current: Option<T>,
    /// The previous month's value.
    pub(crate) previous: Option<T>,
}

impl<T> Compared<T> {
    /// Both months' values.
    pub(crate) fn new(current: Option<T>, previous: Option<T>) -> Self {
        Self { current, previous }
    }
}

/// One line of the table, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    /// The figure's name in Chinese.
    pub(super) label_zh: &'static str,
    /// And in English.
    pub(super) label_en: &'static str,
    /// This month.
    pub(super) current: String,
    /// The month before.
    pub(super) previous: String,
    /// The change, signed ("—" when either month has no value).
    pub(super) change: String,
    /// `better`, `worse` or `same` (a CSS class and the SVG page's colour), empty without change.
    pub(super) trend: &'static str,
}

/// Which way is good news for a figure.
#[derive(Clone, Copy)]
enum Good {
    /// More is better (shipments, on-time rates).
    Up,
    /// Less is better (incidents, complaints, cycle time).
    Down,
    /// Neither (weight, pieces: volume, not quality).
    Neither,
}

/// How a figure is written.
#[derive(Clone, Copy)]
enum Unit {
    Count,
    Kilograms,
    Rate,
    Hours,
}

/// The table rows of `figures`, in the order a reader expects: volume, service, incidents.
pub(super) fn rows(figures: &StatementFigures) -> Vec<Row> {
    // Counts are shown from f64: exact up to 2^53, far beyond any customer's month.
    let count = |c: &Compared<i64>| {
        Compared::new(c.current.map(|v| v as f64), c.previous.map(|v| v as f64))
    };
    vec![
        row(
            "发货票数",
            "Shipments",
            count(&figures.shipments),
            Unit::Count,
            Good::Up,
        ),
        row(
            "件数",
            "Pieces",
            count(&figures.pieces),
            Unit::Count,
            Good::Neither,
        ),
        row(
            "重量",
            "Weight",
            figures.weight_kg,
            Unit::Kilograms,
            Good::Neither,
        ),
        row(
            "准时派车率",
            "On-time dispatch rate",
            figures.on_time_dispatch_rate,
            Unit::Rate,
            Good::Up,
        ),
        row(
            "准时到达率",
            "On-time arrival rate",
            figures.on_time_arrival_rate,
            Unit::Rate,
            Good::Up,
        ),
        row(
            "单证准确率",
            "Document accuracy rate",
            figures.document_accuracy_rate,
            Unit::Rate,
            Good::Up,
        ),
        row(
            "货损",
            "Damage incidents",
            count(&figures.damage_incidents),
            Unit::Count,
            Good::Down,
        ),
        row(
            "丢失",
            "Loss incidents",
            count(&figures.loss_incidents),
            Unit::Count,
            Good::Down,
        ),
        row(
            "短少",
            "Shortage incidents",
            count(&figures.shortage_incidents),
            Unit::Count,
            Good::Down,
        ),
        row(
            "投诉",
            "Complaints",
            count(&figures.complaints),
            Unit::Count,
            Good::Down,
        ),
        row(
            "平均运输时长",
            "Average cycle time",
            figures.average_cycle_hours,
            Unit::Hours,
            Good::Down,
        ),
    ]
}

fn row(
    label_zh: &'static str,
    label_en: &'static str,
    figure: Compared<f64>,
    unit: Unit,
    good: Good,
) -> Row {
    // A value that is not a number (a caller's division by zero) is no value.
    let figure = Compared::new(
        figure.current.filter(|v| v.is_finite()),
        figure.previous.filter(|v| v.is_finite()),
    );
    let shown =
        |value: Option<f64>| value.map_or_else(|| ABSENT.to_owned(), |v| format_value(v, unit));
    let (change, trend) = match (figure.current, figure.previous) {
        (Some(current), Some(previous)) => {
            // Rates change in percentage points: "+1.5 pp", not a percentage of a percentage.
            let delta = current - previous;
            let (change, zero) = format_change(delta, unit);
            let trend = match good {
                _ if zero => "same",
                Good::Neither => "",
                Good::Up if delta > 0.0 => "better",
                Good::Down if delta < 0.0 => "better",
                Good::Up | Good::Down => "worse",
            };
            (change, trend)
        }
        _ => (ABSENT.to_owned(), ""),
    };
    Row {
        label_zh,
        label_en,
        current: shown(figure.current),
        previous: shown(figure.previous),
        change,
        trend,
    }
}

/// A value as a reader reads it: "1,234", "5,678.9 kg", "97.3%", "36.5 h".
fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Count => grouped(value, 0),
        Unit::Kilograms => format!("{} kg", grouped(value, 1)),
        Unit::Rate => format!("{:.1}%", value * 100.0),
        Unit::Hours => format!("{value:.1} h"),
    }
}

/// A change, signed, and whether it rounds to nothing.
fn format_change(delta: f64, unit: Unit) -> (String, bool) {
    let (text, rounded) = match unit {
        Unit::Count => (grouped(delta.abs(), 0), delta.round()),
        Unit::Kilograms => (
            format!("{} kg", grouped(delta.abs(), 1)),
            (delta * 10.0).round(),
        ),
        Unit::Rate => (
            format!("{:.1} pp", (delta * 100.0).abs()),
            (delta * 1000.0).round(),
        ),
        Unit::Hours => (format!("{:.1} h", delta.abs()), (delta * 10.0).round()),
    };
    if rounded == 0.0 {
        (format!("±{text}"), true)
    } else if delta > 0.0 {
        (format!("+{text}"), false)
    } else {
        (format!("−{text}"), false)
    }
}

/// `value` with `decimals` decimals and a comma between thousands.
fn grouped(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (at, digit) in whole.chars().enumerate() {
        if at > 0 && (whole.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0.0, 0), "0");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(1000.0, 0), "1,000");
        assert_eq!(grouped(1234567.0, 0), "1,234,567");
        assert_eq!(grouped(12345.67, 1), "12,345.7");
        assert_eq!(grouped(-1234.0, 0), "-1,234");
        assert_eq!(grouped(i64::MAX as f64, 0), "9,223,372,036,854,775,808");
    }

    #[test]
    fn changes_are_signed_rates_in_points_and_good_news_is_told_apart() {
        let rate = row(
            "准时到达率",
            "On-time arrival rate",
            Compared::new(Some(0.95), Some(0.9)),
            Unit::Rate,
            Good::Up,
        );
        assert_eq!(
            (rate.current.as_str(), rate.previous.as_str()),
            ("95.0%", "90.0%")
        );
        assert_eq!((rate.change.as_str(), rate.trend), ("+5.0 pp", "better"));
        let complaints = row(
            "投诉",
            "Complaints",
            Compared::new(Some(3.0), Some(1.0)),
            Unit::Count,
            Good::Down,
        );
        assert_eq!(
            (complaints.change.as_str(), complaints.trend),
            ("+2", "worse")
        );
        let fewer = row(
            "投诉",
            "Complaints",
            Compared::new(Some(1.0), Some(3.0)),
            Unit::Count,
            Good::Down,
        );
        assert_eq!((fewer.change.as_str(), fewer.trend), ("−2", "better"));
        let same = row(
            "件数",
            "Pieces",
            Compared::new(Some(7.0), Some(7.0)),
            Unit::Count,
            Good::Neither,
        );
        assert_eq!((same.change.as_str(), same.trend), ("±0", "same"));
        let none = row(
            "准时派车率",
            "On-time dispatch rate",
            Compared::new(None, Some(0.5)),
            Unit::Rate,
            Good::Up,
        );
        assert_eq!(
            (none.current.as_str(), none.change.as_str(), none.trend),
            (ABSENT, ABSENT, "")
        );
    }
}

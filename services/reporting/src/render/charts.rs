//! The statement's two charts as SVG, drawn with charts-rs: daily shipments of the month (bars)
//! and on-time dispatch and arrival rates over twelve months (lines).
//!
//! The charts carry no title and no legend: charts-rs measures text with one font, which cannot
//! be both Latin and Chinese, so bilingual headings and legends would be laid out with wrong
//! widths. The templates write those; the charts hold only digits and months, measured with DejaVu
//! Sans (registered with charts-rs) and drawn by the PDF writer with the same embedded font.

use std::sync::OnceLock;

use charts_rs::{BarChart, Box as Margin, Color, LineChart, Series};
use chrono::{Datelike as _, NaiveDate};
use logistics_platform::documents::{self, FONT_FAMILY};

use super::RenderError;

/// Width and height of a chart on the HTML page, in CSS pixels.
pub(super) const HTML_CHART_SIZE: (f32, f32) = (720.0, 260.0);
/// Width and height of a chart on the A4 page, in points (the page is 595 x 842).
pub(super) const PDF_CHART_SIZE: (f32, f32) = (515.0, 175.0);

/// The family charts-rs measures chart text with: the first of [`FONT_FAMILY`].
const MEASURED_FAMILY: &str = "DejaVu Sans";

/// The colour of the dispatch series (and the bars), for the templates' legends.
pub(super) const DISPATCH_COLOUR: &str = "#2563eb";
/// The colour of the arrival series.
pub(super) const ARRIVAL_COLOUR: &str = "#16a34a";

/// Registers DejaVu Sans with charts-rs once, so its layout measures the font the PDF draws.
fn measured_font() -> Result<(), RenderError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            charts_rs::add_fonts(&[documents::DEJAVU_SANS]).map_err(|error| error.to_string())
        })
        .clone()
        .map_err(RenderError::Chart)
}

/// The chart's SVG naming the whole fallback chain, so that any character DejaVu Sans lacks
/// (a Chinese "no data") is drawn from the embedded Chinese font.
fn with_fallback(svg: String) -> String {
    svg.replace(
        &format!(r#"font-family="{MEASURED_FAMILY}""#),
        &format!(r#"font-family="{FONT_FAMILY}""#),
    )
}

/// Bars of the shipments created each day, labelled by day of month.
pub(super) fn daily_shipments(
    days: &[(NaiveDate, i64)],
    (width, height): (f32, f32),
) -> Result<String, RenderError> {
    let labels = days.iter().map(|(day, _)| day.day().to_string()).collect();
    // Bars are f32 in charts-rs: exact for counts up to 2^24, far beyond a day's shipments.
    let values = days.iter().map(|&(_, count)| count as f32).collect();
    measured_font()?;
    let mut chart = BarChart::new(
        vec![Series::new("发货票数 Shipments".to_owned(), values)],
        labels,
    );
    chart.width = width;
    chart.height = height;
    chart.font_family = MEASURED_FAMILY.to_owned();
    chart.legend.show = Some(false);
    chart.margin = Margin {
        left: 5.0,
        top: 5.0,
        right: 10.0,
        bottom: 5.0,
    };
    chart.series.colors = vec![Color::from(DISPATCH_COLOUR)];
    chart.x_axis.font.size = 9.0;
    chart.empty_text = Some("无数据 No data".to_owned());
    // Whole numbers of shipments on the axis: five steps of 1, 2 or 5 times a power of ten.
    let highest = days.iter().map(|&(_, count)| count).max().unwrap_or(0);
    if let Some(y_axis) = chart.y_axis_configs.first_mut() {
        y_axis.min = Some(0.0);
        // As many steps as the highest bar needs (up to five): no empty band over the bars.
        let step = nice_step(highest);
        let steps = (highest.max(1) as f64 / f64::from(step)).ceil() as usize;
        y_axis.max = Some(steps as f32 * step);
        y_axis.split_number = steps;
        y_axis.font.size = 9.0;
    }
    chart
        .svg()
        .map(with_fallback)
        .map_err(|error| RenderError::Chart(error.to_string()))
}

/// Steps of the shipments axis.
const AXIS_STEPS: usize = 5;

/// The smallest step of 1, 2 or 5 times a power of ten with which [`AXIS_STEPS`] steps reach
/// `highest` (at least 1).
fn nice_step(highest: i64) -> f32 {
    let needed = (highest.max(1) as f64 / AXIS_STEPS as f64).ceil();
    let mut power = 1.0_f64;
    loop {
        for factor in [1.0, 2.0, 5.0] {
            if factor * power >= needed {
                return (factor * power) as f32;
            }
        }
        power *= 10.0;
    }
}

/// Lines of the two on-time rates, in percent, one point a month; a month without a rate is a gap.
pub(super) fn monthly_rates(
    months: &[(String, Option<f64>, Option<f64>)],
    (width, height): (f32, f32),
) -> Result<String, RenderError> {
    let labels = months.iter().map(|(month, _, _)| month.clone()).collect();
    let percent = |rate: Option<f64>| rate.filter(|r| r.is_finite()).map(|r| (r * 100.0) as f32);
    let mut dispatch = Series::new("准时派车率 On-time dispatch".to_owned(), Vec::new());
    dispatch.data = months.iter().map(|m| percent(m.1)).collect();
    let mut arrival = Series::new("准时到达率 On-time arrival".to_owned(), Vec::new());
    arrival.data = months.iter().map(|m| percent(m.2)).collect();
    // Rates cluster near the top: start the axis a little under the lowest, at a multiple of 10,
    // so a few points' change is visible, and end it at 100%.
    let lowest = months
        .iter()
        .flat_map(|m| [m.1, m.2])
        .flatten()
        .filter(|r| r.is_finite())
        .fold(1.0_f64, f64::min);
    let floor = ((lowest * 10.0).floor() * 10.0 - 10.0).clamp(0.0, 90.0) as f32;

    measured_font()?;
    let mut chart = LineChart::new(vec![dispatch, arrival], labels);
    chart.width = width;
    chart.height = height;
    chart.font_family = MEASURED_FAMILY.to_owned();
    chart.legend.show = Some(false);
    chart.margin = Margin {
        left: 5.0,
        top: 5.0,
        right: 10.0,
        bottom: 5.0,
    };
    chart.series.colors = vec![Color::from(DISPATCH_COLOUR), Color::from(ARRIVAL_COLOUR)];
    chart.x_axis.font.size = 9.0;
    chart.empty_text = Some("无数据 No data".to_owned());
    if let Some(y_axis) = chart.y_axis_configs.first_mut() {
        y_axis.min = Some(floor);
        y_axis.max = Some(100.0);
        // Steps of 5 points (10 when the axis starts low): round percentages on the axis.
        let range = (100.0 - floor) as usize;
        y_axis.split_number = if range > 50 { range / 10 } else { range / 5 };
        y_axis.formatter = Some("{c}%".to_owned());
        y_axis.font.size = 9.0;
    }
    chart
        .svg()
        .map(with_fallback)
        .map_err(|error| RenderError::Chart(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipments_axis_steps_by_one_two_or_five() {
        for (highest, step) in [
            (0, 1.0),
            (3, 1.0),
            (5, 1.0),
            (6, 2.0),
            (31, 10.0),
            (50, 10.0),
            (51, 20.0),
            (1_234, 500.0),
            (i64::MAX, 2e18),
        ] {
            assert_eq!(nice_step(highest), step, "{highest}");
        }
    }
}

//! Monthly customer statements as documents a person reads: an HTML page and an A4 PDF, both with
//! the same table of figures (this month, the month before, the change) and two charts (the
//! month's daily shipments; on-time dispatch and arrival rates over twelve months).
//!
//! The input is a plain [`StatementView`], filled by whoever reads the statement's figures; this
//! module only lays them out. Charts are charts-rs SVG, pages are askama templates
//! (`templates/`), and the PDF comes from the SVG page through `logistics_platform::documents`,
//! which embeds the fonts.

mod charts;
mod figures;

#[cfg(test)]
mod tests;

use askama::Template;
use chrono::{DateTime, FixedOffset, NaiveDate};
use logistics_platform::documents::{self, DocumentError, FONT_FAMILY};

pub(crate) use figures::Compared;
use figures::{Row, rows};

/// Most days a month's chart takes (a month has at most 31).
const MAX_DAYS: usize = 31;
/// Most months the rates chart takes: twelve asked for, a little slack for the caller.
const MAX_MONTHS: usize = 24;
/// Most characters of a name or code shown: the SVG page does not wrap text.
const MAX_SHOWN_CHARS: usize = 60;

/// What a monthly customer statement shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatementView {
    /// The company issuing the statement.
    pub(crate) company_name: String,
    /// The customer's name.
    pub(crate) customer_name: String,
    /// The customer's code.
    pub(crate) customer_code: String,
    /// The month, `YYYY-MM`.
    pub(crate) month: String,
    /// When the statement was generated, in the company's time zone.
    pub(crate) generated_at: DateTime<FixedOffset>,
    /// The month's figures, each with the previous month's.
    pub(crate) figures: StatementFigures,
    /// Shipments created on each day of the month, every day present (zero days too).
    pub(crate) daily_shipments: Vec<(NaiveDate, i64)>,
    /// The last twelve months, oldest first: `YYYY-MM`, on-time dispatch rate, on-time arrival
    /// rate (0 to 1; `None` where nothing was due).
    pub(crate) monthly_rates: Vec<(String, Option<f64>, Option<f64>)>,
}

/// The figures of a statement; `None` where there was no denominator (shown as "—").
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StatementFigures {
    /// Shipments created.
    pub(crate) shipments: Compared<i64>,
    /// Pieces of those shipments.
    pub(crate) pieces: Compared<i64>,
    /// Their weight, in kilograms.
    pub(crate) weight_kg: Compared<f64>,
    /// Shipments dispatched on time among those due (0 to 1).
    pub(crate) on_time_dispatch_rate: Compared<f64>,
    /// Shipments delivered on time among those due (0 to 1).
    pub(crate) on_time_arrival_rate: Compared<f64>,
    /// Shipments whose documents were right among those checked (0 to 1).
    pub(crate) document_accuracy_rate: Compared<f64>,
    /// Damage incidents.
    pub(crate) damage_incidents: Compared<i64>,
    /// Loss incidents.
    pub(crate) loss_incidents: Compared<i64>,
    /// Shortage incidents.
    pub(crate) shortage_incidents: Compared<i64>,
    /// Complaints filed.
    pub(crate) complaints: Compared<i64>,
    /// Average hours from creation to delivery.
    pub(crate) average_cycle_hours: Compared<f64>,
}

/// Why a statement could not be rendered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RenderError {
    /// The view holds more points than a chart takes (a caller's bug, not a user's input).
    #[error("the statement has {got} {what}, at most {max}")]
    TooManyPoints {
        /// Days or months.
        what: &'static str,
        /// How many were given.
        got: usize,
        /// The bound.
        max: usize,
    },
    /// charts-rs refused a chart.
    #[error("a chart could not be drawn: {0}")]
    Chart(String),
    /// A template failed.
    #[error("the statement template failed: {0}")]
    Template(#[from] askama::Error),
    /// The PDF could not be made from the page.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

/// The statement as one HTML page (inline SVG charts, print-friendly).
pub(crate) fn render_html(view: &StatementView) -> Result<String, RenderError> {
    let page = Page::new(view, charts::HTML_CHART_SIZE)?;
    Ok(HtmlStatement { page: &page }.render()?)
}

/// The statement as an A4 PDF with its fonts embedded.
pub(crate) fn render_pdf(view: &StatementView) -> Result<Vec<u8>, RenderError> {
    let page = Page::new(view, charts::PDF_CHART_SIZE)?;
    let svg = SvgStatement {
        page: &page,
        font_family: FONT_FAMILY,
    }
    .render()?;
    let title = format!("{} {}", page.title_en, page.month);
    Ok(documents::pdf_from_svg_pages(&[svg], Some(&title))?)
}

/// What both templates show, as text ready to escape.
struct Page {
    company_name: String,
    customer_name: String,
    customer_code: String,
    month: String,
    generated_at: String,
    title_zh: &'static str,
    title_en: &'static str,
    rows: Vec<Row>,
    daily_chart: String,
    rates_chart: String,
    dispatch_colour: &'static str,
    arrival_colour: &'static str,
}

impl Page {
    fn new(view: &StatementView, chart_size: (f32, f32)) -> Result<Self, RenderError> {
        if view.daily_shipments.len() > MAX_DAYS {
            return Err(RenderError::TooManyPoints {
                what: "days",
                got: view.daily_shipments.len(),
                max: MAX_DAYS,
            });
        }
        if view.monthly_rates.len() > MAX_MONTHS {
            return Err(RenderError::TooManyPoints {
                what: "months",
                got: view.monthly_rates.len(),
                max: MAX_MONTHS,
            });
        }
        Ok(Self {
            company_name: shown(&view.company_name),
            customer_name: shown(&view.customer_name),
            customer_code: shown(&view.customer_code),
            month: shown(&view.month),
            generated_at: view
                .generated_at
                .format("%Y-%m-%d %H:%M (UTC%:z)")
                .to_string(),
            title_zh: "月度客户对账单",
            title_en: "Monthly customer statement",
            rows: rows(&view.figures),
            daily_chart: charts::daily_shipments(&view.daily_shipments, chart_size)?,
            rates_chart: charts::monthly_rates(&view.monthly_rates, chart_size)?,
            dispatch_colour: charts::DISPATCH_COLOUR,
            arrival_colour: charts::ARRIVAL_COLOUR,
        })
    }
}

/// User text as a page shows it: control characters (which XML cannot carry at all) become
/// spaces, and a text too long for a line of the SVG page is cut with an ellipsis.
fn shown(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .take(MAX_SHOWN_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(MAX_SHOWN_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

/// The HTML statement.
#[derive(Template)]
#[template(path = "statement.html", escape = "html")]
struct HtmlStatement<'a> {
    page: &'a Page,
}

/// The A4 SVG page the PDF is made from.
#[derive(Template)]
#[template(path = "statement_page.svg", escape = "html")]
struct SvgStatement<'a> {
    page: &'a Page,
    font_family: &'static str,
}

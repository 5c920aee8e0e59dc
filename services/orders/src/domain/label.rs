//! Shipping labels (打印条码): one per piece, 100 x 150 mm, with the tracking number as text and
//! as a Code 128 barcode, rendered as SVG or as PDF (the SVG with its fonts embedded).
//!
//! The barcode's symbols come from the `barcoders` crate; this module only draws its modules.
//! A tracking number of an even count of digits is encoded in code set C (two digits per
//! symbol, the shortest barcode); anything else in code set B.

use std::fmt::Write as _;

use barcoders::sym::code128::Code128;
use logistics_platform::documents;

use super::mode::TransportMode;

/// The company printed at the top of every label.
pub(crate) use logistics_platform::documents::COMPANY_NAME;
/// Label width and height, in millimetres.
const LABEL_SIZE_MM: (f32, f32) = (100.0, 150.0);
/// Blank modules left and right of the barcode, as Code 128 requires (at least ten).
const QUIET_ZONE_MODULES: usize = 10;
/// Where the barcode sits, in millimetres from the top left: x, y, width (with quiet zones), height.
const BARCODE_BOX_MM: (f32, f32, f32, f32) = (5.0, 88.0, 90.0, 28.0);

/// The facts of an order a label shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelOrder {
    /// The tracking number: the barcode's content.
    pub(crate) tracking_number: String,
    /// The order number.
    pub(crate) order_number: String,
    /// Pieces of the order: labels are numbered 1 to this.
    pub(crate) total_pieces: i32,
    /// Where the goods come from.
    pub(crate) origin: LabelParty,
    /// Where they go.
    pub(crate) destination: LabelParty,
    /// How they travel.
    pub(crate) mode: TransportMode,
    /// Whether any cargo line holds dangerous goods: the label then carries the mark.
    pub(crate) dangerous_goods: bool,
}

/// One end of the shipment as a label shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LabelParty {
    /// Who or what is there.
    pub(crate) recipient: String,
    /// The city.
    pub(crate) city: String,
    /// The region code.
    pub(crate) region_code: String,
}

/// Why a label cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LabelError {
    /// Code 128 cannot encode the tracking number (e.g. non-ASCII characters).
    #[error("the tracking number {0:?} cannot be encoded in Code 128")]
    Unencodable(String),
    /// The piece is not one of the order's.
    #[error("piece {piece} is not between 1 and {total}")]
    NoSuchPiece {
        /// The piece asked for.
        piece: i32,
        /// The order's pieces.
        total: i32,
    },
    /// The PDF could not be made from the SVG labels.
    #[error("the label PDF could not be made: {0}")]
    Document(documents::DocumentError),
}

/// The Code 128 modules of `text`, narrowest bar or space each, 1 for a bar and 0 for a space:
/// start symbol, data, check symbol and stop pattern, without quiet zones.
pub(crate) fn barcode_modules(text: &str) -> Result<Vec<u8>, LabelError> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let code_set = if digits_only && text.len().is_multiple_of(2) {
        'Ć'
    } else {
        'Ɓ'
    };
    if !text.bytes().all(|b| (b' '..=b'~').contains(&b)) || text.is_empty() {
        return Err(LabelError::Unencodable(text.to_owned()));
    }
    Code128::new(format!("{code_set}{text}"))
        .map(|code| code.encode())
        .map_err(|_| LabelError::Unencodable(text.to_owned()))
}

/// The bars of `modules` as (first module, width in modules) runs.
fn bars(modules: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (at, &module) in modules.iter().chain([&0]).enumerate() {
        match (module, start) {
            (1, None) => start = Some(at),
            (0, Some(from)) => {
                runs.push((from, at - from));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// The text lines of a label: (x mm, baseline y mm from the top, size mm, bold, text).
fn text_lines(order: &LabelOrder, piece: i32) -> Vec<(f32, f32, f32, bool, String)> {
    let mut lines = vec![
        (5.0, 11.0, 5.5, true, COMPANY_NAME.to_owned()),
        (70.0, 11.0, 5.0, true, order.mode.as_str().to_owned()),
        (5.0, 22.0, 3.0, true, "FROM".to_owned()),
        (5.0, 27.0, 3.8, false, order.origin.recipient.clone()),
        (5.0, 32.0, 3.8, false, party_place(&order.origin)),
        (5.0, 42.0, 3.5, true, "TO".to_owned()),
        (5.0, 50.0, 5.5, true, order.destination.recipient.clone()),
        (5.0, 58.0, 5.5, false, party_place(&order.destination)),
        (
            5.0,
            72.0,
            4.0,
            false,
            format!("Order {}", order.order_number),
        ),
        (
            5.0,
            81.0,
            6.5,
            true,
            format!("Piece {piece} / {}", order.total_pieces),
        ),
        (15.0, 126.0, 7.0, true, order.tracking_number.clone()),
    ];
    if order.dangerous_goods {
        lines.push((30.0, 141.0, 5.0, true, "DANGEROUS GOODS".to_owned()));
    }
    lines
}

fn party_place(party: &LabelParty) -> String {
    match (party.city.is_empty(), party.region_code.is_empty()) {
        (false, false) => format!("{} ({})", party.city, party.region_code),
        (false, true) => party.city.clone(),
        (true, _) => party.region_code.clone(),
    }
}

fn check_piece(order: &LabelOrder, piece: i32) -> Result<(), LabelError> {
    if (1..=order.total_pieces).contains(&piece) {
        Ok(())
    } else {
        Err(LabelError::NoSuchPiece {
            piece,
            total: order.total_pieces,
        })
    }
}

/// The label of one piece as an SVG document, in millimetres.
pub(crate) fn render_svg(order: &LabelOrder, piece: i32) -> Result<String, LabelError> {
    check_piece(order, piece)?;
    let modules = barcode_modules(&order.tracking_number)?;
    let (width, height) = LABEL_SIZE_MM;
    let mut svg = String::with_capacity(8 * 1024);
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" viewBox="0 0 {width} {height}">
<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>
<rect x="1" y="1" width="{}" height="{}" fill="none" stroke="black" stroke-width="0.5"/>
<line x1="1" y1="16" x2="{}" y2="16" stroke="black" stroke-width="0.4"/>
<line x1="1" y1="64" x2="{}" y2="64" stroke="black" stroke-width="0.4"/>
"#,
        width - 2.0,
        height - 2.0,
        width - 1.0,
        width - 1.0,
    );
    let (x, y, box_width, bar_height) = BARCODE_BOX_MM;
    let module = box_width / (modules.len() + 2 * QUIET_ZONE_MODULES) as f32;
    let _ = writeln!(
        svg,
        r#"<g id="barcode" data-symbology="code128" data-content="{}" fill="black">"#,
        escape(&order.tracking_number)
    );
    for (first, run) in bars(&modules) {
        let _ = writeln!(
            svg,
            r#"<rect x="{:.4}" y="{y}" width="{:.4}" height="{bar_height}"/>"#,
            x + (QUIET_ZONE_MODULES + first) as f32 * module,
            run as f32 * module,
        );
    }
    svg.push_str("</g>\n");
    if order.dangerous_goods {
        let _ = writeln!(
            svg,
            r#"<polygon id="dangerous-goods" points="16,130 26,139 16,148 6,139" fill="none" stroke="rgb(204,0,0)" stroke-width="1"/>"#
        );
    }
    for (x, y, size, bold, text) in text_lines(order, piece) {
        let weight = if bold { "bold" } else { "normal" };
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{y}" font-family="{}" font-size="{size}" font-weight="{weight}">{}</text>"#,
            documents::FONT_FAMILY,
            escape(&text)
        );
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// Text as XML character data or attribute value.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters at all.
            c if c.is_control() => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The labels of `pieces` as one PDF document, a 100 x 150 mm page each: the SVG labels, drawn
/// by the platform's document writer with its fonts embedded, so Chinese names and cities show in
/// any PDF reader and the bars are exactly the SVG's.
pub(crate) fn render_pdf(order: &LabelOrder, pieces: &[i32]) -> Result<Vec<u8>, LabelError> {
    let pages = pieces
        .iter()
        .map(|&piece| render_svg(order, piece))
        .collect::<Result<Vec<_>, _>>()?;
    let title = format!("Labels {}", order.tracking_number);
    documents::pdf_from_svg_pages(&pages, Some(&title)).map_err(LabelError::Document)
}

#[cfg(test)]
#[path = "label_tests.rs"]
mod tests;

//! Shipping labels (打印条码): one per piece, 100 x 150 mm, with the tracking number as text and
//! as a Code 128 barcode, rendered as SVG or as PDF.
//!
//! The barcode's symbols come from the `barcoders` crate; this module only draws its modules.
//! A tracking number of an even count of digits is encoded in code set C (two digits per
//! symbol, the shortest barcode); anything else in code set B.

use std::fmt::Write as _;

use barcoders::sym::code128::Code128;
use pdf_writer::types::CidFontType;
use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref, Str};

use super::mode::TransportMode;

/// The company printed at the top of every label.
pub(crate) const COMPANY_NAME: &str = "Logistics Express";
/// Label width and height, in millimetres.
const LABEL_SIZE_MM: (f32, f32) = (100.0, 150.0);
/// Blank modules left and right of the barcode, as Code 128 requires (at least ten).
const QUIET_ZONE_MODULES: usize = 10;
/// Where the barcode sits, in millimetres from the top left: x, y, width (with quiet zones), height.
const BARCODE_BOX_MM: (f32, f32, f32, f32) = (5.0, 88.0, 90.0, 28.0);
/// Points in a millimetre (PDF's unit is the point, 1/72 inch).
const PT_PER_MM: f32 = 72.0 / 25.4;

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
        lines.push((22.0, 143.0, 5.0, true, "DANGEROUS GOODS".to_owned()));
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
            r#"<polygon id="dangerous-goods" points="50,131 61,139 50,147 39,139" fill="none" stroke="rgb(204,0,0)" stroke-width="1"/>"#
        );
    }
    for (x, y, size, bold, text) in text_lines(order, piece) {
        let weight = if bold { "bold" } else { "normal" };
        let _ = writeln!(
            svg,
            r#"<text x="{x}" y="{y}" font-family="Helvetica, Arial, 'Noto Sans CJK SC', sans-serif" font-size="{size}" font-weight="{weight}">{}</text>"#,
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

/// The labels of `pieces` as one PDF document, a 100 x 150 mm page each.
///
/// Latin text uses the standard Helvetica fonts. Other text (Chinese names and cities) uses the
/// Adobe-GB1 font STSong-Light by name, with the UniGB-UCS2-H encoding: PDF readers carry it, so
/// nothing is embedded and a label stays a few kilobytes.
pub(crate) fn render_pdf(order: &LabelOrder, pieces: &[i32]) -> Result<Vec<u8>, LabelError> {
    for &piece in pieces {
        check_piece(order, piece)?;
    }
    let modules = barcode_modules(&order.tracking_number)?;
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let (regular, bold, chinese, chinese_cid) =
        (Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6));
    let first_page = 7;
    let page_ids: Vec<Ref> = (0..pieces.len())
        .map(|at| Ref::new(first_page + 2 * at as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pieces.len() as i32);
    pdf.type1_font(regular).base_font(Name(b"Helvetica"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold"));
    pdf.type0_font(chinese)
        .base_font(Name(b"STSong-Light-UniGB-UCS2-H"))
        .encoding_predefined(Name(b"UniGB-UCS2-H"))
        .descendant_font(chinese_cid);
    pdf.cid_font(chinese_cid)
        .subtype(CidFontType::Type0)
        .base_font(Name(b"STSong-Light"))
        .system_info(pdf_writer::types::SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"GB1"),
            supplement: 2,
        })
        .default_width(1000.0);

    let (width, height) = LABEL_SIZE_MM;
    for (&piece, &page_id) in pieces.iter().zip(&page_ids) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, width * PT_PER_MM, height * PT_PER_MM))
            .contents(content_id);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold)
            .pair(Name(b"F3"), chinese);
        page.finish();
        let content = page_content(order, piece, &modules);
        pdf.stream(content_id, &content);
    }
    Ok(pdf.finish())
}

/// Draws one label; coordinates are given from the top left in millimetres, as in the SVG.
fn page_content(order: &LabelOrder, piece: i32, modules: &[u8]) -> Vec<u8> {
    let height = LABEL_SIZE_MM.1;
    let pt = |mm: f32| mm * PT_PER_MM;
    let mut content = Content::new();
    content.set_line_width(pt(0.5));
    content
        .rect(
            pt(1.0),
            pt(1.0),
            pt(LABEL_SIZE_MM.0 - 2.0),
            pt(height - 2.0),
        )
        .stroke();
    for y in [16.0, 64.0] {
        content
            .move_to(pt(1.0), pt(height - y))
            .line_to(pt(LABEL_SIZE_MM.0 - 1.0), pt(height - y))
            .stroke();
    }
    let (x, y, box_width, bar_height) = BARCODE_BOX_MM;
    let module = box_width / (modules.len() + 2 * QUIET_ZONE_MODULES) as f32;
    content.set_fill_gray(0.0);
    for (first, run) in bars(modules) {
        content.rect(
            pt(x + (QUIET_ZONE_MODULES + first) as f32 * module),
            pt(height - y - bar_height),
            pt(run as f32 * module),
            pt(bar_height),
        );
    }
    content.fill_nonzero();
    if order.dangerous_goods {
        content
            .set_stroke_rgb(0.8, 0.0, 0.0)
            .move_to(pt(50.0), pt(height - 131.0))
            .line_to(pt(61.0), pt(height - 139.0))
            .line_to(pt(50.0), pt(height - 147.0))
            .line_to(pt(39.0), pt(height - 139.0))
            .close_path()
            .stroke();
    }
    for (x, y, size, bold, text) in text_lines(order, piece) {
        let latin = text.bytes().all(|b| (b' '..=b'~').contains(&b));
        let (font, bytes) = match (latin, bold) {
            (true, false) => (Name(b"F1"), text.into_bytes()),
            (true, true) => (Name(b"F2"), text.into_bytes()),
            (false, _) => (Name(b"F3"), ucs2_big_endian(&text)),
        };
        content
            .begin_text()
            .set_font(font, pt(size))
            .next_line(pt(x), pt(height - y))
            .show(Str(&bytes))
            .end_text();
    }
    content.finish().into_vec()
}

/// UCS-2 big-endian code units of `text`, for the UniGB-UCS2-H encoding; characters outside the
/// Basic Multilingual Plane become '?'.
fn ucs2_big_endian(text: &str) -> Vec<u8> {
    text.chars()
        .flat_map(|c| {
            let unit = u16::try_from(u32::from(c)).unwrap_or(u16::from(b'?'));
            unit.to_be_bytes()
        })
        .collect()
}

#[cfg(test)]
#[path = "label_tests.rs"]
mod tests;

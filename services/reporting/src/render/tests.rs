use chrono::{Duration, TimeZone as _};

use super::*;

/// A statement with made-up figures: a month of varied days, a year of rates with a gap.
fn view(customer_name: &str) -> StatementView {
    let first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let daily_shipments = (0..31)
        .map(|at| {
            let day = first + Duration::days(at);
            // Fewer shipments on Sundays, a quiet first week.
            let count = if at % 7 == 0 { 3 } else { 18 + (at * 7) % 13 } - i64::from(at < 7) * 2;
            (day, count)
        })
        .collect();
    let monthly_rates = (0..12)
        .map(|at| {
            let month = format!("{}-{:02}", 2025 + (at + 3) / 12, (at + 3) % 12 + 1);
            let dispatch = (at != 4).then_some(0.88 + 0.01 * (at % 5) as f64);
            let arrival = (at != 4).then_some(0.91 + 0.007 * (at % 4) as f64);
            (month, dispatch, arrival)
        })
        .collect();
    let offset = FixedOffset::east_opt(8 * 3600).unwrap();
    StatementView {
        company_name: "Logistics Express 物流快运".to_owned(),
        customer_name: customer_name.to_owned(),
        customer_code: "C-000042".to_owned(),
        month: "2026-03".to_owned(),
        generated_at: offset.with_ymd_and_hms(2026, 4, 1, 8, 30, 0).unwrap(),
        figures: StatementFigures {
            shipments: Compared::new(Some(612), Some(574)),
            pieces: Compared::new(Some(1_845), Some(1_802)),
            weight_kg: Compared::new(Some(23_456.7), Some(21_987.2)),
            on_time_dispatch_rate: Compared::new(Some(0.962), Some(0.948)),
            on_time_arrival_rate: Compared::new(Some(0.931), Some(0.944)),
            document_accuracy_rate: Compared::new(None, Some(0.99)),
            damage_incidents: Compared::new(Some(2), Some(4)),
            loss_incidents: Compared::new(Some(0), Some(0)),
            shortage_incidents: Compared::new(Some(1), Some(0)),
            complaints: Compared::new(Some(3), Some(5)),
            average_cycle_hours: Compared::new(Some(38.4), Some(41.0)),
        },
        daily_shipments,
        monthly_rates,
    }
}

/// The PDF's streams, inflated where they are compressed.
fn streams(pdf: &[u8]) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    let mut rest = pdf;
    while let Some(start) = find(rest, b"stream") {
        let mut body = &rest[start + b"stream".len()..];
        body = body.strip_prefix(b"\r").unwrap_or(body);
        body = body.strip_prefix(b"\n").unwrap_or(body);
        let Some(end) = find(body, b"endstream") else {
            break;
        };
        let raw = &body[..end];
        found.push(
            miniz_oxide::inflate::decompress_to_vec_zlib(raw).unwrap_or_else(|_| raw.to_vec()),
        );
        rest = &body[end + b"endstream".len()..];
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The characters the PDF's ToUnicode maps name: what a reader copies out of its text.
fn text_characters(pdf: &[u8]) -> String {
    let mut characters = String::new();
    for stream in streams(pdf) {
        let text = String::from_utf8_lossy(&stream);
        if !text.contains("begincmap") {
            continue;
        }
        // `<glyph> <UTF-16BE>` lines of bfchar blocks: keep the second hex string.
        for line in text.lines() {
            let hexes: Vec<&str> = line
                .split(['<', '>'])
                .filter(|part| !part.trim().is_empty())
                .collect();
            if let [_, target] = hexes.as_slice() {
                let units: Vec<u16> = (0..target.len() / 4)
                    .filter_map(|at| u16::from_str_radix(&target[at * 4..at * 4 + 4], 16).ok())
                    .collect();
                characters.extend(char::decode_utf16(units).flatten());
            }
        }
    }
    characters
}

fn page_count(pdf: &str) -> usize {
    pdf.match_indices("/Type/Page")
        .filter(|(at, found)| !pdf[at + found.len()..].starts_with('s'))
        .count()
}

#[test]
fn the_html_escapes_every_user_text() {
    let mut statement = view("<script>alert(1)</script>");
    statement.customer_code = r#"A&B "x""#.to_owned();
    statement.company_name = "Co\u{0}\u{7}<b>".to_owned();
    let html = render_html(&statement).unwrap();
    assert!(!html.contains("<script>"));
    // askama writes numeric character references.
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(html.contains("A&#38;B &#34;x&#34;"), "{html}");
    assert!(!html.contains("<b>"));
    assert!(!html.contains('\u{0}') && !html.contains('\u{7}'));
}

#[test]
fn the_html_has_the_table_and_both_charts() {
    let html = render_html(&view("深圳市南山区鑫龘贸易有限公司")).unwrap();
    assert!(html.contains("深圳市南山区鑫龘贸易有限公司"));
    for expected in [
        "准时派车率",
        "On-time dispatch rate",
        "96.2%",
        "+1.4 pp",
        "−1.3 pp",
        "612",
        "23,456.7 kg",
        "38.4 h",
        "每日发货",
        "On-time rates, last 12 months",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    // Document accuracy has no value this month: shown as a dash, with no change.
    assert!(html.contains(r#"<td>—</td><td>99.0%</td><td class="">—</td>"#));
    assert_eq!(html.matches("<svg").count(), 2);
}

#[test]
fn the_pdf_embeds_its_fonts_and_carries_a_chinese_customer_name_as_text() {
    let name = "深圳市南山区鑫龘贸易有限公司 Shenzhen Trading";
    let pdf = render_pdf(&view(name)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(page_count(&text) >= 1);
    let descriptors = text.matches("/Type/FontDescriptor").count();
    let embedded = text.matches("/FontFile2").count() + text.matches("/FontFile3").count();
    assert!(descriptors >= 2, "Latin and Chinese fonts");
    assert_eq!(embedded, descriptors, "every font is embedded");
    let characters = text_characters(&pdf);
    // 鑫 and 龘 appear nowhere else on the page: only the name can have put them there.
    for c in name.chars().filter(|c| !c.is_whitespace()) {
        assert!(characters.contains(c), "{c} in {characters}");
    }
}

#[test]
fn hostile_text_and_empty_data_still_make_a_pdf() {
    let mut statement = view("<\u{1}&\"'>\u{202e}");
    statement.customer_code = "x".repeat(10_000);
    statement.daily_shipments.clear();
    statement.monthly_rates.clear();
    statement.figures = StatementFigures::default();
    let pdf = render_pdf(&statement).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let html = render_html(&statement).unwrap();
    assert!(html.contains(&format!("{}…", "x".repeat(MAX_SHOWN_CHARS))));
    assert!(!html.contains(&"x".repeat(MAX_SHOWN_CHARS + 1)));
}

#[test]
fn extreme_counts_render_and_too_many_points_are_refused() {
    let mut statement = view("Max");
    statement.figures.shipments = Compared::new(Some(i64::MAX), Some(i64::MIN));
    statement.daily_shipments[0].1 = i64::MAX;
    statement.daily_shipments[1].1 = i64::MIN;
    statement.figures.weight_kg = Compared::new(Some(f64::INFINITY), Some(f64::MAX));
    statement.figures.on_time_arrival_rate = Compared::new(Some(f64::NAN), Some(-0.5));
    statement.monthly_rates[0] = (
        "2025-04".to_owned(),
        Some(f64::NAN),
        Some(f64::NEG_INFINITY),
    );
    let html = render_html(&statement).unwrap();
    assert!(!html.contains("NaN") && !html.contains("inf"), "{html}");
    assert!(render_pdf(&statement).is_ok());
    let day = statement.daily_shipments[0];
    statement.daily_shipments.push(day);
    assert!(matches!(
        render_pdf(&statement),
        Err(RenderError::TooManyPoints { what: "days", .. })
    ));
}

/// Writes a sample statement to /tmp/statement.pdf and /tmp/statement.html, to look at
/// (`pdftoppm -png -r 80 /tmp/statement.pdf /tmp/statement`).
#[test]
#[ignore = "writes sample files to look at"]
fn write_a_sample_statement() {
    let statement = view("深圳市南山区鑫龘贸易有限公司 (Shenzhen Xinda Trading Co., Ltd.)");
    std::fs::write("/tmp/statement.pdf", render_pdf(&statement).unwrap()).unwrap();
    std::fs::write("/tmp/statement.html", render_html(&statement).unwrap()).unwrap();
    // A customer with no shipments at all: every figure absent, both charts empty.
    let mut empty = view("Empty Co 空公司");
    empty.figures = StatementFigures::default();
    empty.daily_shipments.iter_mut().for_each(|day| day.1 = 0);
    empty
        .monthly_rates
        .iter_mut()
        .for_each(|month| (month.1, month.2) = (None, None));
    std::fs::write("/tmp/statement-empty.pdf", render_pdf(&empty).unwrap()).unwrap();
}

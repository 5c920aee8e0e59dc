use super::*;

/// The bar and space widths of Code 128's symbols 0 to 106 (ISO/IEC 15417, table 1): 103, 104
/// and 105 are the start symbols of code sets A, B and C. Written out here so the test decodes
/// the crate's output against the standard, not against the crate.
const PATTERNS: [&str; 106] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232",
];
const STOP: &str = "2331112";
const START_B: usize = 104;
const START_C: usize = 105;

/// Run lengths of alternating bars and spaces, starting with a bar.
fn widths(modules: &[u8]) -> String {
    let mut widths = String::new();
    let mut run = 0;
    let mut current = 1;
    for &module in modules {
        if module == current {
            run += 1;
        } else {
            widths.push(char::from(b'0' + run));
            current = module;
            run = 1;
        }
    }
    widths.push(char::from(b'0' + run));
    widths
}

/// Decodes modules into symbol values, checking the stop pattern and the check symbol.
fn decode(modules: &[u8]) -> Vec<usize> {
    let widths = widths(modules);
    assert!(widths.ends_with(STOP), "stop pattern in {widths}");
    let symbols = &widths[..widths.len() - STOP.len()];
    assert_eq!(symbols.len() % 6, 0);
    let values: Vec<usize> = symbols
        .as_bytes()
        .chunks(6)
        .map(|chunk| {
            let pattern = std::str::from_utf8(chunk).unwrap();
            PATTERNS
                .iter()
                .position(|p| *p == pattern)
                .unwrap_or_else(|| panic!("{pattern} is no Code 128 symbol"))
        })
        .collect();
    let (check, body) = values.split_last().unwrap();
    let sum: usize = body
        .iter()
        .enumerate()
        .map(|(at, value)| value * at.max(1))
        .sum();
    assert_eq!(sum % 103, *check, "check symbol of {values:?}");
    body.to_vec()
}

fn order(pieces: i32, dangerous_goods: bool) -> LabelOrder {
    LabelOrder {
        tracking_number: "310000000013".into(),
        order_number: "O2026030200000042".into(),
        total_pieces: pieces,
        origin: LabelParty {
            recipient: "Pudong Warehouse 2 & Co".into(),
            city: "Shanghai".into(),
            region_code: "310115".into(),
        },
        destination: LabelParty {
            recipient: "深圳南山仓库 <Dock 3>".into(),
            city: "深圳".into(),
            region_code: "440305".into(),
        },
        mode: TransportMode::Road,
        dangerous_goods,
    }
}

#[test]
fn the_table_is_the_standards_every_symbol_eleven_modules_and_distinct() {
    for (value, pattern) in PATTERNS.iter().enumerate() {
        let modules: u32 = pattern.bytes().map(|b| u32::from(b - b'0')).sum();
        assert_eq!(modules, 11, "symbol {value}");
        assert_eq!(PATTERNS.iter().filter(|p| *p == pattern).count(), 1);
    }
}

#[test]
fn a_digit_tracking_number_is_code_set_c_with_a_correct_check_symbol() {
    for number in [
        "310000000013",
        "000000000000",
        "999999999999",
        "123456789012",
    ] {
        let symbols = decode(&barcode_modules(number).unwrap());
        let digit_pairs: Vec<usize> = number
            .as_bytes()
            .chunks(2)
            .map(|pair| usize::from(pair[0] - b'0') * 10 + usize::from(pair[1] - b'0'))
            .collect();
        assert_eq!(symbols[0], START_C, "{number}");
        assert_eq!(&symbols[1..], digit_pairs.as_slice(), "{number}");
    }
}

#[test]
fn other_text_is_code_set_b() {
    let symbols = decode(&barcode_modules("AB-12345").unwrap());
    assert_eq!(symbols[0], START_B);
    let expected: Vec<usize> = "AB-12345".bytes().map(|b| usize::from(b - 32)).collect();
    assert_eq!(&symbols[1..], expected.as_slice());
    assert!(matches!(
        barcode_modules("快递"),
        Err(LabelError::Unencodable(_))
    ));
    assert!(barcode_modules("").is_err());
}

#[test]
fn the_svg_label_is_well_formed_and_its_bars_decode_to_the_tracking_number() {
    let label = order(12, true);
    let svg = render_svg(&label, 3).unwrap();
    let document = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("100mm"));
    assert_eq!(root.attribute("height"), Some("150mm"));

    let texts: Vec<String> = root
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .map(|node| node.text().unwrap_or_default().to_owned())
        .collect();
    for expected in [
        COMPANY_NAME,
        "310000000013",
        "Piece 3 / 12",
        "Order O2026030200000042",
        "ROAD",
        "Pudong Warehouse 2 & Co",
        "Shanghai (310115)",
        "深圳南山仓库 <Dock 3>",
        "深圳 (440305)",
        "DANGEROUS GOODS",
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} in {texts:?}"
        );
    }

    // Read the bars back from the drawing: x positions and widths in module units.
    let barcode = root
        .descendants()
        .find(|node| node.attribute("id") == Some("barcode"))
        .expect("a barcode group");
    let rects: Vec<(f32, f32)> = barcode
        .children()
        .filter(|node| node.has_tag_name("rect"))
        .map(|node| {
            let number = |name| node.attribute(name).unwrap().parse::<f32>().unwrap();
            (number("x"), number("width"))
        })
        .collect();
    let narrowest = rects.iter().map(|r| r.1).fold(f32::MAX, f32::min);
    let origin = rects[0].0;
    let mut modules = Vec::new();
    for (x, width) in rects {
        let start = ((x - origin) / narrowest).round() as usize;
        modules.resize(start, 0);
        modules.extend(std::iter::repeat_n(1, (width / narrowest).round() as usize));
    }
    let symbols = decode(&modules);
    assert_eq!(symbols, [START_C, 31, 0, 0, 0, 0, 13]);
}

#[test]
fn without_dangerous_goods_there_is_no_mark() {
    let svg = render_svg(&order(1, false), 1).unwrap();
    assert!(!svg.contains("DANGEROUS GOODS"));
    assert!(!svg.contains("dangerous-goods"));
}

/// Page objects of a PDF: `/Type/Page` not followed by `s` (`/Type/Pages` is the page tree).
fn page_count(pdf: &str) -> usize {
    pdf.match_indices("/Type/Page")
        .filter(|(at, found)| !pdf[at + found.len()..].starts_with('s'))
        .count()
}

#[test]
fn the_pdf_has_one_100_by_150_mm_page_per_piece_drawn_from_the_svg_labels() {
    let label = order(12, true);
    for pieces in [vec![1], vec![4, 5, 6], (1..=12).collect::<Vec<_>>()] {
        let pdf = render_pdf(&label, &pieces).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
        let text = String::from_utf8_lossy(&pdf);
        assert_eq!(page_count(&text), pieces.len(), "{pieces:?}");
        assert_eq!(
            text.matches("/MediaBox[0 0 283.46457 425.19684]").count(),
            pieces.len()
        );
        // The pages are the SVG labels (whose bars decode to the tracking number, above) and
        // nothing else: the same drawing through the same writer gives the same bytes.
        let svgs: Vec<String> = pieces
            .iter()
            .map(|&piece| render_svg(&label, piece).unwrap())
            .collect();
        let title = format!("Labels {}", label.tracking_number);
        assert_eq!(
            pdf,
            logistics_platform::documents::pdf_from_svg_pages(&svgs, Some(&title)).unwrap()
        );
    }
}

#[test]
fn the_pdf_embeds_every_font_it_names() {
    let pdf = render_pdf(&order(2, true), &[1, 2]).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    let descriptors = text.matches("/Type/FontDescriptor").count();
    let embedded = text.matches("/FontFile2").count() + text.matches("/FontFile3").count();
    // Latin (DejaVu Sans, regular and bold) and Chinese (Droid Sans Fallback) text.
    assert!(descriptors >= 2, "{descriptors} font descriptors");
    assert_eq!(embedded, descriptors, "every font is embedded");
    // No font named for the reader to supply: no standard 14 font, no CJK CMap font.
    assert!(!text.contains("/Subtype/Type1"));
    for absent in ["STSong", "Helvetica", "UniGB-UCS2"] {
        assert!(!text.contains(absent), "{absent}");
    }
    assert!(text.contains("DroidSansFallback"));
}

#[test]
fn labels_exist_only_for_the_orders_pieces() {
    let label = order(2, false);
    assert_eq!(
        render_svg(&label, 3),
        Err(LabelError::NoSuchPiece { piece: 3, total: 2 })
    );
    assert!(render_svg(&label, 0).is_err());
    assert!(render_pdf(&label, &[1, 2, 3]).is_err());
}

/// Writes a sample label to /tmp/label.pdf, to look at (`pdftoppm -png -r 80`).
#[test]
#[ignore = "writes a sample file to look at"]
fn write_a_sample_label_pdf() {
    let mut label = order(2, true);
    label.destination.recipient = "张伟 (Zhang Wei) 深圳南山仓库".into();
    std::fs::write("/tmp/label.pdf", render_pdf(&label, &[1, 2]).unwrap()).unwrap();
}

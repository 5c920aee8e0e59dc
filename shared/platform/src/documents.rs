//! Documents a person reads (shipping labels, customer statements): SVG pages turned into one
//! PDF whose fonts are embedded, so any PDF reader shows Latin and Chinese text with no font
//! installed.
//!
//! The fonts are compiled into the binary (`shared/platform/fonts/`, with their licences): DejaVu
//! Sans for Latin text and Droid Sans Fallback for Chinese. Only the glyphs a document uses are
//! embedded (krilla subsets them), so a label stays tens of kilobytes. Text stays text: it can be
//! selected, searched and copied in a reader.
//!
//! Pages name fonts by [`FONT_FAMILY`]; usvg picks, per character, the first font of the list that
//! has a glyph for it (then any loaded font that has one), so mixed text such as
//! "张伟 Zhang Wei" comes out whole.

use std::sync::{Arc, OnceLock};

use krilla::Document;
use krilla::geom::Size;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla_svg::{SurfaceExt as _, SvgSettings};
use usvg::fontdb::Database;

/// The company named on every document the suite prints (labels, statements).
pub const COMPANY_NAME: &str = "Logistics Express";

/// The `font-family` every SVG page should use: Latin first, then Chinese.
pub const FONT_FAMILY: &str = "DejaVu Sans, Droid Sans Fallback";

/// DejaVu Sans (Bitstream Vera licence): Latin, Greek, Cyrillic and common symbols. Public so that
/// layout code (chart labels) can measure text with the font the PDF draws it in.
pub const DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, for `font-weight="bold"` Latin text.
pub const DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
/// Droid Sans Fallback Full (Apache-2.0): Chinese, Japanese and Korean characters.
pub const DROID_SANS_FALLBACK: &[u8] = include_bytes!("../fonts/DroidSansFallbackFull.ttf");

/// CSS pixels (usvg's unit) per PDF point: an SVG of `width="100mm"` is 100 mm wide in the PDF.
const PX_PER_PT: f32 = 96.0 / 72.0;
/// Most pages one document may have: a bound on the work one call can ask for.
pub const MAX_PAGES: usize = 500;

/// Why a document could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// A document needs at least one page.
    #[error("a document needs at least one page")]
    NoPages,
    /// More pages than [`MAX_PAGES`].
    #[error("a document has at most {MAX_PAGES} pages, not {0}")]
    TooManyPages(usize),
    /// A page is not SVG that usvg can read.
    #[error("page {page} is not valid SVG: {reason}")]
    InvalidSvg {
        /// The page, from 1.
        page: usize,
        /// What the parser said.
        reason: String,
    },
    /// The PDF writer failed (e.g. a font could not be embedded).
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// The embedded fonts, loaded once: parsing their tables on each document would be wasted work.
fn fonts() -> Arc<Database> {
    static FONTS: OnceLock<Arc<Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = Database::new();
            for font in [DEJAVU_SANS, DEJAVU_SANS_BOLD, DROID_SANS_FALLBACK] {
                // Read in place from the binary: no 5 MB copy on the heap.
                db.load_font_source(usvg::fontdb::Source::Binary(Arc::new(font)));
            }
            // Generic families ("sans-serif", and usvg's default "Times New Roman" fallback
            // through serif) resolve to the embedded fonts, never to a missing system font.
            for set in [
                Database::set_sans_serif_family,
                Database::set_serif_family,
                Database::set_monospace_family,
                Database::set_cursive_family,
                Database::set_fantasy_family,
            ] {
                set(&mut db, "DejaVu Sans");
            }
            Arc::new(db)
        })
        .clone()
}

/// One PDF of the given SVG pages, in order, each page the size its SVG declares
/// (`width`/`height`, e.g. in `mm`), fonts embedded and subset. `title` goes into the PDF's
/// metadata (what a reader shows in its title bar).
pub fn pdf_from_svg_pages<S: AsRef<str>>(
    pages: &[S],
    title: Option<&str>,
) -> Result<Vec<u8>, DocumentError> {
    if pages.is_empty() {
        return Err(DocumentError::NoPages);
    }
    if pages.len() > MAX_PAGES {
        return Err(DocumentError::TooManyPages(pages.len()));
    }
    let options = usvg::Options {
        fontdb: fonts(),
        font_family: "DejaVu Sans".to_owned(),
        // Pages come from our own templates, but one carrying a user's text must never read a
        // file of the server: no image reference resolves to a path (data: URLs still do).
        resources_dir: None,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    let trees = pages
        .iter()
        .enumerate()
        .map(|(at, svg)| {
            usvg::Tree::from_str(svg.as_ref(), &options).map_err(|error| {
                DocumentError::InvalidSvg {
                    page: at + 1,
                    reason: error.to_string(),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut document = Document::new();
    if let Some(title) = title {
        document.set_metadata(
            Metadata::new()
                .title(title.to_owned())
                .creator("Logistics Express".to_owned()),
        );
    }
    for (at, tree) in trees.iter().enumerate() {
        let invalid = || DocumentError::InvalidSvg {
            page: at + 1,
            reason: "the page has no size".to_owned(),
        };
        let size = tree.size();
        let page_size = Size::from_wh(size.width() / PX_PER_PT, size.height() / PX_PER_PT)
            .ok_or_else(invalid)?;
        let settings = PageSettings::new(page_size);
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        surface
            .draw_svg(tree, page_size, SvgSettings::default())
            .ok_or_else(invalid)?;
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| DocumentError::Pdf(format!("{error:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="150mm" viewBox="0 0 100 150"><text x="5" y="20" font-family="{FONT_FAMILY}" font-size="6">{text}</text></svg>"#
        )
    }

    fn text_of(pdf: &[u8]) -> String {
        String::from_utf8_lossy(pdf).into_owned()
    }

    /// Page objects: `/Type/Page` not followed by `s` (krilla writes no space between the two).
    pub(crate) fn page_count(pdf: &str) -> usize {
        pdf.match_indices("/Type/Page")
            .filter(|(at, found)| !pdf[at + found.len()..].starts_with('s'))
            .count()
    }

    #[test]
    fn latin_and_chinese_text_use_embedded_fonts_and_no_other() {
        let pdf = pdf_from_svg_pages(&[page("张伟 Zhang Wei 上海")], Some("Test")).unwrap();
        let text = text_of(&pdf);
        assert!(text.starts_with("%PDF-"));
        let embedded = text.matches("/FontFile2").count() + text.matches("/FontFile3").count();
        let fonts = text.matches("/FontDescriptor").count();
        // Two fonts (DejaVu for Latin, Droid for Chinese), each with its font file.
        assert!(embedded >= 2, "{embedded} embedded of {fonts}");
        assert!(!text.contains("STSong"));
        assert!(text.contains("DejaVuSans"));
        assert!(text.contains("DroidSansFallback"));
    }

    #[test]
    fn characters_no_font_has_still_make_a_document() {
        // An emoji, a private-use character and a lone combining mark: no embedded font has
        // them, and the document is made all the same (they show as blanks or boxes).
        let pdf = pdf_from_svg_pages(&[page("😀 \u{F8FF} \u{0301} ok")], None).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn one_page_per_svg_of_the_svgs_size() {
        let pages: Vec<String> = (1..=3).map(|n| page(&format!("Page {n}"))).collect();
        let pdf = text_of(&pdf_from_svg_pages(&pages, None).unwrap());
        assert_eq!(page_count(&pdf), 3, "{pdf}");
        // 100 x 150 mm in points.
        assert!(pdf.contains("283.46"), "{pdf}");
        assert!(pdf.contains("425.19"), "{pdf}");
    }

    #[test]
    fn an_image_naming_a_file_of_the_server_is_not_read() {
        // A file usvg would draw if it read it: an SVG of a filled square.
        let file = std::env::temp_dir().join(format!("documents-{}.svg", std::process::id()));
        std::fs::write(
            &file,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>"#,
        )
        .unwrap();
        let page = |image: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="10mm" viewBox="0 0 10 10">{image}</svg>"#
            )
        };
        let with_image = page(&format!(
            r#"<image width="10" height="10" href="{}"/>"#,
            file.display()
        ));
        let read = pdf_from_svg_pages(&[with_image], None).unwrap();
        std::fs::remove_file(&file).ok();
        assert_eq!(read, pdf_from_svg_pages(&[page("")], None).unwrap());
    }

    #[test]
    fn no_pages_too_many_pages_and_broken_svg_are_errors() {
        assert_eq!(
            pdf_from_svg_pages::<&str>(&[], None),
            Err(DocumentError::NoPages)
        );
        let many = vec![page("x"); MAX_PAGES + 1];
        assert_eq!(
            pdf_from_svg_pages(&many, None),
            Err(DocumentError::TooManyPages(MAX_PAGES + 1))
        );
        assert!(matches!(
            pdf_from_svg_pages(&[page("ok"), "<svg".to_owned()], None),
            Err(DocumentError::InvalidSvg { page: 2, .. })
        ));
    }
}

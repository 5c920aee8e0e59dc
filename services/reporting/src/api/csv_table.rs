//! A report as a CSV table, the way ExportReport streams it: a header row, then one row per line
//! of the report, written with the `csv` crate.
//!
//! Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` as a formula, and some
//! treat a leading tab, carriage return or NUL the same way, so a customer name such as
//! `=HYPERLINK(...)` would run on the reader's machine (CSV injection). A text cell that starts
//! with such a character is prefixed with an apostrophe, which the spreadsheet shows as text and
//! hides, and quoted, as every cell that is not a plain numeral is. Numbers are written by us, as
//! plain numerals.

/// One cell of an exported report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text, possibly from a caller (names, codes): quoted, and defused when it could be a
    /// formula.
    Text(String),
    /// A count or a sum.
    Integer(i64),
    /// A ratio or an average; an empty cell (`""`) when there is none (nothing was counted).
    Decimal(Option<f64>),
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<i64> for Cell {
    fn from(number: i64) -> Self {
        Self::Integer(number)
    }
}

impl From<Option<f64>> for Cell {
    fn from(number: Option<f64>) -> Self {
        Self::Decimal(number)
    }
}

/// A report as rows of cells under a header.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CsvTable {
    /// The column names.
    pub header: Vec<&'static str>,
    /// The lines, each as long as the header.
    pub rows: Vec<Vec<Cell>>,
}

/// Characters a spreadsheet may take as the start of a formula.
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r', '\0'];

/// The text as written: prefixed with an apostrophe when it could start a formula.
fn defused(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn field(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => defused(text),
        Cell::Integer(number) => number.to_string(),
        // Up to 6 decimals: rates to a ten-thousandth of a percentage point; no exponent form.
        Cell::Decimal(Some(number)) if number.is_finite() => {
            let text = format!("{number:.6}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            if text == "-0" {
                "0".to_owned()
            } else {
                text.to_owned()
            }
        }
        Cell::Decimal(_) => String::new(),
    }
}

impl CsvTable {
    /// The table as CSV bytes (UTF-8, comma-separated, CRLF line ends as RFC 4180 has them).
    pub(crate) fn to_csv(&self) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::NonNumeric)
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let written = writer.write_record(&self.header).and_then(|()| {
            self.rows
                .iter()
                .try_for_each(|row| writer.write_record(row.iter().map(field)))
        });
        // Writing into memory fails only on a broken invariant (rows of other lengths).
        debug_assert!(written.is_ok(), "{written:?}");
        writer.into_inner().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(rows: Vec<Vec<Cell>>) -> String {
        let table = CsvTable {
            header: vec!["name", "count", "rate"],
            rows,
        };
        String::from_utf8(table.to_csv()).unwrap()
    }

    #[test]
    fn text_is_quoted_and_numbers_are_plain() {
        let csv = csv_of(vec![vec![
            "Acme, \"Tiles\"".into(),
            Cell::Integer(-3),
            Cell::Decimal(Some(0.25)),
        ]]);
        assert_eq!(
            csv,
            "\"name\",\"count\",\"rate\"\r\n\"Acme, \"\"Tiles\"\"\",-3,0.25\r\n"
        );
    }

    #[test]
    fn every_formula_start_is_defused_and_quoted() {
        for start in ["=", "+", "-", "@", "\t", "\r", "\0"] {
            let text = format!("{start}HYPERLINK(\"http://evil\")");
            let csv = csv_of(vec![vec![text.clone().into(), 1.into(), None.into()]]);
            let line = csv.lines().nth(1).unwrap_or_default().to_owned();
            let rest = csv.split_once("\r\n").unwrap().1;
            assert!(
                rest.starts_with(&format!("\"'{start}")),
                "{start:?} is quoted and defused: {line:?}"
            );
        }
    }

    #[test]
    fn text_that_looks_like_a_negative_number_is_defused_too() {
        let csv = csv_of(vec![vec!["-5".into(), 0.into(), None.into()]]);
        assert!(csv.ends_with("\"'-5\",0,\"\"\r\n"), "{csv:?}");
    }

    #[test]
    fn decimals_have_no_exponent_and_missing_ones_are_empty() {
        let csv = csv_of(vec![
            vec!["a".into(), 1.into(), Some(1e-7).into()],
            vec!["b".into(), 1.into(), Some(12_345_678.5).into()],
            vec!["c".into(), 1.into(), Some(f64::NAN).into()],
            vec!["d".into(), 1.into(), Some(-0.0000001).into()],
        ]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[1], "\"a\",1,0");
        assert_eq!(lines[2], "\"b\",1,12345678.5");
        assert_eq!(lines[3], "\"c\",1,\"\"");
        assert_eq!(lines[4], "\"d\",1,0");
    }
}

//! Rows in PostgreSQL's binary COPY format, for the bulk inserts of tracking: COPY inserts rows in
//! batches where `INSERT .. SELECT * FROM unnest(..)` inserts them one by one, and the binary form
//! needs no parsing on the server.
//!
//! The format (<https://www.postgresql.org/docs/current/sql-copy.html>): a signature, flags and an
//! empty header extension; each row its field count, then each field's length (-1 for NULL) and
//! its binary value; -1 at the end.

use chrono::{DateTime, TimeZone as _, Utc};
use uuid::Uuid;

/// The signature that opens binary COPY data.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Binary COPY data being written, row by row.
pub(crate) struct BinaryCopy {
    data: Vec<u8>,
    fields: i16,
}

impl BinaryCopy {
    /// Data for rows of `fields` columns each.
    pub(crate) fn new(fields: i16) -> Self {
        let mut data = Vec::with_capacity(4096);
        data.extend_from_slice(SIGNATURE);
        data.extend_from_slice(&0_i32.to_be_bytes()); // flags: no OIDs
        data.extend_from_slice(&0_i32.to_be_bytes()); // no header extension
        Self { data, fields }
    }

    /// Starts a row; its fields follow, in the COPY statement's column order.
    pub(crate) fn row(&mut self) -> &mut Self {
        self.data.extend_from_slice(&self.fields.to_be_bytes());
        self
    }

    fn field(&mut self, value: &[u8]) -> &mut Self {
        let length = i32::try_from(value.len()).expect("a field under 2 GiB");
        self.data.extend_from_slice(&length.to_be_bytes());
        self.data.extend_from_slice(value);
        self
    }

    fn null(&mut self) -> &mut Self {
        self.data.extend_from_slice(&(-1_i32).to_be_bytes());
        self
    }

    /// A `uuid`.
    pub(crate) fn uuid(&mut self, value: Uuid) -> &mut Self {
        self.field(value.as_bytes())
    }

    /// An `int8`.
    pub(crate) fn int8(&mut self, value: i64) -> &mut Self {
        self.field(&value.to_be_bytes())
    }

    /// A `bool`.
    pub(crate) fn bool(&mut self, value: bool) -> &mut Self {
        self.field(&[u8::from(value)])
    }

    /// A `text`.
    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        self.field(value.as_bytes())
    }

    /// A `text` or NULL.
    pub(crate) fn text_or_null(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    /// A `timestamptz`: microseconds since 2000-01-01 UTC, as sqlx binds it.
    pub(crate) fn timestamptz(&mut self, value: DateTime<Utc>) -> &mut Self {
        let epoch = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
        let micros = (value - epoch)
            .num_microseconds()
            .expect("a time within 292,000 years of 2000");
        self.int8(micros)
    }

    /// A `timestamptz` or NULL.
    pub(crate) fn timestamptz_or_null(&mut self, value: Option<DateTime<Utc>>) -> &mut Self {
        match value {
            Some(value) => self.timestamptz(value),
            None => self.null(),
        }
    }

    /// The data, ended.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.data.extend_from_slice(&(-1_i16).to_be_bytes());
        self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_its_field_count_then_each_field_with_its_length() {
        let mut copy = BinaryCopy::new(3);
        copy.row().int8(7).text("ab").text_or_null(None);
        let data = copy.finish();
        let mut expected = SIGNATURE.to_vec();
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0, 3]);
        expected.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7]);
        expected.extend_from_slice(&[0, 0, 0, 2, b'a', b'b']);
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        expected.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(data, expected);
    }

    #[test]
    fn a_time_counts_microseconds_from_the_year_2000() {
        let mut copy = BinaryCopy::new(1);
        let time = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 1).unwrap();
        copy.row().timestamptz(time);
        let data = copy.finish();
        // After the 19-byte header, the field count (2 bytes) and the length (4 bytes).
        assert_eq!(&data[25..33], &1_000_000_i64.to_be_bytes());
    }
}

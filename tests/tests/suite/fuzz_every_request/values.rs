//! Strategies for the values inside requests: each mixes realistic values (so some calls succeed
//! and reach the use cases and the database) with hostile ones (control characters, NUL, emoji, SQL
//! fragments, very long text, times outside any calendar, unknown enum numbers, integer extremes,
//! oversized lists).

use std::cell::Cell;

use chrono::Utc;
use logistics_contracts::common::change_feed_start::Position;
use logistics_contracts::common::{Address, ChangeFeedStart, Money};
use logistics_contracts::feeds::FeedMessage;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use prost_types::{Duration, FieldMask, Timestamp};

thread_local! {
    static CLEAN: Cell<bool> = const { Cell::new(false) };
}

/// Builds strategies with `build` that draw only realistic values. A message has dozens of
/// fields; when each may be hostile, nearly every message has some bad field and is refused at the
/// door. Calls built clean get past validation and exercise the use cases, the SQL and the state
/// machines; the hostile ones exercise validation.
pub fn clean<T>(build: impl FnOnce() -> T) -> T {
    CLEAN.with(|clean| clean.set(true));
    let built = build();
    CLEAN.with(|clean| clean.set(false));
    built
}

fn is_clean() -> bool {
    CLEAN.with(Cell::get)
}

/// Fragments no field should take as they are, or should store exactly as given.
const HOSTILE: &[&str] = &[
    "\0",
    "a\0b",
    "\u{1}\u{2}\u{1b}[31m",
    "line\nbreak",
    "cr\rlf\n",
    "tab\there",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{202e}reversed",
    "\u{feff}",
    "\u{200b}",
    "🚚📦🇨🇳",
    "👩‍👩‍👧‍👦",
    "e\u{301}\u{301}\u{301}",
    "上海市浦东新区",
    "'; DROP TABLE customers; --",
    "' OR '1'='1",
    "\"; DELETE FROM orders; --",
    "%",
    "_%\\",
    "\\",
    "$1",
    "NULL",
    "null",
    "   ",
    "-1",
    "0",
    "C000001",
    "C999999999999999999999",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "{\"a\":1}",
    "<svg onload=alert(1)>",
    "../../etc/passwd",
    "*",
    "a.b.c",
];

/// Characters that very long text is made of: one, two, three and four UTF-8 bytes.
const LONG_CHARS: &[char] = &['x', 'é', '中', '🚚', '\0', '\u{1}', ' '];

/// Text for a field whose realistic values are `realistic`.
pub fn text(realistic: &'static [&'static str]) -> BoxedStrategy<String> {
    if is_clean() {
        return select(realistic).prop_map(str::to_owned).boxed();
    }
    prop_oneof![
        80 => select(realistic).prop_map(str::to_owned),
        2 => Just(String::new()),
        2 => select(HOSTILE).prop_map(str::to_owned),
        2 => (select(realistic), select(HOSTILE)).prop_map(|(a, b)| format!("{a}{b}")),
        2 => vec(any::<char>(), 0..40).prop_map(|chars| chars.into_iter().collect()),
        1 => (select(LONG_CHARS), 1usize..5000).prop_map(|(c, n)| c.to_string().repeat(n)),
        1 => (select(LONG_CHARS), select(&[255usize, 256, 257, 1000, 1001, 65_536][..]))
            .prop_map(|(c, n)| c.to_string().repeat(n)),
        // About 1 MB, rarely: every request stays under the 4 MB message limit most of the time.
        1 => prop::bool::weighted(0.1).prop_map(|huge| if huge {
            "🚚".repeat(256 * 1024)
        } else {
            "x".repeat(300)
        }),
    ]
    .boxed()
}

/// Free text with no particular shape.
pub fn words() -> BoxedStrategy<String> {
    text(&[
        "Leaves at the back door",
        "customer asked for a call",
        "ok",
        "Fragile: glassware",
        "张伟",
    ])
}

/// An identifier: mostly one of `known` (ids or numbers that exist), else unknown or hostile.
pub fn id(known: &[String]) -> BoxedStrategy<String> {
    let known = known.to_vec();
    if is_clean() {
        return select(known).boxed();
    }
    prop_oneof![
        20 => select(known),
        1 => any::<u128>().prop_map(|bits| uuid::Uuid::from_u128(bits).to_string()),
        1 => text(&["00000000-0000-0000-0000-000000000000", "C000001", "not-an-id"]),
    ]
    .boxed()
}

/// A request id (AIP-155): mostly empty or a fresh UUID, sometimes junk.
pub fn request_id() -> BoxedStrategy<String> {
    if is_clean() {
        return any::<u128>()
            .prop_map(|bits| uuid::Uuid::from_u128(bits).to_string())
            .boxed();
    }
    prop_oneof![
        1 => Just(String::new()),
        12 => any::<u128>().prop_map(|bits| uuid::Uuid::from_u128(bits).to_string()),
        1 => Just("11111111-1111-1111-1111-111111111111".to_owned()),
        1 => text(&["req-1", "not-a-uuid"]),
    ]
    .boxed()
}

/// An etag: mostly empty (no check), sometimes junk.
pub fn etag() -> BoxedStrategy<String> {
    if is_clean() {
        return Just(String::new()).boxed();
    }
    prop_oneof![
        9 => Just(String::new()),
        1 => text(&["W/\"1\"", "\"0\"", "1"]),
    ]
    .boxed()
}

/// A page token: mostly empty, else junk or tampered base64.
pub fn page_token() -> BoxedStrategy<String> {
    if is_clean() {
        return Just(String::new()).boxed();
    }
    prop_oneof![
        9 => Just(String::new()),
        1 => text(&["AAAA", "eyJvIjoxfQ", "bm90IGEgdG9rZW4=", "-_-_", "===="]),
    ]
    .boxed()
}

/// A page size: mostly small, sometimes past the maximum or an extreme.
pub fn page_size() -> BoxedStrategy<i32> {
    if is_clean() {
        return (0..=50i32).boxed();
    }
    prop_oneof![
        8 => 0..=20i32,
        1 => 90..=1100i32,
        1 => select(&[i32::MIN, -1, i32::MAX][..]),
    ]
    .boxed()
}

/// An enum number: mostly a named value other than the UNSPECIFIED 0 (`1..variants`), sometimes 0
/// or any `i32`.
pub fn enumeration(variants: i32) -> BoxedStrategy<i32> {
    if is_clean() {
        return (1..variants).boxed();
    }
    prop_oneof![
        16 => 1..variants,
        1 => Just(0),
        1 => select(vec![-1, variants, 99, i32::MIN, i32::MAX]),
        1 => any::<i32>(),
    ]
    .boxed()
}

/// An `i32` in `realistic`, else an extreme.
pub fn int32(realistic: std::ops::RangeInclusive<i32>) -> BoxedStrategy<i32> {
    if is_clean() {
        return realistic.boxed();
    }
    prop_oneof![
        16 => realistic,
        1 => select(&[i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX - 1, i32::MAX][..]),
        1 => any::<i32>(),
    ]
    .boxed()
}

/// An `i64` in `realistic`, else an extreme.
pub fn int64(realistic: std::ops::RangeInclusive<i64>) -> BoxedStrategy<i64> {
    if is_clean() {
        return realistic.boxed();
    }
    prop_oneof![
        16 => realistic,
        1 => select(&[i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX][..]),
        1 => any::<i64>(),
    ]
    .boxed()
}

/// A list: mostly a few items, sometimes far more than any documented bound.
pub fn list<T: std::fmt::Debug + 'static>(
    item: BoxedStrategy<T>,
    oversized: usize,
) -> BoxedStrategy<Vec<T>> {
    list_from(1, item, oversized)
}

/// A list of mostly `min` to 3 items, sometimes none or far more than any documented bound.
pub fn list_from<T: std::fmt::Debug + 'static>(
    min: usize,
    item: BoxedStrategy<T>,
    oversized: usize,
) -> BoxedStrategy<Vec<T>> {
    if is_clean() {
        return vec(item, min..=3).boxed();
    }
    prop_oneof![
        16 => vec(item.clone(), min..=3),
        1 => vec(item.clone(), 0..=0),
        1 => vec(item, 0..=oversized),
    ]
    .boxed()
}

/// A `StreamChanges` request of the feed `M`: from the beginning, from now, or after a cursor
/// (mostly not one of the feed's), for every event or a few of its types, sometimes strangers
/// and more than the bound.
pub fn feed_request<M: FeedMessage>() -> BoxedStrategy<M::Request> {
    (
        prop_oneof![
            1 => Just(None),
            1 => any::<bool>().prop_map(|now| Some(Position::FromNow(now))),
            3 => text(&["", "0", "AAAA", "1:1"]).prop_map(|cursor| Some(Position::AfterCursor(cursor))),
        ],
        list_from(0, text(M::EVENT_TYPES), 40),
    )
        .prop_map(|(position, event_types)| M::request(Some(ChangeFeedStart { position }), event_types))
        .boxed()
}

/// A timestamp in the protobuf's own words: any seconds and nanos, mostly near now.
pub fn time() -> BoxedStrategy<Timestamp> {
    let now = Utc::now().timestamp();
    if is_clean() {
        return (-30 * 86_400..=30 * 86_400i64)
            .prop_map(move |offset| Timestamp {
                seconds: now + offset,
                nanos: 0,
            })
            .boxed();
    }
    prop_oneof![
        16 => (-400 * 86_400..=400 * 86_400i64, 0..1_000_000_000i32).prop_map(move |(offset, nanos)| {
            Timestamp { seconds: now + offset, nanos }
        }),
        2 => (
            select(&[
                i64::MIN, i64::MAX, -62_135_596_801, -62_135_596_800, -1, 0,
                253_402_300_799, 253_402_300_800, 8_210_266_876_799, 9_223_372_036,
            ][..]),
            select(&[i32::MIN, -1, 0, 999_999_999, 1_000_000_000, i32::MAX][..]),
        )
            .prop_map(|(seconds, nanos)| Timestamp { seconds, nanos }),
        1 => (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| Timestamp { seconds, nanos }),
    ]
    .boxed()
}

/// An optional timestamp.
pub fn maybe_time() -> BoxedStrategy<Option<Timestamp>> {
    prop::option::weighted(0.85, time()).boxed()
}

/// A time mostly within the last `days` days (the last hour for 0: what "occurred" fields take),
/// else any.
pub fn past_time(days: i64) -> BoxedStrategy<Option<Timestamp>> {
    let now = Utc::now().timestamp();
    if is_clean() {
        return (60..=(days * 86_400).max(3600))
            .prop_map(move |ago| {
                Some(Timestamp {
                    seconds: now - ago,
                    nanos: 0,
                })
            })
            .boxed();
    }
    prop_oneof![
        16 => (60..=(days * 86_400).max(3600)).prop_map(move |ago| Some(Timestamp { seconds: now - ago, nanos: 0 })),
        3 => maybe_time(),
    ]
    .boxed()
}

/// A time mostly within the next `days` days (what "due" fields take), else any.
pub fn future_time(days: i64) -> BoxedStrategy<Option<Timestamp>> {
    let now = Utc::now().timestamp();
    if is_clean() {
        return (3600..=days * 86_400)
            .prop_map(move |ahead| {
                Some(Timestamp {
                    seconds: now + ahead,
                    nanos: 0,
                })
            })
            .boxed();
    }
    prop_oneof![
        16 => (3600..=days * 86_400).prop_map(move |ahead| Some(Timestamp { seconds: now + ahead, nanos: 0 })),
        3 => maybe_time(),
    ]
    .boxed()
}

/// An output-only enum: mostly left unset, as a caller should.
pub fn output_enum(variants: i32) -> BoxedStrategy<i32> {
    if is_clean() {
        return Just(0).boxed();
    }
    prop_oneof![8 => Just(0), 1 => enumeration(variants)].boxed()
}

/// A duration: realistic hours, or any seconds and nanos.
pub fn duration() -> BoxedStrategy<Option<Duration>> {
    if is_clean() {
        return (3600..=30 * 86_400i64)
            .prop_map(|seconds| Some(Duration { seconds, nanos: 0 }))
            .boxed();
    }
    prop_oneof![
        1 => Just(None),
        8 => (0..=30 * 86_400i64).prop_map(|seconds| Some(Duration { seconds, nanos: 0 })),
        2 => (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| Some(Duration { seconds, nanos })),
    ]
    .boxed()
}

/// An amount of money: mostly CNY in a sane range.
pub fn money() -> BoxedStrategy<Option<Money>> {
    if is_clean() {
        return (0..=10_000_000i64)
            .prop_map(|amount_minor| {
                Some(Money {
                    currency_code: "CNY".to_owned(),
                    amount_minor,
                })
            })
            .boxed();
    }
    prop::option::weighted(
        0.9,
        (text(&["CNY"]), int64(0..=10_000_000)).prop_map(|(currency_code, amount_minor)| Money {
            currency_code,
            amount_minor,
        }),
    )
    .boxed()
}

/// A postal address, mostly a real-looking Chinese one.
pub fn address() -> BoxedStrategy<Address> {
    (
        text(&["Pudong Warehouse 2", "Chaoyang Store", "王芳"]),
        list_from(
            1,
            text(&["88 Century Avenue", "Building 3, Floor 2"]).boxed(),
            40,
        ),
        text(&["Shanghai", "Beijing", "Guangzhou"]),
        text(&["200120", "100020", "510000"]),
        text(&["310115", "110105", "440100"]),
        text(&["CN"]),
    )
        .prop_map(
            |(recipient, lines, city, postal_code, region_code, country_code)| Address {
                recipient,
                lines,
                city,
                postal_code,
                region_code,
                country_code,
            },
        )
        .boxed()
}

/// A field mask: mostly paths that may be updated (only those when clean), sometimes `others`
/// that may not, or unknown and hostile ones.
pub fn mask(
    updatable: &'static [&'static str],
    others: &'static [&'static str],
) -> BoxedStrategy<Option<FieldMask>> {
    if is_clean() {
        return prop::sample::subsequence(updatable, 1..=updatable.len().min(3))
            .prop_map(|paths| {
                Some(FieldMask {
                    paths: paths.into_iter().map(str::to_owned).collect(),
                })
            })
            .boxed();
    }
    prop::option::weighted(
        0.85,
        list(
            prop_oneof![
                10 => select(updatable).prop_map(str::to_owned),
                2 => select(others).prop_map(str::to_owned),
                1 => text(&["etag", "id", "a.b"]),
            ]
            .boxed(),
            200,
        )
        .prop_map(|paths| FieldMask { paths }),
    )
    .boxed()
}

/// Bytes for an image: mostly small, sometimes about 1 MB.
pub fn bytes() -> BoxedStrategy<Vec<u8>> {
    if is_clean() {
        return vec(any::<u8>(), 0..64).boxed();
    }
    prop_oneof![
        8 => vec(any::<u8>(), 0..64),
        1 => (select(&[0u8, 0x89, 0xff][..]), 0usize..(1 << 20) + 16).prop_map(|(b, n)| vec![b; n]),
    ]
    .boxed()
}

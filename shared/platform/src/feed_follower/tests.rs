//! Unit tests of the follower's pure parts: backoff and status figures.

use super::store::CursorRow;
use super::*;

#[test]
fn reconnect_pauses_double_from_100_ms_to_a_10_s_cap_with_jitter() {
    let mut backoff = Backoff::default();
    let ceilings_ms = [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000];
    for ceiling in ceilings_ms {
        let delay = backoff.next_delay();
        let ceiling = Duration::from_millis(ceiling);
        assert!(
            delay >= ceiling / 2 && delay <= ceiling,
            "{delay:?} not within {ceiling:?}"
        );
    }
    for _ in 0..100 {
        assert!(backoff.next_delay() <= MAX_BACKOFF);
    }
}

#[test]
fn a_success_starts_the_pauses_over() {
    let mut backoff = Backoff::default();
    for _ in 0..6 {
        backoff.next_delay();
    }
    backoff.reset();
    assert!(backoff.next_delay() <= FIRST_BACKOFF);
}

#[test]
fn the_status_reads_lag_and_last_applied_time_from_the_cursor_row() {
    let written = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let row = CursorRow {
        cursor: "c3".to_owned(),
        applied_events: 3,
        skipped_events: 1,
        duplicate_events: 0,
        update_time: written + chrono::Duration::milliseconds(1500),
        last_event_time: Some(written),
    };
    let mut status = FollowerStatus::new("orders");
    status.update(&row);
    assert_eq!(status.cursor, "c3");
    assert_eq!((status.applied_events, status.skipped_events), (3, 1));
    assert_eq!(status.last_event_time, Some(written));
    assert_eq!(status.last_applied_time, Some(row.update_time));
    assert_eq!(status.lag, Some(Duration::from_millis(1500)));

    // A fresh row: nothing applied yet, no times, no lag.
    let fresh = CursorRow {
        cursor: String::new(),
        applied_events: 0,
        skipped_events: 0,
        duplicate_events: 0,
        update_time: written,
        last_event_time: None,
    };
    status.update(&fresh);
    assert_eq!(
        (status.last_applied_time, status.lag, status.cursor.as_str()),
        (None, None, "")
    );

    // Clocks apart: an event written "after" it was applied lags by nothing, not by a panic.
    let skewed = CursorRow {
        last_event_time: Some(written + chrono::Duration::seconds(5)),
        ..row
    };
    status.update(&skewed);
    assert_eq!(status.lag, Some(Duration::ZERO));
}

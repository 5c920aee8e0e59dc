//! Etags (AIP-154): a record's version as the caller read it, sent back on a write so that a
//! write over a newer state is refused instead of silently undoing someone else's change.

use crate::error::ApiError;

/// The etag of a record at `version`.
pub fn of(version: i64) -> String {
    format!("v{version}")
}

/// Accepts a write to `what` (e.g. "customer C000042"), now at `version`, when the caller sent
/// no etag or the current one; otherwise ABORTED `ETAG_MISMATCH`, naming both etags.
pub fn check(given: &str, version: i64, what: impl std::fmt::Display) -> Result<(), ApiError> {
    let current = of(version);
    if given.is_empty() || given == current {
        Ok(())
    } else {
        Err(ApiError::Aborted {
            reason: "ETAG_MISMATCH",
            message: format!(
                "{what} changed since it was read (etag {given:?}, now {current:?}); read it again"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_etag_or_the_current_one_passes_and_a_stale_one_is_aborted() {
        assert_eq!(of(7), "v7");
        assert!(check("", 7, "order O1").is_ok());
        assert!(check("v7", 7, "order O1").is_ok());
        let stale = check("v6", 7, "order O1").unwrap_err().into_status("test");
        assert_eq!(stale.code(), tonic::Code::Aborted);
        assert_eq!(
            stale.message(),
            "order O1 changed since it was read (etag \"v6\", now \"v7\"); read it again"
        );
    }
}

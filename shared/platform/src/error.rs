//! The one mapping from domain errors to gRPC status, used by every service.
//!
//! Each status carries one `google.rpc.ErrorInfo` with a stable UPPER_SNAKE reason and the
//! service's domain (`logistics.<service>`); bad input also carries a `google.rpc.BadRequest` with
//! every offending field. Internal causes are logged here and never sent to the caller.
//!
//! All of it travels in HTTP/2 headers (`grpc-message`, `grpc-status-details-bin`), and HTTP/2
//! clients refuse a header block past a limit (16 KiB in hyper, so in tonic): a caller would get
//! INTERNAL "h2 protocol error" instead of the status. So what a status says is bounded: each text
//! at [`MAX_TEXT_CHARS`] characters (a text may quote the caller's input, e.g. an id), and the
//! violations listed at [`MAX_VIOLATION_BYTES`] in all; the rest are counted in ErrorInfo's
//! `omitted_violations`.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Longest text of a status (its message, a field path, a description, an ErrorInfo value), in
/// characters; longer ones are cut and end with "…". Percent-encoded, 256 characters of the widest
/// kind take 3 KiB of `grpc-message`.
pub const MAX_TEXT_CHARS: usize = 256;

/// Most bytes of field paths and descriptions listed in a status's BadRequest: about 8 KiB once
/// base64-encoded, which leaves room for the message and ErrorInfo under a 16 KiB header block.
pub const MAX_VIOLATION_BYTES: usize = 6 * 1024;

/// `text` cut to at most `max_chars` characters, ending with "…" when cut.
fn bounded(text: String, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text;
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// One field that failed validation, named by its path in the request (e.g. `customer.display_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field in the request message.
    pub field: String,
    /// What is wrong with it, for a person to read.
    pub description: String,
}

/// An error a service can return, by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; every bad field is listed.
    #[error("{message}")]
    InvalidArgument {
        /// Stable reason, e.g. `INVALID_FIELDS`.
        reason: &'static str,
        /// Summary for people.
        message: String,
        /// The offending fields; may be empty when the request as a whole is wrong.
        violations: Vec<FieldViolation>,
    },
    /// The named resource does not exist.
    #[error("{resource} {id:?} not found")]
    NotFound {
        /// Stable reason, e.g. `CUSTOMER_NOT_FOUND`.
        reason: &'static str,
        /// Kind of resource, e.g. "customer".
        resource: &'static str,
        /// The id the caller gave.
        id: String,
    },
    /// A resource with the same unique key exists already.
    #[error("{message}")]
    AlreadyExists {
        /// Stable reason.
        reason: &'static str,
        /// Summary for people.
        message: String,
    },
    /// The resource is not in a state that allows the request (an illegal transition).
    #[error("{message}")]
    FailedPrecondition {
        /// Stable reason.
        reason: &'static str,
        /// Summary for people.
        message: String,
        /// Facts for programs, e.g. the current and the requested status.
        metadata: Vec<(&'static str, String)>,
    },
    /// A concurrency conflict: stale etag or serialization failure. Read again and retry.
    #[error("{message}")]
    Aborted {
        /// Stable reason, e.g. `ETAG_MISMATCH`.
        reason: &'static str,
        /// Summary for people.
        message: String,
    },
    /// No valid credentials.
    #[error("{message}")]
    Unauthenticated {
        /// Stable reason.
        reason: &'static str,
        /// Summary for people.
        message: String,
    },
    /// Valid credentials without the needed scope.
    #[error("{message}")]
    PermissionDenied {
        /// Stable reason.
        reason: &'static str,
        /// Summary for people.
        message: String,
        /// The scope the call needs.
        scope: String,
    },
    /// A rate or concurrency limit was hit. Retry later.
    #[error("{message}")]
    ResourceExhausted {
        /// Stable reason.
        reason: &'static str,
        /// Summary for people.
        message: String,
    },
    /// A dependency (PostgreSQL, another service) is down. Retry with backoff.
    #[error("{message}")]
    Unavailable {
        /// Stable reason.
        reason: &'static str,
        /// Summary for people, without internal details.
        message: String,
        /// The cause, logged only.
        #[source]
        source: Option<anyhow::Error>,
    },
    /// A bug or an unexpected failure. Logged in full; the caller sees only that it happened.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// An INVALID_ARGUMENT for a single field.
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut violations = Violations::new();
        violations.add(field, description);
        violations.into_error()
    }

    /// Converts into the gRPC status sent to the caller, under the service's error domain.
    pub fn into_status(self, domain: &str) -> Status {
        let mut details = ErrorDetails::new();
        let mut info = HashMap::new();
        let (code, reason, message) = match self {
            ApiError::InvalidArgument {
                reason,
                message,
                violations,
            } => {
                let total = violations.len();
                let mut listed = 0;
                let mut bytes = 0;
                for violation in violations {
                    let field = bounded(violation.field, MAX_TEXT_CHARS);
                    let description = bounded(violation.description, MAX_TEXT_CHARS);
                    bytes += field.len() + description.len();
                    if bytes > MAX_VIOLATION_BYTES {
                        break;
                    }
                    details.add_bad_request_violation(field, description);
                    listed += 1;
                }
                if listed < total {
                    info.insert(
                        "omitted_violations".to_owned(),
                        (total - listed).to_string(),
                    );
                }
                (Code::InvalidArgument, reason, message)
            }
            ApiError::NotFound {
                reason,
                resource,
                id,
            } => {
                let message = format!("{resource} {id:?} not found");
                info.insert("resource".to_owned(), resource.to_owned());
                info.insert("id".to_owned(), id);
                (Code::NotFound, reason, message)
            }
            ApiError::AlreadyExists { reason, message } => (Code::AlreadyExists, reason, message),
            ApiError::FailedPrecondition {
                reason,
                message,
                metadata,
            } => {
                info.extend(metadata.into_iter().map(|(k, v)| (k.to_owned(), v)));
                (Code::FailedPrecondition, reason, message)
            }
            ApiError::Aborted { reason, message } => (Code::Aborted, reason, message),
            ApiError::Unauthenticated { reason, message } => {
                (Code::Unauthenticated, reason, message)
            }
            ApiError::PermissionDenied {
                reason,
                message,
                scope,
            } => {
                info.insert("scope".to_owned(), scope);
                (Code::PermissionDenied, reason, message)
            }
            ApiError::ResourceExhausted { reason, message } => {
                (Code::ResourceExhausted, reason, message)
            }
            ApiError::Unavailable {
                reason,
                message,
                source,
            } => {
                if let Some(source) = source {
                    tracing::warn!(
                        error = format!("{source:#}"),
                        reason,
                        "dependency unavailable"
                    );
                }
                (Code::Unavailable, reason, message)
            }
            ApiError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                (
                    Code::Internal,
                    "INTERNAL",
                    "internal error; it has been logged".to_owned(),
                )
            }
        };
        let info: HashMap<String, String> = info
            .into_iter()
            .map(|(key, value)| (key, bounded(value, MAX_TEXT_CHARS)))
            .collect();
        details.set_error_info(reason, domain, info);
        Status::with_error_details(code, bounded(message, MAX_TEXT_CHARS), details)
    }
}

/// Collects every field violation of a request, so the caller learns all of them at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is wrong.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// How many violations are recorded: a check can tell whether it added any.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The fields recorded so far, in order: what table tests of a check compare.
    pub fn fields(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(|violation| violation.field.as_str())
            .collect()
    }

    /// True when nothing was wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing was wrong, else INVALID_ARGUMENT with every violation.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// INVALID_ARGUMENT with every violation recorded so far.
    pub fn into_error(self) -> ApiError {
        let message = match self.0.as_slice() {
            [one] => format!("{}: {}", one.field, one.description),
            many => format!("{} fields are invalid", many.len()),
        };
        ApiError::InvalidArgument {
            reason: "INVALID_FIELDS",
            message,
            violations: self.0,
        }
    }
}

/// Parses a UUID field, recording a violation when it is not one.
pub fn parse_uuid(violations: &mut Violations, field: &str, value: &str) -> Option<uuid::Uuid> {
    if value.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    match uuid::Uuid::try_parse(value) {
        Ok(id) => Some(id),
        Err(_) => {
            violations.add(field, "must be a UUID");
            None
        }
    }
}

/// Maps a database error to an API error: connectivity to UNAVAILABLE, serialization conflicts to
/// ABORTED, a data exception (SQLSTATE class 22) to INVALID_ARGUMENT, anything else to INTERNAL.
/// Constraint violations a caller can cause are mapped by the owning store before they get here.
impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => ApiError::Unavailable {
                reason: "DATABASE_UNAVAILABLE",
                message: "the service's database is unavailable; retry later".to_owned(),
                source: Some(error.into()),
            },
            sqlx::Error::Database(db) if is_conflict(db.code().as_deref()) => ApiError::Aborted {
                reason: "CONCURRENT_MODIFICATION",
                message: "the request conflicted with a concurrent one; retry it".to_owned(),
            },
            sqlx::Error::Database(db) if is_unavailable(db.code().as_deref()) => {
                ApiError::Unavailable {
                    reason: "DATABASE_UNAVAILABLE",
                    message: "the service's database is unavailable; retry later".to_owned(),
                    source: Some(error.into()),
                }
            }
            sqlx::Error::Database(db) if is_data_exception(db.code().as_deref()) => {
                // Only input can carry a value PostgreSQL refuses (a NUL, a time out of its
                // range, an overflow), and the API's field checks should have refused it first:
                // the caller gets its answer, the log gets a bug to fix.
                tracing::error!(
                    sqlstate = db.code().as_deref().unwrap_or_default(),
                    error = %db,
                    "bug: a data exception reached PostgreSQL; a field check is missing"
                );
                ApiError::InvalidArgument {
                    reason: "INVALID_VALUE",
                    message: "a value in the request is out of the range the service can store"
                        .to_owned(),
                    violations: Vec::new(),
                }
            }
            _ => ApiError::Internal(error.into()),
        }
    }
}

/// Class 22, data exception: string data with a NUL (22021), datetime out of range (22008),
/// numeric out of range (22003), and the like.
fn is_data_exception(code: Option<&str>) -> bool {
    code.is_some_and(|code| code.starts_with("22"))
}

/// serialization_failure and deadlock_detected: the transaction may succeed if retried.
fn is_conflict(code: Option<&str>) -> bool {
    matches!(code, Some("40001" | "40P01"))
}

/// Class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now).
fn is_unavailable(code: Option<&str>) -> bool {
    code.is_some_and(|code| code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_lists_every_violation_and_its_reason() {
        let mut violations = Violations::new();
        violations.require_text("customer.display_name", "  ", 10);
        violations.limit_text("customer.notes", "0123456789ab", 10);
        let status = violations
            .finish()
            .unwrap_err()
            .into_status("logistics.test");

        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, ["customer.display_name", "customer.notes"]);
        let info = details.error_info().unwrap();
        assert_eq!(info.reason, "INVALID_FIELDS");
        assert_eq!(info.domain, "logistics.test");
    }

    #[test]
    fn a_data_exception_is_the_callers_mistake_not_an_internal_error() {
        for code in ["22021", "22008", "22003", "22P02"] {
            assert!(is_data_exception(Some(code)), "{code}");
        }
        for code in ["23505", "40001", "08006", "XX000"] {
            assert!(!is_data_exception(Some(code)), "{code}");
        }
        assert!(!is_data_exception(None));
    }

    #[test]
    fn internal_errors_never_reach_the_caller() {
        let status = ApiError::Internal(anyhow::anyhow!("password=hunter2 in connection string"))
            .into_status("logistics.test");
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("hunter2"));
    }

    #[test]
    fn not_found_names_the_resource_in_error_info() {
        let status = ApiError::NotFound {
            reason: "CUSTOMER_NOT_FOUND",
            resource: "customer",
            id: "C000001".into(),
        }
        .into_status("logistics.customers");
        assert_eq!(status.code(), Code::NotFound);
        let details = status.get_error_details();
        let info = details.error_info().unwrap();
        assert_eq!(info.reason, "CUSTOMER_NOT_FOUND");
        assert_eq!(info.metadata["id"], "C000001");
    }

    /// The size of the header block a status travels in.
    fn header_bytes(status: &Status) -> usize {
        let mut headers = http::HeaderMap::new();
        status.add_header(&mut headers).expect("a valid status");
        headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum()
    }

    #[test]
    fn a_status_fits_an_http2_header_block_however_many_violations_and_however_long_the_input() {
        let mut violations = Violations::new();
        for at in 0..10_000 {
            violations.add(format!("lanes[{at}].origin_zone"), "is required");
        }
        violations.add(
            format!("update_mask.paths[{}]", "🚚".repeat(1 << 18)),
            format!("unknown path {}", "x".repeat(1 << 20)),
        );
        let status = violations.into_error().into_status("logistics.test");
        assert!(
            header_bytes(&status) < 16 * 1024,
            "{}",
            header_bytes(&status)
        );
        assert_eq!(status.message(), "10001 fields are invalid");
        let details = status.get_error_details();
        let listed = details.bad_request().unwrap().field_violations.len();
        assert!((100..10_001).contains(&listed), "{listed}");
        assert_eq!(
            details.error_info().unwrap().metadata["omitted_violations"],
            (10_001 - listed).to_string()
        );

        let not_found = ApiError::NotFound {
            reason: "CUSTOMER_NOT_FOUND",
            resource: "customer",
            id: "\u{0}🚚".repeat(1 << 18),
        }
        .into_status("logistics.customers");
        assert!(
            header_bytes(&not_found) < 16 * 1024,
            "{}",
            header_bytes(&not_found)
        );
        assert!(not_found.message().ends_with('…'));
    }

    #[test]
    fn a_few_short_violations_are_listed_in_full() {
        assert_eq!(bounded("C000001".to_owned(), MAX_TEXT_CHARS), "C000001");
        assert_eq!(bounded("abcdef".to_owned(), 4), "abc…");
        assert_eq!(bounded("中文中文".to_owned(), 4), "中文中文");
    }
}

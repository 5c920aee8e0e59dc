//! Page sizes and opaque, tamper-evident page tokens (AIP-158).
//!
//! A token is the keyset position after the last item of a page, sealed with an HMAC and bound to
//! a fingerprint of the query (filter and order) that made it: a token edited by hand, or replayed
//! with another filter, is refused with INVALID_ARGUMENT instead of silently returning wrong pages.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Page size when the caller gives none.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest page; larger requests are capped to it.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Bytes of HMAC kept in a token: 128 bits is plenty against forgery and keeps tokens short.
const MAC_LEN: usize = 16;
/// Bytes of the query fingerprint kept in a token.
const FINGERPRINT_LEN: usize = 8;
/// Longest token accepted, so a huge string costs nothing to refuse.
const MAX_TOKEN_LEN: usize = 2048;

/// Resolves a request's `page_size`: 0 means the default, values over the maximum are capped.
pub fn page_size(requested: i32) -> Result<usize, ApiError> {
    match requested {
        n if n < 0 => Err(ApiError::invalid_field("page_size", "must not be negative")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as usize).min(MAX_PAGE_SIZE)),
    }
}

/// A secret that seals tokens handed to callers (page tokens, change-feed cursors).
///
/// Every replica of a service must share it, or tokens issued by one are refused by another.
#[derive(Clone)]
pub struct TokenKey {
    key: [u8; 32],
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// Derives the sealing key from a configured secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        let key = Sha256::new()
            .chain_update(b"logistics token key v1\0")
            .chain_update(secret)
            .finalize()
            .into();
        Self { key }
    }

    /// A key that lives as long as the process: tokens do not survive a restart.
    pub fn random() -> Self {
        Self {
            key: rand::random(),
        }
    }

    fn mac(&self, purpose: &str, payload: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        full[..MAC_LEN].try_into().expect("slice of MAC_LEN")
    }

    /// Seals `payload` for one `purpose` into an opaque URL-safe string.
    pub fn seal(&self, purpose: &str, payload: &[u8]) -> String {
        let mut sealed = Vec::with_capacity(payload.len() + MAC_LEN);
        sealed.extend_from_slice(payload);
        sealed.extend_from_slice(&self.mac(purpose, payload));
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// Opens a string made by [`TokenKey::seal`] with the same purpose; `None` when it was altered.
    pub fn open(&self, purpose: &str, token: &str) -> Option<Vec<u8>> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let mut sealed = URL_SAFE_NO_PAD.decode(token).ok()?;
        if sealed.len() < MAC_LEN {
            return None;
        }
        let tag = sealed.split_off(sealed.len() - MAC_LEN);
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(&sealed);
        // verify_truncated_left compares in constant time.
        mac.verify_truncated_left(&tag).ok()?;
        Some(sealed)
    }
}

/// Issues and checks page tokens for one list RPC.
#[derive(Clone, Debug)]
pub struct PageTokens {
    key: TokenKey,
    purpose: &'static str,
}

impl PageTokens {
    /// Tokens for the list RPC named `purpose` (e.g. "customers.list"): a token of one list is
    /// refused by another.
    pub fn new(key: TokenKey, purpose: &'static str) -> Self {
        Self { key, purpose }
    }

    /// A token for the page after `position`, bound to `query` (the filter and order, encoded).
    pub fn issue<P: Serialize>(&self, query: &[u8], position: &P) -> String {
        let mut payload = fingerprint(query).to_vec();
        serde_json::to_writer(&mut payload, position).expect("positions serialize");
        self.key.seal(self.purpose, &payload)
    }

    /// The position in `token`, or `None` for the first page (empty token).
    ///
    /// A token that was altered, or that was made for another query, is INVALID_ARGUMENT.
    pub fn open<P: DeserializeOwned>(
        &self,
        query: &[u8],
        token: &str,
    ) -> Result<Option<P>, ApiError> {
        if token.is_empty() {
            return Ok(None);
        }
        let invalid = |why: &str| ApiError::invalid_field("page_token", why.to_owned());
        let payload = self
            .key
            .open(self.purpose, token)
            .ok_or_else(|| invalid("is not a token issued by this list; start again without it"))?;
        let (print, position) = payload
            .split_at_checked(FINGERPRINT_LEN)
            .ok_or_else(|| invalid("is malformed"))?;
        if print != fingerprint(query) {
            return Err(invalid(
                "was issued for another filter or order; send the same filter and order as the first page",
            ));
        }
        serde_json::from_slice(position)
            .map(Some)
            .map_err(|_| invalid("is malformed"))
    }
}

fn fingerprint(query: &[u8]) -> [u8; FINGERPRINT_LEN] {
    let digest = Sha256::digest(query);
    digest[..FINGERPRINT_LEN]
        .try_into()
        .expect("slice of FINGERPRINT_LEN")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> PageTokens {
        PageTokens::new(TokenKey::from_secret(b"test secret"), "things.list")
    }

    #[test]
    fn page_size_defaults_caps_and_refuses_negative() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(7).unwrap(), 7);
        assert_eq!(page_size(1000).unwrap(), 1000);
        assert_eq!(page_size(1001).unwrap(), MAX_PAGE_SIZE);
        assert_eq!(page_size(i32::MAX).unwrap(), MAX_PAGE_SIZE);
        assert!(page_size(-1).is_err());
    }

    #[test]
    fn a_token_round_trips_for_the_same_query() {
        let token = tokens().issue(b"filter=a", &("2026-01-01", 42));
        let position: Option<(String, i32)> = tokens().open(b"filter=a", &token).unwrap();
        assert_eq!(position, Some(("2026-01-01".to_owned(), 42)));
    }

    #[test]
    fn an_empty_token_means_the_first_page() {
        let position: Option<i32> = tokens().open(b"q", "").unwrap();
        assert_eq!(position, None);
    }

    #[test]
    fn a_token_is_refused_with_another_query() {
        let token = tokens().issue(b"filter=a", &1);
        assert!(tokens().open::<i32>(b"filter=b", &token).is_err());
    }

    #[test]
    fn every_altered_character_is_detected() {
        let token = tokens().issue(b"q", &("x", 1));
        for at in 0..token.len() {
            let mut altered = token.clone().into_bytes();
            altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(altered).unwrap();
            if altered != token {
                assert!(
                    tokens().open::<(String, i32)>(b"q", &altered).is_err(),
                    "at {at}"
                );
            }
        }
    }

    #[test]
    fn a_token_of_another_list_or_key_is_refused() {
        let token = tokens().issue(b"q", &1);
        let other_list = PageTokens::new(TokenKey::from_secret(b"test secret"), "other.list");
        let other_key = PageTokens::new(TokenKey::from_secret(b"another"), "things.list");
        assert!(other_list.open::<i32>(b"q", &token).is_err());
        assert!(other_key.open::<i32>(b"q", &token).is_err());
    }
}

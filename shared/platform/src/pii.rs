//! Personal data at rest: authenticated encryption with rotatable keys, and keyed lookup hashes.
//!
//! A sealed value is self-describing: `[key id length][key id][12-byte nonce][AES-256-GCM output]`,
//! so values sealed under an old key still open after a new key becomes active, and a rotation can
//! re-seal them at leisure. Each value gets a random nonce; the purpose (e.g. "contact.phone") is
//! bound as associated data, so a ciphertext copied into another column does not open there.
//!
//! Exact lookups (find a customer by phone) use HMAC-SHA256 under a separate lookup key over the
//! normalized value: equal inputs give equal hashes, and the hash reveals nothing without the key.

use std::collections::HashMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const NONCE_LEN: usize = 12;
const MAX_KEY_ID_LEN: usize = 32;

/// Encrypts and decrypts personal data, and hashes it for exact lookup.
///
/// Built once from configuration and shared; its `Debug` output names the key ids only.
#[derive(Clone)]
pub struct PiiCipher {
    active: String,
    keys: HashMap<String, Aes256Gcm>,
    lookup_key: [u8; 32],
}

impl fmt::Debug for PiiCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("PiiCipher")
            .field("active_key", &self.active)
            .field("key_ids", &ids)
            .finish_non_exhaustive()
    }
}

/// Why a sealed value did not open. Never carries the value itself.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The value is too short or its header is broken.
    #[error("sealed value is malformed")]
    Malformed,
    /// It names a key id this process was not given.
    #[error("sealed value names unknown key id {0:?}")]
    UnknownKey(String),
    /// Authentication failed: wrong key, wrong purpose or tampered bytes.
    #[error("sealed value does not authenticate")]
    Forged,
}

impl PiiCipher {
    /// Builds the cipher from the settings' text forms.
    ///
    /// `keys` is `id:<base64 of 32 bytes>` entries separated by commas, the first one active (used
    /// to seal); the others only open older values. `lookup_key` is base64 of 32 bytes.
    pub fn from_config(keys: &str, lookup_key: &str) -> anyhow::Result<Self> {
        let mut entries = Vec::new();
        for entry in keys.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, key) = entry
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("a PII key entry must be `id:<base64 key>`"))?;
            entries.push((id.trim().to_owned(), decode_key(key, "a PII key")?));
        }
        let lookup_key = decode_key(lookup_key, "the PII lookup key")?;
        Self::new(entries, lookup_key)
    }

    /// Builds the cipher from raw keys; the first entry is the active one.
    pub fn new(keys: Vec<(String, [u8; 32])>, lookup_key: [u8; 32]) -> anyhow::Result<Self> {
        let active = keys
            .first()
            .map(|(id, _)| id.clone())
            .ok_or_else(|| anyhow::anyhow!("at least one PII key is needed"))?;
        let mut ciphers = HashMap::new();
        for (id, key) in keys {
            let valid_id = !id.is_empty()
                && id.len() <= MAX_KEY_ID_LEN
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            anyhow::ensure!(
                valid_id,
                "a PII key id is 1-{MAX_KEY_ID_LEN} letters, digits, '-' or '_' (got {id:?})"
            );
            let cipher = Aes256Gcm::new_from_slice(&key)
                .map_err(|_| anyhow::anyhow!("a PII key must be 32 bytes"))?;
            anyhow::ensure!(
                ciphers.insert(id.clone(), cipher).is_none(),
                "PII key id {id:?} is given twice"
            );
        }
        if keys_equal(&lookup_key, &[0; 32]) {
            anyhow::bail!("the PII lookup key must not be all zeros");
        }
        Ok(Self {
            active,
            keys: ciphers,
            lookup_key,
        })
    }

    /// Fresh settings values: a random key `id:<base64>` and a random lookup key, both as text.
    pub fn generate_config(key_id: &str) -> (String, String) {
        let key = STANDARD.encode(rand::random::<[u8; 32]>());
        let lookup = STANDARD.encode(rand::random::<[u8; 32]>());
        (format!("{key_id}:{key}"), lookup)
    }

    /// The id of the key new values are sealed with.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Encrypts `plaintext` under the active key, bound to `purpose`.
    pub fn seal(&self, purpose: &str, plaintext: &str) -> Vec<u8> {
        let cipher = &self.keys[&self.active];
        let nonce: [u8; NONCE_LEN] = rand::random();
        let encrypted = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            // Only inputs over 64 GiB fail; personal data fields are bounded far below that.
            .expect("AES-GCM encrypts any bounded input");
        let id = self.active.as_bytes();
        let mut sealed = Vec::with_capacity(1 + id.len() + NONCE_LEN + encrypted.len());
        sealed.push(id.len() as u8);
        sealed.extend_from_slice(id);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&encrypted);
        sealed
    }

    /// Decrypts a value sealed for `purpose` with whichever configured key its header names.
    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<String, OpenError> {
        let (&id_len, rest) = sealed.split_first().ok_or(OpenError::Malformed)?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + NONCE_LEN {
            return Err(OpenError::Malformed);
        }
        let (id, rest) = rest.split_at(id_len);
        let (nonce, encrypted) = rest.split_at(NONCE_LEN);
        let id = std::str::from_utf8(id).map_err(|_| OpenError::Malformed)?;
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: encrypted,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Forged)?;
        String::from_utf8(plain).map_err(|_| OpenError::Malformed)
    }

    /// The key id a sealed value was sealed with, when its header is readable.
    pub fn key_id_of(sealed: &[u8]) -> Option<&str> {
        let (&id_len, rest) = sealed.split_first()?;
        std::str::from_utf8(rest.get(..usize::from(id_len))?).ok()
    }

    /// The keyed hash of an already normalized value, for exact lookup under `purpose`.
    pub fn lookup_hash(&self, purpose: &str, normalized: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup_key)
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

fn decode_key(text: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| anyhow::anyhow!("{what} must be base64"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{what} must be 32 bytes (44 base64 characters)"))
}

fn keys_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(keys: &str) -> PiiCipher {
        let lookup = STANDARD.encode([7u8; 32]);
        PiiCipher::from_config(keys, &lookup).unwrap()
    }

    fn key(byte: u8) -> String {
        STANDARD.encode([byte; 32])
    }

    #[test]
    fn a_sealed_value_opens_to_itself_and_does_not_contain_it() {
        let pii = cipher(&format!("k1:{}", key(1)));
        let sealed = pii.seal("contact.phone", "+8613800138000");
        assert!(!sealed.windows(5).any(|w| w == b"13800"));
        assert_eq!(
            pii.open("contact.phone", &sealed).unwrap(),
            "+8613800138000"
        );
        assert_eq!(PiiCipher::key_id_of(&sealed), Some("k1"));
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let pii = cipher(&format!("k1:{}", key(1)));
        assert_ne!(pii.seal("p", "same"), pii.seal("p", "same"));
    }

    #[test]
    fn a_value_sealed_under_an_old_key_opens_after_rotation_and_new_ones_use_the_new_key() {
        let old = cipher(&format!("k0:{}", key(1)));
        let sealed_old = old.seal("contact.email", "a@b.cn");
        let rotated = cipher(&format!("k1:{},k0:{}", key(2), key(1)));
        assert_eq!(
            rotated.open("contact.email", &sealed_old).unwrap(),
            "a@b.cn"
        );
        let sealed_new = rotated.seal("contact.email", "a@b.cn");
        assert_eq!(PiiCipher::key_id_of(&sealed_new), Some("k1"));
        assert!(matches!(
            old.open("contact.email", &sealed_new),
            Err(OpenError::UnknownKey(id)) if id == "k1"
        ));
    }

    #[test]
    fn a_value_does_not_open_under_another_purpose_or_when_tampered() {
        let pii = cipher(&format!("k1:{}", key(1)));
        let mut sealed = pii.seal("contact.phone", "+861");
        assert!(matches!(
            pii.open("contact.email", &sealed),
            Err(OpenError::Forged)
        ));
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(
            pii.open("contact.phone", &sealed),
            Err(OpenError::Forged)
        ));
        assert!(matches!(
            pii.open("contact.phone", &[5, b'k']),
            Err(OpenError::Malformed)
        ));
    }

    #[test]
    fn lookup_hashes_are_stable_per_value_and_purpose() {
        let pii = cipher(&format!("k1:{}", key(1)));
        assert_eq!(
            pii.lookup_hash("phone", "+86138"),
            pii.lookup_hash("phone", "+86138")
        );
        assert_ne!(
            pii.lookup_hash("phone", "+86138"),
            pii.lookup_hash("phone", "+86139")
        );
        assert_ne!(pii.lookup_hash("phone", "x"), pii.lookup_hash("email", "x"));
    }

    #[test]
    fn bad_settings_are_refused_and_debug_shows_no_key_material() {
        let lookup = STANDARD.encode([7u8; 32]);
        assert!(PiiCipher::from_config("", &lookup).is_err());
        assert!(PiiCipher::from_config("k1", &lookup).is_err());
        assert!(PiiCipher::from_config("k1:c2hvcnQ=", &lookup).is_err());
        assert!(PiiCipher::from_config(&format!("k 1:{}", key(1)), &lookup).is_err());
        assert!(PiiCipher::from_config(&format!("k1:{},k1:{}", key(1), key(2)), &lookup).is_err());
        assert!(PiiCipher::from_config(&format!("k1:{}", key(1)), "nope").is_err());
        let debug = format!("{:?}", cipher(&format!("k1:{},k0:{}", key(9), key(8))));
        assert!(debug.contains("k1") && debug.contains("k0"));
        assert!(!debug.contains(&key(9)) && !debug.contains(&lookup));
        assert!(!debug.contains("9, 9"));
    }

    #[test]
    fn generated_settings_build_a_cipher() {
        let (keys, lookup) = PiiCipher::generate_config("dev1");
        let pii = PiiCipher::from_config(&keys, &lookup).unwrap();
        assert_eq!(pii.active_key_id(), "dev1");
    }
}

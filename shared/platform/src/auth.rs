//! API keys, principals and scopes.
//!
//! Callers send `authorization: Bearer <api key>`. Keys are stored only as SHA-256 hashes (they are
//! long random strings, so a fast hash is enough) in a TOML file, each mapped to a principal and its
//! scopes, e.g. `customers:read`. Every RPC names the scope it needs in its service's scope table;
//! health and reflection are open.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tonic::Status;

use crate::error::ApiError;
use crate::server::gate::Gate;

/// Prefix of the keys this suite mints, so a leaked one is recognisable in a secret scanner.
const KEY_PREFIX: &str = "lgk_";

/// Who is calling, and what it may do. Handlers find it in the request's extensions.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Name of the caller, e.g. "developer" or "orders-service".
    pub name: Arc<str>,
    scopes: Arc<[String]>,
}

impl Principal {
    /// A principal with the given scopes.
    pub fn new(name: &str, scopes: Vec<String>) -> Self {
        Self {
            name: name.into(),
            scopes: scopes.into(),
        }
    }

    /// Whether one of the principal's scopes grants `needed`: the same scope, `area:*`, or `*`.
    pub fn allows(&self, needed: &str) -> bool {
        self.scopes.iter().any(|scope| {
            scope == "*"
                || scope == needed
                || scope.strip_suffix(":*").is_some_and(|area| {
                    needed
                        .split_once(':')
                        .is_some_and(|(needed_area, _)| needed_area == area)
                })
        })
    }
}

/// One key as stored in the keys file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    /// The principal the key authenticates.
    pub principal: String,
    /// Hex SHA-256 of the key.
    pub sha256: String,
    /// Scopes granted, e.g. `["customers:read", "orders:*"]` or `["*"]`.
    pub scopes: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeysFile {
    #[serde(default)]
    keys: Vec<StoredKey>,
}

/// The known API keys, by hash.
#[derive(Debug, Default)]
pub struct ApiKeys {
    by_hash: HashMap<[u8; 32], Principal>,
}

impl ApiKeys {
    /// Keys from stored entries.
    pub fn new(entries: impl IntoIterator<Item = StoredKey>) -> anyhow::Result<Self> {
        let mut keys = Self::default();
        for entry in entries {
            keys.insert(entry)?;
        }
        Ok(keys)
    }

    /// Adds a key, e.g. one minted at startup for a service's calls to the others.
    pub fn insert(&mut self, entry: StoredKey) -> anyhow::Result<()> {
        let hash: [u8; 32] = hex::decode(&entry.sha256)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "key of principal {:?}: sha256 must be 64 hex digits",
                    entry.principal
                )
            })?;
        self.by_hash
            .insert(hash, Principal::new(&entry.principal, entry.scopes));
        Ok(())
    }

    /// Keys from a TOML file of `[[keys]]` tables with `principal`, `sha256` and `scopes`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| anyhow::anyhow!("reading API keys {}: {error}", path.display()))?;
        let file: KeysFile = toml::from_str(&text)
            .map_err(|error| anyhow::anyhow!("parsing API keys {}: {error}", path.display()))?;
        Self::new(file.keys)
    }

    /// The principal of a presented key, if known.
    pub fn authenticate(&self, key: &str) -> Option<&Principal> {
        self.by_hash.get(&hash_key(key))
    }

    /// How many keys are known.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// True when no key is known: every authenticated call will be refused.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

/// Mints a new random key for `principal`; returns the key (shown once) and what to store.
pub fn mint_key(principal: &str, scopes: Vec<String>) -> (String, StoredKey) {
    let secret: [u8; 32] = rand::random();
    let key = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let stored = StoredKey {
        principal: principal.to_owned(),
        sha256: hex::encode(hash_key(&key)),
        scopes,
    };
    (key, stored)
}

/// Writes stored keys as a keys file.
pub fn write_keys_file(path: &Path, keys: Vec<StoredKey>) -> anyhow::Result<()> {
    let text = toml::to_string_pretty(&KeysFile { keys })?;
    std::fs::write(path, text)?;
    Ok(())
}

fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The scope each RPC needs, by full gRPC path (`/package.Service/Method`).
pub type ScopeTable = &'static [(&'static str, &'static str)];

/// Writes a [`ScopeTable`] as a table: the service's full name, then each method and its scope.
///
/// ```
/// use logistics_platform::auth::ScopeTable;
/// const SCOPES: ScopeTable = logistics_platform::scope_table!("pkg.v1.ThingService" {
///     GetThing => "things:read",
///     CreateThing => "things:write",
/// });
/// assert_eq!(SCOPES[0], ("/pkg.v1.ThingService/GetThing", "things:read"));
/// ```
#[macro_export]
macro_rules! scope_table {
    ($service:literal { $($method:ident => $scope:literal),+ $(,)? }) => {
        &[$((concat!("/", $service, "/", stringify!($method)), $scope)),+]
    };
}

/// Authenticates callers and checks the scope of the method they call.
///
/// It fails closed: a method of a served service that no table names is refused, so an RPC
/// added without its scope is never open to every caller.
#[derive(Clone)]
pub struct AuthGate {
    keys: Arc<ApiKeys>,
    scopes: Arc<HashMap<&'static str, &'static str>>,
    served: Arc<[&'static str]>,
    domain: &'static str,
}

impl AuthGate {
    /// A gate over `keys` for the gRPC services `served`, whose methods' scopes are in `tables`.
    pub fn new(
        keys: Arc<ApiKeys>,
        tables: &[ScopeTable],
        served: &[&'static str],
        domain: &'static str,
    ) -> Self {
        let scopes = tables
            .iter()
            .flat_map(|table| table.iter().copied())
            .collect();
        Self {
            keys,
            scopes: Arc::new(scopes),
            served: served.into(),
            domain,
        }
    }

    fn refuse(&self, error: ApiError) -> Status {
        error.into_status(self.domain)
    }
}

/// Methods open to every caller: probes must work without credentials, and reflection is only
/// served when the operator switched it on.
fn is_open(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

impl Gate for AuthGate {
    type Ticket = ();

    fn admit<B>(&self, request: &mut http::Request<B>) -> Result<(), Status> {
        let path = request.uri().path();
        if is_open(path) {
            return Ok(());
        }
        let Some(&needed) = self.scopes.get(path) else {
            let (service, _) = crate::telemetry::split_grpc_path(path);
            if self.served.contains(&service) {
                return Err(self.refuse(ApiError::PermissionDenied {
                    reason: "METHOD_WITHOUT_SCOPE",
                    message: format!("{path} has no scope configured, so nobody may call it"),
                    scope: String::new(),
                }));
            }
            // Not one of our services: the router answers UNIMPLEMENTED.
            return Ok(());
        };
        let presented = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_credentials);
        let Some(key) = presented else {
            return Err(self.refuse(ApiError::Unauthenticated {
                reason: "MISSING_CREDENTIALS",
                message: "send `authorization: Bearer <api key>`".to_owned(),
            }));
        };
        let Some(principal) = self.keys.authenticate(key) else {
            return Err(self.refuse(ApiError::Unauthenticated {
                reason: "UNKNOWN_API_KEY",
                message: "the API key is not known".to_owned(),
            }));
        };
        if !principal.allows(needed) {
            return Err(self.refuse(ApiError::PermissionDenied {
                reason: "MISSING_SCOPE",
                message: format!(
                    "caller {:?} lacks scope {needed:?} needed by {path}",
                    principal.name
                ),
                scope: needed.to_owned(),
            }));
        }
        let principal = principal.clone();
        request.extensions_mut().insert(principal);
        Ok(())
    }
}

/// The principal of a call that passed the [`AuthGate`].
pub fn principal_of<T>(request: &tonic::Request<T>) -> Result<&Principal, ApiError> {
    request.extensions().get::<Principal>().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "no principal on an authenticated call: is the auth gate missing?"
        ))
    })
}

/// The credentials of an `authorization` value in the Bearer scheme, whose name is
/// case-insensitive (RFC 7235 §2.1): `Bearer`, `bearer` and `BEARER` all name it.
fn bearer_credentials(value: &str) -> Option<&str> {
    let (scheme, credentials) = value.trim_start().split_once(' ')?;
    let credentials = credentials.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !credentials.is_empty()).then_some(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(scopes: &[&str]) -> Principal {
        Principal::new("p", scopes.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn scopes_match_exactly_by_area_or_everything() {
        let cases = [
            (&["customers:read"][..], "customers:read", true),
            (&["customers:read"][..], "customers:write", false),
            (&["customers:*"][..], "customers:write", true),
            (&["customers:*"][..], "orders:read", false),
            (&["cust:*"][..], "customers:read", false),
            (&["*"][..], "orders:write", true),
            (&[][..], "orders:read", false),
        ];
        for (scopes, needed, allowed) in cases {
            assert_eq!(
                principal(scopes).allows(needed),
                allowed,
                "{scopes:?} -> {needed}"
            );
        }
    }

    #[test]
    fn a_minted_key_authenticates_and_its_hash_is_what_is_stored() {
        let (key, stored) = mint_key("svc", vec!["orders:read".into()]);
        assert!(key.starts_with(KEY_PREFIX));
        assert!(!stored.sha256.contains(&key));
        let keys = ApiKeys::new([stored]).unwrap();
        assert_eq!(&*keys.authenticate(&key).unwrap().name, "svc");
        assert!(keys.authenticate("lgk_wrong").is_none());
    }

    #[test]
    fn a_method_of_a_served_service_without_a_scope_is_refused_not_opened() {
        let (key, stored) = mint_key("admin", vec!["*".into()]);
        let keys = Arc::new(ApiKeys::new([stored]).unwrap());
        const TABLE: ScopeTable = crate::scope_table!("pkg.v1.Things" { Get => "things:read" });
        let gate = AuthGate::new(keys, &[TABLE], &["pkg.v1.Things"], "logistics.test");
        let call = |path: &str| {
            let mut request = http::Request::builder()
                .uri(path)
                .header("authorization", format!("Bearer {key}"))
                .body(())
                .unwrap();
            gate.admit(&mut request)
        };

        assert!(call("/pkg.v1.Things/Get").is_ok());
        let refused = call("/pkg.v1.Things/Forgotten").unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        assert!(
            call("/other.v1.Service/Anything").is_ok(),
            "left to the router"
        );
    }

    #[test]
    fn the_bearer_scheme_is_named_in_any_case() {
        for value in ["Bearer k", "bearer k", "BEARER k", "bEaReR   k  "] {
            assert_eq!(bearer_credentials(value), Some("k"), "{value:?}");
        }
        for value in ["Basic k", "Bearer", "Bearer ", "Bearerk", "k"] {
            assert_eq!(bearer_credentials(value), None, "{value:?}");
        }
    }

    #[test]
    fn a_keys_file_round_trips() {
        let dir = std::env::temp_dir().join(format!("keys-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.toml");
        let (key, stored) = mint_key("dev", vec!["*".into()]);
        write_keys_file(&path, vec![stored]).unwrap();
        let keys = ApiKeys::load(&path).unwrap();
        assert!(keys.authenticate(&key).unwrap().allows("anything:at_all"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! What `logistics up` sets up on a laptop: an embedded PostgreSQL, a development API key and a
//! token secret, all kept in the data directory so they survive restarts.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use logistics_platform::auth::{mint_key, write_keys_file};
use logistics_platform::embedded_pg::{EmbeddedPostgres, Persistence, cluster_root_for};
use logistics_platform::pii::PiiCipher;

use crate::cli::Shared;
use crate::services::Service;

/// The database `up` creates on its embedded server.
const DATABASE: &str = "logistics";

/// A prepared development environment. Dropping it stops the embedded PostgreSQL.
pub struct DevSetup {
    /// Where the services connect.
    pub database_url: String,
    /// The API keys file the services load.
    pub keys_file: PathBuf,
    /// The development key, when `up` manages the keys file.
    pub dev_key: Option<(String, PathBuf)>,
    /// Secret sealing page tokens and cursors.
    pub token_secret: String,
    /// Personal-data encryption keys and lookup key, as the settings spell them.
    pub pii_keys: (String, String),
    /// The embedded server and where its data lives, unless a database URL was given.
    postgres: Option<(EmbeddedPostgres, PathBuf)>,
}

/// Prepares the database, keys and secret, creating what is missing.
pub async fn prepare(shared: &Shared) -> anyhow::Result<DevSetup> {
    let data_dir = &shared.data_dir;
    fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;

    let (database_url, postgres) = match &shared.database.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let root = cluster_root_for(&data_dir.join("postgres"))?;
            tracing::info!(data = %root.display(), "starting embedded PostgreSQL");
            let server = {
                let root = root.clone();
                tokio::task::spawn_blocking(move || {
                    EmbeddedPostgres::start(&root, Persistence::Keep)
                })
                .await??
            };
            server.ensure_database(DATABASE).await?;
            (server.url(DATABASE), Some((server, root)))
        }
    };

    let (keys_file, dev_key) = match &shared.api_keys_file {
        Some(path) => (path.clone(), None),
        None => {
            let (keys_file, key_file) = ensure_dev_key(data_dir)?;
            let key = fs::read_to_string(&key_file)?.trim().to_owned();
            (keys_file, Some((key, key_file)))
        }
    };

    let token_secret = match &shared.token_secret {
        Some(secret) => secret.clone(),
        None => read_or_create_secret(&data_dir.join("token-secret"))?,
    };

    let pii_keys = match (&shared.pii_keys, &shared.pii_lookup_key) {
        (Some(keys), Some(lookup)) => (keys.clone(), lookup.clone()),
        _ => read_or_create_pii_keys(data_dir)?,
    };

    Ok(DevSetup {
        database_url,
        keys_file,
        dev_key,
        token_secret,
        pii_keys,
        postgres,
    })
}

/// Creates the development key (all scopes) and the keys file holding its hash, once.
fn ensure_dev_key(data_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let keys_file = data_dir.join("api-keys.toml");
    let key_file = data_dir.join("dev-api-key");
    if !(keys_file.exists() && key_file.exists()) {
        let (key, stored) = mint_key("developer", vec!["*".to_owned()]);
        write_private(&key_file, &key)?;
        write_keys_file(&keys_file, vec![stored])?;
    }
    Ok((keys_file, key_file))
}

fn read_or_create_secret(path: &Path) -> anyhow::Result<String> {
    if let Ok(secret) = fs::read_to_string(path) {
        return Ok(secret.trim().to_owned());
    }
    let secret = hex::encode(rand::random::<[u8; 32]>());
    write_private(path, &secret)?;
    Ok(secret)
}

/// The development personal-data keys, created once: losing them makes stored contacts unreadable.
fn read_or_create_pii_keys(data_dir: &Path) -> anyhow::Result<(String, String)> {
    let keys_path = data_dir.join("pii-keys");
    let lookup_path = data_dir.join("pii-lookup-key");
    if let (Ok(keys), Ok(lookup)) = (
        fs::read_to_string(&keys_path),
        fs::read_to_string(&lookup_path),
    ) {
        return Ok((keys.trim().to_owned(), lookup.trim().to_owned()));
    }
    let (keys, lookup) = PiiCipher::generate_config("dev1");
    write_private(&keys_path, &keys)?;
    write_private(&lookup_path, &lookup)?;
    Ok((keys, lookup))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    fs::write(path, format!("{contents}\n"))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// The API key a client command presents: the one given, else the development key `up` keeps in
/// `data_dir`.
pub fn api_key(given: Option<&str>, data_dir: &Path) -> anyhow::Result<String> {
    match given {
        Some(key) => Ok(key.to_owned()),
        None => Ok(fs::read_to_string(data_dir.join("dev-api-key"))
            .context("no --api-key and no development key from `logistics up`")?
            .trim()
            .to_owned()),
    }
}

/// Tells the developer where everything is.
pub fn print_banner(dev: &DevSetup, endpoints: &[(Service, SocketAddr)]) {
    let mut banner = String::from("\nlogistics suite is up\n\n");
    for (service, address) in endpoints {
        banner.push_str(&format!("  {:<11} {address}\n", service.name()));
    }
    match &dev.postgres {
        Some((server, root)) => banner.push_str(&format!(
            "\n  database    embedded PostgreSQL on 127.0.0.1:{}, data in {}\n",
            server.port(),
            root.display()
        )),
        None => banner.push_str("\n  database    LOGISTICS_DATABASE_URL\n"),
    }
    if let Some((key, path)) = &dev.dev_key {
        let customers = endpoints
            .first()
            .map(|(_, address)| address.to_string())
            .unwrap_or_default();
        banner.push_str(&format!(
            "\n  development API key (all scopes): {key}\n  kept in {}\n\n  try:\n    \
             grpcurl -plaintext {customers} list\n    \
             grpcurl -plaintext -H \"authorization: Bearer {key}\" {customers} \
             logistics.customers.v1.CustomerService/ListCustomers\n",
            path.display()
        ));
    }
    banner.push_str("\nCtrl-C stops everything.\n");
    println!("{banner}");
}

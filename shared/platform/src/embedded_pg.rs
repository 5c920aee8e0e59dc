//! A PostgreSQL server of our own, from the machine's PostgreSQL binaries: the development
//! database of `logistics up` and the throwaway clusters of the tests.
//!
//! PostgreSQL refuses to run as root, so when we are root the cluster belongs to the `postgres`
//! system user and runs as it. The server is started by a small shell that holds the read end of a
//! pipe (its "lifeline") and stops the server with a fast shutdown when the pipe closes: when we
//! drop the handle, or when our process dies however it dies. It runs in its own process group, so
//! a Ctrl-C in the terminal reaches us, not the database our services are still draining into.

use std::fs;
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sha2::Digest as _;
use sqlx::Connection as _;

/// How long a starting server may take before we give up.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the server binaries are.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    bin_dir: PathBuf,
}

impl PgBinaries {
    /// Finds `initdb` and `postgres` on PATH, else in Debian's `/usr/lib/postgresql/<version>/bin`
    /// (the newest version).
    pub fn find() -> anyhow::Result<Self> {
        let on_path = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        debian.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
        on_path
            .into_iter()
            .chain(debian.into_iter().map(|(_, dir)| dir))
            .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
            .map(|bin_dir| Self { bin_dir })
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "PostgreSQL server binaries (initdb, postgres) not found on PATH or in \
                     /usr/lib/postgresql/*/bin: install them (Debian/Ubuntu: apt-get install \
                     postgresql) or set LOGISTICS_DATABASE_URL to an existing server"
                )
            })
    }

    fn command(&self, program: &str) -> Command {
        Command::new(self.bin_dir.join(program))
    }
}

/// Where a cluster meant for `preferred` can live: there, unless we are root and the `postgres`
/// user cannot reach it (a clone in a private home folder, say); then in a folder of its own under
/// `/var/tmp`, named after `preferred`, so the same data directory finds the same cluster again.
pub fn cluster_root_for(preferred: &Path) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(preferred).with_context(|| format!("creating {}", preferred.display()))?;
    let preferred = preferred.canonicalize()?;
    if ClusterOwner::current()?.can_use(&preferred)? {
        return Ok(preferred);
    }
    let digest = sha2::Sha256::digest(preferred.as_os_str().as_encoded_bytes());
    Ok(PathBuf::from("/var/tmp").join(format!("logistics-pg-{}", hex::encode(&digest[..8]))))
}

/// Whether the cluster outlives the handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Keep the data directory (development database).
    Keep,
    /// Delete the data directory when the server stops (tests). Also tunes the server for speed
    /// over durability: fsync and synchronous commit off.
    Throwaway,
}

/// A running PostgreSQL server. Dropping the handle stops it.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    port: u16,
    password: String,
    lifeline: Option<ChildStdin>,
    keeper: Child,
}

impl EmbeddedPostgres {
    /// Starts a server on a free loopback port, with its cluster in `root` (created with
    /// `initdb` the first time).
    pub fn start(root: &Path, persistence: Persistence) -> anyhow::Result<Self> {
        let binaries = PgBinaries::find()?;
        let owner = ClusterOwner::current()?;
        fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        owner.take(root)?;

        let data = root.join("data");
        let password_file = root.join("password");
        if !data.join("PG_VERSION").exists() {
            init_cluster(&binaries, &owner, &data, &password_file)?;
        }
        let password = fs::read_to_string(&password_file)
            .with_context(|| format!("reading {}", password_file.display()))?
            .trim()
            .to_owned();

        let port = free_port()?;
        let tuning = match persistence {
            Persistence::Keep => "",
            Persistence::Throwaway => {
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
            }
        };
        // The keeper: start the server (TCP on loopback only, no Unix socket), wait for our end of
        // the pipe to close, then stop the server and, for a throwaway cluster, delete it.
        let script = r#"
            "$1/postgres" -D "$2" -p "$3" -h 127.0.0.1 -k "" $6 >"$5/server.log" 2>&1 &
            server=$!
            read _ignored
            kill -INT "$server" 2>/dev/null
            wait "$server"
            if [ "$4" = throwaway ]; then rm -rf "$5"; fi
        "#;
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(script)
            .arg("sh")
            .arg(&binaries.bin_dir)
            .arg(&data)
            .arg(port.to_string())
            .arg(match persistence {
                Persistence::Keep => "keep",
                Persistence::Throwaway => "throwaway",
            })
            .arg(root)
            .arg(tuning)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        owner.apply(&mut command);
        let mut keeper = command.spawn().context("starting PostgreSQL")?;
        let lifeline = keeper.stdin.take();
        let server = Self {
            port,
            password,
            lifeline,
            keeper,
        };
        server.wait_until_ready(&data, root)?;
        Ok(server)
    }

    /// Blocks until the postmaster reports "ready" in its pid file.
    fn wait_until_ready(&self, data: &Path, root: &Path) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let status = fs::read_to_string(data.join("postmaster.pid")).unwrap_or_default();
            // Line 8 of postmaster.pid is the server's status once it has one.
            let ready = status
                .lines()
                .nth(7)
                .is_some_and(|line| line.trim() == "ready");
            let port_matches = status
                .lines()
                .nth(3)
                .is_some_and(|line| line.trim() == self.port.to_string());
            if ready && port_matches {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                let log = fs::read_to_string(root.join("server.log")).unwrap_or_default();
                bail!("PostgreSQL did not become ready in {START_TIMEOUT:?}; its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// URL of `database` on this server, as the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// Creates `database` unless it exists.
    pub async fn ensure_database(&self, database: &str) -> anyhow::Result<()> {
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(database)
                .fetch_one(&mut admin)
                .await?;
        if !exists {
            // Database names come from our own code and are quoted.
            let create = format!("CREATE DATABASE \"{}\"", database.replace('"', "\"\""));
            sqlx::query(sqlx::AssertSqlSafe(create))
                .execute(&mut admin)
                .await?;
        }
        admin.close().await?;
        Ok(())
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        // Closing the lifeline tells the keeper to stop the server; wait for it to finish.
        drop(self.lifeline.take());
        let _ = self.keeper.wait();
    }
}

/// The user the cluster belongs to: ourselves, or `postgres` when we are root.
struct ClusterOwner {
    run_as: Option<(u32, u32)>,
}

impl ClusterOwner {
    fn current() -> anyhow::Result<Self> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(Self { run_as: None });
        }
        let user = nix::unistd::User::from_name("postgres")?.ok_or_else(|| {
            anyhow::anyhow!(
                "running as root, and PostgreSQL refuses to run as root: a `postgres` system user \
                 is needed (apt-get install postgresql creates it), or set LOGISTICS_DATABASE_URL"
            )
        })?;
        Ok(Self {
            run_as: Some((user.uid.as_raw(), user.gid.as_raw())),
        })
    }

    /// Gives `dir` to the owner and checks the owner can reach it.
    fn take(&self, dir: &Path) -> anyhow::Result<()> {
        if !self.can_use(dir)? {
            bail!(
                "the postgres user cannot reach {}: one of its parent folders is private. Set \
                 LOGISTICS_DATA_DIR to a folder outside it (e.g. /var/tmp/logistics)",
                dir.display()
            );
        }
        Ok(())
    }

    /// Gives the existing folder `dir` to the owner; tells whether the owner can then write in it.
    fn can_use(&self, dir: &Path) -> anyhow::Result<bool> {
        let Some((uid, gid)) = self.run_as else {
            return Ok(true);
        };
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        let mut probe = Command::new("test");
        probe.arg("-w").arg(dir);
        self.apply(&mut probe);
        Ok(probe.status().is_ok_and(|status| status.success()))
    }

    fn apply(&self, command: &mut Command) {
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid).env("HOME", "/tmp");
        }
    }

    fn write_private(&self, path: &Path, contents: &str) -> anyhow::Result<()> {
        let mut file = fs::File::create(path)?;
        file.write_all(contents.as_bytes())?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
        }
        Ok(())
    }
}

fn init_cluster(
    binaries: &PgBinaries,
    owner: &ClusterOwner,
    data: &Path,
    password_file: &Path,
) -> anyhow::Result<()> {
    let password = hex::encode(rand::random::<[u8; 16]>());
    owner.write_private(password_file, &password)?;
    let mut initdb = binaries.command("initdb");
    initdb
        .arg("-D")
        .arg(data)
        .args(["-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"])
        .arg("--auth=scram-sha-256")
        .arg(format!("--pwfile={}", password_file.display()));
    owner.apply(&mut initdb);
    let output = initdb.output().context("running initdb")?;
    if !output.status.success() {
        bail!(
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

//! CPU time of the server under load, read from /proc (Linux): the load generator shares the
//! machine with the server, so CPU per call is a steadier figure than calls per second.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Context as _;

/// Clock ticks per second of /proc's times (USER_HZ, 100 on every Linux architecture in use).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds spent over the measured span.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// By the server process itself.
    pub server: f64,
    /// By its descendants (the embedded PostgreSQL of `logistics up`), exited ones included.
    pub postgres: f64,
    /// By this load generator.
    pub load: f64,
}

/// The CPU `pid` and its descendants, and this process, spend from `start` to `end`.
pub async fn measure(pid: u32, start: Instant, end: Instant) -> anyhow::Result<Usage> {
    tokio::time::sleep_until(start.into()).await;
    let before = snapshot(pid)?;
    tokio::time::sleep_until(end.into()).await;
    let after = snapshot(pid)?;
    Ok(Usage {
        server: after.server - before.server,
        postgres: after.postgres - before.postgres,
        load: after.load - before.load,
    })
}

fn snapshot(pid: u32) -> anyhow::Result<Usage> {
    let server = stat(&format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading the CPU time of process {pid}"))?;
    let load = stat("/proc/self/stat").context("reading this process's CPU time")?;
    // Every process's parent, to find the server's descendants.
    let mut processes = HashMap::new();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // A process may end between listing and reading: skip it.
        if let Ok(stat) = stat(&format!("/proc/{child}/stat")) {
            processes.insert(child, stat);
        }
    }
    let descends_from_server = |mut at: u32| {
        for _ in 0..64 {
            match processes.get(&at) {
                Some(stat) if stat.parent == pid => return true,
                Some(stat) if stat.parent > 1 => at = stat.parent,
                _ => return false,
            }
        }
        false
    };
    let postgres: u64 = processes
        .iter()
        .filter(|&(&child, _)| descends_from_server(child))
        // Its own time and that of its children that exited (and were waited for).
        .map(|(_, stat)| stat.own + stat.children)
        .sum();
    let seconds = |ticks: u64| ticks as f64 / TICKS_PER_SECOND;
    Ok(Usage {
        server: seconds(server.own),
        postgres: seconds(postgres),
        load: seconds(load.own),
    })
}

struct Stat {
    parent: u32,
    /// utime + stime.
    own: u64,
    /// cutime + cstime.
    children: u64,
}

fn stat(path: &str) -> anyhow::Result<Stat> {
    let text = std::fs::read_to_string(path)?;
    // The command name in parentheses may hold spaces: fields are counted after its end.
    let fields: Vec<&str> = text
        .rsplit_once(')')
        .context("malformed stat")?
        .1
        .split_whitespace()
        .collect();
    // After the name: state (3), ppid (4), ..., utime (14), stime (15), cutime (16), cstime (17).
    let field = |number: usize| -> anyhow::Result<u64> {
        Ok(fields
            .get(number - 3)
            .context("short stat")?
            .parse::<i64>()?
            .max(0) as u64)
    };
    Ok(Stat {
        parent: field(4)? as u32,
        own: field(14)? + field(15)?,
        children: field(16)? + field(17)?,
    })
}

//! Forwards through a host's master connection: a local end (a Unix socket in the pool's
//! private directory, or a port of 127.0.0.1) whose connections the master carries to an
//! address as the host sees it (`localhost:8000` is the host's own loopback). One forward per
//! host, address and kind of local end per run: opened on first use, reused, closed with the
//! pool.
//!
//! The master says why a channel did not open only in its log (`channel 3: open failed:
//! connect failed: Connection refused`); the pool's `tunnel_failure` reads it to word the error.

use openssh::Socket;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// An address as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RemoteAddress {
    /// `localhost:8000` is the host's own loopback; a name is resolved by the host.
    Tcp { host: String, port: u16 },
    /// A Unix socket on the host (`/var/run/docker.sock`, `/var/run/postgresql/.s.PGSQL.5432`).
    Unix(PathBuf),
}

impl std::fmt::Display for RemoteAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoteAddress::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            RemoteAddress::Tcp { host, port } => write!(f, "{host}:{port}"),
            RemoteAddress::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

impl RemoteAddress {
    pub(super) fn socket(&self) -> Socket<'_> {
        match self {
            RemoteAddress::Tcp { host, port } => Socket::TcpSocket {
                host: host.as_str().into(),
                port: *port,
            },
            RemoteAddress::Unix(path) => Socket::UnixSocket {
                path: path.as_path().into(),
            },
        }
    }
}

/// The kind of local end a client needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalKind {
    /// A socket in the pool's private directory: only this user reaches it (HTTP, Docker).
    UnixSocket,
    /// A port of 127.0.0.1, for clients that speak TLS only over TCP (PostgreSQL). Other users
    /// of this machine can connect to it while the run lasts, as to any local forward of `ssh -L`.
    LoopbackPort,
}

/// Where a forward listens on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalEnd {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl LocalEnd {
    pub(super) fn socket(&self) -> Socket<'_> {
        match self {
            LocalEnd::Unix(path) => Socket::UnixSocket {
                path: path.as_path().into(),
            },
            LocalEnd::Tcp(addr) => (*addr).into(),
        }
    }
}

/// An open forward.
#[derive(Debug, Clone)]
pub struct Forward {
    pub host: String,
    pub remote: RemoteAddress,
    pub local: LocalEnd,
    /// The master's log (`ssh -E`), where it says why a channel did not open.
    pub(super) log: PathBuf,
}

/// Where a forward's log stood before a connection: [`Forward::unreachable`] reads what
/// came after.
#[derive(Debug, Clone, Copy)]
pub struct LogMark(u64);

/// A forward of the pool, keyed by host, address and local kind.
pub(super) type ForwardKey = (String, RemoteAddress, LocalKind);
pub(super) type ForwardSlot = Arc<OnceCell<Forward>>;

/// Unix socket paths are limited to 108 bytes: a long name is cut and numbered by its hash.
pub(super) fn socket_path(dir: &Path, name: &str) -> PathBuf {
    use std::hash::{Hash as _, Hasher as _};
    let room = 100usize.saturating_sub(dir.as_os_str().len() + 6);
    if name.len() <= room {
        return dir.join(format!("{name}.sock"));
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut hasher);
    let short: String = name.chars().take(room.saturating_sub(17)).collect();
    dir.join(format!("{short}-{:016x}.sock", hasher.finish()))
}

impl Forward {
    /// Where the master's log stands now.
    pub fn mark(&self) -> LogMark {
        LogMark(std::fs::metadata(&self.log).map_or(0, |m| m.len()))
    }

    /// The reason of the last `open failed` line written since `mark`, lowercased as our
    /// messages are: `connection refused`.
    pub(super) fn channel_failure(&self, mark: LogMark) -> Option<String> {
        let mut file = std::fs::File::open(&self.log).ok()?;
        file.seek(SeekFrom::Start(mark.0)).ok()?;
        let mut text = String::new();
        file.read_to_string(&mut text).ok()?;
        let line = text.lines().rev().find(|l| l.contains("open failed: "))?;
        let (_, reason) = line.split_once("open failed: ")?;
        Some(failure_reason(reason))
    }
}

/// `connect failed: Connection refused` → `connection refused`.
fn failure_reason(reason: &str) -> String {
    let reason = reason
        .trim()
        .strip_prefix("connect failed: ")
        .unwrap_or(reason.trim());
    let mut chars = reason.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_the_master_s_reasons() {
        assert_eq!(
            failure_reason("connect failed: Connection refused"),
            "connection refused"
        );
        assert_eq!(
            failure_reason("administratively prohibited: open failed"),
            "administratively prohibited: open failed"
        );
    }

    #[test]
    fn names_addresses_as_the_host_sees_them() {
        let tcp = RemoteAddress::Tcp {
            host: "localhost".into(),
            port: 5432,
        };
        assert_eq!(tcp.to_string(), "localhost:5432");
        let v6 = RemoteAddress::Tcp {
            host: "::1".into(),
            port: 80,
        };
        assert_eq!(v6.to_string(), "[::1]:80");
        let unix = RemoteAddress::Unix("/var/run/postgresql/.s.PGSQL.5432".into());
        assert_eq!(unix.to_string(), "/var/run/postgresql/.s.PGSQL.5432");
    }

    #[test]
    fn long_socket_names_fit() {
        let dir = Path::new("/tmp/runbook-ssh-abcdef");
        let long = "x".repeat(300);
        let path = socket_path(dir, &long);
        assert!(path.as_os_str().len() < 108, "{}", path.display());
        assert_ne!(socket_path(dir, &format!("{long}a")), path);
        assert_eq!(
            socket_path(dir, "vm.localhost_8000"),
            dir.join("vm.localhost_8000.sock")
        );
    }
}

//! Forwards through a host's master connection: a local end (a Unix socket in the pool's
//! private directory, or a port of 127.0.0.1) whose connections the master carries to an
//! address as the host sees it (`localhost:8000` is the host's own loopback). One forward per
//! host, address and kind of local end per run: opened on first use, reused, closed with the
//! pool.
//!
//! The master says why a channel did not open only in its log (`channel 3: open failed:
//! connect failed: Connection refused`); [`Forward::unreachable`] reads it to word the error.

use super::pool::{ConnectionPool, safe_name};
use crate::diagnostic::error_kind::{ErrorKind, TypedError};
use crate::hosts::host_spec::HostSpec;
use openssh::{ForwardType, Socket};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// Where a connection starts.
#[derive(Clone, Copy)]
pub enum Via<'a> {
    /// This machine.
    Local,
    /// The host, through a forward of its SSH master connection: addresses are as the host
    /// sees them.
    Host {
        ssh: &'a ConnectionPool,
        host: &'a HostSpec,
    },
}

impl Via<'_> {
    /// The host's name, if not this machine.
    pub fn host(&self) -> Option<&str> {
        match self {
            Via::Local => None,
            Via::Host { host, .. } => Some(&host.name),
        }
    }
}

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
    fn socket(&self) -> Socket<'_> {
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
    fn socket(&self) -> Socket<'_> {
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
    log: PathBuf,
}

/// Where a forward's log stood before a connection: [`Forward::unreachable`] reads what
/// came after.
#[derive(Debug, Clone, Copy)]
pub struct LogMark(u64);

/// A forward of the pool, keyed by host, address and local kind.
pub(super) type ForwardKey = (String, RemoteAddress, LocalKind);
pub(super) type ForwardSlot = Arc<OnceCell<Forward>>;

/// Free ports of 127.0.0.1 can be taken between our look and ssh's bind: try a few.
const BIND_ATTEMPTS: usize = 5;

impl ConnectionPool {
    /// The forward from this machine to `remote` as `host` sees it, opened on first use.
    /// Concurrent callers share one attempt.
    pub async fn forward(
        &self,
        host: &HostSpec,
        remote: &RemoteAddress,
        kind: LocalKind,
    ) -> Result<Forward, TypedError> {
        let key = (host.name.clone(), remote.clone(), kind);
        let slot = self.forward_slot(key);
        slot.get_or_try_init(|| self.open_forward(host, remote, kind))
            .await
            .cloned()
    }

    async fn open_forward(
        &self,
        host: &HostSpec,
        remote: &RemoteAddress,
        kind: LocalKind,
    ) -> Result<Forward, TypedError> {
        let session = self.session(host).await?;
        let log = session
            .control_socket()
            .parent()
            .map(|dir| dir.join("log"))
            .unwrap_or_default();
        let refused = |e: &dyn std::fmt::Display| {
            ErrorKind::Unreachable.error(format!("cannot forward {remote} from {}: {e}", host.name))
        };
        let attempts = if kind == LocalKind::LoopbackPort {
            BIND_ATTEMPTS
        } else {
            1
        };
        let mut last = String::new();
        for _ in 0..attempts {
            let local = self.local_end(host, remote, kind)?;
            match session
                .request_port_forward(ForwardType::Local, local.socket(), remote.socket())
                .await
            {
                Ok(()) => {
                    tracing::debug!(host = %host.name, %remote, ?local, "forward opened");
                    return Ok(Forward {
                        host: host.name.clone(),
                        remote: remote.clone(),
                        local,
                        log,
                    });
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(refused(&last))
    }

    /// A fresh local end: a socket path named after the host and address, or a free port.
    fn local_end(
        &self,
        host: &HostSpec,
        remote: &RemoteAddress,
        kind: LocalKind,
    ) -> Result<LocalEnd, TypedError> {
        match kind {
            LocalKind::UnixSocket => {
                let dir = self.control_dir().map_err(|e| ErrorKind::Io.error(e))?;
                let name = format!(
                    "{}.{}",
                    safe_name(&host.name),
                    safe_name(&remote.to_string())
                );
                let path = socket_path(&dir, &name);
                let _ = std::fs::remove_file(&path);
                Ok(LocalEnd::Unix(path))
            }
            LocalKind::LoopbackPort => {
                let free = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                    .and_then(|l| l.local_addr())
                    .map_err(|e| ErrorKind::Io.error(format!("no free local port: {e}")))?;
                Ok(LocalEnd::Tcp(free))
            }
        }
    }

    /// Why a connection through `forward` failed (`error`, the client's words), when the
    /// tunnel is the cause: the master's reason logged since `mark` (the host could not
    /// connect: `connection refused`), or a lost SSH connection (forgotten: the next use
    /// reconnects). `None` when the channel opened: the server's own answer (a TLS refusal, a
    /// connection it closed) is the client's to word.
    pub async fn tunnel_failure(
        &self,
        forward: &Forward,
        mark: LogMark,
        error: &str,
    ) -> Option<TypedError> {
        // The master logs a refusal as it closes our end: give it a moment to be written.
        let mut reason = None;
        for _ in 0..5 {
            reason = forward.channel_failure(mark);
            if reason.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let host = &forward.host;
        let why = match reason {
            Some(reason) if reason.contains("administratively prohibited") => format!(
                "the SSH server refuses forwarding (allow it in {host}'s sshd_config: \
                 `AllowTcpForwarding yes`, or `AllowStreamLocalForwarding yes` for a Unix \
                 socket; or give `via: \"local\"` to connect from this machine)"
            ),
            Some(reason) => reason,
            None => {
                let alive = match self.existing_session(host) {
                    Some(session) => session.check().await.is_ok(),
                    None => false,
                };
                if alive {
                    return None;
                }
                self.forget(host);
                format!("the SSH connection to {host} was lost ({error})")
            }
        };
        // A failing step on a host is shown `vm: …`: the message names the host once more, as
        // the place the connection started from.
        Some(ErrorKind::Unreachable.error(format!(
            "cannot reach {} from {host}: {why}",
            forward.remote
        )))
    }

    /// Closes the forwards of every host (before their masters close).
    pub(super) async fn close_forwards(&self) {
        for forward in self.drain_forwards() {
            let Some(session) = self.existing_session(&forward.host) else {
                continue;
            };
            if let Err(e) = session
                .close_port_forward(
                    ForwardType::Local,
                    forward.local.socket(),
                    forward.remote.socket(),
                )
                .await
            {
                tracing::debug!(error = %e, host = %forward.host, "closing a forward");
            }
            if let LocalEnd::Unix(path) = &forward.local {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Unix socket paths are limited to 108 bytes: a long name is cut and numbered by its hash.
fn socket_path(dir: &Path, name: &str) -> PathBuf {
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
    fn channel_failure(&self, mark: LogMark) -> Option<String> {
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

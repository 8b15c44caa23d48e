//! One SSH master connection per host, opened on first use and shared by every step, guard
//! and rollback (and the REPL), through the `openssh` crate's native multiplexer. Masters live
//! in a private control directory and exit on their own when idle, should we die.

use super::connect_error::ConnectError;
use super::forward::{
    Forward, ForwardKey, ForwardSlot, LocalEnd, LocalKind, LogMark, RemoteAddress, socket_path,
};
use crate::diagnostic::error_kind::{ErrorKind, TypedError};
use crate::hosts::host_spec::{HostSpec, Identity};
use openssh::{ControlPersist, ForwardType, KnownHosts, Session, SessionBuilder};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::OnceCell;

/// Which `ssh_config` files ssh reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SshConfig {
    /// `~/.ssh/config` and `/etc/ssh/ssh_config`, as plain `ssh` does.
    #[default]
    System,
    /// None at all (`--ssh-config none`).
    Ignored,
    File(PathBuf),
}

/// How connections are made.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// A known_hosts file instead of `~/.ssh/known_hosts`.
    pub known_hosts: Option<PathBuf>,
    /// Record hosts seen for the first time (a changed key is still refused).
    pub accept_new_host_keys: bool,
    pub config: SshConfig,
    pub connect_timeout: Duration,
}

impl Default for SshSettings {
    fn default() -> Self {
        Self {
            known_hosts: None,
            accept_new_host_keys: false,
            config: SshConfig::System,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Masters exit after this long without a session, if nobody closes them.
const IDLE_EXIT: usize = 300;

type Slot = Arc<OnceCell<Arc<Session>>>;

/// The open connections, by host name, and the forwards through them.
pub struct ConnectionPool {
    settings: SshSettings,
    dir: Mutex<Option<tempfile::TempDir>>,
    sessions: Mutex<HashMap<String, Slot>>,
    forwards: Mutex<HashMap<ForwardKey, ForwardSlot>>,
}

/// Why a master connection did not open: on this machine, or at the other end.
enum Opening {
    Local(String),
    Refused(ConnectError),
}

impl ConnectionPool {
    pub fn new(settings: SshSettings) -> Self {
        Self {
            settings,
            dir: Mutex::new(None),
            sessions: Mutex::new(HashMap::new()),
            forwards: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &SshSettings {
        &self.settings
    }

    /// The session to `host`, connecting on first use. Concurrent callers share one attempt.
    pub async fn session(&self, host: &HostSpec) -> Result<Arc<Session>, TypedError> {
        let slot = self.slot(&host.name);
        slot.get_or_try_init(|| self.connect(host))
            .await
            .map(Arc::clone)
    }

    /// Forgets a host's session after its connection broke; the next use reconnects.
    pub fn forget(&self, host: &str) {
        self.lock_sessions().remove(host);
        self.lock_forwards().retain(|(name, _, _), _| name != host);
    }

    /// The hosts connected now.
    pub fn connected(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .lock_sessions()
            .iter()
            .filter(|(_, slot)| slot.initialized())
            .map(|(name, _)| name.clone())
            .collect();
        hosts.sort();
        hosts
    }

    /// Closes a host's master when the caller is done with the host; the next use reconnects.
    /// A host with a forward keeps its master: a client may still connect through it.
    pub async fn release(&self, host: &str) {
        let slot = {
            let forwards = self.lock_forwards();
            if forwards.keys().any(|(name, _, _)| name == host) {
                return;
            }
            self.lock_sessions().remove(host)
        };
        if let Some(slot) = slot {
            tracing::debug!(host, "closing an ssh master no longer needed");
            close_master(slot).await;
        }
    }

    /// Closes every forward, then every master connection.
    pub async fn close(&self) {
        self.close_forwards().await;
        let slots: Vec<Slot> = self.lock_sessions().drain().map(|(_, s)| s).collect();
        for slot in slots {
            close_master(slot).await;
        }
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_forwards(&self) -> std::sync::MutexGuard<'_, HashMap<ForwardKey, ForwardSlot>> {
        self.forwards.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn forward_slot(&self, key: ForwardKey) -> ForwardSlot {
        Arc::clone(self.lock_forwards().entry(key).or_default())
    }

    /// The forwards opened so far, forgotten by the pool.
    pub(super) fn drain_forwards(&self) -> Vec<Forward> {
        self.lock_forwards()
            .drain()
            .filter_map(|(_, slot)| slot.get().cloned())
            .collect()
    }

    /// The session to `host` if it is open, without connecting.
    pub(super) fn existing_session(&self, host: &str) -> Option<Arc<Session>> {
        self.lock_sessions()
            .get(host)
            .and_then(|slot| slot.get().cloned())
    }

    fn slot(&self, host: &str) -> Slot {
        Arc::clone(self.lock_sessions().entry(host.to_string()).or_default())
    }

    /// The private directory for control sockets, keys and generated configs.
    pub(super) fn control_dir(&self) -> Result<PathBuf, String> {
        let mut dir = self.dir.lock().unwrap_or_else(PoisonError::into_inner);
        if dir.is_none() {
            let made = tempfile::Builder::new()
                .prefix("runbook-ssh-")
                .tempdir()
                .map_err(|e| format!("cannot create the ssh control directory: {e}"))?;
            *dir = Some(made);
        }
        Ok(dir
            .as_ref()
            .map(|d| d.path().to_path_buf())
            .unwrap_or_default())
    }

    async fn connect(&self, host: &HostSpec) -> Result<Arc<Session>, TypedError> {
        self.open(host).await.map_err(|e| match e {
            Opening::Local(message) => ErrorKind::Io.error(message),
            Opening::Refused(refused) => refused.kind().error(refused.explain(host)),
        })
    }

    async fn open(&self, host: &HostSpec) -> Result<Arc<Session>, Opening> {
        let dir = self.control_dir().map_err(Opening::Local)?;
        let mut builder = SessionBuilder::default();
        builder
            .control_directory(&dir)
            .control_persist(ControlPersist::IdleFor(
                NonZeroUsize::new(IDLE_EXIT).unwrap_or(NonZeroUsize::MIN),
            ))
            .connect_timeout(self.settings.connect_timeout)
            .server_alive_interval(Duration::from_secs(5))
            .known_hosts_check(if self.settings.accept_new_host_keys {
                KnownHosts::Add
            } else {
                KnownHosts::Strict
            });
        if let Some(file) = &self.settings.known_hosts {
            builder.user_known_hosts_file(file);
        }
        if let Some(user) = &host.user {
            builder.user(user.clone());
        }
        if let Some(port) = host.port {
            builder.port(port);
        }
        if !host.jump.is_empty() {
            builder.jump_hosts(&host.jump);
        }
        match &host.identity {
            Some(Identity::File(path)) => {
                builder.keyfile(path);
            }
            Some(Identity::Key(key)) => {
                builder
                    .keyfile(write_private(&dir, &host.name, "key", key).map_err(Opening::Local)?);
            }
            None => {}
        }
        if let Some(config) = self.config_file(&dir, host).map_err(Opening::Local)? {
            builder.config_file(config);
        }
        tracing::debug!(host = %host.name, destination = %host.destination(), "opening an ssh master");
        let session = builder.connect_mux(&host.address).await.map_err(|e| {
            let log = match &e {
                openssh::Error::Connect(io) => io.to_string(),
                other => other.to_string(),
            };
            Opening::Refused(ConnectError::from_ssh_log(
                &log,
                host,
                self.settings.known_hosts.as_deref(),
            ))
        })?;
        Ok(Arc::new(session))
    }

    /// The `ssh_config` to use: the host's own options first (ssh keeps the first value it
    /// reads), then the operator's files.
    fn config_file(&self, dir: &Path, host: &HostSpec) -> Result<Option<PathBuf>, String> {
        let included: Vec<PathBuf> = match &self.settings.config {
            SshConfig::Ignored => Vec::new(),
            SshConfig::File(path) => vec![path.clone()],
            SshConfig::System => {
                if host.options.is_empty() {
                    return Ok(None);
                }
                let home = std::env::var_os("HOME").map(PathBuf::from);
                home.map(|h| h.join(".ssh/config"))
                    .into_iter()
                    .chain([PathBuf::from("/etc/ssh/ssh_config")])
                    .filter(|p| p.exists())
                    .collect()
            }
        };
        let mut text = String::from("# written by runbook for one run\n");
        for (option, value) in &host.options {
            let _ = writeln!(text, "{option} {value}");
        }
        for path in included {
            let _ = writeln!(text, "Include \"{}\"", path.display());
        }
        write_private(dir, &host.name, "config", &text).map(Some)
    }
}

/// Closes a master nobody else holds; one still in use closes when its last user drops it.
async fn close_master(slot: Slot) {
    let Ok(cell) = Arc::try_unwrap(slot) else {
        return;
    };
    if let Some(session) = cell.into_inner().and_then(|s| Arc::try_unwrap(s).ok())
        && let Err(e) = session.close().await
    {
        tracing::debug!(error = %e, "closing an ssh master");
    }
}

/// A host name usable in a file name.
pub(super) fn safe_name(host: &str) -> String {
    host.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Writes a file only the owner may read; its name is derived from the host's.
fn write_private(dir: &Path, host: &str, kind: &str, content: &str) -> Result<PathBuf, String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = dir.join(format!("{}.{kind}", safe_name(host)));
    let mut text = content.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Free ports of 127.0.0.1 can be taken between our look and ssh's bind: try a few.
const BIND_ATTEMPTS: usize = 5;

/// How long the session that turns Nagle's algorithm off may take before the forward goes on
/// without it (slower, still correct).
const NODELAY_SESSION_TIMEOUT: Duration = Duration::from_secs(5);

/// Turns Nagle's algorithm off on the master's connection, at both ends. OpenSSH sets
/// `TCP_NODELAY` (client side in `ssh_packet_set_interactive`, server side when it starts a
/// session) only once a session channel opens; a master that carries forwards alone keeps
/// Nagle's delay, and a reply written in two parts then waits for a delayed ACK: about 40 ms per
/// HTTP request. One empty session (`true`) flips it for the life of the connection.
async fn turn_off_nagle(session: &Session, host: &str) {
    let mut command = session.command("true");
    command
        .stdin(openssh::Stdio::null())
        .stdout(openssh::Stdio::null())
        .stderr(openssh::Stdio::null());
    match tokio::time::timeout(NODELAY_SESSION_TIMEOUT, command.status()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::debug!(host, error = %e, "no session to set TCP_NODELAY"),
        Err(_) => tracing::debug!(host, "the session setting TCP_NODELAY took too long"),
    }
}

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
        turn_off_nagle(&session, &host.name).await;
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

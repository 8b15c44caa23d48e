//! One SSH master connection per host, opened on first use and shared by every step, guard
//! and rollback (and the REPL), through the `openssh` crate's native multiplexer. Masters live
//! in a private control directory and exit on their own when idle, should we die.

use super::connect_error::ConnectError;
use super::forward::{Forward, ForwardKey, ForwardSlot};
use crate::diagnostic::error_kind::{ErrorKind, TypedError};
use crate::hosts::host_spec::{HostSpec, Identity};
use openssh::{ControlPersist, KnownHosts, Session, SessionBuilder};
use std::collections::HashMap;
use std::fmt::Write as _;
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

    /// Closes every forward, then every master connection.
    pub async fn close(&self) {
        self.close_forwards().await;
        let slots: Vec<Slot> = self.lock_sessions().drain().map(|(_, s)| s).collect();
        for slot in slots {
            let Ok(cell) = Arc::try_unwrap(slot) else {
                continue;
            };
            if let Some(session) = cell.into_inner().and_then(|s| Arc::try_unwrap(s).ok())
                && let Err(e) = session.close().await
            {
                tracing::debug!(error = %e, "closing an ssh master");
            }
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

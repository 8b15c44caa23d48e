//! One run at a time per runbook and target set: a lock file created exclusively, naming its
//! holder. A holder that died leaves a stale lock, reported as such and broken on request.

use super::record::process_alive;
use super::state_dir;
use super::state_permissions;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Who holds a lock.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Holder {
    pub run: String,
    pub pid: u32,
    pub who: String,
    pub since: String,
}

/// Why a lock was not taken.
#[derive(Debug)]
pub enum Refused {
    Held(Holder),
    Stale(Holder),
    Io(String),
}

impl Refused {
    pub fn explain(&self, key: &str) -> String {
        match self {
            Refused::Held(h) => format!(
                "another run holds the lock on {key}: run {} by {} since {} (pid {})",
                h.run, h.who, h.since, h.pid
            ),
            Refused::Stale(h) => format!(
                "the lock on {key} is stale: run {} by {} since {} (pid {}) is gone; check with \
                 `runbook show {}`, finish it with `runbook rollback {}` if needed, then run \
                 again with --break-lock",
                h.run, h.who, h.since, h.pid, h.run, h.run
            ),
            Refused::Io(e) => e.clone(),
        }
    }
}

/// A taken lock; dropping it releases it.
pub struct Lock {
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The lock's name: the runbook and the hosts it acts on.
pub fn key(runbook: &Path, hosts: &[String]) -> String {
    let stem = runbook
        .file_stem()
        .map_or("runbook".into(), |s| s.to_string_lossy().into_owned());
    let mut hosts = hosts.to_vec();
    hosts.sort();
    hosts.dedup();
    let targets = if hosts.is_empty() {
        "local".to_string()
    } else {
        hosts.join(",")
    };
    let digest = state_dir::fingerprint(format!("{}|{targets}", runbook.display()).as_bytes());
    format!("{stem}-{}", &digest[..8])
}

/// Takes the lock `key`; `break_stale` removes a lock whose holder is gone first.
pub fn acquire(
    state: &Path,
    key: &str,
    holder: &Holder,
    break_stale: bool,
) -> Result<Lock, Refused> {
    state_permissions::check(state).map_err(Refused::Io)?;
    let dir = state_dir::locks(state);
    state_permissions::create_private_dir(&dir)
        .map_err(|e| Refused::Io(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{key}.lock"));
    for _ in 0..2 {
        match state_permissions::new_private_file()
            .write(true)
            .open(&path)
        {
            Ok(mut file) => {
                let text = serde_json::to_string(holder).unwrap_or_default();
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| Refused::Io(format!("cannot write {}: {e}", path.display())))?;
                return Ok(Lock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let current: Option<Holder> = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok());
                let Some(current) = current else {
                    // Half-written by a holder that died at once: stale.
                    let _ = std::fs::remove_file(&path);
                    continue;
                };
                if process_alive(current.pid) {
                    return Err(Refused::Held(current));
                }
                // A dead run's own rollback or resume takes its lock over.
                if !break_stale && current.run != holder.run {
                    return Err(Refused::Stale(current));
                }
                let _ = std::fs::remove_file(&path);
            }
            Err(e) => {
                return Err(Refused::Io(format!(
                    "cannot create {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Err(Refused::Io(format!(
        "cannot take the lock {}",
        path.display()
    )))
}

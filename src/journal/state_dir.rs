//! Where journals and locks live: `--state-dir`, `RUNBOOK_STATE_DIR`, or `.runbook/` beside the
//! runbook.

use std::path::{Path, PathBuf};

/// The state directory of a runbook.
pub fn resolve(explicit: Option<&Path>, runbook: &Path) -> PathBuf {
    match explicit {
        Some(dir) => dir.to_path_buf(),
        None => runbook
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join(".runbook"),
    }
}

pub fn runs(state: &Path) -> PathBuf {
    state.join("runs")
}

pub fn journal(state: &Path, run: &str) -> PathBuf {
    runs(state).join(format!("{run}.jsonl"))
}

pub fn locks(state: &Path) -> PathBuf {
    state.join("locks")
}

/// A new run id: `20261122-084512-3f9a` (time, then pid bits to tell runs of one second apart).
pub fn new_run_id() -> String {
    let now = chrono::Local::now();
    let salt = (std::process::id() ^ now.timestamp_subsec_nanos()) & 0xffff;
    format!("{}-{salt:04x}", now.format("%Y%m%d-%H%M%S"))
}

/// A stable fingerprint of a file's bytes (FNV-1a, 64 bits): tells a changed runbook apart.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Who runs: `$USER` (or `$LOGNAME`), else the uid.
pub fn who() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| format!("uid {}", nix::unistd::getuid()))
}

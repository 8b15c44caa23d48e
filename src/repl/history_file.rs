//! Where the REPL keeps its history: `RUNBOOK_HISTORY` (empty: no history file), else
//! `$XDG_STATE_HOME/runbook/repl_history`, else `~/.local/state/runbook/repl_history`.

use std::path::PathBuf;

/// The environment variable that names the history file.
pub const VARIABLE: &str = "RUNBOOK_HISTORY";

/// The history file, or none when history is not to be kept.
pub fn path() -> Option<PathBuf> {
    if let Some(chosen) = std::env::var_os(VARIABLE) {
        return (!chosen.is_empty()).then(|| PathBuf::from(chosen));
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|d| !d.is_empty())
                .map(|home| PathBuf::from(home).join(".local/state"))
        })?;
    Some(state.join("runbook").join("repl_history"))
}

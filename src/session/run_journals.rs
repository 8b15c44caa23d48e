//! The journaled runs: the state directories they are kept in, every run they hold, and one
//! run found by its id (`runbook runs`, `show`, `rollback`, `resume`).

use crate::journal::prune::{self, PruneRule, Pruned};
use crate::journal::record::{self, RunRecord};
use crate::journal::{state_dir, state_permissions};
use std::path::{Path, PathBuf};

/// The state directories of the runs of `file` (its own), or, without a file, every state
/// directory `state_dirs` looks in.
pub fn dirs(file: Option<&Path>, state_dir: Option<&Path>) -> Vec<PathBuf> {
    match file {
        Some(file) => vec![state_dir::resolve(state_dir, file)],
        None => state_dirs(state_dir),
    }
}

/// Every run journaled in `dirs`; a directory others could write to is refused.
pub fn list(dirs: &[PathBuf]) -> Result<Vec<RunRecord>, String> {
    let mut records = Vec::new();
    for dir in dirs {
        records.extend(record::list(dir)?);
    }
    Ok(records)
}

/// Prunes every directory of `dirs` by `rule`, as of now; nothing is removed when one of them
/// is refused.
pub fn prune(dirs: &[PathBuf], rule: PruneRule) -> Result<Pruned, String> {
    for dir in dirs {
        state_permissions::check(dir)?;
    }
    let now = chrono::Local::now().fixed_offset();
    let mut all = Pruned::default();
    for dir in dirs {
        let pruned = prune::prune(dir, rule, now)?;
        all.removed.extend(pruned.removed);
        all.kept.extend(pruned.kept);
    }
    Ok(all)
}

/// The state directories to look in: the one named, else `.runbook/` here and one level down.
pub fn state_dirs(state_dir: Option<&Path>) -> Vec<PathBuf> {
    if let Some(dir) = state_dir {
        return vec![dir.to_path_buf()];
    }
    let mut dirs = vec![PathBuf::from(".runbook")];
    if let Ok(entries) = std::fs::read_dir(".") {
        let mut below: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join(".runbook"))
            .filter(|p| p.is_dir())
            .collect();
        below.sort();
        dirs.extend(below);
    }
    dirs
}

/// The journal of run `id`, and the state directory it is in.
pub fn find(state_dir: Option<&Path>, id: &str) -> Result<(PathBuf, RunRecord), String> {
    let dirs = state_dirs(state_dir);
    for dir in &dirs {
        // A journal others could have written is not one to act on.
        state_permissions::check(dir)?;
        if state_dir::journal(dir, id).exists() {
            return RunRecord::find(dir, id).map(|r| (dir.clone(), r));
        }
    }
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "no run `{id}` in {} (see `runbook runs`, or give --state-dir)",
        searched.join(", ")
    ))
}

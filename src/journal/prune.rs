//! Expiring journals: `runbook runs --prune --older-than 30d` and `--keep N`. A journal that
//! still owes rollbacks, or whose run is still going, is never removed: it is the only record
//! of what to undo.

use super::record::{self, RunRecord, RunState};
use crate::context::event::Status;
use std::path::Path;
use std::time::Duration;

/// Which journals may go.
#[derive(Debug, Clone, Copy, Default)]
pub struct PruneRule {
    /// Only runs started longer ago than this.
    pub older_than: Option<Duration>,
    /// Never the newest `keep` runs.
    pub keep: Option<usize>,
}

/// What a prune did.
#[derive(Debug, Default)]
pub struct Pruned {
    /// The runs whose journals were removed.
    pub removed: Vec<String>,
    /// Runs the rule selected but that were kept, and why.
    pub kept: Vec<(String, String)>,
}

/// Removes the journals of `state` that `rule` selects, except those still needed.
pub fn prune(
    state: &Path,
    rule: PruneRule,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Pruned, String> {
    let records = record::list(state)?;
    let newest_kept = rule.keep.unwrap_or(0).min(records.len());
    let candidates = &records[..records.len() - newest_kept];
    let mut pruned = Pruned::default();
    for record in candidates.iter().filter(|r| old_enough(r, rule, now)) {
        let run = record.header.run.clone();
        if let Some(why) = still_needed(record) {
            pruned.kept.push((run, why));
            continue;
        }
        std::fs::remove_file(&record.path)
            .map_err(|e| format!("cannot remove {}: {e}", record.path.display()))?;
        pruned.removed.push(run);
    }
    Ok(pruned)
}

fn old_enough(
    record: &RunRecord,
    rule: PruneRule,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> bool {
    let Some(age) = rule.older_than else {
        return true;
    };
    // A start time that cannot be read keeps the journal: better kept than lost.
    chrono::DateTime::parse_from_rfc3339(&record.header.started)
        .ok()
        .and_then(|started| (now - started).to_std().ok())
        .is_some_and(|elapsed| elapsed > age)
}

/// Why a journal must stay, if it must. A run that succeeded owes nothing; one that failed,
/// died or was interrupted owes the rollbacks of its completed steps that have one.
fn still_needed(record: &RunRecord) -> Option<String> {
    match record.state() {
        RunState::Running => return Some("still running".into()),
        RunState::Finished(Status::Succeeded) | RunState::RolledBack => return None,
        _ => {}
    }
    let with_rollback = steps_with_rollback(record);
    let steps: Vec<String> = record
        .owed()
        .into_iter()
        .map(|o| o.step)
        .filter(|step| with_rollback.as_ref().is_none_or(|w| w.contains(step)))
        .collect();
    if steps.is_empty() {
        return None;
    }
    Some(format!(
        "owes rollbacks ({}): `runbook rollback {}` first",
        steps.join(", "),
        record.header.run
    ))
}

/// The steps of the run's procedure that have a rollback; none known when the runbook cannot
/// be read any more (every completed step then counts as owing one).
fn steps_with_rollback(record: &RunRecord) -> Option<Vec<String>> {
    let (_, runbook) = crate::language::parser::load(&record.header.file).ok()?;
    let procedure = runbook
        .procedures
        .iter()
        .find(|p| p.id.text == record.header.procedure)?;
    Some(
        procedure
            .steps()
            .filter(|s| s.rollback.is_some())
            .map(|s| s.id.text.clone())
            .collect(),
    )
}

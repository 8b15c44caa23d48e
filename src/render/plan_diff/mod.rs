//! What a change to a runbook changes in what would run: two versions traced the way `doc`
//! traces them (every step, same parameters), compared procedure by procedure and step by
//! step (by id): steps added and removed; for the steps both have, commands added and removed,
//! targets, rollbacks, confirmations, retries, timeouts and conditions. Text for a terminal,
//! Markdown for a pull request, JSON for tools (`formats`); the comparison is in `compare`.
//!
//! Like the rest of `render/`, it reads the engine's traces and never runs anything itself.

mod compare;
mod formats;

use crate::engine::trace::{TracedBody, TracedRunbook};
use compare::{compare_procedures, guard_notes, whole_procedure};
use serde::Serialize;

/// How an entry changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
    Unchanged,
}

/// One line of a command diff: `+`, `-`, or ` ` for a command both versions run.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub sign: &'static str,
    /// `target$ command`.
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepDiff {
    pub id: String,
    pub title: String,
    /// Its number in the new version (the old one when removed).
    pub number: usize,
    pub change: Change,
    /// Attribute changes in words: target, retry, timeout, `when`, confirmation, title.
    pub notes: Vec<String>,
    /// The step's commands, old and new interleaved; empty when they did not change.
    pub commands: Vec<Line>,
    /// Its rollback's commands, likewise.
    pub rollback: Vec<Line>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProcedureDiff {
    pub id: String,
    pub title: String,
    pub change: Change,
    /// Procedure-level changes: target, guards, title.
    pub notes: Vec<String>,
    /// Every step that is not unchanged, in the new order (removed ones where they stood).
    pub steps: Vec<StepDiff>,
    pub finally: Vec<Line>,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanDiff {
    pub runbook: String,
    /// What the two versions are called: a file, or `REF:path`.
    pub base: String,
    pub head: String,
    /// Runbook-level changes (its guards).
    pub notes: Vec<String>,
    pub procedures: Vec<ProcedureDiff>,
    pub summary: DiffSummary,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DiffSummary {
    pub procedures_added: usize,
    pub procedures_removed: usize,
    pub procedures_changed: usize,
    pub procedures_unchanged: usize,
    pub steps_added: usize,
    pub steps_removed: usize,
    pub steps_changed: usize,
}

impl PlanDiff {
    /// Compares two traces of a runbook, procedure by procedure.
    pub fn new(
        base: &TracedRunbook,
        head: &TracedRunbook,
        base_label: &str,
        head_label: &str,
    ) -> Self {
        let mut notes = Vec::new();
        let first_guards = |t: &TracedRunbook| -> Vec<TracedBody> {
            let n = t.runbook.guards.len();
            t.procedures
                .first()
                .map(|(_, p)| p.guards.iter().take(n).cloned().collect())
                .unwrap_or_default()
        };
        guard_notes(
            &base.runbook.guards,
            &first_guards(base),
            &head.runbook.guards,
            &first_guards(head),
            "prerequisite",
            &mut notes,
        );
        let mut procedures = Vec::new();
        for (id, head_trace) in &head.procedures {
            let Some(new) = head.runbook.procedure(id) else {
                continue;
            };
            let old = base.runbook.procedure(id).zip(base.trace(id));
            procedures.push(match old {
                Some((old, old_trace)) => compare_procedures(
                    (&base.runbook, old, old_trace),
                    (&head.runbook, new, head_trace),
                ),
                None => whole_procedure(new, head_trace, Change::Added),
            });
        }
        for (id, base_trace) in &base.procedures {
            if head.runbook.procedure(id).is_none()
                && let Some(old) = base.runbook.procedure(id)
            {
                procedures.push(whole_procedure(old, base_trace, Change::Removed));
            }
        }
        let mut summary = DiffSummary::default();
        for p in &procedures {
            match p.change {
                Change::Added => summary.procedures_added += 1,
                Change::Removed => summary.procedures_removed += 1,
                Change::Changed => summary.procedures_changed += 1,
                Change::Unchanged => summary.procedures_unchanged += 1,
            }
            if p.change == Change::Changed {
                summary.steps_added += p.added;
                summary.steps_removed += p.removed;
                summary.steps_changed += p.changed;
            }
        }
        Self {
            runbook: head.runbook.name.text.clone(),
            base: base_label.into(),
            head: head_label.into(),
            notes,
            procedures,
            summary,
        }
    }

    /// `2 procedures: 1 changed, 1 unchanged · 3 steps: 1 added, 1 removed, 1 changed`.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let part = |noun: &str, counts: &[(usize, &str)]| {
            let total: usize = counts.iter().map(|(n, _)| n).sum();
            let listed: Vec<String> = counts
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{n} {what}"))
                .collect();
            let noun = if total == 1 {
                noun.to_string()
            } else {
                format!("{noun}s")
            };
            (total, format!("{total} {noun}: {}", listed.join(", ")))
        };
        let (_, procedures) = part(
            "procedure",
            &[
                (s.procedures_added, "added"),
                (s.procedures_removed, "removed"),
                (s.procedures_changed, "changed"),
                (s.procedures_unchanged, "unchanged"),
            ],
        );
        let (steps, changed_steps) = part(
            "step",
            &[
                (s.steps_added, "added"),
                (s.steps_removed, "removed"),
                (s.steps_changed, "changed"),
            ],
        );
        if steps == 0 {
            procedures
        } else {
            format!("{procedures} · {changed_steps}")
        }
    }

    /// Whether anything that would run differs.
    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
            && self
                .procedures
                .iter()
                .all(|p| p.change == Change::Unchanged)
    }
}

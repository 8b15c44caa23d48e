//! The comparison itself: procedures and steps matched by id, commands and step orders diffed
//! line by line (longest common subsequence), attributes compared in words.

use super::{Change, Line, ProcedureDiff, StepDiff};
use crate::engine::plan::PlannedAction;
use crate::engine::trace::{ProcedureTrace, StepTrace, TracedBody};
use crate::language::ast::{Guard, Item, Procedure, Runbook, Step, Target, only_if};
use crate::language::duration;
use crate::language::fan_out_wording;

/// `target$ command`, as plans print actions.
fn shown(action: &PlannedAction) -> String {
    format!("{}$ {}", action.target, action.command)
}

fn lines(body: &TracedBody) -> Vec<String> {
    body.actions.iter().map(shown).collect()
}

/// Every line with the same sign: a whole body added or removed.
fn all(sign: &'static str, texts: Vec<String>) -> Vec<Line> {
    texts.into_iter().map(|text| Line { sign, text }).collect()
}

/// The lines of `old` and `new` in order, each marked kept, removed or added (longest common
/// subsequence); empty when they are the same.
fn diff_lines(old: &[String], new: &[String]) -> Vec<Line> {
    if old == new {
        return Vec::new();
    }
    let (n, m) = (old.len(), new.len());
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push(Line {
                sign: " ",
                text: old[i].clone(),
            });
            i += 1;
            j += 1;
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            out.push(Line {
                sign: "-",
                text: old[i].clone(),
            });
            i += 1;
        } else {
            out.push(Line {
                sign: "+",
                text: new[j].clone(),
            });
            j += 1;
        }
    }
    out
}

/// The confirmation written right before a step (a gate), if any.
fn gate_before(procedure: &Procedure, id: &str) -> Option<String> {
    let position = procedure
        .items
        .iter()
        .position(|i| matches!(i, Item::Step(s) if s.id.text == id))?;
    match position.checked_sub(1).and_then(|p| procedure.items.get(p)) {
        Some(Item::Gate(gate)) => Some(format!(
            "{}{}",
            gate.message,
            only_if(gate.condition.as_ref())
        )),
        _ => None,
    }
}

/// A step's own confirmation with its condition, as a diff compares it.
fn asked(step: &Step) -> Option<String> {
    let question = step.confirm.as_ref()?;
    Some(format!("{question}{}", only_if(step.confirm_if.as_ref())))
}

fn retry_text(step: &Step) -> Option<String> {
    step.retry.map(|r| {
        let mut text = format!("{} every {}", r.times, duration::format(r.delay));
        if (r.backoff - 1.0).abs() > f64::EPSILON {
            text.push_str(&format!(" backoff {}", r.backoff));
        }
        text
    })
}

fn squeeze(code: &str) -> String {
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `retry: 3 every 5s → none` and the like.
fn attribute(notes: &mut Vec<String>, what: &str, old: Option<String>, new: Option<String>) {
    if old == new {
        return;
    }
    let show = |v: &Option<String>| v.as_ref().map_or("none".to_string(), |v| format!("`{v}`"));
    notes.push(format!("{what}: {} → {}", show(&old), show(&new)));
}

fn confirmation(notes: &mut Vec<String>, what: &str, old: Option<&str>, new: Option<&str>) {
    match (old, new) {
        (None, Some(n)) => notes.push(format!("{what} added: « {n} »")),
        (Some(o), None) => notes.push(format!("{what} removed: « {o} »")),
        (Some(o), Some(n)) if o != n => notes.push(format!("{what} changed: « {o} » → « {n} »")),
        _ => {}
    }
}

/// Where a step runs, as written (its own `on`, else the procedure's).
fn target_of(procedure: &Procedure, step: &Step) -> String {
    step.target
        .as_ref()
        .or(procedure.target.as_ref())
        .map_or_else(|| "local".to_string(), |t| t.name.text.clone())
}

/// A target's fan-out policy in the words of plans and pages; none when it keeps the defaults.
fn fan_out(target: Option<&Target>) -> Option<String> {
    let clauses = fan_out_wording::policy_clauses(target?);
    (!clauses.is_empty()).then(|| clauses.join(", "))
}

pub(super) fn guard_notes(
    old: &[Guard],
    old_traces: &[TracedBody],
    new: &[Guard],
    new_traces: &[TracedBody],
    what: &str,
    notes: &mut Vec<String>,
) {
    for (i, guard) in new.iter().enumerate() {
        match old.iter().position(|g| g.title == guard.title) {
            None => notes.push(format!("{what} added: « {} »", guard.title)),
            Some(j) => {
                let before = old_traces.get(j).map(lines).unwrap_or_default();
                let after = new_traces.get(i).map(lines).unwrap_or_default();
                if before != after || squeeze(&old[j].body.code) != squeeze(&guard.body.code) {
                    notes.push(format!("{what} changed: « {} »", guard.title));
                }
            }
        }
    }
    for guard in old {
        if !new.iter().any(|g| g.title == guard.title) {
            notes.push(format!("{what} removed: « {} »", guard.title));
        }
    }
}

fn numbered_steps(procedure: &Procedure) -> Vec<(usize, &Step)> {
    procedure
        .steps()
        .enumerate()
        .map(|(i, s)| (i + 1, s))
        .collect()
}

/// A procedure only one version has: every step added (or removed).
pub(super) fn whole_procedure(
    procedure: &Procedure,
    trace: &ProcedureTrace,
    change: Change,
) -> ProcedureDiff {
    let sign = if change == Change::Added { "+" } else { "-" };
    let steps: Vec<StepDiff> = numbered_steps(procedure)
        .into_iter()
        .map(|(number, step)| {
            let traced = trace.steps.get(&step.id.text).cloned().unwrap_or_default();
            whole_step(step, number, &traced, change)
        })
        .collect();
    let count = steps.len();
    ProcedureDiff {
        id: procedure.id.text.clone(),
        title: procedure.title().to_string(),
        change,
        notes: Vec::new(),
        steps,
        finally: all(sign, trace.finally.as_ref().map(lines).unwrap_or_default()),
        added: if change == Change::Added { count } else { 0 },
        removed: if change == Change::Removed { count } else { 0 },
        changed: 0,
    }
}

/// A step only one version has: all its lines added, or all removed.
fn whole_step(step: &Step, number: usize, traced: &StepTrace, change: Change) -> StepDiff {
    let sign = if change == Change::Added { "+" } else { "-" };
    StepDiff {
        id: step.id.text.clone(),
        title: step.title().to_string(),
        number,
        change,
        notes: Vec::new(),
        commands: all(sign, lines(&traced.body)),
        rollback: all(
            sign,
            traced.rollback.as_ref().map(lines).unwrap_or_default(),
        ),
    }
}

pub(super) fn compare_procedures(
    (old_runbook, old, old_trace): (&Runbook, &Procedure, &ProcedureTrace),
    (new_runbook, new, new_trace): (&Runbook, &Procedure, &ProcedureTrace),
) -> ProcedureDiff {
    let mut notes = Vec::new();
    if old.title() != new.title() {
        notes.push(format!("title: « {} » → « {} »", old.title(), new.title()));
    }
    attribute(
        &mut notes,
        "target",
        old.target.as_ref().map(|t| t.name.text.clone()),
        new.target.as_ref().map(|t| t.name.text.clone()),
    );
    attribute(
        &mut notes,
        "fan-out",
        fan_out(old.target.as_ref()),
        fan_out(new.target.as_ref()),
    );
    if old_trace.hosts != new_trace.hosts {
        notes.push(format!(
            "hosts: {} → {}",
            hosts_text(&old_trace.hosts),
            hosts_text(&new_trace.hosts)
        ));
    }
    let skip = |r: &Runbook, t: &ProcedureTrace| -> Vec<TracedBody> {
        t.guards.iter().skip(r.guards.len()).cloned().collect()
    };
    guard_notes(
        &old.guards,
        &skip(old_runbook, old_trace),
        &new.guards,
        &skip(new_runbook, new_trace),
        "guard",
        &mut notes,
    );
    let old_steps = numbered_steps(old);
    let new_steps = numbered_steps(new);
    let ids = |steps: &[(usize, &Step)]| -> Vec<String> {
        steps.iter().map(|(_, s)| s.id.text.clone()).collect()
    };
    let (old_ids, new_ids) = (ids(&old_steps), ids(&new_steps));
    // Both versions' steps in one order: a removed step where it stood, an added one where it
    // now stands.
    let order = if old_ids == new_ids {
        all(" ", new_ids)
    } else {
        diff_lines(&old_ids, &new_ids)
    };
    let mut steps = Vec::new();
    for Line { sign, text: id } in order {
        let old_step = old_steps.iter().find(|(_, s)| s.id.text == id);
        let new_step = new_steps.iter().find(|(_, s)| s.id.text == id);
        let old_traced = old_trace.steps.get(&id).cloned().unwrap_or_default();
        let new_traced = new_trace.steps.get(&id).cloned().unwrap_or_default();
        match (sign, old_step, new_step) {
            ("-", Some((number, step)), _) => {
                steps.push(whole_step(step, *number, &old_traced, Change::Removed));
            }
            ("+", _, Some((number, step))) => {
                steps.push(whole_step(step, *number, &new_traced, Change::Added));
            }
            (_, Some((_, before)), Some((number, step))) => {
                let sides = Sides {
                    old,
                    new,
                    before,
                    step,
                    old_traced: &old_traced,
                    new_traced: &new_traced,
                };
                if let Some(diff) = sides.compare(*number) {
                    steps.push(diff);
                }
            }
            _ => {}
        }
    }
    let finally = diff_lines(
        &old_trace.finally.as_ref().map(lines).unwrap_or_default(),
        &new_trace.finally.as_ref().map(lines).unwrap_or_default(),
    );
    let count = |c: Change| steps.iter().filter(|s| s.change == c).count();
    let (added, removed, changed) = (
        count(Change::Added),
        count(Change::Removed),
        count(Change::Changed),
    );
    let change = if notes.is_empty() && steps.is_empty() && finally.is_empty() {
        Change::Unchanged
    } else {
        Change::Changed
    };
    ProcedureDiff {
        id: new.id.text.clone(),
        title: new.title().to_string(),
        change,
        notes,
        steps,
        finally,
        added,
        removed,
        changed,
    }
}

fn hosts_text(hosts: &[String]) -> String {
    if hosts.is_empty() {
        "this machine".into()
    } else {
        hosts.join(", ")
    }
}

/// One step as both versions have it.
struct Sides<'a> {
    old: &'a Procedure,
    new: &'a Procedure,
    before: &'a Step,
    step: &'a Step,
    old_traced: &'a StepTrace,
    new_traced: &'a StepTrace,
}

impl Sides<'_> {
    /// What changed in the step; `None` when nothing did.
    fn compare(&self, number: usize) -> Option<StepDiff> {
        let (before, step) = (self.before, self.step);
        let id = &step.id.text;
        let mut notes = Vec::new();
        if before.title() != step.title() {
            notes.push(format!(
                "title: « {} » → « {} »",
                before.title(),
                step.title()
            ));
        }
        let (old_target, new_target) = (target_of(self.old, before), target_of(self.new, step));
        if old_target == new_target && self.old_traced.hosts != self.new_traced.hosts {
            notes.push(format!(
                "hosts: {} → {}",
                hosts_text(&self.old_traced.hosts),
                hosts_text(&self.new_traced.hosts)
            ));
        }
        attribute(&mut notes, "target", Some(old_target), Some(new_target));
        attribute(
            &mut notes,
            "fan-out",
            fan_out(before.target.as_ref()),
            fan_out(step.target.as_ref()),
        );
        attribute(&mut notes, "retry", retry_text(before), retry_text(step));
        attribute(
            &mut notes,
            "timeout",
            before.timeout.map(duration::format),
            step.timeout.map(duration::format),
        );
        attribute(
            &mut notes,
            "when",
            before.when.as_ref().map(|w| squeeze(&w.code)),
            step.when.as_ref().map(|w| squeeze(&w.code)),
        );
        confirmation(
            &mut notes,
            "confirmation",
            asked(before).as_deref(),
            asked(step).as_deref(),
        );
        confirmation(
            &mut notes,
            "confirmation before the step",
            gate_before(self.old, id).as_deref(),
            gate_before(self.new, id).as_deref(),
        );
        // Where a plan stops is part of what a reviewer approves.
        attribute(
            &mut notes,
            "stops on",
            self.old_traced.body.stopped_at.clone(),
            self.new_traced.body.stopped_at.clone(),
        );
        let commands = diff_lines(&lines(&self.old_traced.body), &lines(&self.new_traced.body));
        let rollback = match (&self.old_traced.rollback, &self.new_traced.rollback) {
            (None, None) => Vec::new(),
            (Some(o), None) => {
                notes.push("rollback removed".into());
                all("-", lines(o))
            }
            (None, Some(n)) => {
                notes.push("rollback added".into());
                all("+", lines(n))
            }
            (Some(o), Some(n)) => diff_lines(&lines(o), &lines(n)),
        };
        if notes.is_empty() && commands.is_empty() && rollback.is_empty() {
            return None;
        }
        Some(StepDiff {
            id: id.clone(),
            title: step.title().to_string(),
            number,
            change: Change::Changed,
            notes,
            commands,
            rollback,
        })
    }
}

//! What a change to a runbook changes in what would run: two versions traced the way `doc`
//! traces them (every step, same parameters), compared procedure by procedure and step by
//! step (by id): steps added and removed; for the steps both have, commands added and removed,
//! targets, rollbacks, confirmations, retries, timeouts and conditions. Text for a terminal,
//! Markdown for a pull request, JSON for tools.

use crate::engine::plan::PlannedAction;
use crate::engine::trace::{ProcedureTrace, StepTrace, TracedBody, TracedRunbook};
use crate::language::ast::{Item, Procedure, Runbook, Step};
use crate::language::duration;
use crate::output::style::Style;
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

    pub fn render_text(&self, style: Style) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(format!(
            "{} {}: {} → {}",
            style.bold("Plan diff"),
            self.runbook,
            self.base,
            self.head
        ));
        if self.is_empty() {
            line("no change in what would run".into());
            return out;
        }
        line(format!("{} {}", style.dim("summary:"), self.summary_line()));
        for note in &self.notes {
            line(format!("  {note}"));
        }
        let sign = |change: Change| match change {
            Change::Added => style.green("+"),
            Change::Removed => style.red("-"),
            Change::Changed => style.yellow("~"),
            Change::Unchanged => " ".into(),
        };
        let diff_line = |l: &Line| match l.sign {
            "+" => style.green(&format!("+ {}", l.text)),
            "-" => style.red(&format!("- {}", l.text)),
            _ => style.dim(&format!("  {}", l.text)),
        };
        let unchanged: Vec<&str> = self
            .procedures
            .iter()
            .filter(|p| p.change == Change::Unchanged)
            .map(|p| p.id.as_str())
            .collect();
        for p in self
            .procedures
            .iter()
            .filter(|p| p.change != Change::Unchanged)
        {
            line(String::new());
            line(format!(
                "{} procedure {} — {} ({})",
                sign(p.change),
                style.bold(&p.id),
                p.title,
                change_word(p.change)
            ));
            for note in &p.notes {
                line(format!("    {note}"));
            }
            for step in &p.steps {
                let (number, after) = match step.change {
                    Change::Removed => (
                        String::new(),
                        format!(" (removed; was step {})", step.number),
                    ),
                    Change::Added => (format!("{}. ", step.number), " (added)".to_string()),
                    _ => (format!("{}. ", step.number), String::new()),
                };
                line(format!(
                    "  {} {number}{} — {}{after}",
                    sign(step.change),
                    style.bold(&step.id),
                    step.title,
                ));
                for note in &step.notes {
                    line(format!("        {note}"));
                }
                for l in &step.commands {
                    line(format!("        {}", diff_line(l)));
                }
                if !step.rollback.is_empty() {
                    line(format!("        {}", style.dim("rollback:")));
                    for l in &step.rollback {
                        line(format!("          {}", diff_line(l)));
                    }
                }
            }
            if !p.finally.is_empty() {
                line(format!("  {} finally", sign(Change::Changed)));
                for l in &p.finally {
                    line(format!("        {}", diff_line(l)));
                }
            }
        }
        if !unchanged.is_empty() {
            line(String::new());
            line(format!(
                "{} {}",
                style.dim("unchanged:"),
                unchanged.join(", ")
            ));
        }
        out
    }

    pub fn render_markdown(&self) -> String {
        let mut env = minijinja::Environment::new();
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.add_function("fence", |lines: Vec<minijinja::Value>| {
            let longest = lines
                .iter()
                .filter_map(|l| l.get_attr("text").ok())
                .map(|t| longest_backtick_run(&t.to_string()))
                .max()
                .unwrap_or(0);
            "`".repeat(longest.max(2) + 1)
        });
        let rendered = env
            .template_from_str(include_str!("plan_diff.md.j2"))
            .and_then(|t| {
                t.render(minijinja::context! {
                    diff => minijinja::Value::from(minijinja::value::Serde(self)),
                    summary_line => self.summary_line(),
                    empty => self.is_empty(),
                })
            });
        rendered.unwrap_or_else(|e| format!("cannot render the plan diff: {e}\n"))
    }

    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

fn change_word(change: Change) -> &'static str {
    match change {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
        Change::Unchanged => "unchanged",
    }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

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
fn gate_before<'p>(procedure: &'p Procedure, id: &str) -> Option<&'p str> {
    let position = procedure
        .items
        .iter()
        .position(|i| matches!(i, Item::Step(s) if s.id.text == id))?;
    match position.checked_sub(1).and_then(|p| procedure.items.get(p)) {
        Some(Item::Gate(gate)) => Some(gate.message.as_str()),
        _ => None,
    }
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

fn guard_notes(
    old: &[crate::language::ast::Guard],
    old_traces: &[TracedBody],
    new: &[crate::language::ast::Guard],
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
fn whole_procedure(procedure: &Procedure, trace: &ProcedureTrace, change: Change) -> ProcedureDiff {
    let sign = if change == Change::Added { "+" } else { "-" };
    let steps: Vec<StepDiff> = numbered_steps(procedure)
        .into_iter()
        .map(|(number, step)| {
            let traced = trace.steps.get(&step.id.text);
            StepDiff {
                id: step.id.text.clone(),
                title: step.title().to_string(),
                number,
                change,
                notes: Vec::new(),
                commands: all(sign, traced.map(|t| lines(&t.body)).unwrap_or_default()),
                rollback: all(
                    sign,
                    traced
                        .and_then(|t| t.rollback.as_ref())
                        .map(lines)
                        .unwrap_or_default(),
                ),
            }
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

fn compare_procedures(
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
            ("-", Some((number, step)), _) => steps.push(StepDiff {
                id: id.clone(),
                title: step.title().to_string(),
                number: *number,
                change: Change::Removed,
                notes: Vec::new(),
                commands: all("-", lines(&old_traced.body)),
                rollback: all(
                    "-",
                    old_traced.rollback.as_ref().map(lines).unwrap_or_default(),
                ),
            }),
            ("+", _, Some((number, step))) => steps.push(StepDiff {
                id: id.clone(),
                title: step.title().to_string(),
                number: *number,
                change: Change::Added,
                notes: Vec::new(),
                commands: all("+", lines(&new_traced.body)),
                rollback: all(
                    "+",
                    new_traced.rollback.as_ref().map(lines).unwrap_or_default(),
                ),
            }),
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
            before.confirm.as_deref(),
            step.confirm.as_deref(),
        );
        confirmation(
            &mut notes,
            "confirmation before the step",
            gate_before(self.old, id),
            gate_before(self.new, id),
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

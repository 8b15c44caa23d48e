//! A procedure's flow as a Mermaid `flowchart`, for doc pages and Markdown plans: guards,
//! confirmations, steps with their hosts, `when` conditions, retries, `finally`, and each step's
//! failure edge to the rollbacks that would then run, newest first. GitHub and GitLab draw it
//! from the Markdown itself.
//!
//! Built from the syntax tree only (plus the hosts each target stands for), so the same runbook
//! gives the same bytes. Node ids are ours (`s3`, `g1`, …), never the runbook's names, and every
//! label is escaped, so no title can break the chart. A procedure of more than
//! [`FOLD_ABOVE`] steps is folded: its steps go in rows (subgraphs) split at confirmations, and
//! each row has one failure edge to one rollback node listing that row's rollbacks.

use crate::language::ast::{Guard, Item, Procedure, Step, Target, only_if};
use crate::language::duration;
use crate::language::fan_out_wording;

/// Above this many steps a procedure is drawn folded, in rows.
pub const FOLD_ABOVE: usize = 12;
/// Steps per row of a folded procedure.
const ROW: usize = 6;
/// Characters a label line keeps; longer text ends in `…`.
const LABEL_MAX: usize = 60;
/// Guards the guard node names before `+N more`.
const GUARDS_SHOWN: usize = 8;
/// Hosts a label names before `+N more`.
const HOSTS_SHOWN: usize = 3;

/// What a diagram is drawn from.
pub struct Flow<'a> {
    pub procedure: &'a Procedure,
    /// The runbook's own guards, checked before the procedure's.
    pub runbook_guards: &'a [Guard],
    /// The hosts a target name stands for (empty when the declarations do not tell).
    pub hosts: &'a dyn Fn(&str) -> Vec<String>,
    /// The anchor of a step's section, by step id; without it nodes link nowhere.
    pub anchor: Option<&'a dyn Fn(&str) -> String>,
    /// A step or guard title, or a confirmation message, as the run shows it: its `${name}`
    /// references filled in as the plan or the page has them (`engine::message_filling`).
    pub text: &'a dyn Fn(&str) -> String,
}

/// Where a failure goes: the newest owed rollback, else the end of a failed run.
#[derive(Clone)]
struct Edge {
    from: String,
    to: String,
    label: Option<String>,
    dashed: bool,
}

/// The chart being written: node lines first, then edges, then links and styles.
#[derive(Default)]
struct Chart {
    nodes: Vec<String>,
    edges: Vec<Edge>,
    links: Vec<String>,
    /// Edges waiting for the next node on the main path.
    pending: Vec<(String, Option<String>, bool)>,
}

impl Chart {
    fn node(&mut self, line: String) {
        self.nodes.push(format!("  {line}"));
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<&str>, dashed: bool) {
        self.edges.push(Edge {
            from: from.into(),
            to: to.into(),
            label: label.map(str::to_string),
            dashed,
        });
    }

    /// Joins the pending edges to `to`, which becomes the one pending source.
    fn follow(&mut self, to: &str, label: Option<&str>) {
        for (from, label, dashed) in std::mem::take(&mut self.pending) {
            self.edge(&from, to, label.as_deref(), dashed);
        }
        self.pending
            .push((to.into(), label.map(str::to_string), false));
    }

    fn finish(self) -> String {
        let mut out = String::from("flowchart TD\n");
        for line in &self.nodes {
            out.push_str(line);
            out.push('\n');
        }
        for e in &self.edges {
            let arrow = if e.dashed { "-.->" } else { "-->" };
            let label = e
                .label
                .as_ref()
                .map(|l| format!("|\"{}\"|", escape(l)))
                .unwrap_or_default();
            out.push_str(&format!("  {} {arrow}{label} {}\n", e.from, e.to));
        }
        for line in &self.links {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(STYLES);
        out
    }
}

/// Colours that say what a node is, readable on light and dark pages.
const STYLES: &str = "  classDef guard fill:#eef3fb,stroke:#3b5b92\n  \
     classDef ask fill:#fff6dc,stroke:#a07800\n  \
     classDef undo fill:#fdecea,stroke:#b3261e\n  \
     classDef done fill:#e6f4ea,stroke:#1e7e34\n  \
     classDef failed fill:#fdecea,stroke:#b3261e\n";

impl Flow<'_> {
    /// The Mermaid source of the diagram, without the Markdown fence.
    pub fn mermaid(&self) -> String {
        let procedure = self.procedure;
        let mut chart = Chart::default();
        let title = format!("{} ({})", procedure.title(), procedure.id.text);
        chart.node(format!("start([\"{}\"])", label(&[title])));
        chart.pending.push(("start".into(), None, false));
        // Where a run that fails ends: `finally` first when there is one.
        let fail_end = if procedure.finally.is_some() {
            "fin"
        } else {
            "failed"
        };
        self.guards(&mut chart, fail_end);
        let steps = procedure.steps().count();
        if steps > FOLD_ABOVE {
            self.folded(&mut chart, fail_end);
        } else {
            self.full(&mut chart, fail_end);
        }
        if procedure.finally.is_some() {
            chart.node(format!(
                "fin[[\"{}\"]]",
                label(&["finally".into(), "runs last, whatever happened".into()])
            ));
            chart.follow("fin", None);
            chart.pending.clear();
            chart.edge("fin", "done", Some("after success"), false);
            chart.edge("fin", "failed", Some("after a failure"), true);
        } else {
            chart.follow("done", None);
        }
        chart.node("done([\"succeeded\"]):::done".into());
        chart.node("failed([\"failed: exit 1, 3 or 4\"]):::failed".into());
        chart.finish()
    }

    /// Every guard is checked before the first step, and one that fails stops the run: one
    /// node lists them all, with one failure edge.
    fn guards(&self, chart: &mut Chart, fail_end: &str) {
        let procedure_target = self.procedure.target.as_ref();
        let all: Vec<String> = self
            .runbook_guards
            .iter()
            .map(|g| (self.text)(&g.title))
            .chain(
                self.procedure
                    .guards
                    .iter()
                    .map(|g| match procedure_target {
                        Some(t) => format!("{} ({})", (self.text)(&g.title), self.on(t)),
                        None => (self.text)(&g.title),
                    }),
            )
            .collect();
        if all.is_empty() {
            return;
        }
        let mut lines = vec![format!("{}, checked first:", count(all.len(), "guard"))];
        lines.extend(all.iter().take(GUARDS_SHOWN).map(|t| format!("· {t}")));
        if all.len() > GUARDS_SHOWN {
            lines.push(format!("+{} more", all.len() - GUARDS_SHOWN));
        }
        chart.node(format!("g{{{{\"{}\"}}}}:::guard", label(&lines)));
        chart.follow("g", None);
        chart.edge("g", fail_end, Some("one fails: no step runs"), true);
    }

    /// Every step its own node, with its own failure edge into the chain of rollbacks.
    fn full(&self, chart: &mut Chart, fail_end: &str) {
        // Steps with a rollback, in order: a failure enters at the newest.
        let mut owed: Vec<usize> = Vec::new();
        let entry = |owed: &[usize]| {
            owed.last()
                .map_or(fail_end.to_string(), |n| format!("r{n}"))
        };
        let mut number = 0;
        let mut gates = 0;
        for item in &self.procedure.items {
            match item {
                Item::Gate(gate) => {
                    gates += 1;
                    let id = format!("c{gates}");
                    chart.node(format!(
                        "{id}{{\"{}\"}}:::ask",
                        label(&[format!(
                            "confirm: {}{}",
                            (self.text)(&gate.message),
                            only_if(gate.condition.as_ref())
                        )])
                    ));
                    chart.follow(&id, Some("yes"));
                    chart.edge(&id, &entry(&owed), Some("no"), true);
                }
                Item::Step(step) => {
                    number += 1;
                    let mut skip = None;
                    if let Some(when) = &step.when {
                        let id = format!("w{number}");
                        chart.node(format!(
                            "{id}{{\"{}\"}}",
                            label(&[format!("when {}", one_line(&when.code))])
                        ));
                        chart.follow(&id, Some("true"));
                        skip = Some(id);
                    }
                    if let Some(question) = &step.confirm {
                        let id = format!("a{number}");
                        chart.node(format!(
                            "{id}{{\"{}\"}}:::ask",
                            label(&[format!(
                                "confirm: {}{}",
                                (self.text)(question),
                                only_if(step.confirm_if.as_ref())
                            )])
                        ));
                        chart.follow(&id, Some("yes"));
                        chart.edge(&id, &entry(&owed), Some("no"), true);
                    }
                    let id = format!("s{number}");
                    chart.node(format!(
                        "{id}[\"{}\"]",
                        label(&self.step_lines(step, number))
                    ));
                    chart.follow(&id, None);
                    self.link(chart, &id, step);
                    let has_rollback = step.rollback.is_some();
                    if has_rollback && step.rollback_always {
                        owed.push(number);
                    }
                    chart.edge(&id, &entry(&owed), Some("fails"), true);
                    if has_rollback && !step.rollback_always {
                        owed.push(number);
                    }
                    if let Some(when) = skip {
                        chart
                            .pending
                            .push((when, Some("false: skipped".into()), true));
                    }
                }
            }
        }
        if owed.is_empty() {
            return;
        }
        chart.node("subgraph undo [\"if a step fails: rollbacks, newest first\"]".into());
        let steps: Vec<&Step> = self.procedure.steps().collect();
        for n in owed.iter().rev() {
            let step = steps[n - 1];
            let mut lines = vec![format!("undo {n}. {}", (self.text)(step.title()))];
            if step.rollback_always {
                lines.push("also if this step fails".into());
            }
            chart.node(format!("  r{n}[/\"{}\"/]:::undo", label(&lines)));
        }
        chart.node("end".into());
        for pair in owed.windows(2).rev() {
            chart.edge(
                &format!("r{}", pair[1]),
                &format!("r{}", pair[0]),
                None,
                false,
            );
        }
        chart.edge(&format!("r{}", owed[0]), fail_end, None, false);
    }

    /// Rows of steps split at confirmations; one failure edge and one rollback node per row.
    fn folded(&self, chart: &mut Chart, fail_end: &str) {
        let mut rows: Vec<Vec<(usize, &Step)>> = Vec::new();
        // A confirmation between rows: (row it comes before, message).
        let mut gates: Vec<(usize, String)> = Vec::new();
        let mut number = 0;
        let mut open: Vec<(usize, &Step)> = Vec::new();
        for item in &self.procedure.items {
            match item {
                Item::Gate(gate) => {
                    if !open.is_empty() {
                        rows.push(std::mem::take(&mut open));
                    }
                    gates.push((
                        rows.len(),
                        format!(
                            "{}{}",
                            (self.text)(&gate.message),
                            only_if(gate.condition.as_ref())
                        ),
                    ));
                }
                Item::Step(step) => {
                    number += 1;
                    open.push((number, step));
                    if open.len() == ROW {
                        rows.push(std::mem::take(&mut open));
                    }
                }
            }
        }
        if !open.is_empty() {
            rows.push(open);
        }
        // The rollback node each row's failures enter: its own, else an earlier row's.
        let mut entry = fail_end.to_string();
        let mut previous_undo: Option<String> = None;
        let mut gate_count = 0;
        // One round more than rows, for a confirmation after the last step.
        for r in 0..=rows.len() {
            for (_, message) in gates.iter().filter(|(before, _)| *before == r) {
                gate_count += 1;
                let id = format!("c{gate_count}");
                chart.node(format!(
                    "{id}{{\"{}\"}}:::ask",
                    label(&[format!("confirm: {message}")])
                ));
                chart.follow(&id, Some("yes"));
                chart.edge(&id, &entry, Some("no"), true);
            }
            let Some(row) = rows.get(r) else { break };
            let (first, last) = (row[0].0, row[row.len() - 1].0);
            let id = format!("row{}", r + 1);
            chart.node(format!(
                "subgraph {id} [\"{}\"]",
                label(&[format!("steps {first} to {last}")])
            ));
            chart.node("  direction LR".into());
            for (n, step) in row {
                let mut lines = self.step_lines(step, *n);
                if let Some(when) = &step.when {
                    lines.push(format!("only when {}", one_line(&when.code)));
                }
                if let Some(question) = &step.confirm {
                    lines.push(format!(
                        "asks first: {}{}",
                        (self.text)(question),
                        only_if(step.confirm_if.as_ref())
                    ));
                }
                chart.node(format!("  s{n}[\"{}\"]", label(&lines)));
                self.link(chart, &format!("s{n}"), step);
            }
            for pair in row.windows(2) {
                chart.node(format!("  s{} --> s{}", pair[0].0, pair[1].0));
            }
            chart.node("end".into());
            chart.follow(&id, None);
            let undone: Vec<String> = row
                .iter()
                .rev()
                .filter(|(_, s)| s.rollback.is_some())
                .map(|(n, s)| format!("{n}. {}", s.id.text))
                .collect();
            if undone.is_empty() {
                chart.edge(&id, &entry, Some("a step fails"), true);
                continue;
            }
            let undo = format!("u{}", r + 1);
            let mut lines = vec!["undo what completed, newest first:".to_string()];
            lines.extend(undone.chunks(3).map(|c| c.join(", ")));
            chart.node(format!("{undo}[/\"{}\"/]:::undo", label(&lines)));
            chart.edge(&id, &undo, Some("a step fails"), true);
            if let Some(prev) = previous_undo.take() {
                chart.edge(&undo, &prev, None, false);
            } else {
                chart.edge(&undo, fail_end, None, false);
            }
            previous_undo = Some(undo.clone());
            entry = undo;
        }
    }

    /// A step's label: number and title, its id, then where and how it runs.
    fn step_lines(&self, step: &Step, number: usize) -> Vec<String> {
        let mut lines = vec![format!("{number}. {}", (self.text)(step.title()))];
        lines.push(format!("id: {}", step.id.text));
        if let Some(target) = step.target.as_ref().or(self.procedure.target.as_ref()) {
            lines.push(self.on(target));
            let policy = fan_out_wording::policy_clauses(target);
            if !policy.is_empty() {
                lines.push(policy.join(" · "));
            }
        }
        if let Some(retry) = step.retry {
            let mut text = format!(
                "retry {}× every {}",
                retry.times,
                duration::format(retry.delay)
            );
            if (retry.backoff - 1.0).abs() > f64::EPSILON {
                text.push_str(&format!(", backoff ×{}", retry.backoff));
            }
            lines.push(text);
        }
        if let Some(timeout) = step.timeout {
            lines.push(format!("timeout {}", duration::format(timeout)));
        }
        if step.optional {
            lines.push("optional: run, skip or abort".into());
        }
        if step.rollback.is_none() {
            lines.push(match &step.rollback_none {
                Some(why) => format!("no rollback: {why}"),
                None => "no rollback".into(),
            });
        }
        lines
    }

    /// `on web: a, b, c +2 more`.
    fn on(&self, target: &Target) -> String {
        let name = &target.name.text;
        let hosts = (self.hosts)(name);
        let mut text = format!("on {name}");
        if !hosts.is_empty() && hosts != [name.clone()] {
            let shown: Vec<&str> = hosts.iter().take(HOSTS_SHOWN).map(String::as_str).collect();
            text.push_str(&format!(": {}", shown.join(", ")));
            if hosts.len() > HOSTS_SHOWN {
                text.push_str(&format!(" +{} more", hosts.len() - HOSTS_SHOWN));
            }
        }
        text
    }

    fn link(&self, chart: &mut Chart, id: &str, step: &Step) {
        if let Some(anchor) = self.anchor {
            let target = anchor(&step.id.text);
            chart.links.push(format!(
                "  click {id} href \"#{}\" \"{}\"",
                escape(&target),
                escape(&format!("Step {}", (self.text)(step.title())))
            ));
        }
    }
}

/// Lines of a node's label, each escaped and cut to a readable length, joined by line breaks.
fn label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| escape(&shorten(&one_line(l))))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// `3 guards`, `1 guard`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= LABEL_MAX {
        return text.to_string();
    }
    let kept: String = text.chars().take(LABEL_MAX - 1).collect();
    format!("{}…", kept.trim_end())
}

fn one_line(code: &str) -> String {
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text safe inside a quoted Mermaid string: the characters Mermaid reads as markup become
/// its `#name;` entities (`#` itself included, since it starts one).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;

//! Plans: a dry-run's events folded into what a reviewer reads — guards, steps with the
//! commands they would run and whether each changes something, confirmations, rollbacks —
//! rendered as text, Markdown (for a pull request) or JSON.

use super::style::Style;
use crate::context::event::{Effect, Event, EventSink, GuardStatus, Level, Phase};
use crate::context::run_context::unknown_parts;
use crate::language::ast::Procedure;
use crate::language::duration;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Serialize)]
pub struct PlannedAction {
    pub primitive: String,
    pub target: String,
    pub command: String,
    pub effect: Effect,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedGuard {
    pub title: String,
    pub status: GuardStatus,
    pub message: Option<String>,
    pub actions: Vec<PlannedAction>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutlook {
    WillRun,
    Skipped,
    WouldFail,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    pub number: usize,
    pub outlook: StepOutlook,
    /// `retry 3 every 5s, timeout 10m, when { … }`.
    pub attributes: Vec<String>,
    pub notes: Vec<String>,
    pub actions: Vec<PlannedAction>,
    /// What its rollback would run; `None` when it has none.
    pub rollback: Option<Vec<PlannedAction>>,
    /// `change`, `read`, `might` or `none`: the strongest effect of its actions.
    pub effect: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlannedItem {
    Step(PlannedStep),
    Confirmation { id: String, message: String },
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub steps: usize,
    pub changes: usize,
    pub reads: usize,
    pub might: usize,
    pub confirmations: usize,
    pub rollbacks: usize,
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Plan {
    pub runbook: String,
    pub file: String,
    pub procedure: String,
    pub title: String,
    pub probe: bool,
    pub params: BTreeMap<String, String>,
    pub guards: Vec<PlannedGuard>,
    pub items: Vec<PlannedItem>,
    pub finally: Option<Vec<PlannedAction>>,
    pub summary: Summary,
}

/// Builds a plan from the events of a dry-run.
pub struct PlanCollector {
    state: Mutex<Collecting>,
}

#[derive(Default)]
struct Collecting {
    plan: Plan,
    pending_guard: Vec<PlannedAction>,
    /// Each step of the procedure as it enters the plan, before events fill it in.
    blanks: BTreeMap<String, PlannedStep>,
    /// The step events are about now; it joins the plan's items when it closes.
    open: Option<PlannedStep>,
    /// Rollbacks being run because a step would fail: their actions were already previewed
    /// with each step, and must not be listed twice.
    unwinding: usize,
}

impl PlanCollector {
    pub fn new(procedure: &Procedure, probe: bool) -> Self {
        let mut blanks = BTreeMap::new();
        for step in procedure.steps() {
            let mut attrs = Vec::new();
            if let Some(retry) = step.retry {
                let mut text = format!(
                    "retry {} every {}",
                    retry.times,
                    duration::format(retry.delay)
                );
                if (retry.backoff - 1.0).abs() > f64::EPSILON {
                    text.push_str(&format!(" backoff {}", retry.backoff));
                }
                attrs.push(text);
            }
            if let Some(timeout) = step.timeout {
                attrs.push(format!("timeout {}", duration::format(timeout)));
            }
            if let Some(when) = &step.when {
                attrs.push(format!("when {{ {} }}", when.code.trim()));
            }
            if step.rollback_always {
                attrs.push("rollback always (also if this step fails)".into());
            }
            let blank = PlannedStep {
                id: step.id.text.clone(),
                title: step.title().to_string(),
                number: 0,
                outlook: StepOutlook::WillRun,
                attributes: attrs,
                notes: Vec::new(),
                actions: Vec::new(),
                rollback: step.rollback.as_ref().map(|_| Vec::new()),
                effect: String::new(),
            };
            blanks.insert(step.id.text.clone(), blank);
        }
        let plan = Plan {
            probe,
            finally: procedure.finally.as_ref().map(|_| Vec::new()),
            ..Plan::default()
        };
        Self {
            state: Mutex::new(Collecting {
                plan,
                blanks,
                ..Collecting::default()
            }),
        }
    }

    /// The finished plan with its summary; the collector is left empty.
    pub fn finish(&self) -> Plan {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.close();
        let mut plan = std::mem::take(&mut state.plan);
        drop(state);
        let mut summary = Summary::default();
        let mut targets = std::collections::BTreeSet::new();
        for item in &mut plan.items {
            match item {
                PlannedItem::Confirmation { .. } => summary.confirmations += 1,
                PlannedItem::Step(step) => {
                    summary.steps += 1;
                    summary.rollbacks += usize::from(step.rollback.is_some());
                    for action in &step.actions {
                        targets.insert(action.target.clone());
                        match action.effect {
                            Effect::Change => summary.changes += 1,
                            Effect::Read => summary.reads += 1,
                            Effect::Might => summary.might += 1,
                        }
                    }
                    step.effect = strongest(&step.actions);
                }
            }
        }
        summary.targets = targets.into_iter().collect();
        plan.summary = summary;
        plan
    }
}

fn strongest(actions: &[PlannedAction]) -> String {
    let has = |e: Effect| actions.iter().any(|a| a.effect == e);
    if has(Effect::Change) {
        "change"
    } else if has(Effect::Might) {
        "might"
    } else if has(Effect::Read) {
        "read"
    } else {
        "none"
    }
    .into()
}

impl Collecting {
    fn step_by_id(&mut self, id: &str) -> Option<&mut PlannedStep> {
        self.plan
            .items
            .iter_mut()
            .rev()
            .find_map(|item| match item {
                PlannedItem::Step(step) if step.id == id => Some(step),
                PlannedItem::Step(_) | PlannedItem::Confirmation { .. } => None,
            })
    }

    /// Moves the open step into the plan's items.
    fn close(&mut self) {
        if let Some(step) = self.open.take() {
            self.plan.items.push(PlannedItem::Step(step));
        }
    }

    /// The step an event is about: the open one, or a new entry opened for it.
    fn step(&mut self, id: &str) -> &mut PlannedStep {
        if self.open.as_ref().is_some_and(|s| s.id != id) {
            self.close();
        }
        let number = self
            .plan
            .items
            .iter()
            .filter(|i| matches!(i, PlannedItem::Step(_)))
            .count()
            + 1;
        let blanks = &self.blanks;
        self.open.get_or_insert_with(|| {
            let mut step = blanks.get(id).cloned().unwrap_or_else(|| PlannedStep {
                id: id.into(),
                title: id.into(),
                number: 0,
                outlook: StepOutlook::WillRun,
                attributes: Vec::new(),
                notes: Vec::new(),
                actions: Vec::new(),
                rollback: None,
                effect: String::new(),
            });
            step.number = number;
            step
        })
    }
}

impl EventSink for PlanCollector {
    fn emit(&self, event: &Event) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            Event::RunStarted {
                runbook,
                file,
                procedure,
                title,
                params,
                ..
            } => {
                let plan = &mut state.plan;
                plan.runbook.clone_from(runbook);
                plan.file.clone_from(file);
                plan.procedure.clone_from(procedure);
                plan.title.clone_from(title);
                plan.params.clone_from(params);
            }
            Event::Action {
                phase,
                primitive,
                target,
                command,
                effect,
                reason,
                step,
            } => {
                let action = PlannedAction {
                    primitive: primitive.clone(),
                    target: target.clone(),
                    command: command.clone(),
                    effect: *effect,
                    reason: reason.clone(),
                };
                match phase {
                    Phase::Guard => state.pending_guard.push(action),
                    Phase::Finally => {
                        if let Some(list) = state.plan.finally.as_mut() {
                            list.push(action);
                        }
                    }
                    Phase::Rollback if state.unwinding > 0 => {}
                    Phase::Rollback => {
                        if let Some(s) = step.as_deref().and_then(|id| state.step_by_id(id))
                            && let Some(rollback) = s.rollback.as_mut()
                        {
                            rollback.push(action);
                        }
                    }
                    Phase::When | Phase::Body => {
                        if let Some(id) = step {
                            state.step(id).actions.push(action);
                        }
                    }
                }
            }
            Event::GuardChecked {
                title,
                status,
                message,
            } => {
                let actions = std::mem::take(&mut state.pending_guard);
                state.plan.guards.push(PlannedGuard {
                    title: title.clone(),
                    status: *status,
                    message: message.clone(),
                    actions,
                });
            }
            Event::RollbackStarted { .. } => state.unwinding += 1,
            Event::RollbackFinished { .. } => state.unwinding = state.unwinding.saturating_sub(1),
            Event::StepStarted { step, .. } => {
                state.step(step);
            }
            Event::StepFinished { .. } => state.close(),
            Event::StepSkipped { step, reason, .. } => {
                let entry = state.step(step);
                entry.outlook = StepOutlook::Skipped;
                entry.notes.push(format!("skipped: {reason}"));
                state.close();
            }
            Event::StepFailed {
                step,
                error,
                location,
                ..
            } => {
                let entry = state.step(step);
                entry.outlook = StepOutlook::WouldFail;
                let at = location
                    .as_ref()
                    .map(|l| format!(" (at {l})"))
                    .unwrap_or_default();
                entry.notes.push(format!("would fail: {error}{at}"));
                state.close();
            }
            Event::Log { message, level, .. } => {
                if let Some(s) = state.open.as_mut() {
                    let mark = if *level == Level::Warn { "⚠ " } else { "" };
                    s.notes.push(format!("{mark}{message}"));
                }
            }
            Event::ConfirmationAsked { id, message, .. } => {
                if let Some(s) = state.open.as_mut() {
                    s.notes.push(format!("asks the operator: {message}"));
                } else {
                    state.plan.items.push(PlannedItem::Confirmation {
                        id: id.clone(),
                        message: message.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}

fn action_line(action: &PlannedAction, style: Style) -> String {
    let label = match action.effect {
        Effect::Change => style.yellow("change"),
        Effect::Read => style.green("read  "),
        Effect::Might => style.cyan("might "),
    };
    let reason = action
        .reason
        .as_ref()
        .map(|r| style.dim(&format!("  ({r})")))
        .unwrap_or_default();
    format!("{label} {}$ {}{reason}", action.target, action.command)
}

impl Plan {
    /// The summary line: what a reviewer sees first.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{}, {}, {}, {}, {}, {} · targets: {}",
            plural(s.steps, "step", "steps"),
            plural(s.changes, "change", "changes"),
            plural(s.reads, "read", "reads"),
            plural(s.might, "might change", "might change"),
            plural(s.confirmations, "confirmation", "confirmations"),
            plural(s.rollbacks, "rollback", "rollbacks"),
            if s.targets.is_empty() {
                "none".into()
            } else {
                s.targets.join(", ")
            }
        )
    }

    pub fn render_text(&self, style: Style) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line(format!(
            "{} {} › {} — {}",
            style.bold("Plan"),
            self.runbook,
            self.procedure,
            self.title
        ));
        line(format!("{} {}", style.dim("file:"), self.file));
        if !self.params.is_empty() {
            let params: Vec<String> = self
                .params
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            line(format!("{} {}", style.dim("params:"), params.join(", ")));
        }
        line(format!("{} {}", style.dim("summary:"), self.summary_line()));
        if !self.guards.is_empty() {
            line(String::new());
            line(style.bold("Guards"));
            for guard in &self.guards {
                let status = match guard.status {
                    GuardStatus::Passed => style.green("✓ passes"),
                    GuardStatus::Failed => style.red("✗ FAILS"),
                    GuardStatus::Unknown => style.yellow("? checked at run time"),
                };
                let why = guard
                    .message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                line(format!("  {} — {status}{why}", guard.title));
                for action in &guard.actions {
                    line(format!("      {}", action_line(action, style)));
                }
            }
        }
        line(String::new());
        line(style.bold("Steps"));
        for item in &self.items {
            match item {
                PlannedItem::Confirmation { id, message } => {
                    line(format!(
                        "  {} confirm before `{id}`: {message}",
                        style.yellow("?")
                    ));
                }
                PlannedItem::Step(step) => {
                    let attrs = if step.attributes.is_empty() {
                        String::new()
                    } else {
                        style.dim(&format!("  [{}]", step.attributes.join(", ")))
                    };
                    line(format!(
                        "  {}. {} — {}{attrs}",
                        step.number,
                        style.bold(&step.id),
                        step.title
                    ));
                    for note in &step.notes {
                        line(format!("      {} {note}", style.dim("·")));
                    }
                    if step.actions.is_empty() && matches!(step.outlook, StepOutlook::WillRun) {
                        line(format!("      {}", style.dim("(no command)")));
                    }
                    for action in &step.actions {
                        line(format!("      {}", action_line(action, style)));
                    }
                    match &step.rollback {
                        Some(actions) if actions.is_empty() => line(format!(
                            "      {} {}",
                            style.dim("rollback:"),
                            style.dim("(no command)")
                        )),
                        Some(actions) => {
                            line(format!("      {}", style.dim("rollback:")));
                            for action in actions {
                                line(format!("        {}", action_line(action, style)));
                            }
                        }
                        None => {}
                    }
                }
            }
        }
        if let Some(actions) = &self.finally {
            line(String::new());
            line(style.bold("Finally"));
            for action in actions {
                line(format!("      {}", action_line(action, style)));
            }
        }
        out
    }

    pub fn render_markdown(&self) -> String {
        let mut env = minijinja::Environment::new();
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.add_filter("cell", |text: String| text.replace('|', "\\|"));
        env.add_filter("count", |n: usize, noun: String| {
            if n == 1 {
                format!("1 {noun}")
            } else {
                format!("{n} {noun}s")
            }
        });
        env.add_filter("effect", |e: String| match e.as_str() {
            "change" => "🟠 change".to_string(),
            "read" => "🟢 read".to_string(),
            "might" => "🔵 might".to_string(),
            other => other.to_string(),
        });
        let rendered = env
            .template_from_str(include_str!("plan.md.j2"))
            .and_then(|t| {
                t.render(minijinja::context! {
                    plan => minijinja::Value::from(minijinja::value::Serde(self)),
                    might => minijinja::Value::from(minijinja::value::Serde(self.might_explained())),
                })
            });
        rendered.unwrap_or_else(|e| format!("cannot render the plan: {e}\n"))
    }

    /// Every "might change" action of the steps, with what it is waiting for in words.
    fn might_explained(&self) -> Vec<serde_json::Value> {
        let mut list = Vec::new();
        for item in &self.items {
            let PlannedItem::Step(step) = item else {
                continue;
            };
            for action in step.actions.iter().filter(|a| a.effect == Effect::Might) {
                let why: Vec<String> = unknown_parts(&action.command)
                    .iter()
                    .map(|part| explain_unknown(part))
                    .collect();
                list.push(serde_json::json!({
                    "step": step.id,
                    "command": action.command,
                    "why": format!("built from {}", why.join(" and ")),
                }));
            }
        }
        list
    }

    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// What a `⟨…⟩` placeholder stands for, in words.
fn explain_unknown(part: &str) -> String {
    let inner = part
        .trim_start_matches(crate::context::run_context::UNKNOWN_OPEN)
        .trim_end_matches(crate::context::run_context::UNKNOWN_CLOSE);
    if let Some(command) = inner.strip_prefix("output of ") {
        format!("the output of `{command}`, which only a real run reads")
    } else if let Some(name) = inner.strip_prefix("secret ") {
        format!("the secret `{name}`, which this plan was not given")
    } else if let Some(request) = inner.strip_prefix("response of ") {
        format!("the response of `{request}`")
    } else if let Some(what) = inner.strip_prefix("result of ") {
        format!("the result of a `{what}` on the database")
    } else {
        format!("`{part}`, known only at run time")
    }
}

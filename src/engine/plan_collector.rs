//! A dry-run's events folded into a [`Plan`]: each step with its actions, notes and outlook,
//! its rollback previewed, the guards and `finally`, then the summary.

use super::plan::{
    Plan, PlannedAction, PlannedGuard, PlannedItem, PlannedStep, PlannedStop, StepOutlook, Summary,
};
use crate::context::event::{Effect, Event, EventSink, Level, Phase};
use crate::language::ast::Procedure;
use crate::language::duration;
use crate::language::fan_out_wording;
use std::collections::BTreeMap;
use std::sync::Mutex;

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
    /// How many steps have joined the plan's items: the next one's number is one more.
    closed_steps: usize,
    /// Rollbacks being run because a step would fail: their actions were already previewed
    /// with each step, and must not be listed twice.
    unwinding: usize,
}

impl PlanCollector {
    pub fn new(procedure: &Procedure, probe: bool) -> Self {
        let mut blanks = BTreeMap::new();
        for step in procedure.steps() {
            let mut attrs = Vec::new();
            if let Some(target) = step.target.as_ref().or(procedure.target.as_ref()) {
                attrs.push(fan_out_wording::runs_on(target));
            }
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
            if step.optional {
                attrs.push(
                    "optional: the operator runs, skips or aborts (--yes runs it, --skip skips it)"
                        .into(),
                );
            }
            if step.confirm.is_some() && step.confirm_if.is_some() {
                attrs.push(format!(
                    "confirm{}",
                    crate::language::ast::only_if(step.confirm_if.as_ref())
                ));
            }
            if let Some(why) = &step.rollback_none {
                attrs.push(format!("no rollback: {why}"));
            }
            let blank = PlannedStep {
                id: step.id.text.clone(),
                title: step.title().to_string(),
                number: 0,
                outlook: StepOutlook::WillRun,
                attributes: attrs,
                notes: Vec::new(),
                actions: Vec::new(),
                stops: Vec::new(),
                rollback_stops: Vec::new(),
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
        state.closed_steps = 0;
        drop(state);
        let mut summary = Summary::default();
        let mut targets = std::collections::BTreeSet::new();
        for item in &mut plan.items {
            match item {
                PlannedItem::Confirmation { .. } => summary.confirmations += 1,
                PlannedItem::Step(step) => {
                    summary.steps += 1;
                    summary.rollbacks += usize::from(step.rollback.is_some());
                    summary.stopped += usize::from(!step.stops.is_empty());
                    for action in &step.actions {
                        targets.insert(action.target.clone());
                        match action.effect {
                            Effect::Change => summary.changes += 1,
                            Effect::Read => summary.reads += 1,
                            Effect::Might => summary.might += 1,
                        }
                    }
                    step.effect = strongest(&step.actions);
                    if !step.stops.is_empty() && step.effect != "change" {
                        "might".clone_into(&mut step.effect);
                    }
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
            self.closed_steps += 1;
        }
    }

    /// The step an event is about: the open one, or a new entry opened for it.
    fn step(&mut self, id: &str) -> &mut PlannedStep {
        if self.open.as_ref().is_some_and(|s| s.id != id) {
            self.close();
        }
        let number = self.closed_steps + 1;
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
                stops: Vec::new(),
                rollback_stops: Vec::new(),
                rollback: None,
                effect: String::new(),
            });
            step.number = number;
            step
        })
    }
}

impl EventSink for PlanCollector {
    #[allow(
        clippy::too_many_lines,
        reason = "one short arm per kind of event, each folding it into the plan: the match is the collector's table of events"
    )]
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
                ..
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
            // Its title as the run fills it in (`${name}` references).
            Event::StepStarted { step, title, .. } => {
                state.step(step).title.clone_from(title);
            }
            Event::StepFinished { .. } => state.close(),
            Event::StepSkipped {
                step,
                title,
                reason,
            } => {
                let entry = state.step(step);
                entry.title.clone_from(title);
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
            Event::StepStopped {
                step,
                host,
                origin,
                location,
                rollback,
            } => {
                let stop = PlannedStop {
                    host: host.clone(),
                    origin: origin.clone(),
                    location: location.as_ref().map(|l| l.to_string()),
                };
                if *rollback {
                    // Previewed once the step is in the plan.
                    if let Some(entry) = state.step_by_id(step) {
                        entry
                            .notes
                            .push(format!("might: rollback: {}", stop.describe()));
                        entry.rollback_stops.push(stop);
                    }
                } else {
                    let entry = state.step(step);
                    entry.notes.push(format!("might: {}", stop.describe()));
                    entry.stops.push(stop);
                }
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

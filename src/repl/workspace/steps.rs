//! `:step`, `:rollback` and `:plan`: the runner on one step, on the rollbacks `:step`
//! registered (newest first), or on a whole procedure in dry-run.

use super::{Workspace, out, problem, report};
use crate::context::event::{Event, EventSink, Mode};
use crate::diagnostic::did_you_mean;
use crate::engine::plan_collector::PlanCollector;
use crate::engine::run_values::{ParamValue, SecretValue};
use crate::engine::runner::{FinishedHosts, Runner, Start};
use crate::journal::record::{self, Owed};
use crate::language::ast::{Procedure, Runbook, Step};
use crate::output::style::Style;
use crate::render::plan::render_text;
use crate::session::procedure_selection::select_procedure;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

impl Workspace {
    /// Runs `start` of `procedure` through the runner, keeping its events.
    fn run(
        &self,
        procedure: &Procedure,
        params: &[ParamValue],
        secrets: &[SecretValue],
        start: Start,
    ) -> Vec<Event> {
        let Some(loaded) = &self.loaded else {
            return Vec::new();
        };
        self.begin_command();
        self.view.record();
        Runner {
            ctx: &self.ctx,
            engine: &self.engine,
            runbook: &loaded.runbook,
            source: &loaded.source,
            compiled: &loaded.compiled,
            params,
            secrets,
            down: Mutex::default(),
            start,
            finished: FinishedHosts::kept(),
        }
        .run(procedure);
        self.view.take_recorded()
    }

    /// `:step ID` or `:step PROC.ID`: one step with its procedure's guards, its confirmations
    /// (its own and the gate right before it), on its hosts; its rollback is registered for
    /// `:rollback`.
    pub fn step(&mut self, wanted: &str) {
        let Some(loaded) = self.loaded() else { return };
        let (procedure, step) = match find_step(&loaded.runbook, wanted) {
            Ok(found) => found,
            Err(message) => return problem(&message),
        };
        let (procedure_id, step_id) = (procedure.id.text.clone(), step.id.text.clone());
        let dry = self.ctx.is_dry_run();
        let Some((params, secrets)) = self.prepare(&procedure_id, dry) else {
            return;
        };
        let Some(loaded) = &self.loaded else { return };
        let Some(procedure) = loaded.runbook.procedure(&procedure_id) else {
            return;
        };
        let published = self.ctx.published();
        let start = Start {
            only: Some(step_id.clone()),
            only_with_gate: true,
            ..Start::default()
        };
        let events = self.run(procedure, &params, &secrets, start);
        if dry {
            self.ctx.restore_published(published);
            return;
        }
        let with_rollback: Vec<Owed> = record::owed(&events)
            .into_iter()
            .filter(|o| {
                procedure
                    .steps()
                    .any(|s| s.id.text == o.step && s.rollback.is_some())
            })
            .collect();
        for owed in with_rollback {
            out(&format!(
                "rollback of `{}` registered ({} owed): `:rollback` runs them newest first",
                owed.step,
                self.registered.len() + 1
            ));
            self.registered.push(Registered {
                procedure: procedure_id.clone(),
                owed,
            });
        }
        self.sync_scope();
        self.refresh_vocabulary();
    }

    /// `:rollback`: every rollback registered by `:step`, newest first; those that fail stay
    /// registered.
    pub fn rollback(&mut self) {
        if self.registered.is_empty() {
            out("no rollback registered: `:step` registers the rollback of each step it runs");
            return;
        }
        while let Some(last) = self.registered.last() {
            let procedure_id = last.procedure.clone();
            // The newest run of rollbacks of one procedure goes through the runner at once.
            let from = self
                .registered
                .iter()
                .rposition(|r| r.procedure != procedure_id)
                .map_or(0, |i| i + 1);
            let group = self.registered.split_off(from);
            let Some((params, secrets)) = self.prepare(&procedure_id, false) else {
                self.registered.extend(group);
                return;
            };
            let Some(loaded) = &self.loaded else { return };
            let Some(procedure) = loaded.runbook.procedure(&procedure_id) else {
                return;
            };
            let start = Start {
                owed: group
                    .iter()
                    .map(|r| (r.owed.step.clone(), r.owed.hosts.clone()))
                    .collect(),
                rollback_only: true,
                ..Start::default()
            };
            let events = self.run(procedure, &params, &secrets, start);
            let failed: BTreeSet<&str> = events
                .iter()
                .filter_map(|e| match e {
                    Event::RollbackFinished {
                        step, ok: false, ..
                    } => Some(step.as_str()),
                    _ => None,
                })
                .collect();
            if !failed.is_empty() {
                let kept: Vec<Registered> = group
                    .into_iter()
                    .filter(|r| failed.contains(r.owed.step.as_str()))
                    .collect();
                problem(&format!(
                    "{} rollback(s) failed and stay registered; `:rollback` tries them again",
                    kept.len()
                ));
                self.registered.extend(kept);
                return;
            }
        }
        self.sync_scope();
    }

    /// `:plan [PROC]`: the plan `runbook plan` would print, with the session's values.
    pub fn plan(&mut self, name: Option<&str>) {
        let Some(loaded) = self.loaded() else { return };
        let procedure_id = match select_procedure(&loaded.runbook, &loaded.source, name) {
            Ok(p) => p.id.text.clone(),
            Err(d) => return report(&[d]),
        };
        let Some((params, secrets)) = self.prepare(&procedure_id, true) else {
            return;
        };
        let Some(loaded) = &self.loaded else { return };
        let Some(procedure) = loaded.runbook.procedure(&procedure_id) else {
            return;
        };
        let collector = Arc::new(PlanCollector::new(procedure, false));
        let mode = self.ctx.mode();
        let published = self.ctx.published();
        self.ctx.set_mode(Mode::DryRun);
        self.view
            .divert(Some(Arc::clone(&collector) as Arc<dyn EventSink>));
        self.run(procedure, &params, &secrets, Start::default());
        self.view.divert(None);
        self.ctx.set_mode(mode);
        self.ctx.restore_published(published);
        let text = render_text(&collector.finish(), Style::for_stdout());
        out(text.trim_end());
    }
}

/// A rollback `:step` registered: its procedure, its step and where it ran.
pub(super) struct Registered {
    pub(super) procedure: String,
    pub(super) owed: Owed,
}

/// The step `wanted` names: `ID` when only one procedure has it, else `PROC.ID`.
fn find_step<'r>(runbook: &'r Runbook, wanted: &str) -> Result<(&'r Procedure, &'r Step), String> {
    if let Some((p, s)) = wanted.split_once('.')
        && let Some(procedure) = runbook.procedure(p)
    {
        return procedure
            .steps()
            .find(|step| step.id.text == s)
            .map(|step| (procedure, step))
            .ok_or_else(|| format!("no step `{s}` in procedure `{p}`"));
    }
    let found: Vec<(&Procedure, &Step)> = runbook
        .procedures
        .iter()
        .flat_map(|p| {
            p.steps()
                .filter(|s| s.id.text == wanted)
                .map(move |s| (p, s))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => {
            let all: Vec<String> = runbook
                .procedures
                .iter()
                .flat_map(|p| p.steps().map(|s| s.id.text.clone()))
                .collect();
            let hint = did_you_mean(wanted, all.iter().map(String::as_str))
                .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
            Err(format!("no step `{wanted}` in this runbook{hint}"))
        }
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|(p, s)| format!("{}.{}", p.id.text, s.id.text))
                .collect();
            Err(format!(
                "several procedures have a step `{wanted}`: name one of {}",
                names.join(", ")
            ))
        }
    }
}

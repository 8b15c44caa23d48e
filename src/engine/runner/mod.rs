//! The run loop of one procedure: guards, then steps and gates in order, with retries,
//! timeouts and `when`; on failure, refusal or interruption the owed rollbacks in reverse
//! order; then `finally`. The same loop makes plans: in a dry-run the primitives record
//! instead of acting, and each rollback is previewed the same way.
//!
//! There is one path for this machine and for hosts: every body runs on a [`place::Place`], a
//! list of slots with a fan-out policy, and a single `Here` runs inline.

mod attempts;
mod conditions;
mod failure;
mod finished_hosts;
pub mod place;
mod rollbacks;
mod start;

pub use finished_hosts::FinishedHosts;
pub use start::Start;

use super::evaluator::{Evaluator, Failure};
use super::message_filling;
use super::run_values::{ParamValue, SecretValue};
use crate::context::event::{Answer, AnsweredBy, Event, Level, Phase, Status};
use crate::context::run_context::RunContext;
use crate::diagnostic::source::SourceFile;
use crate::engine::rollback_stack::RollbackStack;
use crate::language::ast::{Body, Item, Procedure, Runbook, Step};
use crate::language::check::Compiled;
use place::{Moment, Place};
use rhai::Engine;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything a run needs, already checked and resolved.
pub struct Runner<'a> {
    pub ctx: &'a Arc<RunContext>,
    pub engine: &'a Engine,
    pub runbook: &'a Runbook,
    pub source: &'a Arc<SourceFile>,
    pub compiled: &'a Compiled,
    pub params: &'a [ParamValue],
    pub secrets: &'a [SecretValue],
    /// Hosts a tolerated failure left out of the rest of the run.
    pub down: Mutex<BTreeSet<String>>,
    /// Where to start: the whole procedure, or part of it (resume, `--from`, `--only`).
    pub start: Start,
    /// Whether masters close as their hosts finish, and which hosts have not.
    pub finished: FinishedHosts,
}

/// How the steps of a procedure ended, before rollbacks.
enum Ending {
    Completed,
    /// A guard failed: no step ran.
    GuardFailed,
    Failed,
    Declined,
    Interrupted,
}

impl Runner<'_> {
    /// Runs (or, in a dry-run, plans) a procedure and returns how it ended.
    pub fn run(&self, procedure: &Procedure) -> Status {
        let started = Instant::now();
        let total = procedure.steps().count();
        let mut shown: BTreeMap<String, String> = self
            .params
            .iter()
            .map(|p| (p.name.clone(), p.shown.clone()))
            .collect();
        shown.extend(self.secrets.iter().map(|s| {
            (
                s.name.clone(),
                crate::context::secret_mask::MASK.to_string(),
            )
        }));
        self.ctx.emit(&Event::RunStarted {
            runbook: self.runbook.name.text.clone(),
            file: self.source.display_path(),
            procedure: procedure.id.text.clone(),
            title: procedure.title().to_string(),
            mode: self.ctx.mode(),
            params: shown,
            steps: total,
        });
        self.plan_finished_hosts(procedure);
        let place = self.place(procedure.target.as_ref());
        let guards_ok = self.values(procedure)
            & self.guards(self.runbook.guards.iter(), &Place::here())
            & self.guards(procedure.guards.iter(), &place);
        let mut stack = self.owed_before(procedure);
        let mut steps_done = 0;
        let ending = if self.start.rollback_only {
            Ending::Failed
        } else if guards_ok || self.ctx.is_dry_run() {
            self.items(procedure, total, &mut stack, &mut steps_done)
        } else {
            Ending::GuardFailed
        };
        if matches!(ending, Ending::Completed) {
            self.release_after_steps();
        }
        let mut undone = rollbacks::Undone::default();
        if !matches!(ending, Ending::Completed) && self.wants_rollbacks(&ending, &stack) {
            undone = self.undo(&mut stack);
        }
        let finally_ok = self.start.rollback_only
            || procedure
                .finally
                .as_ref()
                .is_none_or(|body| self.finally(body, &self.place(procedure.target.as_ref())));
        let status = match ending {
            _ if undone.failed > 0 => Status::RollbackFailed,
            _ if self.start.rollback_only => Status::Succeeded,
            Ending::GuardFailed => Status::GuardFailed,
            Ending::Failed => Status::Failed,
            Ending::Declined => Status::Declined,
            Ending::Interrupted => Status::Interrupted,
            Ending::Completed if !guards_ok || !finally_ok => Status::Failed,
            Ending::Completed => Status::Succeeded,
        };
        self.ctx.emit(&Event::RunFinished {
            status,
            exit_code: status.exit_code(),
            duration_ms: millis(started.elapsed()),
            steps_done,
            rolled_back: undone.rolled_back,
            rollbacks_failed: undone.failed,
        });
        status
    }

    /// After Ctrl-C on a terminal, the operator may keep the changes (the rollbacks stay owed in
    /// the journal); without a terminal, or after SIGHUP, the rollbacks run.
    fn wants_rollbacks(&self, ending: &Ending, stack: &RollbackStack<'_>) -> bool {
        let owed = stack.len();
        let interactive = self
            .ctx
            .gate
            .prompter
            .as_ref()
            .filter(|_| !self.ctx.stop.hung_up());
        let (Ending::Interrupted, Some(prompter), false) =
            (ending, interactive, self.ctx.is_dry_run())
        else {
            return true;
        };
        if owed == 0 {
            return true;
        }
        self.ctx.stop.clear_interrupt();
        let question = format!(
            "Interrupted. Keep the changes of the {owed} completed step(s) and skip their rollbacks? \
             (they stay owed: `runbook rollback RUN`)"
        );
        self.ctx.emit(&Event::ConfirmationAsked {
            id: "rollback".into(),
            message: question.clone(),
            next: Vec::new(),
        });
        let keep = prompter.confirm(&question, &self.ctx.stop);
        if keep {
            self.ctx.log(
                Level::Warn,
                format!("{owed} rollback(s) left owed: finish with `runbook rollback RUN`"),
            );
        }
        !keep
    }

    fn items<'p>(
        &self,
        procedure: &'p Procedure,
        total: usize,
        stack: &mut RollbackStack<'p>,
        done: &mut usize,
    ) -> Ending {
        let mut index = 0;
        for (position, item) in procedure.items.iter().enumerate() {
            if self.ctx.stop.is_interrupted() {
                return Ending::Interrupted;
            }
            self.release_before(position);
            if !self.start.includes(procedure, position) {
                if matches!(item, Item::Step(_)) {
                    index += 1;
                }
                continue;
            }
            let step = match item {
                Item::Gate(gate) => {
                    let next: Vec<&Step> = procedure.items[position + 1..]
                        .iter()
                        .filter_map(|i| match i {
                            Item::Step(s) => Some(s),
                            Item::Gate(_) => None,
                        })
                        .collect();
                    let id = next.first().map_or("", |s| s.id.text.as_str());
                    if let (Some(condition), Some(first)) = (&gate.condition, next.first()) {
                        let place = self.place(first.target.as_ref().or(procedure.target.as_ref()));
                        match self.asks(condition, first, &place) {
                            Ok(true) => {}
                            Ok(false) => continue,
                            Err(ending) => return ending,
                        }
                    }
                    let coming = next.iter().map(|s| self.message(s.title())).collect();
                    let message = self.message(&gate.message);
                    let agreed = if gate.always {
                        self.ctx.confirm_always(id, &message, coming)
                    } else {
                        self.ctx.confirm(id, &message, coming)
                    };
                    if !agreed {
                        return self.refusal();
                    }
                    continue;
                }
                Item::Step(step) => step,
            };
            index += 1;
            let place = self.place(step.target.as_ref().or(procedure.target.as_ref()));
            match self.step(step, (index, total), &place, stack) {
                Ok(ran) => {
                    if ran {
                        *done += 1;
                    }
                }
                Err(ending) => return ending,
            }
        }
        Ending::Completed
    }

    /// Runs one step, registering its rollback where it completed. `Ok(true)` ran, `Ok(false)`
    /// skipped, `Err` ends the procedure.
    fn step<'p>(
        &self,
        step: &'p Step,
        numbered: (usize, usize),
        place: &Place,
        stack: &mut RollbackStack<'p>,
    ) -> Result<bool, Ending> {
        let id = step.id.text.as_str();
        let skip = |reason: String| {
            self.ctx.emit(&Event::StepSkipped {
                step: id.into(),
                title: self.message(step.title()),
                reason,
            });
            Ok(false)
        };
        if self.ctx.gate.each_step && !self.ctx.is_dry_run() {
            let answer = self.ctx.gate.prompter.as_ref().map_or(Answer::Abort, |p| {
                p.before_step(&self.message(step.title()), &self.ctx.stop)
            });
            self.ctx.emit(&Event::ConfirmationAnswered {
                id: id.into(),
                answer,
                by: AnsweredBy::Operator,
            });
            match answer {
                Answer::Skip => return skip("skipped by the operator".into()),
                Answer::Abort | Answer::No => return Err(self.refusal()),
                Answer::Yes => {}
            }
        }
        if place.slots.is_empty() {
            return skip("every host of its target failed earlier".into());
        }
        let place = match &step.when {
            Some(when) => {
                let slots = self.when(step, when, place)?;
                if slots.is_empty() {
                    let condition = when.code.trim();
                    let everywhere = if place.is_here() {
                        ""
                    } else {
                        " on every host"
                    };
                    return skip(format!("`when {{ {condition} }}` is false{everywhere}"));
                }
                place.with(slots)
            }
            None => place.clone(),
        };
        if step.optional && !self.ctx.gate.each_step && !self.ctx.is_dry_run() {
            let title = format!("optional step: {}", self.message(step.title()));
            let (answer, by) = self.ctx.gate.decide_optional(id, &title, &self.ctx.stop);
            // A skip is told by the step's own "skipped" line, with its reason.
            if answer != Answer::Skip {
                self.ctx.emit(&Event::ConfirmationAnswered {
                    id: id.into(),
                    answer,
                    by,
                });
            }
            match (answer, by) {
                (Answer::Yes, _) => {}
                (Answer::Abort, _) => return Err(self.refusal()),
                (_, AnsweredBy::Flag) => return skip("optional: skipped with --skip".into()),
                (_, AnsweredBy::NoTerminal) => {
                    return skip(
                        "optional: skipped, no terminal to ask (--yes or --confirm ID runs it)"
                            .into(),
                    );
                }
                _ => return skip("optional: skipped by the operator".into()),
            }
        }
        let asked = match (&step.confirm, &step.confirm_if) {
            (Some(_), Some(condition)) => self.asks(condition, step, &place)?,
            (confirm, _) => confirm.is_some(),
        };
        if let Some(question) = &step.confirm
            && asked
        {
            let message = self.message(question);
            let next = vec![self.message(step.title())];
            let agreed = if step.confirm_always {
                self.ctx.confirm_always(id, &message, next)
            } else {
                self.ctx.confirm(id, &message, next)
            };
            if !agreed {
                return Err(self.refusal());
            }
        }
        if step.rollback_always && step.rollback.is_some() && !self.ctx.is_dry_run() {
            self.ctx.emit(&Event::RollbackOwed {
                step: id.into(),
                hosts: place.hosts(),
            });
        }
        self.attempts(step, &place, stack, numbered)
    }

    /// Runs `finally` on every slot of `place`, whatever happens on the others.
    fn finally(&self, body: &Body, place: &Place) -> bool {
        let at = Moment::new(None, Phase::Finally);
        let spread = self.on(body, at, &place.slots, place.every_slot(), None);
        let failures: Vec<Failure> = spread
            .failed
            .into_iter()
            .map(|(_, f)| f)
            .filter(|f| !f.from_unknown)
            .collect();
        let errors: Vec<String> = failures.iter().map(Failure::describe_host).collect();
        let ok = errors.is_empty();
        self.ctx.emit(&Event::FinallyFinished {
            ok,
            error: (!ok).then(|| errors.join("; ")),
            error_kind: failures.first().map(|f| f.kind),
        });
        ok
    }

    /// A step title, confirmation message or guard title with its `${name}` references filled
    /// in (`message_filling`).
    fn message(&self, text: &str) -> String {
        message_filling::fill(text, self.ctx, self.runbook, self.params)
    }

    /// The evaluator of this run's bodies.
    fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            ctx: self.ctx,
            engine: self.engine,
            compiled: self.compiled,
            source: self.source,
            params: self.params,
            secrets: self.secrets,
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

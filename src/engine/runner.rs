//! The run loop of one procedure: guards, then steps and gates in order, with retries,
//! timeouts and `when`; on failure, refusal or interruption the owed rollbacks in reverse
//! order; then `finally`. The same loop makes plans: in a dry-run the primitives record
//! instead of acting, and each rollback is previewed the same way.

use super::fan_out::{self, DEFAULT_FORKS, Policy, Spread};
use super::rhai_error::explain;
use super::rollback_stack::{Owed, RollbackStack};
use super::run_values::{ParamValue, SecretValue};
use crate::context::acting_host;
use crate::context::event::{Answer, AnsweredBy, Event, GuardStatus, Level, Phase, Status};
use crate::context::run_context::RunContext;
use crate::context::stop_signal::StopReason;
use crate::diagnostic::error_kind::ErrorKind;
use crate::diagnostic::rhai_position;
use crate::diagnostic::snippet::Snippet;
use crate::diagnostic::source::SourceFile;
use crate::language::ast::{Body, Guard, Item, Procedure, Runbook, Step, Target, Tolerance};
use crate::language::check::Compiled;
use crate::language::message_text;
use rhai::{Dynamic, Engine, Scope};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
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
}

/// Which part of a procedure a run covers.
#[derive(Debug, Default, Clone)]
pub struct Start {
    /// Skip the steps before this one (a gate right before it still asks).
    pub from: Option<String>,
    /// Run only this step.
    pub only: Option<String>,
    /// With `only`: the gate right before the step asks too (the REPL's `:step`).
    pub only_with_gate: bool,
    /// Rollbacks an earlier run of the procedure still owes: (step id, hosts).
    pub owed: Vec<(String, Vec<String>)>,
    /// Run nothing but the owed rollbacks (`runbook rollback RUN`).
    pub rollback_only: bool,
}

impl Start {
    /// Whether the item at `position` runs.
    fn includes(&self, procedure: &Procedure, position: usize) -> bool {
        let id_at = |p: usize| match procedure.items.get(p) {
            Some(Item::Step(s)) => Some(s.id.text.as_str()),
            _ => None,
        };
        let gate = matches!(procedure.items.get(position), Some(Item::Gate(_)));
        // A gate belongs to the step after it.
        let own = if gate { position + 1 } else { position };
        if let Some(only) = &self.only {
            return (!gate || self.only_with_gate) && id_at(own) == Some(only.as_str());
        }
        if let Some(from) = &self.from {
            let first = procedure
                .items
                .iter()
                .position(|i| matches!(i, Item::Step(s) if &s.id.text == from));
            return first.is_some_and(|f| own >= f);
        }
        true
    }
}

/// Where a body runs: here, or on hosts under a fan-out policy.
enum Place {
    Local,
    Hosts(Vec<String>, Policy),
}

/// Why a body did not finish.
struct Failure {
    message: String,
    host: Option<String>,
    location: Option<Box<Snippet>>,
    kind: ErrorKind,
    stopped: Option<StopReason>,
    declined: bool,
    /// In a dry-run: the failure came from a value only a real run knows.
    from_unknown: bool,
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
        let place = self.place(procedure.target.as_ref());
        let guards_ok = self.guards(self.runbook.guards.iter(), &Place::Local)
            & self.guards(procedure.guards.iter(), &place);
        let mut stack = RollbackStack::default();
        for (id, hosts) in &self.start.owed {
            if let Some(step) = procedure.steps().find(|s| &s.id.text == id) {
                stack.register(step, hosts.clone());
            }
        }
        let mut steps_done = 0;
        let ending = if self.start.rollback_only {
            Ending::Failed
        } else if guards_ok || self.ctx.is_dry_run() {
            self.items(procedure, total, &mut stack, &mut steps_done)
        } else {
            Ending::GuardFailed
        };
        let mut rolled_back = 0;
        let mut rollback_failed = false;
        if !matches!(ending, Ending::Completed) && self.wants_rollbacks(&ending, &stack) {
            self.ctx.stop.begin_rollbacks();
            for owed in stack.drain_newest_first() {
                rolled_back += 1;
                rollback_failed |= !self.rollback(&owed);
            }
        }
        let finally_ok = self.start.rollback_only
            || procedure
                .finally
                .as_ref()
                .is_none_or(|body| self.finally(body, &self.place(procedure.target.as_ref())));
        let status = match ending {
            _ if rollback_failed => Status::RollbackFailed,
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
            rolled_back,
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

    /// Evaluates every guard (on each host of `place`), reporting each; true when none failed.
    fn guards<'g>(&self, guards: impl Iterator<Item = &'g Guard>, place: &Place) -> bool {
        let mut all_ok = true;
        for guard in guards {
            let results = match place {
                Place::Local => vec![(None, self.exec(&guard.body, None, Phase::Guard, None))],
                Place::Hosts(hosts, policy) => {
                    let all = Policy {
                        tolerate: Tolerance::All,
                        ..*policy
                    };
                    let spread = self.exec_on(&guard.body, None, Phase::Guard, None, hosts, all);
                    let done = spread.done.into_iter().map(|(h, v)| (Some(h), Ok(v)));
                    let failed = spread.failed.into_iter().map(|(h, f)| (Some(h), Err(f)));
                    done.chain(failed).collect()
                }
            };
            let unknown = self.ctx.take_unknown_used();
            let mut status = GuardStatus::Passed;
            let mut messages = Vec::new();
            let mut error_kind = None;
            for (host, result) in results {
                let on = host.map(|h| format!("{h}: ")).unwrap_or_default();
                let (this, message) = match result {
                    Ok(_) if unknown => (GuardStatus::Unknown, None),
                    Ok(value) => match value.as_bool() {
                        Ok(true) => (GuardStatus::Passed, None),
                        Ok(false) => (
                            GuardStatus::Failed,
                            (!on.is_empty()).then(|| format!("{on}false")),
                        ),
                        Err(kind) => (
                            GuardStatus::Failed,
                            Some(format!("{on}a guard must end in true or false, not {kind}")),
                        ),
                    },
                    Err(f) if f.from_unknown => (GuardStatus::Unknown, None),
                    Err(f) => {
                        error_kind = error_kind.or(Some(f.kind));
                        (GuardStatus::Failed, Some(format!("{on}{}", f.describe())))
                    }
                };
                if this == GuardStatus::Failed || status == GuardStatus::Passed {
                    status = if status == GuardStatus::Failed {
                        status
                    } else {
                        this
                    };
                }
                messages.extend(message);
            }
            all_ok &= status != GuardStatus::Failed;
            self.ctx.emit(&Event::GuardChecked {
                title: self.message(&guard.title),
                status,
                message: (!messages.is_empty()).then(|| messages.join("; ")),
                // A guard that is false is a check that did not hold.
                error_kind: (status == GuardStatus::Failed)
                    .then(|| error_kind.unwrap_or(ErrorKind::Assertion)),
            });
        }
        all_ok
    }

    /// Where a body with this target runs; hosts that failed earlier are left out.
    fn place(&self, target: Option<&Target>) -> Place {
        let Some(target) = target else {
            return Place::Local;
        };
        let hosts = self.ctx.hosts();
        let names = hosts.target(&target.name.text).unwrap_or_default();
        if names.is_empty() {
            return Place::Local;
        }
        let down = self.down.lock().unwrap_or_else(PoisonError::into_inner);
        let up: Vec<String> = names
            .iter()
            .filter(|h| !down.contains(*h))
            .cloned()
            .collect();
        let forks = target.forks.map_or(DEFAULT_FORKS, |f| {
            usize::try_from(f).unwrap_or(DEFAULT_FORKS)
        });
        Place::Hosts(
            up,
            Policy {
                forks,
                tolerate: target.tolerate,
            },
        )
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
                    let coming = next.iter().map(|s| s.title().to_string()).collect();
                    if !self.ctx.confirm(id, &self.message(&gate.message), coming) {
                        return self.refusal();
                    }
                    continue;
                }
                Item::Step(step) => step,
            };
            index += 1;
            let place = self.place(step.target.as_ref().or(procedure.target.as_ref()));
            match self.step(step, index, total, &place, stack) {
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

    /// How a refused confirmation ends the procedure: Ctrl-C at a prompt is an interruption.
    fn refusal(&self) -> Ending {
        if self.ctx.stop.is_interrupted() {
            Ending::Interrupted
        } else {
            Ending::Declined
        }
    }

    /// Runs one step, registering its rollback where it completed. `Ok(true)` ran, `Ok(false)`
    /// skipped, `Err` ends the procedure.
    fn step<'p>(
        &self,
        step: &'p Step,
        index: usize,
        total: usize,
        place: &Place,
        stack: &mut RollbackStack<'p>,
    ) -> Result<bool, Ending> {
        let id = step.id.text.as_str();
        let skip = |reason: String| {
            self.ctx.emit(&Event::StepSkipped {
                step: id.into(),
                title: step.title().into(),
                reason,
            });
            Ok(false)
        };
        if self.ctx.gate.each_step && !self.ctx.is_dry_run() {
            let answer = self.ctx.gate.prompter.as_ref().map_or(Answer::Abort, |p| {
                p.before_step(step.title(), &self.ctx.stop)
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
        let place = match place {
            Place::Hosts(hosts, _) if hosts.is_empty() => {
                return skip("every host of its target failed earlier".into());
            }
            Place::Hosts(hosts, policy) => match &step.when {
                Some(when) => {
                    let hosts = self.when_on_hosts(step, when, hosts, *policy)?;
                    if hosts.is_empty() {
                        let condition = when.code.trim();
                        return skip(format!("`when {{ {condition} }}` is false on every host"));
                    }
                    Place::Hosts(hosts, *policy)
                }
                None => Place::Hosts(hosts.clone(), *policy),
            },
            Place::Local => {
                if let Some(when) = &step.when
                    && !self.when_here(step, when)?
                {
                    let condition = when.code.trim();
                    return skip(format!("`when {{ {condition} }}` is false"));
                }
                Place::Local
            }
        };
        if let Some(question) = &step.confirm
            && !self
                .ctx
                .confirm(id, &self.message(question), vec![step.title().to_string()])
        {
            return Err(self.refusal());
        }
        if step.rollback_always && step.rollback.is_some() && !self.ctx.is_dry_run() {
            let hosts = match &place {
                Place::Hosts(hosts, _) => hosts.clone(),
                Place::Local => Vec::new(),
            };
            self.ctx.emit(&Event::RollbackOwed {
                step: id.into(),
                hosts,
            });
        }
        match place {
            Place::Local => self.attempts_here(step, index, total, stack),
            Place::Hosts(hosts, policy) => {
                self.attempts_on(step, index, total, &hosts, policy, stack)
            }
        }
    }

    /// Evaluates `when` locally: whether the step runs.
    fn when_here(&self, step: &Step, when: &Body) -> Result<bool, Ending> {
        let id = step.id.text.as_str();
        let condition = when.code.trim();
        match self.exec(when, Some(id), Phase::When, None) {
            Ok(_) if self.ctx.take_unknown_used() => {
                self.ctx.log(
                    Level::Info,
                    format!("runs only if `{condition}`: unknown until a real run"),
                );
                Ok(true)
            }
            Ok(v) => match v.as_bool() {
                Ok(answer) => Ok(answer),
                Err(kind) => self.fail(
                    step,
                    &format!("`when` must be true or false, not {kind}"),
                    None,
                    ErrorKind::Script,
                ),
            },
            Err(f) if f.from_unknown => Ok(true),
            Err(f) => self.fail(
                step,
                &format!("`when` failed: {}", f.message),
                f.location,
                f.kind,
            ),
        }
    }

    /// Evaluates `when` on each host: the hosts where the step runs.
    fn when_on_hosts(
        &self,
        step: &Step,
        when: &Body,
        hosts: &[String],
        policy: Policy,
    ) -> Result<Vec<String>, Ending> {
        let id = step.id.text.as_str();
        let all = Policy {
            tolerate: Tolerance::All,
            ..policy
        };
        let spread = self.exec_on(when, Some(id), Phase::When, None, hosts, all);
        let unknown = self.ctx.take_unknown_used();
        if let Some((host, f)) = spread.failed.iter().find(|(_, f)| !f.from_unknown) {
            return self.fail(
                step,
                &format!("{host}: `when` failed: {}", f.message),
                f.location.clone(),
                f.kind,
            );
        }
        let mut chosen = Vec::new();
        for (host, value) in &spread.done {
            match value.as_bool() {
                Ok(true) => chosen.push(host.clone()),
                Ok(false) if !unknown => self.ctx.log(
                    Level::Info,
                    format!(
                        "{host}: skipped, `when {{ {} }}` is false",
                        when.code.trim()
                    ),
                ),
                Ok(false) => chosen.push(host.clone()),
                Err(kind) => {
                    return self.fail(
                        step,
                        &format!("{host}: `when` must be true or false, not {kind}"),
                        None,
                        ErrorKind::Script,
                    );
                }
            }
        }
        chosen.extend(spread.failed.into_iter().map(|(h, _)| h));
        Ok(chosen)
    }

    fn started(&self, step: &Step, index: usize, total: usize, attempt: u32, attempts: u32) {
        self.ctx.emit(&Event::StepStarted {
            step: step.id.text.clone(),
            title: step.title().into(),
            index,
            total,
            attempt,
            attempts,
        });
    }

    fn finished(&self, step: &Step, started: Instant) {
        self.ctx.emit(&Event::StepFinished {
            step: step.id.text.clone(),
            duration_ms: millis(started.elapsed()),
        });
    }

    /// The attempts of a local step.
    fn attempts_here<'p>(
        &self,
        step: &'p Step,
        index: usize,
        total: usize,
        stack: &mut RollbackStack<'p>,
    ) -> Result<bool, Ending> {
        let id = step.id.text.as_str();
        let attempts = step.retry.map_or(1, |r| r.times.saturating_add(1));
        let mut delay = step.retry.map_or(Duration::ZERO, |r| r.delay);
        for attempt in 1..=attempts {
            self.started(step, index, total, attempt, attempts);
            let started = Instant::now();
            match self.exec(&step.body, Some(id), Phase::Body, step.timeout) {
                Ok(_) => {
                    self.finished(step, started);
                    if self.ctx.is_dry_run()
                        && let Some(rollback) = &step.rollback
                    {
                        self.preview(rollback, id, &[]);
                    }
                    stack.register(step, Vec::new());
                    return Ok(true);
                }
                Err(f) if f.from_unknown => {
                    self.ctx.log(
                        Level::Warn,
                        format!("planned up to an unknown value: {}", f.message),
                    );
                    self.finished(step, started);
                    stack.register(step, Vec::new());
                    return Ok(true);
                }
                Err(f) => {
                    if let Some(ending) = self.stopping(step, &f) {
                        if step.rollback_always {
                            stack.register(step, Vec::new());
                        }
                        return Err(ending);
                    }
                    if attempt < attempts && !self.ctx.is_dry_run() {
                        let waited = self.retrying(step, attempt, f.message, f.kind, &mut delay);
                        if waited.is_err() && step.rollback_always {
                            stack.register(step, Vec::new());
                        }
                        waited?;
                    } else {
                        if step.rollback_always {
                            stack.register(step, Vec::new());
                        }
                        return self.fail(step, &f.message, f.location, f.kind);
                    }
                }
            }
        }
        Ok(true)
    }

    /// The attempts of a step on hosts: a retry runs again where it failed.
    fn attempts_on<'p>(
        &self,
        step: &'p Step,
        index: usize,
        total: usize,
        hosts: &[String],
        policy: Policy,
        stack: &mut RollbackStack<'p>,
    ) -> Result<bool, Ending> {
        let id = step.id.text.as_str();
        let attempts = step.retry.map_or(1, |r| r.times.saturating_add(1));
        let mut delay = step.retry.map_or(Duration::ZERO, |r| r.delay);
        let mut pending = hosts.to_vec();
        let mut done: Vec<String> = Vec::new();
        for attempt in 1..=attempts {
            self.started(step, index, total, attempt, attempts);
            let started = Instant::now();
            let spread = self.exec_on(
                &step.body,
                Some(id),
                Phase::Body,
                step.timeout,
                &pending,
                policy,
            );
            done.extend(spread.done_hosts());
            let (unknown, failed): (Vec<_>, Vec<_>) = spread
                .failed
                .into_iter()
                .partition(|(_, f)| self.ctx.is_dry_run() && f.from_unknown);
            for (host, f) in unknown {
                self.ctx.log(
                    Level::Warn,
                    format!("{host}: planned up to an unknown value: {}", f.message),
                );
                done.push(host);
            }
            let stop = failed.iter().find_map(|(_, f)| self.stopping(step, f));
            if let Some(ending) = stop {
                stack.register_hosts(step, Self::owing(step, done, &failed));
                return Err(ending);
            }
            if failed.is_empty() && spread.not_run.is_empty() {
                self.finished(step, started);
                if self.ctx.is_dry_run()
                    && let Some(rollback) = &step.rollback
                {
                    self.preview(rollback, id, &done);
                }
                stack.register_hosts(step, done);
                return Ok(true);
            }
            let summary = failures(&failed);
            if attempt < attempts && !self.ctx.is_dry_run() {
                pending = failed.iter().map(|(h, _)| h.clone()).collect();
                pending.extend(spread.not_run);
                let kind = failed
                    .first()
                    .map_or(ErrorKind::Interrupted, |(_, f)| f.kind);
                if let Err(ending) = self.retrying(step, attempt, summary, kind, &mut delay) {
                    stack.register_hosts(step, Self::owing(step, done, &failed));
                    return Err(ending);
                }
                continue;
            }
            let exceeded = !spread.not_run.is_empty() || policy.exceeded(failed.len(), hosts.len());
            if !exceeded {
                let mut down = self.down.lock().unwrap_or_else(PoisonError::into_inner);
                for (host, _) in &failed {
                    down.insert(host.clone());
                }
                drop(down);
                self.ctx.log(
                    Level::Warn,
                    format!(
                        "tolerated: {summary}; {} left out of the remaining steps",
                        plural(failed.len(), "host")
                    ),
                );
                self.finished(step, started);
                stack.register_hosts(step, Self::owing(step, done, &failed));
                return Ok(true);
            }
            stack.register_hosts(step, Self::owing(step, done, &failed));
            let location = failed.first().and_then(|(_, f)| f.location.clone());
            // Hosts left not started, and none failed: the run was stopped.
            let kind = failed
                .first()
                .map_or(ErrorKind::Interrupted, |(_, f)| f.kind);
            let message = if spread.not_run.is_empty() {
                summary
            } else {
                format!("{summary} (not started on {})", spread.not_run.join(", "))
            };
            return self.fail(step, &message, location, kind);
        }
        Ok(true)
    }

    /// The hosts that owe the step's rollback: where it completed, and with `rollback always`
    /// also where it failed.
    fn owing(step: &Step, mut done: Vec<String>, failed: &[(String, Failure)]) -> Vec<String> {
        if step.rollback_always {
            done.extend(failed.iter().map(|(host, _)| host.clone()));
        }
        done
    }

    /// A failure that ends the procedure at once, whatever retries are left.
    fn stopping(&self, step: &Step, f: &Failure) -> Option<Ending> {
        let ending = if f.stopped == Some(StopReason::Interrupted) {
            Ending::Interrupted
        } else if f.declined {
            Ending::Declined
        } else {
            return None;
        };
        self.report_failure(step, &f.describe_host(), f.location.clone(), f.kind);
        Some(ending)
    }

    /// Reports a failed attempt and waits before the next.
    fn retrying(
        &self,
        step: &Step,
        attempt: u32,
        error: String,
        kind: ErrorKind,
        delay: &mut Duration,
    ) -> Result<(), Ending> {
        self.ctx.emit(&Event::StepRetrying {
            step: step.id.text.clone(),
            attempt,
            error,
            error_kind: Some(kind),
            delay_ms: millis(*delay),
        });
        if self.pause(*delay).is_err() {
            return Err(Ending::Interrupted);
        }
        let factor = step.retry.map_or(1.0, |r| r.backoff);
        *delay = delay.mul_f64(factor).min(Duration::from_secs(3600));
        Ok(())
    }

    fn report_failure(
        &self,
        step: &Step,
        message: &str,
        location: Option<Box<Snippet>>,
        kind: ErrorKind,
    ) {
        self.ctx.emit(&Event::StepFailed {
            step: step.id.text.clone(),
            title: step.title().into(),
            error: message.into(),
            error_kind: Some(kind),
            location,
        });
    }

    fn fail<T>(
        &self,
        step: &Step,
        message: &str,
        location: Option<Box<Snippet>>,
        kind: ErrorKind,
    ) -> Result<T, Ending> {
        self.report_failure(step, message, location, kind);
        Err(Ending::Failed)
    }

    /// Waits between attempts; `Err` when interrupted.
    fn pause(&self, delay: Duration) -> Result<(), StopReason> {
        self.ctx.runtime.block_on(async {
            tokio::select! {
                () = tokio::time::sleep(delay) => Ok(()),
                reason = self.ctx.stop.wait() => Err(reason),
            }
        })
    }

    /// Shows, in a dry-run, what a step's rollback would do (on each host it ran on).
    fn preview(&self, rollback: &Body, id: &str, hosts: &[String]) {
        let failures: Vec<Failure> = if hosts.is_empty() {
            self.exec(rollback, Some(id), Phase::Rollback, None)
                .err()
                .into_iter()
                .collect()
        } else {
            let all = Policy {
                forks: DEFAULT_FORKS,
                tolerate: Tolerance::All,
            };
            let spread = self.exec_on(rollback, Some(id), Phase::Rollback, None, hosts, all);
            spread.failed.into_iter().map(|(_, f)| f).collect()
        };
        for f in failures.iter().filter(|f| !f.from_unknown) {
            self.ctx.log(
                Level::Warn,
                format!("the rollback of `{id}` would fail: {}", f.describe()),
            );
        }
    }

    /// Runs one owed rollback (on every host its step completed on); false when it failed.
    fn rollback(&self, owed: &Owed<'_>) -> bool {
        let step = owed.step;
        let Some(body) = &step.rollback else {
            return true;
        };
        let id = step.id.text.as_str();
        if self.ctx.stop.rollbacks_abandoned() {
            let hosts: Vec<Option<&str>> = if owed.hosts.is_empty() {
                vec![None]
            } else {
                owed.hosts.iter().map(|h| Some(h.as_str())).collect()
            };
            for host in hosts {
                self.ctx.emit(&Event::RollbackFinished {
                    step: id.into(),
                    host: host.map(str::to_string),
                    ok: false,
                    error: Some(
                        "not run: stopped by the operator; still owed (`runbook rollback RUN`)"
                            .into(),
                    ),
                    error_kind: Some(ErrorKind::Interrupted),
                    location: None,
                });
            }
            return false;
        }
        let started = |host: Option<&str>| {
            self.ctx.emit(&Event::RollbackStarted {
                step: id.into(),
                title: step.title().into(),
                host: host.map(str::to_string),
            });
        };
        let finished = |host: Option<&str>, result: &Result<Dynamic, Failure>| {
            let (ok, error, error_kind, location) = match result {
                Ok(_) => (true, None, None, None),
                Err(f) => (
                    false,
                    Some(f.message.clone()),
                    Some(f.kind),
                    f.location.clone(),
                ),
            };
            self.ctx.emit(&Event::RollbackFinished {
                step: id.into(),
                host: host.map(str::to_string),
                ok,
                error,
                error_kind,
                location,
            });
        };
        if owed.hosts.is_empty() {
            started(None);
            let result = self.exec(body, Some(id), Phase::Rollback, step.timeout);
            finished(None, &result);
            return result.is_ok();
        }
        // Every host is rolled back, whatever happens on the others.
        let forks = step
            .target
            .as_ref()
            .and_then(|t| t.forks)
            .map_or(DEFAULT_FORKS, |f| {
                usize::try_from(f).unwrap_or(DEFAULT_FORKS)
            });
        self.begin(Some(id), Phase::Rollback, step.timeout);
        let spread = fan_out::spread(
            &owed.hosts,
            Policy {
                forks,
                tolerate: Tolerance::All,
            },
            |host| {
                started(Some(host));
                let result = self.evaluate(body, Some(host));
                finished(Some(host), &result);
                result
            },
        );
        self.ctx.stop.limit(None);
        spread.failed.is_empty()
    }

    fn finally(&self, body: &Body, place: &Place) -> bool {
        let results: Vec<Result<Dynamic, Failure>> = match place {
            Place::Local => vec![self.exec(body, None, Phase::Finally, None)],
            Place::Hosts(hosts, policy) => {
                let all = Policy {
                    tolerate: Tolerance::All,
                    ..*policy
                };
                let spread = self.exec_on(body, None, Phase::Finally, None, hosts, all);
                spread.failed.into_iter().map(|(_, f)| Err(f)).collect()
            }
        };
        let failures: Vec<Failure> = results
            .into_iter()
            .filter_map(Result::err)
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

    /// A confirmation message or guard title with its `${name}` references filled in from the
    /// parameters and published values; a secret shows as its placeholder, never its value.
    fn message(&self, text: &str) -> String {
        message_text::expand(text, |name| {
            if self.runbook.secrets.iter().any(|s| s.name.text == name) {
                return Some(format!("⟨secret {name}⟩"));
            }
            let value = self
                .ctx
                .published_named(&std::collections::HashSet::from([name]))
                .pop()
                .map(|(_, v)| v)
                .or_else(|| {
                    self.params
                        .iter()
                        .find(|p| p.name == name)
                        .map(|p| p.value.clone())
                })?;
            Some(value.to_string())
        })
    }

    /// The scope a body starts from: parameters, secrets, and the published values it names.
    fn scope(&self, body: &Body) -> Scope<'static> {
        let mut scope = Scope::new();
        for p in self.params {
            scope.push_constant_dynamic(p.name.clone(), p.value.clone());
        }
        for s in self.secrets {
            scope.push_constant(s.name.clone(), s.value.clone());
        }
        for (name, value) in self.ctx.published_named(&body.words()) {
            scope.push_constant_dynamic(name, value);
        }
        scope
    }

    /// Enters a body: where we are, fresh markers, the time limit.
    fn begin(&self, step: Option<&str>, phase: Phase, timeout: Option<Duration>) {
        self.ctx.enter(step, phase);
        self.ctx.take_unknown_used();
        self.ctx.take_declined();
        self.ctx.stop.limit(timeout);
    }

    /// Runs a body here.
    fn exec(
        &self,
        body: &Body,
        step: Option<&str>,
        phase: Phase,
        timeout: Option<Duration>,
    ) -> Result<Dynamic, Failure> {
        self.begin(step, phase, timeout);
        let result = self.evaluate(body, None);
        self.ctx.stop.limit(None);
        result
    }

    /// Runs a body on each host, each on its own thread, reporting each host as it ends.
    fn exec_on(
        &self,
        body: &Body,
        step: Option<&str>,
        phase: Phase,
        timeout: Option<Duration>,
        hosts: &[String],
        policy: Policy,
    ) -> Spread<Dynamic, Failure> {
        self.begin(step, phase, timeout);
        let spread = fan_out::spread(hosts, policy, |host| {
            let started = Instant::now();
            let result = self.evaluate(body, Some(host));
            self.ctx.emit(&Event::HostFinished {
                step: step.map(str::to_string),
                phase,
                host: host.to_string(),
                ok: result.is_ok(),
                error: result.as_ref().err().map(|f| f.message.clone()),
                error_kind: result.as_ref().err().map(|f| f.kind),
                duration_ms: millis(started.elapsed()),
            });
            result
        });
        self.ctx.stop.limit(None);
        spread
    }

    /// Evaluates a body on this thread, acting on `host`.
    fn evaluate(&self, body: &Body, host: Option<&str>) -> Result<Dynamic, Failure> {
        let Some(ast) = self.compiled.get(body) else {
            return Err(Failure::plain("internal: body was not compiled"));
        };
        let _acting = acting_host::enter(host);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope(body), ast);
        let stopped = self.ctx.stop.check();
        result.map_err(|error| {
            let explained = explain(*error);
            let message = explained.message;
            let message = match stopped {
                Some(reason) if message.contains(&reason.to_string()) => message,
                Some(reason) => reason.to_string(),
                None => message,
            };
            Failure {
                location: explained.position.map(|p| {
                    let at = Snippet::of(self.source, rhai_position::span_in_body(body.origin, p));
                    Box::new(at.masked(|line| self.ctx.mask(line)))
                }),
                kind: stopped.map_or(explained.kind, StopReason::kind),
                host: host.map(str::to_string),
                stopped,
                declined: self.ctx.take_declined(),
                from_unknown: self.ctx.is_dry_run() && self.ctx.take_unknown_used(),
                message: self.ctx.mask(&message),
            }
        })
    }
}

/// `web1: …; web2: …`.
fn failures(failed: &[(String, Failure)]) -> String {
    failed
        .iter()
        .map(|(_, f)| f.describe_host())
        .collect::<Vec<_>>()
        .join("; ")
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

impl Failure {
    fn plain(message: &str) -> Self {
        Self {
            message: message.into(),
            host: None,
            location: None,
            kind: ErrorKind::Script,
            stopped: None,
            declined: false,
            from_unknown: false,
        }
    }

    /// The message, prefixed with the host it happened on.
    fn describe_host(&self) -> String {
        match &self.host {
            Some(host) => format!("{host}: {}", self.message),
            None => self.message.clone(),
        }
    }

    fn describe(&self) -> String {
        match &self.location {
            Some(at) => format!("{} (at {at})", self.message),
            None => self.message.clone(),
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

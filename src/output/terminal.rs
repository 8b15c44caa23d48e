//! The live terminal view of a run: each step with the commands it runs (worded as a plan
//! words them) and their output as it comes, durations, rollbacks, and a summary. A spinner shows the running step only on a terminal.

use super::action_line::action_line;
use super::console::{out, outln};
use super::fleet_progress::FleetProgress;
use super::host_blocks::HostBlocks;
use super::host_count::{hosts, not_started_on};
use super::host_table::HostTable;
use super::left_out::left_out;
use super::output_rows::output_rows;
use super::rollback_phase::RollbackPhase;
use super::style::{Style, understands_escapes};
use super::titled::titled;
use crate::context::acting_host;
use crate::context::error_groups::ErrorGroups;
use crate::context::event::OutputLines;
use crate::context::event::{
    Answer, AnsweredBy, Event, EventSink, GuardStatus, Level, Phase, Status,
};
use crate::engine::plan::PlannedStop;
use crate::language::duration;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

mod rollbacks;

pub struct TerminalView {
    style: Style,
    spinner: Mutex<Option<ProgressBar>>,
    animate: bool,
    hosts: Mutex<HostTable>,
    /// The running step's count of hosts, when it fans out.
    fleet: Mutex<Option<FleetProgress>>,
    /// The errors of the hosts the running step failed on.
    failures: Mutex<ErrorGroups>,
    /// Each host's lines while a step fans out, shown together when the host finishes.
    blocks: Mutex<HostBlocks>,
    /// Where rollbacks are owed, and the rollback told over hosts now.
    rollbacks: Mutex<RollbackPhase>,
}

impl Default for TerminalView {
    fn default() -> Self {
        Self {
            style: Style::for_stdout(),
            spinner: Mutex::new(None),
            animate: understands_escapes(&std::io::stdout())
                && understands_escapes(&std::io::stderr()),
            hosts: Mutex::default(),
            fleet: Mutex::default(),
            failures: Mutex::default(),
            blocks: Mutex::default(),
            rollbacks: Mutex::default(),
        }
    }
}

impl TerminalView {
    fn line(&self, text: &str) {
        let spinner = self
            .spinner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match spinner.as_ref() {
            Some(bar) => bar.suspend(|| print_line(text)),
            None => print_line(text),
        }
    }

    /// Lines already ended by `\n`, in one write.
    fn block(&self, text: &str) {
        let spinner = self
            .spinner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match spinner.as_ref() {
            Some(bar) => bar.suspend(|| print_block(text)),
            None => print_block(text),
        }
    }

    fn spin(&self, message: String) {
        if !self.animate {
            return;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        *self
            .spinner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(bar);
    }

    /// Counts a host done in the running fan-out, in the spinner's message.
    fn count_host(&self, ok: bool) {
        let mut fleet = self
            .fleet
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(progress) = fleet.as_mut() else {
            return;
        };
        progress.finished(ok);
        if let Some(bar) = self
            .spinner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            bar.set_message(progress.message());
        }
    }

    /// The errors of the hosts the running step failed on, one line per distinct error, under
    /// `headline` (given how many hosts failed and how many never started). False when fewer
    /// than two hosts failed: the engine's own message says it as well.
    fn grouped_failures(&self, headline: impl FnOnce(usize, usize) -> String) -> bool {
        let failures = std::mem::take(
            &mut *self
                .failures
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if failures.hosts() < 2 {
            return false;
        }
        let not_started = self
            .fleet
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map_or(0, FleetProgress::left);
        let mut block = headline(failures.hosts(), not_started);
        block.push('\n');
        block.push_str(&failures.indented());
        self.block(&block);
        true
    }

    /// Shows `rows` (lines with their `\n`) of `host` now, or holds them until the host
    /// finishes while a step fans out.
    fn host_rows(&self, host: Option<&str>, rows: String) {
        let now = self
            .blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .hold(host, rows);
        if let Some(rows) = now {
            self.block(&rows);
        }
    }

    /// A spinner for `label`, with the count of its `hosts` when it fans out, whose lines are
    /// then held host by host.
    fn start_fan_out(&self, label: String, hosts: usize) {
        let fleet = FleetProgress::start(label.clone(), hosts);
        self.spin(fleet.as_ref().map_or(label, FleetProgress::message));
        if fleet.is_some() {
            self.blocks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .hold_from_now();
        }
        *self
            .fleet
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fleet;
    }

    /// A fan-out is over: what its hosts still held is shown, and its count ends.
    fn end_fan_out(&self) {
        let held = self
            .blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .release_all();
        self.block(&held);
        *self
            .fleet
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    fn stop_spinning(&self) {
        if let Some(bar) = self
            .spinner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            bar.finish_and_clear();
        }
    }
}

impl TerminalView {
    fn tally(&self, update: impl FnOnce(&mut HostTable)) {
        update(
            &mut self
                .hosts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
    }
}

fn print_line(text: &str) {
    outln!("{text}");
}

fn print_block(text: &str) {
    let _ = out(text);
}

impl EventSink for TerminalView {
    fn emit_lines(&self, batch: &OutputLines) {
        let mut rows = String::with_capacity(batch.lines.iter().map(|l| l.len() + 8).sum());
        let lines = batch.lines.iter().map(String::as_str);
        output_rows(
            self.style,
            batch.stream,
            batch.host.as_deref(),
            lines,
            &mut rows,
        );
        self.host_rows(batch.host.as_deref(), rows);
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one short arm per kind of event, each the line the terminal shows for it: the match is the view's table of wording"
    )]
    fn emit(&self, event: &Event) {
        let s = self.style;
        self.settle_rollback(Some(event));
        match event {
            Event::RunStarted {
                runbook,
                procedure,
                title,
                steps,
                ..
            } => {
                let plural = if *steps == 1 { "step" } else { "steps" };
                self.rollbacks().forget();
                self.line(&format!(
                    "{} {runbook} › {procedure}{} ({steps} {plural})",
                    s.bold("▶"),
                    titled(procedure, title)
                ));
            }
            Event::GuardChecked {
                title,
                status,
                message,
                ..
            } => {
                let mark = match status {
                    GuardStatus::Passed => s.green("✓"),
                    GuardStatus::Failed => s.red("✗"),
                    GuardStatus::Unknown => s.yellow("?"),
                };
                let why = message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                self.line(&format!("  guard {mark} {title}{why}"));
            }
            Event::StepStarted {
                step,
                title,
                index,
                total,
                attempt,
                attempts,
                hosts,
            } => {
                let retry = if *attempt > 1 {
                    format!(" (attempt {attempt}/{attempts})")
                } else {
                    String::new()
                };
                let titled = titled(step, title);
                self.line(&format!(
                    "{} {}{titled}{retry}",
                    s.bold(&format!("[{index}/{total}]")),
                    s.bold(step)
                ));
                *self
                    .failures
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = ErrorGroups::default();
                self.start_fan_out(format!("{step}{titled}"), *hosts);
            }
            Event::Output {
                stream, line, host, ..
            } => {
                let mut row = String::new();
                output_rows(s, *stream, host.as_deref(), [line.as_str()], &mut row);
                self.host_rows(host.as_deref(), row);
            }
            // Only in a journal, replayed by `runbook show`.
            Event::OutputLeftOut {
                host, lines, bytes, ..
            } => {
                let from = host
                    .as_ref()
                    .map(|h| format!("{} ", s.cyan(&format!("[{h}]"))))
                    .unwrap_or_default();
                self.line(&format!(
                    "  {} {from}{}",
                    s.dim("│"),
                    s.dim(&left_out(*lines, *bytes))
                ));
            }
            Event::HostFinished {
                step,
                host,
                ok,
                error,
                duration_ms,
                phase,
                ..
            } => {
                self.tally(|t| t.finished(host, *phase, *ok, error.as_deref()));
                if let (Phase::Body, true, Some(step)) = (phase, ok, step) {
                    self.rollbacks().owe(step, host);
                }
                if *phase == Phase::Body {
                    self.count_host(*ok);
                    if let (false, Some(error)) = (ok, error) {
                        self.failures
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .add(host, error);
                    }
                }
                let took = duration::elapsed(Duration::from_millis(*duration_ms));
                let verdict = match error {
                    // The error itself is told by the step's failure or a warning.
                    Some(_) if !ok => format!(
                        "  {} {host} failed {}\n",
                        s.red("✗"),
                        s.dim(&format!("({took})"))
                    ),
                    // Conditions report through their own events.
                    _ if *phase != Phase::Body => return,
                    _ => format!(
                        "  {} {host} {}\n",
                        s.green("✓"),
                        s.dim(&format!("({took})"))
                    ),
                };
                let block = self
                    .blocks
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .finish(host, &verdict);
                self.block(&block);
            }
            // A host's body logs on its own thread.
            Event::Log { level, message, .. } => {
                let mark = match level {
                    Level::Info => s.cyan("·"),
                    Level::Warn => s.yellow("⚠"),
                };
                let row = format!("  {mark} {message}\n");
                self.host_rows(acting_host::current().as_deref(), row);
            }
            Event::Published {
                host, name, value, ..
            } => {
                let on = host.as_ref().map(|h| format!("{h}: ")).unwrap_or_default();
                let row = format!("  {} {on}{name} = {value}\n", s.dim("→"));
                self.host_rows(host.as_deref(), row);
            }
            Event::StepFinished { step, duration_ms } => {
                self.stop_spinning();
                self.end_fan_out();
                let took = duration::elapsed(Duration::from_millis(*duration_ms));
                self.line(&format!(
                    "  {} {step} {}",
                    s.green("✓"),
                    s.dim(&format!("({took})"))
                ));
            }
            Event::StepSkipped { step, reason, .. } => {
                self.line(&format!("  {} {step} skipped: {reason}", s.dim("↷")))
            }
            Event::StepRetrying {
                step,
                error,
                delay_ms,
                ..
            } => {
                self.stop_spinning();
                let wait = duration::elapsed(Duration::from_millis(*delay_ms));
                let grouped = self.grouped_failures(|failed, not_started| {
                    format!(
                        "  {} {step} failed on {}{}; retrying in {wait}:",
                        s.yellow("↻"),
                        hosts(failed),
                        not_started_on(not_started)
                    )
                });
                self.end_fan_out();
                if !grouped {
                    self.line(&format!(
                        "  {} {step}: {error}; retrying in {wait}",
                        s.yellow("↻")
                    ));
                }
            }
            Event::StepFailed {
                step,
                error,
                location,
                ..
            } => {
                self.stop_spinning();
                let grouped = self.grouped_failures(|failed, not_started| {
                    format!(
                        "  {} {step} failed on {}{}:",
                        s.red("✗"),
                        hosts(failed),
                        not_started_on(not_started)
                    )
                });
                self.end_fan_out();
                if !grouped {
                    self.line(&format!("  {} {step} failed: {error}", s.red("✗")));
                }
                if let Some(at) = location {
                    // The same excerpt and caret as a static error, under the failure.
                    for line in at.render(s.painter()).lines() {
                        self.line(&format!("    {line}"));
                    }
                }
            }
            Event::StepStopped {
                step,
                host,
                origin,
                location,
                rollback,
            } => {
                self.stop_spinning();
                let stop = PlannedStop {
                    host: host.clone(),
                    origin: origin.clone(),
                    location: location.as_ref().map(ToString::to_string),
                };
                let what = if *rollback { "rollback: " } else { "" };
                self.line(&format!(
                    "  {} {step}: {what}{}",
                    s.yellow("?"),
                    stop.describe()
                ));
            }
            Event::ConfirmationAsked { message, next, .. } => {
                self.stop_spinning();
                self.end_fan_out();
                self.line(&format!("{} {message}", s.bold(&s.yellow("?"))));
                if !next.is_empty() {
                    self.line(&format!("  {} {}", s.dim("next:"), next.join(" → ")));
                }
            }
            Event::ConfirmationAnswered { answer, by, .. } => {
                let text = match (answer, by) {
                    (Answer::Yes, AnsweredBy::Flag) => s.green("✓ confirmed by flag"),
                    (Answer::Yes, _) => s.green("✓ confirmed"),
                    (Answer::Skip, _) => s.dim("↷ skipped"),
                    (_, AnsweredBy::NoTerminal) => {
                        s.red("✗ declined: no terminal to ask (pass --yes or --confirm ID)")
                    }
                    (_, AnsweredBy::OperatorOnly) => s.red(
                        "✗ declined: no terminal to ask, and only an operator there answers a `confirm always` (not --yes nor --confirm)",
                    ),
                    _ => s.red("✗ declined"),
                };
                if *by != AnsweredBy::Operator || *answer != Answer::Yes {
                    self.line(&format!("  {text}"));
                }
            }
            Event::RollbackStarted { step, title, host } => {
                self.rollback_started(step, title, host.as_deref());
            }
            Event::RollbackFinished {
                step,
                host,
                ok,
                error,
                location,
                ..
            } => {
                let at = location
                    .as_ref()
                    .map(|l| format!(" (at {l})"))
                    .unwrap_or_default();
                let why = format!("{}{at}", error.as_deref().unwrap_or("unknown error"));
                self.rollback_finished(step, host.as_deref(), (!ok).then_some(why.as_str()));
            }
            Event::FinallyFinished { ok, error, .. } => match error {
                Some(e) if !ok => self.line(&format!("{} finally failed: {e}", s.red("✗"))),
                _ => self.line(&format!("{} finally", s.green("✓"))),
            },
            Event::RunFinished {
                status,
                exit_code,
                duration_ms,
                steps_done,
                rolled_back,
                rollbacks_failed,
            } => {
                self.stop_spinning();
                // The table is this run's: the next run (the REPL's next `:step` or
                // `:rollback`, a journal's `rollback RUN`) starts a new one.
                let table = std::mem::take(
                    &mut *self
                        .hosts
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                )
                .render(s);
                for row in table {
                    self.line(&row);
                }
                let took = duration::elapsed(Duration::from_millis(*duration_ms));
                let mut undone = if *rolled_back > 0 {
                    format!(", {rolled_back} rolled back")
                } else {
                    String::new()
                };
                if *rollbacks_failed > 0 {
                    undone.push_str(&format!(", {rollbacks_failed} rollback failed"));
                }
                let summary = format!("{steps_done} done{undone}, {took}");
                let line = match status {
                    Status::Succeeded => s.green(&format!("✓ succeeded ({summary})")),
                    Status::GuardFailed => s.red(&format!("✗ a guard failed: nothing was run (exit {exit_code})")),
                    Status::Failed => s.red(&format!("✗ failed ({summary}; exit {exit_code})")),
                    Status::Declined => s.yellow(&format!("✗ declined ({summary}; exit {exit_code})")),
                    Status::Interrupted => s.yellow(&format!("✗ interrupted ({summary}; exit {exit_code})")),
                    Status::RollbackFailed => {
                        s.red(&format!("✗ failed, and a rollback failed too: check by hand ({summary}; exit {exit_code})"))
                    }
                };
                self.line(&line);
            }
            // What runs, worded as the plan words it, before its output.
            Event::Action {
                target,
                command,
                effect,
                reason,
                ..
            } => {
                let row = format!(
                    "  {}\n",
                    action_line(*effect, target, command, reason.as_deref(), s)
                );
                // A host's body acts on its own thread.
                self.host_rows(acting_host::current().as_deref(), row);
            }
            Event::RollbackOwed { step, hosts } => {
                for host in hosts {
                    self.rollbacks().owe(step, host);
                }
            }
        }
    }
}

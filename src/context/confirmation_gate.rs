//! Confirmations: who may say yes. On a terminal the operator is asked; `--yes` and
//! `--confirm ID` answer ahead; without a terminal they fail closed; a dry-run lists them. A
//! `confirm always` is answered by the operator at a terminal only, never ahead.

use super::event::{Answer, AnsweredBy};
use super::stop_signal::StopSignal;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Asks the operator; implemented by the terminal front end (and later the REPL). Every
/// question gives up (no, abort, nothing) as soon as `stop` says the run was interrupted.
pub trait Prompter: Send + Sync {
    /// Yes or no to `message`.
    fn confirm(&self, message: &str, stop: &StopSignal) -> bool;
    /// Before a step in `--step` mode: run (yes), skip or abort.
    fn before_step(&self, title: &str, stop: &StopSignal) -> Answer;
    /// One of `options`, by index; `None` when the operator gives up.
    fn choose(&self, prompt: &str, options: &[String], stop: &StopSignal) -> Option<usize>;
    /// A secret typed without echo.
    fn secret(&self, prompt: &str) -> Option<String>;
}

/// The confirmation policy of one run.
#[derive(Default, Clone)]
pub struct ConfirmationGate {
    /// `--yes`: every confirmation is answered yes.
    pub yes: bool,
    /// `--confirm ID`: confirmations of these steps are answered yes.
    pub allowed: BTreeSet<String>,
    /// `--step`: ask before every step.
    pub each_step: bool,
    /// `--skip ID`: these optional steps are skipped without asking.
    pub skipped: BTreeSet<String>,
    /// The operator, when there is a terminal.
    pub prompter: Option<Arc<dyn Prompter>>,
}

impl ConfirmationGate {
    /// Whether the optional step `id` runs: skipped by flag, run by `--yes` or `--confirm ID`,
    /// else the operator's run, skip or abort; skipped without a terminal.
    pub fn decide_optional(
        &self,
        id: &str,
        title: &str,
        stop: &StopSignal,
    ) -> (Answer, AnsweredBy) {
        if self.skipped.contains(id) {
            return (Answer::Skip, AnsweredBy::Flag);
        }
        if self.yes || self.allowed.contains(id) {
            return (Answer::Yes, AnsweredBy::Flag);
        }
        match &self.prompter {
            Some(p) => (p.before_step(title, stop), AnsweredBy::Operator),
            None => (Answer::Skip, AnsweredBy::NoTerminal),
        }
    }

    /// Answers the confirmation `id` without a dry-run: ahead by flag (unless `always`), by
    /// the operator, or no.
    pub fn decide(
        &self,
        id: &str,
        message: &str,
        always: bool,
        stop: &StopSignal,
    ) -> (Answer, AnsweredBy) {
        if !always && (self.yes || self.allowed.contains(id)) {
            return (Answer::Yes, AnsweredBy::Flag);
        }
        match &self.prompter {
            Some(p) if p.confirm(message, stop) => (Answer::Yes, AnsweredBy::Operator),
            Some(_) => (Answer::No, AnsweredBy::Operator),
            None if always => (Answer::No, AnsweredBy::OperatorOnly),
            None => (Answer::No, AnsweredBy::NoTerminal),
        }
    }
}

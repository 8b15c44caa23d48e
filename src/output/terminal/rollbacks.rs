//! How the terminal tells rollbacks: one on this machine as a line when it starts and one when
//! it ends; one over hosts as a step over hosts, with a line when it starts, a count while it
//! runs, each host's lines together, and its outcomes in a few lines when it is over.

use super::TerminalView;
use crate::context::event::Event;
use crate::output::host_count::hosts;
use crate::output::rollback_phase::RollbackPhase;
use crate::output::titled::titled;

impl TerminalView {
    /// Tells what the view still holds when the events end without the run's end (a journal
    /// of a run killed while rolling back): the outcomes of the rollback told over hosts.
    pub fn flush(&self) {
        self.settle_rollback(None);
    }

    pub(super) fn rollbacks(&self) -> std::sync::MutexGuard<'_, RollbackPhase> {
        self.rollbacks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The rollback of `step` starts here or on `host`.
    pub(super) fn rollback_started(&self, step: &str, title: &str, host: Option<&str>) {
        if let Some(host) = host {
            self.open_rollback(step, Some((host, title)));
            return;
        }
        let s = self.style;
        self.line(&format!(
            "{} rollback {step}{}",
            s.yellow("↩"),
            titled(step, title)
        ));
        self.spin(format!("rollback {step}"));
    }

    /// The rollback of `step` is over here or on `host`, having failed with `error` or not.
    pub(super) fn rollback_finished(&self, step: &str, host: Option<&str>, error: Option<&str>) {
        let s = self.style;
        let Some(host) = host else {
            self.stop_spinning();
            self.line(&match error {
                None => format!("  {} rolled back {step}", s.green("✓")),
                Some(why) => format!("  {} ROLLBACK OF {step} FAILED: {why}", s.red("✗")),
            });
            return;
        };
        self.tally(|t| t.rolled_back(host, error.is_none()));
        // Not started when the operator stopped the rollbacks.
        self.open_rollback(step, None);
        self.rollbacks().finished(host, error);
        self.count_host(error.is_none());
        let held = self
            .blocks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .finish(host, "");
        self.block(&held);
    }

    /// Starts telling the rollback of `step` over hosts, unless it is the one told: with its
    /// line and count when it started on a host (given with the step's title). The hosts'
    /// events wait until its line is out and their lines are held.
    fn open_rollback(&self, step: &str, started: Option<(&str, &str)>) {
        let mut rollbacks = self.rollbacks();
        if rollbacks.is_open(step) {
            return;
        }
        rollbacks.open(step);
        let Some((host, title)) = started else {
            return;
        };
        let owed = rollbacks.owed_on(step);
        let on = match owed {
            0 => String::new(),
            1 => format!(" on {host}"),
            n => format!(" on {}", hosts(n)),
        };
        let titled = titled(step, title);
        let s = self.style;
        self.line(&format!("{} rollback {step}{on}{titled}", s.yellow("↩")));
        self.start_fan_out(format!("rollback {step}"), owed);
    }

    /// Ends the rollback told over hosts, with what its hosts still held and then its
    /// outcomes, unless `event` belongs to it (its hosts' start, end and lines). The check and
    /// the end are one, as hosts tell their events at once.
    pub(super) fn settle_rollback(&self, event: Option<&Event>) {
        let step = match event {
            Some(
                Event::Output { .. }
                | Event::OutputLeftOut { .. }
                | Event::Action { .. }
                | Event::Log { .. }
                | Event::Published { .. },
            ) => return,
            Some(
                Event::RollbackStarted {
                    step,
                    host: Some(_),
                    ..
                }
                | Event::RollbackFinished {
                    step,
                    host: Some(_),
                    ..
                },
            ) => Some(step.as_str()),
            _ => None,
        };
        let mut rollbacks = self.rollbacks();
        if !rollbacks.is_any_open() || step.is_some_and(|step| rollbacks.is_open(step)) {
            return;
        }
        self.stop_spinning();
        self.end_fan_out();
        let outcomes = rollbacks.close(self.style);
        self.block(&outcomes);
    }
}

//! How a step's failure is told and what it ends: a `StepFailed` event naming the statement (and
//! the hosts) that failed; an interruption or a refused confirmation ends the procedure at once.

use super::{Ending, Runner};
use crate::context::error_groups::ErrorGroups;
use crate::context::event::Event;
use crate::context::stop_signal::StopReason;
use crate::diagnostic::error_kind::ErrorKind;
use crate::diagnostic::snippet::Snippet;
use crate::engine::evaluator::{Failure, Slot};
use crate::language::ast::Step;

impl Runner<'_> {
    pub(super) fn report_failure(
        &self,
        step: &Step,
        message: &str,
        location: Option<Box<Snippet>>,
        kind: ErrorKind,
    ) {
        self.ctx.emit(&Event::StepFailed {
            step: step.id.text.clone(),
            title: self.message(step.title()),
            error: message.into(),
            error_kind: Some(kind),
            location,
        });
    }

    /// Reports the failure of `step`; the procedure ends.
    pub(super) fn fail<T>(
        &self,
        step: &Step,
        message: &str,
        location: Option<Box<Snippet>>,
        kind: ErrorKind,
    ) -> Result<T, Ending> {
        self.report_failure(step, message, location, kind);
        Err(Ending::Failed)
    }

    /// A failure that ends the procedure at once, whatever retries are left.
    pub(super) fn stopping(&self, step: &Step, f: &Failure) -> Option<Ending> {
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

    /// How a refused confirmation ends the procedure: Ctrl-C at a prompt is an interruption.
    pub(super) fn refusal(&self) -> Ending {
        if self.ctx.stop.is_interrupted() {
            Ending::Interrupted
        } else {
            Ending::Declined
        }
    }
}

/// `web1: …; web2: …` (here: the message alone); hosts that failed with the same error, their
/// own names aside, are named together once: `web1–web3: Permission denied`.
pub(super) fn summary(failed: &[(Slot, Failure)]) -> String {
    let mut groups = ErrorGroups::default();
    let mut here = Vec::new();
    for (_, f) in failed {
        match &f.host {
            Some(host) => groups.add(host, &f.message),
            None => here.push(f.message.clone()),
        }
    }
    here.extend(groups.lines());
    here.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(host: &str, message: &str) -> (Slot, Failure) {
        let failure = Failure {
            message: message.into(),
            sentence: message.into(),
            host: Some(host.into()),
            location: None,
            kind: ErrorKind::Unreachable,
            stopped: None,
            declined: false,
            from_unknown: false,
            unknown: None,
        };
        (Slot::Host(host.into()), failure)
    }

    #[test]
    fn hosts_with_the_same_error_are_named_together_once() {
        let all = [
            failed("a", "Permission denied (publickey)"),
            failed("b", "disk full"),
            failed("c", "Permission denied (publickey)"),
            failed("d", "Permission denied (publickey)"),
        ];
        assert_eq!(
            summary(&all),
            "a, c, d: Permission denied (publickey); b: disk full"
        );
    }
}

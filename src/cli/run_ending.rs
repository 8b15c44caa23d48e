//! How a journaled run (`run`, `resume`, `rollback`) ends on the terminal: the lock refused,
//! the journal failure, and how to finish a run that did not succeed.

use super::print_diagnostics;
use crate::context::event::Status;
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::journal::writer::JournalWriter;
use crate::output::console::errln;
use crate::session::journaled::Ending;

/// Tells how run `run`, journaled by `writer`, ended; returns its exit code.
pub fn report(ending: Ending, run: &str, writer: &JournalWriter) -> i32 {
    let (status, journal_failure) = match ending {
        Ending::Locked(why) => {
            print_diagnostics(&[Diagnostic::error(why)]);
            return exit_code::LOCKED;
        }
        Ending::Ran {
            status,
            journal_failure,
        } => (status, journal_failure),
    };
    if let Some(problem) = journal_failure {
        print_diagnostics(&[Diagnostic::error(problem)]);
    }
    let code = status.exit_code();
    // A failed guard ran nothing and owes nothing: there is nothing to resume or roll back.
    if code != exit_code::SUCCESS && status != Status::GuardFailed {
        errln!(
            "run {run} is journaled in {}: `runbook show {run}`, `runbook resume {run}` or `runbook rollback {run}`",
            writer.path().display()
        );
    }
    code
}

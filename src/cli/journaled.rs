//! How a journaled run (`run`, `resume`, `rollback`) ends on the terminal: the lock refused,
//! the journal failure, and how to finish a run that did not succeed.

use super::print_diagnostics;
use crate::context::event::Status;
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::journal::writer::JournalWriter;
use crate::session::Session;
use crate::session::journaled::{self, Ending};
use std::path::Path;
use std::sync::Arc;

/// Runs the session under its lock and journal; returns the exit code.
pub fn execute(
    session: &Session,
    state: &Path,
    run: &str,
    writer: &Arc<JournalWriter>,
    break_lock: bool,
) -> i32 {
    let (status, journal_failure) =
        match journaled::execute(session, state, run, writer, break_lock) {
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
        eprintln!(
            "run {run} is journaled in {}: `runbook show {run}`, `runbook resume {run}` or `runbook rollback {run}`",
            writer.path().display()
        );
    }
    code
}

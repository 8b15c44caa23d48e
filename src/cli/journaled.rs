//! What every real run shares: its journal, its lock, and stopping when the journal cannot be
//! written. `run`, `resume` and `rollback` go through here.

use super::session::{Session, print_diagnostics};
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::journal::lock::{self, Holder};
use crate::journal::state_dir;
use crate::journal::writer::JournalWriter;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Takes the lock of the session's runbook and targets, runs, and says how to finish a run that
/// did not succeed.
pub fn execute(
    session: &Session,
    state: &Path,
    run: &str,
    writer: &Arc<JournalWriter>,
    break_lock: bool,
) -> i32 {
    // The same runbook by any path is one lock.
    let file =
        std::fs::canonicalize(&session.source.path).unwrap_or_else(|_| session.source.path.clone());
    let key = lock::key(&file, &session.target_hosts());
    let holder = Holder {
        run: run.to_string(),
        pid: std::process::id(),
        who: state_dir::who(),
        since: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let _lock = match lock::acquire(state, &key, &holder, break_lock) {
        Ok(lock) => lock,
        Err(refused) => {
            print_diagnostics(&[Diagnostic::error(refused.explain(&key))]);
            return exit_code::LOCKED;
        }
    };
    watch(session, writer);
    let status = session.execute();
    if let Some(problem) = writer.failure() {
        print_diagnostics(&[Diagnostic::error(problem)]);
    }
    let code = status.exit_code();
    if code != exit_code::SUCCESS {
        eprintln!(
            "run {run} is journaled in {}: `runbook show {run}`, `runbook resume {run}` or `runbook rollback {run}`",
            writer.path().display()
        );
    }
    code
}

/// Stops the run as soon as the journal cannot be written: nothing may change unrecorded.
fn watch(session: &Session, writer: &Arc<JournalWriter>) {
    let ctx = Arc::clone(&session.ctx);
    let writer = Arc::clone(writer);
    ctx.runtime.clone().spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.failure().is_some() {
                ctx.stop.interrupt();
                return;
            }
        }
    });
}

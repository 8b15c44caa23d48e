//! What every real run shares: its journal's header, its lock, and stopping when the journal
//! cannot be written. `run`, `resume` and `rollback` go through here.

use super::Session;
use super::request::Request;
use crate::context::event::{EventSink, FanOut, Status};
use crate::diagnostic::Diagnostic;
use crate::journal::lock::{self, Holder};
use crate::journal::output_bound::OutputBound;
use crate::journal::state_dir;
use crate::journal::writer::{Header, JournalWriter};
use crate::language::ast::Procedure;
use crate::language::output_limit::OutputLimit;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How a journaled run ended.
pub enum Ending {
    /// Another run holds the lock (or a dead one left it): nothing ran. Why, in words.
    Locked(String),
    /// The run went to its end; `journal_failure` says why the journal stopped being written,
    /// if it did.
    Ran {
        status: Status,
        journal_failure: Option<String>,
    },
}

/// The journal's header: who runs what, with which inputs.
fn header(request: &Request, run: &str, procedure: &Procedure) -> Result<Header, String> {
    let file = std::path::absolute(&request.file).unwrap_or_else(|_| request.file.clone());
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(Header {
        event: "journal".into(),
        run: run.into(),
        fingerprint: state_dir::fingerprint(&bytes),
        file,
        procedure: procedure.id.text.clone(),
        who: state_dir::who(),
        pid: std::process::id(),
        started: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        params: request
            .params
            .iter()
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.to_string()))
            .collect(),
        rollbacks: Some(
            procedure
                .steps()
                .filter(|s| s.rollback.is_some())
                .map(|s| s.id.text.clone())
                .collect(),
        ),
    })
}

/// Opens the session of a new run `run`, journaled in `state`: its events go to `view` and to
/// the journal, which keeps `limit` of each step's output (or the step's own `journal N`). A journal that cannot be written
/// stops it here, before anything runs.
pub fn open(
    request: &Request,
    state: &Path,
    run: &str,
    limit: OutputLimit,
    view: Arc<dyn EventSink>,
) -> Result<(Session, Arc<JournalWriter>), Vec<Diagnostic>> {
    let mut journal: Result<Arc<JournalWriter>, String> = Err(String::new());
    let session = Session::open(request, |procedure| {
        journal = header(request, run, procedure).and_then(|h| {
            let bound = OutputBound::for_procedure(limit, procedure);
            JournalWriter::create(&state_dir::journal(state, run), &h, bound).map(Arc::new)
        });
        match &journal {
            Ok(writer) => Arc::new(FanOut(vec![view, Arc::clone(writer) as Arc<dyn EventSink>])),
            Err(_) => view,
        }
    })?;
    let writer = journal.map_err(|problem| vec![Diagnostic::error(problem)])?;
    Ok((session, writer))
}

/// Takes the lock of the session's runbook and targets, then runs.
pub fn execute(
    session: &Session,
    state: &Path,
    run: &str,
    writer: &Arc<JournalWriter>,
    break_lock: bool,
) -> Ending {
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
        Err(refused) => return Ending::Locked(refused.explain(&key)),
    };
    watch(session, writer);
    let status = session.execute();
    Ending::Ran {
        status,
        journal_failure: writer.failure(),
    }
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

//! Finishing what a journaled run left: whether it may be resumed or rolled back, the request
//! that reopens its runbook, the values it published, what it still owes, and where the runner
//! starts (after the operator agrees). `run_journals` finds the run.

use super::Session;
use super::request::Request;
use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::{EventSink, FanOut, Mode, Status};
use crate::diagnostic::Diagnostic;
use crate::engine::runner::Start;
use crate::journal::output_bound::OutputBound;
use crate::journal::record::{RunRecord, RunState};
use crate::journal::state_dir;
use crate::journal::writer::JournalWriter;
use crate::language::output_limit::OutputLimit;
use crate::ssh::pool::SshSettings;
use std::path::PathBuf;
use std::sync::Arc;

/// What to finish.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    Rollback,
    Resume,
}

/// Why a run is not recovered as asked.
pub enum Refusal {
    /// Its process still runs it.
    Running(String),
    /// There is nothing to do: said plainly, not an error.
    NothingToDo(String),
    /// The runbook changed since the run, and resuming it would run other steps.
    Changed(String),
}

/// Where the runner starts, once the operator was asked.
pub enum Decision {
    Start(Start),
    /// Nothing is owed or left: said plainly, not an error.
    NothingToDo(String),
    /// The operator said no.
    Declined,
}

/// Why `record` cannot be recovered as asked, if it cannot. `force` resumes a run whose
/// runbook changed since.
pub fn refusal(record: &RunRecord, what: Recovery, force: bool) -> Option<Refusal> {
    let h = &record.header;
    match record.state() {
        RunState::Running => {
            return Some(Refusal::Running(format!(
                "run {} is still running (pid {})",
                h.run, h.pid
            )));
        }
        RunState::Finished(Status::Succeeded) if what == Recovery::Resume => {
            return Some(Refusal::NothingToDo(format!(
                "run {} succeeded: nothing to resume",
                h.run
            )));
        }
        _ => {}
    }
    if what == Recovery::Resume && !force {
        let now = std::fs::read(&h.file).map(|b| state_dir::fingerprint(&b));
        if now.as_deref().ok() != Some(h.fingerprint.as_str()) {
            return Some(Refusal::Changed(format!(
                "{} changed since run {}: resuming would run other steps than the ones journaled; \
                 pass --force to resume anyway",
                h.file.display(),
                h.run
            )));
        }
    }
    None
}

/// Reopens the run's runbook as it was started, to finish it: its events go to `view` and to
/// the end of its journal (keeping `limit` of each step's output, or the step's own `journal N`),
/// and the values it published are published again.
pub fn reopen(
    record: &RunRecord,
    ssh: SshSettings,
    inventory: Option<PathBuf>,
    age_identity: Option<PathBuf>,
    gate: ConfirmationGate,
    limit: OutputLimit,
    view: Arc<dyn EventSink>,
) -> Result<(Session, Arc<JournalWriter>), Vec<Diagnostic>> {
    let request = request(record, ssh, inventory, age_identity, gate);
    let mut journal: Result<Arc<JournalWriter>, String> = Err(String::new());
    let session = Session::open(&request, |procedure| {
        let bound = OutputBound::for_procedure(limit, procedure);
        journal = JournalWriter::append(&record.path, bound).map(Arc::new);
        match &journal {
            Ok(writer) => Arc::new(FanOut(vec![view, Arc::clone(writer) as Arc<dyn EventSink>])),
            Err(_) => view,
        }
    })?;
    let writer = journal.map_err(|e| vec![Diagnostic::error(e)])?;
    republish(&session, record);
    Ok((session, writer))
}

/// The run's runbook, procedure and parameters, as it was started; reached with `ssh` (and
/// `inventory`), its `*.age` secrets decrypted with `age_identity`, answered by `gate`.
fn request(
    record: &RunRecord,
    ssh: SshSettings,
    inventory: Option<PathBuf>,
    age_identity: Option<PathBuf>,
    gate: ConfirmationGate,
) -> Request {
    Request {
        file: record.header.file.clone(),
        procedure: Some(record.header.procedure.clone()),
        params: record
            .header
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        env_file: None,
        age_identity,
        inventory,
        ssh,
        mode: Mode::Run,
        probe: false,
        gate,
    }
}

/// The values the run published, published again for the steps and rollbacks that follow.
fn republish(session: &Session, record: &RunRecord) {
    for v in record.published() {
        let value = rhai::serde::to_dynamic(&v.json).unwrap_or_default();
        session.ctx.publish(&v.name, v.host.as_deref(), value);
    }
}

/// What the run still owes and where the runner starts; the operator confirms first.
pub fn decide(session: &Session, record: &RunRecord, what: Recovery) -> Decision {
    let h = &record.header;
    let procedure = session.procedure();
    // A journal from before the steps with a rollback were kept owes every completed step:
    // the runbook says which have one.
    let owed: Vec<(String, Vec<String>)> = record
        .owed()
        .into_iter()
        .filter(|o| {
            procedure
                .steps()
                .any(|s| s.id.text == o.step && s.rollback.is_some())
        })
        .map(|o| (o.step, o.hosts))
        .collect();
    match what {
        Recovery::Rollback => {
            if owed.is_empty() {
                return Decision::NothingToDo(format!("run {} owes no rollback", h.run));
            }
            let steps: Vec<String> = owed.iter().rev().map(|(s, _)| s.clone()).collect();
            let question = format!(
                "Run the {} rollback(s) run {} still owes?",
                steps.len(),
                h.run
            );
            if !session.ctx.confirm("rollback", &question, steps) {
                return Decision::Declined;
            }
            Decision::Start(Start {
                owed,
                rollback_only: true,
                ..Start::default()
            })
        }
        Recovery::Resume => {
            let Some(step) = record.failed_step() else {
                return Decision::NothingToDo(format!("run {} has no step left to resume", h.run));
            };
            let question = format!("Resume run {} at step `{step}`?", h.run);
            if !session.ctx.confirm("resume", &question, vec![step.clone()]) {
                return Decision::Declined;
            }
            Decision::Start(Start {
                from: Some(step),
                owed,
                ..Start::default()
            })
        }
    }
}

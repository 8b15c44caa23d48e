//! `runbook runs`, `show RUN`, `rollback RUN` and `resume RUN`: reading journals, and finishing
//! what a run left: its owed rollbacks, or its remaining steps.

use super::journaled;
use super::session::{Session, print_diagnostics};
use super::{RecoverArgs, RunsArgs, SshArgs, StateArgs, Target};
use crate::context::confirmation_gate::{ConfirmationGate, Prompter};
use crate::context::event::{EventSink, FanOut, Mode};
use crate::diagnostic::Diagnostic;
use crate::engine::runner::Start;
use crate::exit_code;
use crate::journal::record::{self, RunRecord, RunState};
use crate::journal::state_dir;
use crate::journal::writer::JournalWriter;
use crate::output::terminal::TerminalView;
use crate::output::terminal_prompter::TerminalPrompter;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

/// What to finish.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    Rollback,
    Resume,
}

/// The state directories to look in: the one named, else `.runbook/` here and one level down.
fn state_dirs(state: &StateArgs) -> Vec<PathBuf> {
    if let Some(dir) = &state.state_dir {
        return vec![dir.clone()];
    }
    let mut dirs = vec![PathBuf::from(".runbook")];
    if let Ok(entries) = std::fs::read_dir(".") {
        let mut below: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join(".runbook"))
            .filter(|p| p.is_dir())
            .collect();
        below.sort();
        dirs.extend(below);
    }
    dirs
}

fn find(state: &StateArgs, id: &str) -> Result<(PathBuf, RunRecord), String> {
    let dirs = state_dirs(state);
    for dir in &dirs {
        if state_dir::journal(dir, id).exists() {
            return RunRecord::find(dir, id).map(|r| (dir.clone(), r));
        }
    }
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "no run `{id}` in {} (see `runbook runs`, or give --state-dir)",
        searched.join(", ")
    ))
}

pub fn runs(args: &RunsArgs) -> i32 {
    let dirs = match &args.file {
        Some(file) => vec![state_dir::resolve(args.state.state_dir.as_deref(), file)],
        None => state_dirs(&args.state),
    };
    let records: Vec<RunRecord> = dirs.iter().flat_map(|d| record::list(d)).collect();
    if records.is_empty() {
        println!("no journaled run");
        return exit_code::SUCCESS;
    }
    println!(
        "{:<20}  {:<24}  {:<16}  {:<25}  {:<15}  who",
        "run", "runbook", "procedure", "started", "status"
    );
    for r in records {
        let name = r
            .header
            .file
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        println!(
            "{:<20}  {:<24}  {:<16}  {:<25}  {:<15}  {}",
            r.header.run,
            name,
            r.header.procedure,
            r.header.started,
            r.state().name(),
            r.header.who
        );
    }
    exit_code::SUCCESS
}

pub fn show(args: &RecoverArgs) -> i32 {
    let (_, record) = match find(&args.state, &args.run) {
        Ok(found) => found,
        Err(e) => return refuse(e),
    };
    let h = &record.header;
    println!(
        "run {} — {} › {} — started {} by {} (pid {}) — {}",
        h.run,
        h.file.display(),
        h.procedure,
        h.started,
        h.who,
        h.pid,
        record.state().name()
    );
    let view = TerminalView::default();
    for event in &record.events {
        view.emit(event);
    }
    let published = record.published();
    if !published.is_empty() {
        println!("published:");
        for (name, value) in published {
            println!("  {name} = {value}");
        }
    }
    let owed = record.owed();
    if owed.is_empty() {
        println!("no rollback owed");
    } else {
        println!("rollbacks owed (newest last):");
        for o in owed {
            let on = if o.hosts.is_empty() {
                String::new()
            } else {
                format!(" on {}", o.hosts.join(", "))
            };
            println!("  {}{on}", o.step);
        }
    }
    exit_code::SUCCESS
}

fn refuse(message: String) -> i32 {
    print_diagnostics(&[Diagnostic::error(message)]);
    exit_code::USAGE
}

pub fn recover(args: &RecoverArgs, what: Recovery) -> i32 {
    let (state, record) = match find(&args.state, &args.run) {
        Ok(found) => found,
        Err(e) => return refuse(e),
    };
    let h = &record.header;
    match record.state() {
        RunState::Running => {
            print_diagnostics(&[Diagnostic::error(format!(
                "run {} is still running (pid {})",
                h.run, h.pid
            ))]);
            return exit_code::LOCKED;
        }
        RunState::Finished(crate::context::event::Status::Succeeded)
            if what == Recovery::Resume =>
        {
            println!("run {} succeeded: nothing to resume", h.run);
            return exit_code::SUCCESS;
        }
        _ => {}
    }
    if what == Recovery::Resume && !args.force {
        let now = std::fs::read(&h.file).map(|b| state_dir::fingerprint(&b));
        if now.as_deref().ok() != Some(h.fingerprint.as_str()) {
            return refuse(format!(
                "{} changed since run {}: resuming would run other steps than the ones journaled; \
                 pass --force to resume anyway",
                h.file.display(),
                h.run
            ));
        }
    }
    let writer = match JournalWriter::append(&record.path) {
        Ok(w) => Arc::new(w),
        Err(e) => return refuse(e),
    };
    let interactive = std::io::stdin().is_terminal();
    let gate = ConfirmationGate {
        yes: args.yes,
        allowed: Default::default(),
        each_step: false,
        prompter: interactive.then(|| Arc::new(TerminalPrompter::default()) as Arc<dyn Prompter>),
    };
    let target = target(&record, &args.ssh);
    let view: Arc<dyn EventSink> = Arc::new(TerminalView::default());
    let sinks: Arc<dyn EventSink> = Arc::new(FanOut(vec![view, Arc::clone(&writer) as _]));
    let mut session = match Session::open(&target, Mode::Run, false, gate, |_| sinks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    for (name, value) in record.published() {
        session
            .ctx
            .publish(&name, rhai::serde::to_dynamic(&value).unwrap_or_default());
    }
    let procedure = session.procedure();
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
    let start = match what {
        Recovery::Rollback => {
            if owed.is_empty() {
                println!("run {} owes no rollback", h.run);
                return exit_code::SUCCESS;
            }
            let steps: Vec<String> = owed.iter().rev().map(|(s, _)| s.clone()).collect();
            let question = format!(
                "Run the {} rollback(s) run {} still owes?",
                steps.len(),
                h.run
            );
            if !session.ctx.confirm("rollback", &question, steps) {
                return exit_code::DECLINED;
            }
            Start {
                owed,
                rollback_only: true,
                ..Start::default()
            }
        }
        Recovery::Resume => {
            let Some(step) = record.failed_step() else {
                println!("run {} has no step left to resume", h.run);
                return exit_code::SUCCESS;
            };
            let question = format!("Resume run {} at step `{step}`?", h.run);
            if !session.ctx.confirm("resume", &question, vec![step.clone()]) {
                return exit_code::DECLINED;
            }
            Start {
                from: Some(step),
                owed,
                ..Start::default()
            }
        }
    };
    session.start = start;
    super::run_command::listen_for_signals(&session.ctx);
    journaled::execute(&session, &state, &h.run.clone(), &writer, args.break_lock)
}

/// The run's runbook, procedure and parameters, as it was started.
fn target(record: &RunRecord, ssh: &SshArgs) -> Target {
    Target {
        file: record.header.file.clone(),
        procedure: Some(record.header.procedure.clone()),
        params: record
            .header
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        env_file: None,
        ssh: ssh.clone(),
    }
}

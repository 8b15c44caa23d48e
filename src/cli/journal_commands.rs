//! `runbook runs`, `show RUN`, `rollback RUN` and `resume RUN`: journals listed and shown, and
//! the recovery of a run (`session::recovery`) driven from the terminal.

use super::{RecoverArgs, RunsArgs, ShowArgs, ShowFormat, journaled, print_diagnostics};
use crate::context::confirmation_gate::{ConfirmationGate, Prompter};
use crate::context::event::{EventSink, FanOut};
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::journal::record::{self, RunRecord};
use crate::journal::state_dir;
use crate::journal::writer::JournalWriter;
use crate::output::terminal::TerminalView;
use crate::output::terminal_prompter::TerminalPrompter;
use crate::render::run_timeline::Timeline;
use crate::render::timeline_page;
use crate::session::Session;
use crate::session::recovery::{self, Decision, Recovery, Refusal, find, state_dirs};
use std::io::{IsTerminal, Write};
use std::sync::Arc;

pub fn runs(args: &RunsArgs) -> i32 {
    let dirs = match &args.file {
        Some(file) => vec![state_dir::resolve(args.state.state_dir.as_deref(), file)],
        None => state_dirs(args.state.state_dir.as_deref()),
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

pub fn show(args: &ShowArgs) -> i32 {
    let (_, record) = match find(args.run.state.state_dir.as_deref(), &args.run.run) {
        Ok(found) => found,
        Err(e) => return refuse(e),
    };
    let page = match args.format {
        ShowFormat::Text => None,
        ShowFormat::Json => Some(Ok(Timeline::new(&record).render_json())),
        ShowFormat::Html => Some(timeline_page::render(&Timeline::new(&record))),
    };
    match page {
        Some(Ok(text)) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            return exit_code::SUCCESS;
        }
        Some(Err(e)) => return refuse(format!("cannot draw the timeline: {e}")),
        None => {}
    }
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
        for v in published {
            let on = v.host.map(|h| format!(" on {h}")).unwrap_or_default();
            println!("  {}{on} = {}", v.name, v.json);
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
    let (state, record) = match find(args.state.state_dir.as_deref(), &args.run) {
        Ok(found) => found,
        Err(e) => return refuse(e),
    };
    match recovery::refusal(&record, what, args.force) {
        Some(Refusal::Running(why)) => {
            print_diagnostics(&[Diagnostic::error(why)]);
            return exit_code::LOCKED;
        }
        Some(Refusal::NothingToDo(said)) => {
            println!("{said}");
            return exit_code::SUCCESS;
        }
        Some(Refusal::Changed(why)) => return refuse(why),
        None => {}
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
    let request = recovery::request(
        &record,
        args.ssh.settings(),
        args.ssh.inventory.clone(),
        gate,
    );
    let view: Arc<dyn EventSink> = Arc::new(TerminalView::default());
    let sinks: Arc<dyn EventSink> = Arc::new(FanOut(vec![view, Arc::clone(&writer) as _]));
    let mut session = match Session::open(&request, |_| sinks) {
        Ok(s) => s,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
    };
    recovery::republish(&session, &record);
    session.start = match recovery::decide(&session, &record, what) {
        Decision::Start(start) => start,
        Decision::NothingToDo(said) => {
            println!("{said}");
            return exit_code::SUCCESS;
        }
        Decision::Declined => return exit_code::DECLINED,
    };
    super::run_command::listen_for_signals(&session.ctx);
    let run = record.header.run.clone();
    journaled::execute(&session, &state, &run, &writer, args.break_lock)
}

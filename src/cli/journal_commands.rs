//! `runbook runs`, `show RUN`, `rollback RUN` and `resume RUN`: journals listed and shown, and
//! the recovery of a run (`session::recovery`) driven from the terminal.

use super::{RecoverArgs, RunsArgs, ShowArgs, ShowFormat, print, print_diagnostics, run_ending};
use crate::context::confirmation_gate::{ConfirmationGate, Prompter};
use crate::context::event::EventSink;
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::journal::prune::PruneRule;
use crate::output::console::{self, outln};
use crate::output::terminal::TerminalView;
use crate::output::terminal_prompter::TerminalPrompter;
use crate::render::run_timeline::Timeline;
use crate::render::{run_list, run_report, timeline_page};
use crate::session::interrupt_signals::listen_for_signals;
use crate::session::journaled;
use crate::session::recovery::{self, Decision, Recovery, Refusal};
use crate::session::run_journals::{self, find};
use std::io::IsTerminal;
use std::sync::Arc;

pub fn runs(args: &RunsArgs) -> i32 {
    let dirs = run_journals::dirs(args.file.as_deref(), args.state.state_dir.as_deref());
    if args.prune {
        return prune(&dirs, args);
    }
    match run_journals::list(&dirs) {
        Ok(records) => print(&run_list::render_text(&records), exit_code::SUCCESS),
        Err(e) => refuse(e),
    }
}

/// `runs --prune`: what was removed, and what was kept because it is still needed.
fn prune(dirs: &[std::path::PathBuf], args: &RunsArgs) -> i32 {
    let rule = PruneRule {
        older_than: args.older_than,
        keep: args.keep,
    };
    let pruned = match run_journals::prune(dirs, rule) {
        Ok(pruned) => pruned,
        Err(e) => return refuse(e),
    };
    for run in &pruned.removed {
        outln!("removed {run}");
    }
    for (run, why) in &pruned.kept {
        outln!("kept {run}: {why}");
    }
    outln!("{} journal(s) removed", pruned.removed.len());
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
        Some(Ok(text)) => print(&text, exit_code::SUCCESS),
        Some(Err(e)) => refuse(format!("cannot draw the timeline: {e}")),
        None => {
            let _ = console::out(&run_report::heading(&record));
            let view = TerminalView::default();
            for event in &record.events {
                view.emit(event);
            }
            view.flush();
            print(&run_report::closing(&record), exit_code::SUCCESS)
        }
    }
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
            outln!("{said}");
            return exit_code::SUCCESS;
        }
        Some(Refusal::Changed(why)) => return refuse(why),
        None => {}
    }
    let interactive = std::io::stdin().is_terminal();
    let gate = ConfirmationGate {
        yes: args.yes,
        prompter: interactive.then(|| Arc::new(TerminalPrompter::default()) as Arc<dyn Prompter>),
        ..ConfirmationGate::default()
    };
    let view = Arc::new(TerminalView::default());
    let reopened = recovery::reopen(
        &record,
        args.ssh.settings(),
        args.ssh.inventory.clone(),
        args.age_identity.clone(),
        gate,
        args.journal.journal_output,
        view,
    );
    let (mut session, writer) = match reopened {
        Ok(reopened) => reopened,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
    };
    session.start = match recovery::decide(&session, &record, what) {
        Decision::Start(start) => start,
        Decision::NothingToDo(said) => {
            outln!("{said}");
            return exit_code::SUCCESS;
        }
        Decision::Declined => return exit_code::DECLINED,
    };
    listen_for_signals(&session.ctx);
    let run = record.header.run.clone();
    run_ending::report(
        journaled::execute(&session, &state, &run, &writer, args.break_lock),
        &run,
        &writer,
    )
}

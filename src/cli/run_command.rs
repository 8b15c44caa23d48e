//! `runbook run`: runs a procedure with live output; Ctrl-C or SIGTERM stops the step and rolls
//! back.

use super::{PlanFormat, RunArgs, RunFormat, plan_command, print_diagnostics, run_ending};
use crate::context::confirmation_gate::{ConfirmationGate, Prompter};
use crate::context::event::{EventSink, Mode};
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::journal::state_dir;
use crate::output::json_lines::JsonLines;
use crate::output::terminal::TerminalView;
use crate::output::terminal_prompter::TerminalPrompter;
use crate::session::interrupt_signals::listen_for_signals;
use crate::session::journaled;
use crate::session::procedure_selection::partial_start;
use std::io::IsTerminal;
use std::sync::Arc;

pub fn run(args: &RunArgs) -> i32 {
    if args.dry_run {
        let format = match args.format {
            RunFormat::Text => PlanFormat::Text,
            RunFormat::Json => PlanFormat::Json,
        };
        return plan_command::plan(&args.target, args.probe, format);
    }
    let interactive = std::io::stdin().is_terminal();
    if args.step && !interactive {
        print_diagnostics(&[Diagnostic::error(
            "--step asks before every step and needs a terminal",
        )]);
        return exit_code::USAGE;
    }
    let gate = ConfirmationGate {
        yes: args.yes,
        allowed: args.confirm.iter().cloned().collect(),
        each_step: args.step,
        skipped: args.skip.iter().cloned().collect(),
        prompter: interactive.then(|| Arc::new(TerminalPrompter::default()) as Arc<dyn Prompter>),
    };
    let view: Arc<dyn EventSink> = match args.format {
        RunFormat::Text => Arc::new(TerminalView::default()),
        RunFormat::Json => Arc::new(JsonLines),
    };
    let state = state_dir::resolve(args.state.state_dir.as_deref(), &args.target.file);
    let run = state_dir::new_run_id();
    let request = args.target.request(Mode::Run, false, gate);
    let (mut session, writer) =
        match journaled::open(&request, &state, &run, args.journal.journal_output, view) {
            Ok(opened) => opened,
            Err(diagnostics) => {
                print_diagnostics(&diagnostics);
                return exit_code::USAGE;
            }
        };
    match partial_start(
        session.procedure(),
        args.from.as_deref(),
        args.only.as_deref(),
    ) {
        Ok(start) => session.start = start,
        Err(d) => {
            print_diagnostics(&[d]);
            return exit_code::USAGE;
        }
    }
    listen_for_signals(&session.ctx);
    let code = run_ending::report(
        journaled::execute(&session, &state, &run, &writer, args.break_lock),
        &run,
        &writer,
    );
    if code == exit_code::LOCKED {
        // Nothing ran: no journal to keep.
        let _ = std::fs::remove_file(writer.path());
    }
    code
}

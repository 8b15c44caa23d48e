//! `runbook run`: runs a procedure with live output; Ctrl-C or SIGTERM stops the step and rolls
//! back.

use super::{PlanFormat, RunArgs, RunFormat, journaled, plan_command, print_diagnostics};
use crate::context::confirmation_gate::{ConfirmationGate, Prompter};
use crate::context::event::{EventSink, FanOut, Level, Mode};
use crate::context::run_context::RunContext;
use crate::context::stop_signal::Press;
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::journal::state_dir;
use crate::journal::writer::JournalWriter;
use crate::output::json_lines::JsonLines;
use crate::output::terminal::TerminalView;
use crate::output::terminal_prompter::TerminalPrompter;
use crate::session::Session;
use crate::session::journaled::header;
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
        prompter: interactive.then(|| Arc::new(TerminalPrompter::default()) as Arc<dyn Prompter>),
    };
    let view: Arc<dyn EventSink> = match args.format {
        RunFormat::Text => Arc::new(TerminalView::default()),
        RunFormat::Json => Arc::new(JsonLines),
    };
    let state = state_dir::resolve(args.state.state_dir.as_deref(), &args.target.file);
    let run = state_dir::new_run_id();
    let mut journal: Result<Arc<JournalWriter>, String> = Err(String::new());
    let request = args.target.request(Mode::Run, false, gate);
    let open = Session::open(&request, |procedure| {
        journal = header(&request, &run, procedure).and_then(|h| {
            JournalWriter::create(&state_dir::journal(&state, &run), &h).map(Arc::new)
        });
        match &journal {
            Ok(writer) => Arc::new(FanOut(vec![view, Arc::clone(writer) as Arc<dyn EventSink>])),
            Err(_) => view,
        }
    });
    let mut session = match open {
        Ok(s) => s,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return exit_code::USAGE;
        }
    };
    // Nothing has run yet: a journal that cannot be written stops here.
    let writer = match journal {
        Ok(writer) => writer,
        Err(problem) => {
            print_diagnostics(&[Diagnostic::error(problem)]);
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
    let code = journaled::execute(&session, &state, &run, &writer, args.break_lock);
    if code == exit_code::LOCKED {
        // Nothing ran: no journal to keep.
        let _ = std::fs::remove_file(writer.path());
    }
    code
}

/// Ctrl-C and SIGTERM interrupt the running step; the runner then rolls back.
pub fn listen_for_signals(ctx: &Arc<RunContext>) {
    use tokio::signal::unix::{SignalKind, signal};
    let ctx = Arc::clone(ctx);
    let runtime = ctx.runtime.clone();
    runtime.spawn(async move {
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        loop {
            let hangup = tokio::select! {
                _ = int.recv() => false,
                _ = term.recv() => false,
                _ = hup.recv() => true,
            };
            match ctx.stop.press(hangup) {
                Press::Interrupted => tracing::info!("interrupted: stopping the running step"),
                Press::Warned => ctx.log(
                    Level::Warn,
                    "rollbacks continue; interrupt again to stop them (they stay owed)",
                ),
                Press::Abandoned => ctx.log(
                    Level::Warn,
                    "rollbacks stopped: the rest is left for `runbook rollback RUN`",
                ),
            }
        }
    });
}

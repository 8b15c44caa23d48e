//! `runbook run`: runs a procedure with live output; Ctrl-C or SIGTERM stops the step and rolls
//! back.

use super::journaled;
use super::session::{Session, print_diagnostics};
use super::{PlanFormat, RunArgs, RunFormat, plan_command};
use crate::context::confirmation_gate::{ConfirmationGate, Prompter};
use crate::context::event::{EventSink, FanOut, Level, Mode};
use crate::context::run_context::RunContext;
use crate::context::stop_signal::Press;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::engine::runner::Start;
use crate::exit_code;
use crate::journal::state_dir;
use crate::journal::writer::{Header, JournalWriter};
use crate::output::json_lines::JsonLines;
use crate::output::terminal::TerminalView;
use crate::output::terminal_prompter::TerminalPrompter;
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
    let open = Session::open(&args.target, Mode::Run, false, gate, |procedure| {
        journal = header(args, &run, &procedure.id.text).and_then(|h| {
            JournalWriter::create(&state_dir::journal(&state, &run), &h).map(Arc::new)
        });
        match &journal {
            Ok(writer) => Arc::new(FanOut(vec![view, Arc::clone(writer) as Arc<dyn EventSink>])),
            Err(_) => view,
        }
    });
    let mut session = match open {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Nothing has run yet: a journal that cannot be written stops here.
    let writer = match journal {
        Ok(writer) => writer,
        Err(problem) => {
            print_diagnostics(&[Diagnostic::error(problem)]);
            return exit_code::USAGE;
        }
    };
    match start(&session, args) {
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

/// The journal's header: who runs what, with which inputs.
fn header(args: &RunArgs, run: &str, procedure: &str) -> Result<Header, String> {
    let file = std::path::absolute(&args.target.file).unwrap_or_else(|_| args.target.file.clone());
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    Ok(Header {
        event: "journal".into(),
        run: run.into(),
        fingerprint: state_dir::fingerprint(&bytes),
        file,
        procedure: procedure.into(),
        who: state_dir::who(),
        pid: std::process::id(),
        started: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        params: args
            .target
            .params
            .iter()
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.to_string()))
            .collect(),
    })
}

/// `--from STEP` / `--only STEP`, checked against the procedure.
fn start(session: &Session, args: &RunArgs) -> Result<Start, Diagnostic> {
    let procedure = session.procedure();
    for (flag, id) in [("--from", &args.from), ("--only", &args.only)] {
        if let Some(id) = id
            && !procedure.steps().any(|s| &s.id.text == id)
        {
            let ids = procedure.steps().map(|s| s.id.text.as_str());
            let help = did_you_mean(id, ids)
                .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
            return Err(Diagnostic::error(format!(
                "{flag} {id}: no step `{id}` in procedure `{}`{help}",
                procedure.id.text
            )));
        }
    }
    Ok(Start {
        from: args.from.clone(),
        only: args.only.clone(),
        ..Start::default()
    })
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

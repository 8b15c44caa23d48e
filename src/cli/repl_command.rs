//! `runbook repl [FILE]`: an interactive session with every primitive, the runbook's
//! parameters, secrets and hosts, and its steps one at a time. On a terminal: line editing,
//! completion, history; from a pipe: plain lines, so sessions can be scripted.

use super::SshArgs;
use super::repl_workspace::{Options, Workspace, out};
use crate::context::confirmation_gate::{ConfirmationGate, Prompter};
use crate::exit_code;
use crate::repl::command::{self, Command};
use crate::repl::completion::SharedVocabulary;
use crate::repl::history_file;
use crate::repl::line_reader::{Input, LineReader};
use crate::repl::repl_prompter::ReplPrompter;
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args)]
pub struct ReplArgs {
    /// A runbook to load (`:load FILE` loads another).
    file: Option<PathBuf>,
    /// Set a parameter of the runbook: -p name=value (repeatable; `:set` in the session).
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Answer yes to every confirmation (without a terminal they are otherwise declined).
    #[arg(short, long)]
    yes: bool,
    #[command(flatten)]
    ssh: SshArgs,
}

pub fn run(args: &ReplArgs) -> i32 {
    let given = match super::param_pairs_or_exit(&args.params) {
        Ok(pairs) => pairs,
        Err(code) => return code,
    };
    let interactive = std::io::stdin().is_terminal();
    let options = Options {
        ssh: args.ssh.settings(),
        inventory: args.ssh.inventory.clone(),
        gate: ConfirmationGate {
            yes: args.yes,
            prompter: interactive.then(|| Arc::new(ReplPrompter) as Arc<dyn Prompter>),
            ..ConfirmationGate::default()
        },
    };
    let vocabulary = SharedVocabulary::default();
    let mut workspace = match Workspace::new(options, Arc::clone(&vocabulary)) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    let mut reader = if interactive {
        match LineReader::terminal(vocabulary, history_file::path()) {
            Ok(reader) => reader,
            Err(e) => {
                eprintln!("error: cannot edit lines on this terminal: {e}");
                return exit_code::USAGE;
            }
        }
    } else {
        LineReader::piped()
    };
    // The runbook named on the command line must load, as for every other subcommand.
    if let Some(file) = &args.file
        && !workspace.load(file, given)
    {
        workspace.close();
        return exit_code::USAGE;
    }
    loop {
        let line = match reader.read() {
            Input::Line(line) => line,
            Input::Cancelled => continue,
            Input::End => break,
        };
        if !command::is_command(&line) {
            workspace.eval(&line);
            continue;
        }
        match command::parse(&line) {
            Ok(Command::Quit) => break,
            Ok(Command::History) => {
                let lines: Vec<String> = reader
                    .history()
                    .iter()
                    .enumerate()
                    .map(|(i, entry)| format!("{:>5}  {entry}", i + 1))
                    .collect();
                if !lines.is_empty() {
                    out(&lines.join("\n"));
                }
            }
            Ok(command) => execute(&mut workspace, command),
            Err(message) => eprintln!("error: {message}"),
        }
    }
    workspace.close();
    exit_code::SUCCESS
}

fn execute(workspace: &mut Workspace, command: Command) {
    match command {
        Command::Help => out(command::help().trim_end()),
        Command::Load(file) => {
            // An error is reported and the session goes on with what it had.
            workspace.load(&PathBuf::from(file), Vec::new());
        }
        Command::List => workspace.list(),
        Command::Params => workspace.params(),
        Command::Set(name, value) => workspace.set(&name, value.as_deref()),
        Command::Step(id) => workspace.step(&id),
        Command::Rollback => workspace.rollback(),
        Command::Plan(procedure) => workspace.plan(procedure.as_deref()),
        Command::Dry(on) => workspace.dry(on),
        Command::Vars => workspace.vars(),
        Command::Hosts => workspace.hosts(),
        // Handled by the loop, which owns the history and the session.
        Command::History | Command::Quit => {}
    }
}

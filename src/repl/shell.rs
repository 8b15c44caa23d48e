//! The loop of `runbook repl`: a line read, then a `:command` run or a piece of rhai evaluated
//! in the workspace, until `:quit` or the end of input. On a terminal: line editing,
//! completion, history; from a pipe: plain lines, so sessions can be scripted.

use super::command::{self, Command};
use super::completion::SharedVocabulary;
use super::history_file;
use super::line_reader::{Input, LineReader};
use super::workspace::{Options, Workspace, out};
use crate::exit_code;
use crate::output::console::errln;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs the shell until its end; `file` is loaded first with the `-p` values `given`. Returns
/// the exit code.
pub fn run(
    options: Options,
    file: Option<&Path>,
    given: Vec<(String, String)>,
    interactive: bool,
) -> i32 {
    let vocabulary = SharedVocabulary::default();
    let mut workspace = match Workspace::new(options, Arc::clone(&vocabulary)) {
        Ok(w) => w,
        Err(e) => {
            errln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    let mut reader = if interactive {
        match LineReader::terminal(vocabulary, history_file::path()) {
            Ok(reader) => reader,
            Err(e) => {
                errln!("error: cannot edit lines on this terminal: {e}");
                return exit_code::USAGE;
            }
        }
    } else {
        LineReader::piped()
    };
    // The runbook named on the command line must load, as for every other subcommand.
    if let Some(file) = file
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
            Err(message) => errln!("error: {message}"),
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
        Command::On(target, command) => workspace.on(&target, &command),
        // Handled by the loop, which owns the history and the session.
        Command::History | Command::Quit => {}
    }
}

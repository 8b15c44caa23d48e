//! `runbook completions SHELL`: the completion script clap derives from the command line itself,
//! so it always knows every subcommand and option.

use super::{Cli, CompletionsArgs};
use crate::exit_code;
use clap::CommandFactory;

pub fn run(args: &CompletionsArgs) -> i32 {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "runbook", &mut out);
    match std::io::Write::write_all(&mut std::io::stdout().lock(), &out) {
        Ok(()) => exit_code::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit_code::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the script: {e}");
            exit_code::USAGE
        }
    }
}

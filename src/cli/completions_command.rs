//! `runbook completions SHELL`: the completion script clap derives from the command line itself,
//! so it always knows every subcommand and option.

use super::{Cli, CompletionsArgs, print};
use crate::exit_code;
use clap::CommandFactory;

pub fn run(args: &CompletionsArgs) -> i32 {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "runbook", &mut script);
    print(&String::from_utf8_lossy(&script), exit_code::SUCCESS)
}

//! `runbook repl [FILE]`: the arguments of an interactive session with every primitive, the
//! runbook's parameters, secrets and hosts, and its steps one at a time (`repl/`).

use super::SshArgs;
use crate::context::confirmation_gate::{ConfirmationGate, Prompter};
use crate::repl::repl_prompter::ReplPrompter;
use crate::repl::shell;
use crate::repl::workspace::Options;
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
    shell::run(options, args.file.as_deref(), given, interactive)
}

//! The interactive shell of `runbook repl`: what is specific to typing at a prompt (reading
//! lines, knowing when input is complete, completion, history, showing values). The session
//! itself (the run context, the loaded runbook, `:step` and `:rollback`) is in
//! `cli/repl_workspace/`, beside the other subcommands it shares code with.

pub mod command;
pub mod completion;
pub mod history_file;
pub mod line_reader;
pub mod open_input;
pub mod repl_prompter;
pub mod repl_view;
pub mod stdlib_modules;
pub mod value_table;

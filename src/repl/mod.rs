//! `runbook repl`: the interactive shell. What is specific to typing at a prompt (reading
//! lines, knowing when input is complete, completion, history, showing values), the loop
//! (`shell`), and the workspace behind it (`workspace/`: the run context, the loaded runbook,
//! `:step`, `:rollback` and `:plan`), which goes through `session` and the runner exactly as
//! `runbook run` and `runbook plan` do.
//!
//! It may import `session` and everything below it; never `cli` or `lsp`.

pub mod command;
pub mod completion;
pub mod history_file;
pub mod line_reader;
pub mod open_input;
pub mod repl_prompter;
pub mod repl_view;
pub mod shell;
pub mod stdlib_modules;
pub mod workspace;

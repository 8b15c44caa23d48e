//! runbook: operations runbooks as code. Source text → parse → check → plan/run → outputs.

pub mod cli;
pub mod context;
pub mod diagnostic;
pub mod docker;
pub mod engine;
pub mod exit_code;
pub mod format;
pub mod hosts;
pub mod http;
pub mod import;
pub mod journal;
pub mod language;
pub mod lsp;
pub mod output;
pub mod primitives;
pub mod render;
pub mod repl;
pub mod session;
pub mod shell_quote;
pub mod sql;
pub mod ssh;
pub mod stdlib;
pub mod value_table;

/// Runs the command line and returns the exit code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    // One TLS provider for the whole process (HTTP, PostgreSQL): ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    cli::main(args)
}

//! The static-check API: every problem of a runbook found without running it (syntax, names,
//! types, every body compiled, targets, lints). `runbook check`, the language server and the
//! fuzz tests call it.

use crate::context::event::Discard;
use crate::context::run_context::RunContext;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::engine::script_engine;
use crate::language::ast::Runbook;
use crate::language::parser;
use std::path::Path;
use std::sync::Arc;

/// The single-threaded runtime checking needs (modules may be read through it); why it could
/// not start, otherwise.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Parses and checks one file: every problem found, as diagnostics (the fuzz tests call this).
/// `inventory` is the command line's `-i FILE`: `on` targets are checked against it instead of
/// the runbook's own inventory.
pub fn check_file(
    path: &Path,
    inventory: Option<&Path>,
    runtime: &tokio::runtime::Handle,
) -> Vec<Diagnostic> {
    match parser::load(path) {
        Ok((source, runbook)) => check_parsed(&source, &runbook, inventory, runtime),
        Err(d) => vec![d],
    }
}

/// Checks text that is not on disk (an editor's buffer) as if it were the file `path`: modules
/// are found relative to `path`'s directory.
pub fn check_text(path: &Path, text: &str, runtime: &tokio::runtime::Handle) -> Vec<Diagnostic> {
    match parser::load_bytes(path, text.as_bytes()) {
        Ok((source, runbook)) => check_parsed(&source, &runbook, None, runtime),
        Err(d) => vec![d],
    }
}

fn check_parsed(
    source: &Arc<SourceFile>,
    runbook: &Runbook,
    inventory: Option<&Path>,
    runtime: &tokio::runtime::Handle,
) -> Vec<Diagnostic> {
    let ctx = Arc::new(RunContext::dry(
        source.dir().to_path_buf(),
        runtime.clone(),
        Arc::new(Discard),
    ));
    script_engine::diagnose(&ctx, runbook, source, inventory)
}

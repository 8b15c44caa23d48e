//! The static-check API: every problem of a runbook found without running it (syntax, names,
//! types, every body compiled, targets, lints). `runbook check`, the language server and the
//! fuzz tests call it.

use super::runbook_files;
use crate::context::event::Discard;
use crate::context::run_context::RunContext;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::engine::script_engine;
use crate::language::ast::Runbook;
use crate::language::parser;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The single-threaded runtime checking needs (modules may be read through it); why it could
/// not start, otherwise.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// What `runbook check` found in the runbooks it was given.
pub struct CheckReport {
    /// How many runbook files were checked.
    pub files: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks every runbook `paths` name (directories are searched for `*.rb42`); why the checking
/// could not start, otherwise.
pub fn check_paths(paths: &[PathBuf], inventory: Option<&Path>) -> Result<CheckReport, String> {
    let runtime = runtime()?;
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for path in paths {
        runbook_files::expand(path, &mut files, &mut diagnostics);
    }
    for file in &files {
        diagnostics.extend(check_file(file, inventory, runtime.handle()));
    }
    Ok(CheckReport {
        files: files.len(),
        diagnostics,
    })
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

/// Checks text that is on no disk yet (an imported draft) as if it were the file `path`, with
/// a runtime of its own.
pub fn check_unsaved(path: &Path, text: &str) -> Vec<Diagnostic> {
    match runtime() {
        Ok(runtime) => check_text(path, text, runtime.handle()),
        Err(e) => vec![Diagnostic::error(e)],
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

//! `runbook check`: static checks of one or more runbooks, for editors and CI.

use super::{CheckArgs, CheckFormat, runbook_files};
use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::{Discard, Mode};
use crate::context::run_context::RunContext;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::engine::script_engine;
use crate::exit_code;
use crate::language::ast::Runbook;
use crate::language::parser;
use crate::output::style::Style;
use crate::ssh::pool::SshSettings;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// The single-threaded runtime checking needs (modules may be read through it); the usage
/// exit code, said on stderr, when it cannot start.
pub fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            exit_code::USAGE
        })
}

pub(super) fn run(args: &CheckArgs) -> i32 {
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for path in &args.files {
        runbook_files::expand(path, &mut files, &mut diagnostics);
    }
    for file in &files {
        diagnostics.extend(check_file(file, runtime.handle()));
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let mut out = std::io::stdout().lock();
    match args.format {
        CheckFormat::Text => {
            let style = Style::for_stderr();
            for d in &diagnostics {
                eprint!("{}", d.render(style.colour));
            }
            let plural =
                |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            eprintln!(
                "checked {}: {}, {}",
                plural(files.len(), "file"),
                plural(errors, "error"),
                plural(warnings, "warning")
            );
        }
        CheckFormat::Json => {
            let list: Vec<_> = diagnostics.iter().map(Diagnostic::to_json).collect();
            let value = serde_json::json!({ "files": files.len(), "errors": errors, "warnings": warnings, "diagnostics": list });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        CheckFormat::Github => {
            for d in &diagnostics {
                let _ = writeln!(out, "{}", d.render_github());
            }
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        exit_code::USAGE
    } else {
        exit_code::SUCCESS
    }
}

/// Parses and checks one file: every problem found, as diagnostics (the fuzz tests call this).
pub fn check_file(path: &Path, runtime: &tokio::runtime::Handle) -> Vec<Diagnostic> {
    match parser::load(path) {
        Ok((source, runbook)) => check_parsed(&source, &runbook, runtime),
        Err(d) => vec![d],
    }
}

/// Checks text that is not on disk (an editor's buffer) as if it were the file `path`: modules
/// are found relative to `path`'s directory.
pub fn check_text(path: &Path, text: &str, runtime: &tokio::runtime::Handle) -> Vec<Diagnostic> {
    match parser::load_bytes(path, text.as_bytes()) {
        Ok((source, runbook)) => check_parsed(&source, &runbook, runtime),
        Err(d) => vec![d],
    }
}

fn check_parsed(
    source: &Arc<SourceFile>,
    runbook: &Runbook,
    runtime: &tokio::runtime::Handle,
) -> Vec<Diagnostic> {
    let ctx = Arc::new(RunContext::new(
        Mode::DryRun,
        false,
        source.dir().to_path_buf(),
        runtime.clone(),
        ConfirmationGate::default(),
        SshSettings::default(),
        Arc::new(Discard),
    ));
    script_engine::diagnose(&ctx, runbook, source)
}

//! `runbook import FILE.md [-o FILE.rb42]`: a Markdown runbook into a `.rb42` draft in
//! `runbook fmt`'s layout, checked as `runbook check` checks; the counts on stderr.

use super::print_diagnostics;
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::import::{self, read_limited};
use crate::output::console::{self, errln};
use crate::session::static_check::check_unsaved;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct ImportArgs {
    /// The Markdown runbook (whatever its extension).
    file: PathBuf,
    /// Write the draft to this file instead of standard output.
    #[arg(short, long, value_name = "FILE.rb42")]
    output: Option<PathBuf>,
    /// Replace the output file when it exists.
    #[arg(long, requires = "output")]
    force: bool,
}

pub fn run(args: &ImportArgs) -> i32 {
    let fail = |message: String| {
        print_diagnostics(&[Diagnostic::error(message).in_file(args.file.display().to_string())]);
        exit_code::USAGE
    };
    if let Some(out) = &args.output
        && out.exists()
        && !args.force
    {
        return fail(format!(
            "{} exists: give --force to replace it",
            out.display()
        ));
    }
    let bytes = match read_limited(&args.file) {
        Ok(bytes) => bytes,
        Err(message) => return fail(message),
    };
    let name = args.file.display().to_string();
    let draft = match import::import(&name, &bytes) {
        Ok(draft) => draft,
        Err(e) => return fail(e.to_string()),
    };
    let check_path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("draft.rb42"));
    let diagnostics = check_unsaved(&check_path, &draft.text);
    let written = match &args.output {
        Some(path) => std::fs::write(path, &draft.text)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => console::out(&draft.text).map_err(|e| format!("cannot write the draft: {e}")),
    };
    if let Err(message) = written {
        return fail(message);
    }
    print_diagnostics(&diagnostics);
    let to = args
        .output
        .as_ref()
        .map_or("standard output".to_string(), |p| p.display().to_string());
    console::err(&draft.summary.render(&name, &to));
    if diagnostics.iter().any(Diagnostic::is_error) {
        errln!(
            "error: the draft does not pass `runbook check` (a bug in runbook import): it was written as it is"
        );
        return exit_code::USAGE;
    }
    exit_code::SUCCESS
}

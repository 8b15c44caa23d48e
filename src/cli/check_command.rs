//! `runbook check`: static checks of one or more runbooks, for editors and CI.

use super::{CheckArgs, CheckFormat, runbook_files};
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::output::style::Style;
use crate::session::static_check::{self, check_file};
use std::io::Write;

pub(super) fn run(args: &CheckArgs) -> i32 {
    let runtime = match static_check::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for path in &args.files {
        runbook_files::expand(path, &mut files, &mut diagnostics);
    }
    for file in &files {
        diagnostics.extend(check_file(
            file,
            args.inventory.as_deref(),
            runtime.handle(),
        ));
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

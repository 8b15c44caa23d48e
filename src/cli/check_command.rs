//! `runbook check`: static checks of one or more runbooks, for editors and CI.

use super::{CheckArgs, CheckFormat, print, print_diagnostics};
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::output::console::errln;
use crate::session::static_check::check_paths;

pub(super) fn run(args: &CheckArgs) -> i32 {
    let report = match check_paths(&args.files, args.inventory.as_deref()) {
        Ok(report) => report,
        Err(e) => {
            errln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    let diagnostics = &report.diagnostics;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let code = if errors > 0 || (args.deny_warnings && warnings > 0) {
        exit_code::USAGE
    } else {
        exit_code::SUCCESS
    };
    match args.format {
        CheckFormat::Text => {
            print_diagnostics(diagnostics);
            let plural =
                |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            errln!(
                "checked {}: {}, {}",
                plural(report.files, "file"),
                plural(errors, "error"),
                plural(warnings, "warning")
            );
            code
        }
        CheckFormat::Json => {
            let list: Vec<_> = diagnostics.iter().map(Diagnostic::to_json).collect();
            let value = serde_json::json!({ "files": report.files, "errors": errors, "warnings": warnings, "diagnostics": list });
            let text = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
            print(&text, code)
        }
        CheckFormat::Github => {
            let text: String = diagnostics
                .iter()
                .map(|d| d.render_github() + "\n")
                .collect();
            print(&text, code)
        }
    }
}

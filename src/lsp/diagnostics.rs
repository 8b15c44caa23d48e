//! `textDocument/publishDiagnostics`: what `runbook check` says about a buffer, as LSP
//! diagnostics.

use super::position;
use crate::diagnostic::{Diagnostic, Severity};
use crate::session::static_check;
use lsp_types::DiagnosticSeverity;
use std::path::Path;

/// The diagnostics of `text`, checked as the file `path` (modules resolve beside it).
pub fn of_text(
    path: &Path,
    text: &str,
    runtime: &tokio::runtime::Handle,
) -> Vec<lsp_types::Diagnostic> {
    static_check::check_text(path, text, runtime)
        .iter()
        .map(|d| to_lsp(path, d))
        .collect()
}

/// One diagnostic: its message and help as `check` prints them, at its span. A problem in
/// another file (a module) or in no place is shown at the top, naming where it is.
fn to_lsp(path: &Path, diagnostic: &Diagnostic) -> lsp_types::Diagnostic {
    let mut message = diagnostic.message.clone();
    let range = match &diagnostic.place {
        Some((source, span)) if source.path == path => position::range(source, *span),
        _ => {
            if let Some(place) = diagnostic.where_() {
                message = format!("{place}: {message}");
            }
            lsp_types::Range::default()
        }
    };
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let severity = match diagnostic.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
    };
    lsp_types::Diagnostic {
        range,
        severity: Some(severity),
        source: Some("runbook".to_string()),
        message,
        ..lsp_types::Diagnostic::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Vec<lsp_types::Diagnostic> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("bad.rhai"), "fn f( {").expect("write module");
        of_text(&dir.path().join("r.rb42"), text, runtime.handle())
    }

    #[test]
    fn warnings_have_severity_2_and_a_module_problem_is_shown_at_the_top_naming_its_place() {
        let found = check(
            "runbook \"r\" {\n  use \"bad.rhai\" as bad\n  param dir: string = \"/x\"\n  \
             procedure p { step s { sh(`ls ${dir}`); } }\n}\n",
        );
        let summary: Vec<(Option<DiagnosticSeverity>, u32, u32, &str)> = found
            .iter()
            .map(|d| {
                let start = d.range.start;
                let first_line = d.message.lines().next().unwrap_or("");
                (d.severity, start.line, start.character, first_line)
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    Some(DiagnosticSeverity::ERROR),
                    0,
                    0,
                    "bad.rhai:1:7: in module: Expecting ')' to close the parameters list of function 'f'"
                ),
                (
                    Some(DiagnosticSeverity::WARNING),
                    3,
                    34,
                    "`dir` is interpolated into a shell command without quoting"
                ),
            ],
            "{found:?}"
        );
    }
}

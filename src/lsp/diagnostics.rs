//! `textDocument/publishDiagnostics`: what `runbook check` says about a buffer, as LSP
//! diagnostics.

use super::position;
use crate::diagnostic::{Diagnostic, Severity};
use crate::session::static_check;
use serde_json::{Value, json};
use std::path::Path;

/// The diagnostics of `text`, checked as the file `path` (modules resolve beside it).
pub fn of_text(path: &Path, text: &str, runtime: &tokio::runtime::Handle) -> Vec<Value> {
    static_check::check_text(path, text, runtime)
        .iter()
        .map(|d| to_lsp(path, d))
        .collect()
}

/// One diagnostic: its message and help as `check` prints them, at its span. A problem in
/// another file (a module) or in no place is shown at the top, naming where it is.
fn to_lsp(path: &Path, diagnostic: &Diagnostic) -> Value {
    let mut message = diagnostic.message.clone();
    let range = match &diagnostic.place {
        Some((source, span)) if source.path == path => position::range(source, *span),
        _ => {
            if let Some(place) = diagnostic.where_() {
                message = format!("{place}: {message}");
            }
            json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } })
        }
    };
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let severity = match diagnostic.severity {
        Severity::Error => 1,
        Severity::Warning => 2,
    };
    json!({ "range": range, "severity": severity, "source": "runbook", "message": message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Vec<Value> {
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
        let summary: Vec<(u64, u64, u64, String)> = found
            .iter()
            .map(|d| {
                let start = &d["range"]["start"];
                (
                    d["severity"].as_u64().unwrap_or(0),
                    start["line"].as_u64().unwrap_or(99),
                    start["character"].as_u64().unwrap_or(99),
                    d["message"]
                        .as_str()
                        .unwrap_or("")
                        .lines()
                        .next()
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, 0, 0, "bad.rhai:1:7: in module: Expecting ')' to close the parameters list of function 'f'".to_string()),
                (2, 3, 34, "`dir` is interpolated into a shell command without quoting".to_string()),
            ],
            "{found:?}"
        );
    }
}

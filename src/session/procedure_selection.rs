//! Which procedure a request means, and which part of it runs: the one named (or the default),
//! the `--confirm` step ids checked against it, and `--from` / `--only`.

use crate::context::confirmation_gate::ConfirmationGate;
use crate::diagnostic::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::engine::runner::Start;
use crate::language::ast::{Procedure, Runbook};
use std::sync::Arc;

/// Picks the procedure named, or the default one.
pub fn select_procedure<'r>(
    runbook: &'r Runbook,
    source: &Arc<SourceFile>,
    name: Option<&str>,
) -> Result<&'r Procedure, Diagnostic> {
    let ids: Vec<&str> = runbook
        .procedures
        .iter()
        .map(|p| p.id.text.as_str())
        .collect();
    match name {
        Some(name) => runbook.procedure(name).ok_or_else(|| {
            let d = Diagnostic::error(format!("no procedure `{name}` in this runbook"))
                .in_file(source.display_path());
            match did_you_mean(name, ids.iter().copied()) {
                Some(close) => d.help(format!("did you mean `{close}`?")),
                None => d.help(format!("procedures: {}", ids.join(", "))),
            }
        }),
        None => {
            let defaults: Vec<&Procedure> =
                runbook.procedures.iter().filter(|p| p.is_default).collect();
            match (defaults.as_slice(), runbook.procedures.as_slice()) {
                ([one], _) => Ok(one),
                ([], [one]) => Ok(one),
                _ => Err(Diagnostic::error(
                    "this runbook has several procedures and none is marked `default`: name one",
                )
                .in_file(source.display_path())
                .help(format!("procedures: {}", ids.join(", ")))),
            }
        }
    }
}

/// `--confirm ID` naming no step of the procedure, `--skip ID` naming no optional step: a typo
/// would silently leave a gate closed or a step running.
pub fn unknown_confirmations(procedure: &Procedure, gate: &ConfirmationGate) -> Vec<Diagnostic> {
    let ids: Vec<&str> = procedure.steps().map(|s| s.id.text.as_str()).collect();
    let optional: Vec<&str> = procedure
        .steps()
        .filter(|s| s.optional)
        .map(|s| s.id.text.as_str())
        .collect();
    let unknown = |flag: &str, id: &String, among: &[&str], what: &str| {
        let d = Diagnostic::error(format!(
            "{flag} {id}: no {what}`{id}` in procedure `{}`",
            procedure.id.text
        ));
        match did_you_mean(id, among.iter().copied()) {
            Some(close) => d.help(format!("did you mean `{close}`?")),
            None if among.is_empty() => d.help(format!(
                "procedure `{}` has no {}",
                procedure.id.text,
                what.trim_end()
            )),
            None => d.help(format!("{}s: {}", what.trim_end(), among.join(", "))),
        }
    };
    let confirms = gate
        .allowed
        .iter()
        .filter(|id| !ids.contains(&id.as_str()))
        .map(|id| unknown("--confirm", id, &ids, "step "));
    let skips = gate
        .skipped
        .iter()
        .filter(|id| !optional.contains(&id.as_str()))
        .map(|id| unknown("--skip", id, &optional, "optional step "));
    confirms.chain(skips).collect()
}

/// `--from STEP` / `--only STEP`, checked against the procedure.
pub fn partial_start(
    procedure: &Procedure,
    from: Option<&str>,
    only: Option<&str>,
) -> Result<Start, Diagnostic> {
    for (flag, id) in [("--from", from), ("--only", only)] {
        if let Some(id) = id
            && !procedure.steps().any(|s| s.id.text == id)
        {
            let ids = procedure.steps().map(|s| s.id.text.as_str());
            let help = did_you_mean(id, ids)
                .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
            return Err(Diagnostic::error(format!(
                "{flag} {id}: no step `{id}` in procedure `{}`{help}",
                procedure.id.text
            )));
        }
    }
    Ok(Start {
        from: from.map(str::to_string),
        only: only.map(str::to_string),
        ..Start::default()
    })
}

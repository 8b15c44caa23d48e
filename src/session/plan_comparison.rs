//! `runbook plan --base`: an earlier version of a runbook (a file, or a git revision) and the
//! current one, both traced as `doc` traces them (every step, the same `-p` values, secrets
//! never read), then compared step by step.

use super::doc_trace::{TraceInputs, trace_file, trace_text};
use super::git_revision::git_show;
use crate::diagnostic::Diagnostic;
use crate::render::plan_diff::PlanDiff;
use std::path::{Path, PathBuf};

/// Where the earlier version comes from.
pub enum Base {
    File(PathBuf),
    /// `git show REF:FILE`.
    GitRevision(String),
}

/// Why the two versions could not be compared.
pub enum ComparisonProblem {
    /// git could not give the earlier version.
    Git(String),
    /// The earlier version does not load: it is named by `label`.
    Base {
        label: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// The current version does not load.
    Head(Vec<Diagnostic>),
}

/// What changed in what would run between `base` and `file` (every procedure, or `only`).
pub fn compare(
    file: &Path,
    only: Option<&str>,
    base: &Base,
    inputs: &TraceInputs,
) -> Result<PlanDiff, ComparisonProblem> {
    let head_label = file.display().to_string();
    let (traced, base_label) = match base {
        Base::File(path) => (trace_file(path, inputs, None), path.display().to_string()),
        Base::GitRevision(reference) => {
            let text = git_show(reference, file).map_err(ComparisonProblem::Git)?;
            (
                trace_text(file, text, inputs, None),
                format!("{reference}:{head_label}"),
            )
        }
    };
    let base = traced.map_err(|diagnostics| ComparisonProblem::Base {
        label: base_label.clone(),
        diagnostics,
    })?;
    let head = trace_file(file, inputs, only).map_err(ComparisonProblem::Head)?;
    let mut diff = PlanDiff::new(&base, &head, &base_label, &head_label);
    if let Some(id) = only {
        diff.procedures.retain(|p| p.id == id);
    }
    Ok(diff)
}

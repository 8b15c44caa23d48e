//! The entry points of `doc` and `plan --base`: a runbook loaded (from a file, or as text read
//! from git), its parameters resolved for a page, its hosts resolved, then every procedure
//! traced by the engine's tracer (`engine::trace`).
//!
//! Parameters come from `--param`, else their default, else a placeholder; secrets are never
//! read (each is its placeholder); the environment is not consulted at all, so the same runbook
//! gives the same trace on any machine.

use super::inputs::Inputs;
use super::parameters;
use super::procedure_selection::select_procedure;
use crate::context::run_context::placeholder;
use crate::diagnostic::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::engine::run_values::ParamValue;
use crate::engine::trace::{TracedRunbook, Tracer};
use crate::hosts::resolution::{Hosts, Sources, Values};
use crate::language::ast::{ParamType, Runbook};
use crate::language::parser;
use rhai::{Array, Dynamic};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the trace of a runbook may be given.
#[derive(Debug, Default, Clone)]
pub struct TraceInputs {
    /// `--param name=value`, in order.
    pub params: Vec<(String, String)>,
    /// `--inventory FILE`, replacing the runbook's own.
    pub inventory: Option<PathBuf>,
}

/// Loads, checks and traces every procedure of `path` (or only `only`); any problem is a list
/// of diagnostics, and nothing is traced.
pub fn trace_file(
    path: &Path,
    inputs: &TraceInputs,
    only: Option<&str>,
) -> Result<TracedRunbook, Vec<Diagnostic>> {
    let (source, runbook) = parser::load(path).map_err(|d| vec![d])?;
    trace_runbook(source, runbook, inputs, only)
}

/// Traces `text` as if it were the file at `path` (its modules and relative paths resolve
/// beside it): an earlier version of a runbook, read from git.
pub fn trace_text(
    path: &Path,
    text: String,
    inputs: &TraceInputs,
    only: Option<&str>,
) -> Result<TracedRunbook, Vec<Diagnostic>> {
    let source = Arc::new(SourceFile::new(path, text));
    let runbook = parser::parse(&source).map_err(|d| vec![d])?;
    trace_runbook(source, runbook, inputs, only)
}

fn trace_runbook(
    source: Arc<SourceFile>,
    runbook: Runbook,
    inputs: &TraceInputs,
    only: Option<&str>,
) -> Result<TracedRunbook, Vec<Diagnostic>> {
    // A procedure named must exist, as `run` and `plan` require.
    if let Some(id) = only {
        select_procedure(&runbook, &source, Some(id)).map_err(|d| vec![d])?;
    }
    let params = doc_params(&runbook, &source, &inputs.params)?;
    let secrets: BTreeMap<String, String> = runbook
        .secrets
        .iter()
        .map(|s| {
            let name = s.name.text.clone();
            (name.clone(), placeholder(&format!("secret {name}")))
        })
        .collect();
    let runtime = super::async_runtime()?;
    let param_text: BTreeMap<String, String> = params
        .iter()
        .map(|p| (p.name.clone(), p.value.to_string()))
        .collect();
    let resolve_hosts = || {
        Hosts::resolve(
            &Sources {
                runbook: &runbook,
                source: &source,
                inventory: inputs.inventory.as_deref(),
                procedure: None,
            },
            &Values {
                params: &param_text,
                secrets: &secrets,
            },
        )
    };
    let targets = target_names(&runbook, &resolve_hosts()?);
    let mut procedures = Vec::new();
    for procedure in &runbook.procedures {
        if only.is_some_and(|id| id != procedure.id.text) {
            continue;
        }
        let tracer = Tracer::new(
            &runbook,
            &source,
            &params,
            &secrets,
            resolve_hosts()?,
            inputs.inventory.as_deref(),
            runtime.handle(),
        )?;
        procedures.push((procedure.id.text.clone(), tracer.procedure(procedure)));
    }
    Ok(TracedRunbook {
        source,
        runbook,
        params,
        procedures,
        targets,
    })
}

/// Every name an `on` may use, with its hosts, as far as the declarations tell.
fn target_names(runbook: &Runbook, hosts: &Hosts) -> BTreeMap<String, Vec<String>> {
    let declared = runbook
        .hosts
        .iter()
        .map(|h| &h.name.text)
        .chain(runbook.groups.iter().map(|g| &g.name.text));
    let used = runbook.procedures.iter().flat_map(|p| {
        p.target
            .iter()
            .chain(p.steps().filter_map(|s| s.target.as_ref()))
            .map(|t| &t.name.text)
    });
    declared
        .chain(used)
        .filter_map(|name| Some((name.clone(), hosts.target(name)?.to_vec())))
        .collect()
}

/// Parameters for a page: `--param`, else the default, else a placeholder. The environment is
/// never read: a page must not depend on where it is made.
fn doc_params(
    runbook: &Runbook,
    source: &Arc<SourceFile>,
    given: &[(String, String)],
) -> Result<Vec<ParamValue>, Vec<Diagnostic>> {
    let declared: Vec<&str> = runbook
        .params
        .iter()
        .map(|p| p.name.text.as_str())
        .collect();
    let mut problems: Vec<Diagnostic> = given
        .iter()
        .filter(|(name, _)| !declared.contains(&name.as_str()))
        .map(|(name, _)| {
            let d = Diagnostic::error(format!("unknown parameter `{name}` (from --param)"))
                .in_file(source.display_path());
            match did_you_mean(name, declared.iter().copied()) {
                Some(close) => d.help(format!("did you mean `{close}`?")),
                None => d.help(format!("declared parameters: {}", declared.join(", "))),
            }
        })
        .collect();
    let is_given = |name: &str| given.iter().any(|(n, _)| n == name);
    // The parameters with a value, resolved as a run resolves them (types, `one of`), without
    // the environment; the others get their placeholder below.
    let mut valued = runbook.clone();
    valued
        .params
        .retain(|p| p.default.is_some() || is_given(&p.name.text));
    for param in &mut valued.params {
        param.env = None;
    }
    let inputs = Inputs {
        cli: given
            .iter()
            .filter(|(n, _)| declared.contains(&n.as_str()))
            .cloned()
            .collect(),
        env_file: HashMap::new(),
        given_by: None,
        age_identity: None,
    };
    let every: std::collections::BTreeSet<String> =
        valued.params.iter().map(|p| p.name.text.clone()).collect();
    let mut values =
        parameters::resolve(&valued, source, &inputs, &every).unwrap_or_else(|mut p| {
            problems.append(&mut p);
            Vec::new()
        });
    if !problems.is_empty() {
        return Err(problems);
    }
    for param in &runbook.params {
        let name = &param.name.text;
        if values.iter().any(|v| &v.name == name) {
            continue;
        }
        let value: Dynamic = match param.ty {
            // One item standing for all of them: a loop over the list shows its body once.
            ParamType::List => vec![Dynamic::from(placeholder(name))]
                .into_iter()
                .collect::<Array>()
                .into(),
            _ => placeholder(name).into(),
        };
        values.push(ParamValue {
            name: name.clone(),
            shown: placeholder(name),
            value,
        });
    }
    values.sort_by_key(|v| declared.iter().position(|d| *d == v.name));
    Ok(values)
}

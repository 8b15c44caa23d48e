//! The hosts a procedure may act on, once its parameters and secrets are known.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::engine::run_values::{ParamValue, SecretValue};
use crate::hosts::resolution::{Hosts, Sources, Values};
use crate::language::ast::{Procedure, Runbook};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The hosts and targets, with parameter and secret values filled in; only `procedure`'s
/// targets must resolve (every one when none is given).
pub fn resolve_hosts(
    runbook: &Runbook,
    procedure: Option<&Procedure>,
    source: &Arc<SourceFile>,
    inventory: Option<&Path>,
    params: &[ParamValue],
    secrets: &[SecretValue],
) -> Result<Hosts, Vec<Diagnostic>> {
    let params: BTreeMap<String, String> = params
        .iter()
        .map(|p| (p.name.clone(), p.value.to_string()))
        .collect();
    let secrets: BTreeMap<String, String> = secrets
        .iter()
        .map(|s| (s.name.clone(), s.value.clone()))
        .collect();
    Hosts::resolve(
        &Sources {
            runbook,
            source,
            inventory,
            procedure,
        },
        &Values {
            params: &params,
            secrets: &secrets,
        },
    )
}

//! The parameters and secrets one procedure reads: its bodies (and the runbook's guards), the
//! hosts it may reach, and its targets. A run asks for these and no others, so a health check
//! does not need the deploy key.

use super::ast::{Body, HostDecl, Procedure, Runbook, Value};
use super::check::Compiled;
use super::script_scan;
use std::collections::BTreeSet;

/// Every name the procedure may read.
pub fn names(runbook: &Runbook, procedure: &Procedure, compiled: &Compiled) -> BTreeSet<String> {
    let mut bodies: Vec<&Body> = runbook.guards.iter().map(|g| &g.body).collect();
    bodies.extend(procedure.guards.iter().map(|g| &g.body));
    for step in procedure.steps() {
        bodies.push(&step.body);
        bodies.extend(step.when.iter());
        bodies.extend(step.rollback.iter());
    }
    bodies.extend(procedure.finally.iter());
    let mut names: BTreeSet<String> = bodies
        .into_iter()
        .filter_map(|b| compiled.get(b))
        .flat_map(|ast| script_scan::scan(ast).variables)
        .map(|(name, _)| name)
        .collect();
    let targets: Vec<&str> = procedure
        .target
        .iter()
        .chain(procedure.steps().filter_map(|s| s.target.as_ref()))
        .map(|t| t.name.text.as_str())
        .collect();
    if !targets.is_empty() {
        names.extend(targets.iter().map(|t| t.to_string()));
        names.extend(runbook.hosts.iter().flat_map(host_refs));
        if let Some(Value::Ref(r)) = runbook.inventory.as_ref().map(|i| &i.value) {
            names.insert(r.clone());
        }
    }
    names
}

fn host_refs(host: &HostDecl) -> Vec<String> {
    host.address
        .iter()
        .chain(&host.user)
        .chain(&host.port)
        .chain(&host.identity)
        .chain(&host.jump)
        .chain(host.options.iter().map(|(_, v)| v))
        .filter_map(|v| match &v.value {
            Value::Ref(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

//! The parameters, secrets and `let` values one procedure reads: its bodies (and the runbook's
//! guards), its messages, the values these read in turn, the hosts it may reach, and its
//! targets. A run asks for these and no others, so a health check does not need the deploy key.

use super::ast::{Body, HostDecl, Item, Procedure, Runbook, Value, ValueDecl};
use super::check::Compiled;
use super::{message_text, script_scan};
use std::collections::BTreeSet;

/// The values the procedure reads, directly or through other values, in the order they are
/// computed.
pub fn values<'r>(
    runbook: &'r Runbook,
    procedure: &'r Procedure,
    compiled: &Compiled,
) -> Vec<&'r ValueDecl> {
    let names = names(runbook, procedure, compiled);
    procedure
        .values(runbook)
        .filter(|v| names.contains(&v.name.text))
        .collect()
}

/// Every name the procedure may read.
pub fn names(runbook: &Runbook, procedure: &Procedure, compiled: &Compiled) -> BTreeSet<String> {
    let mut names = direct_names(runbook, procedure, compiled);
    // A value reads only the values declared before it: from the last one back, every value
    // read adds what its expression reads.
    let declared: Vec<&ValueDecl> = procedure.values(runbook).collect();
    for value in declared.into_iter().rev() {
        if names.contains(&value.name.text)
            && let Some(ast) = compiled.get(&value.expr)
        {
            names.extend(script_scan::scan(ast).variables.into_iter().map(|(n, _)| n));
        }
    }
    names
}

/// The names the procedure's bodies, messages and targets read themselves.
fn direct_names(runbook: &Runbook, procedure: &Procedure, compiled: &Compiled) -> BTreeSet<String> {
    let mut bodies: Vec<&Body> = runbook.guards.iter().map(|g| &g.body).collect();
    bodies.extend(procedure.guards.iter().map(|g| &g.body));
    for step in procedure.steps() {
        bodies.push(&step.body);
        bodies.extend(step.when.iter());
        bodies.extend(step.rollback.iter());
        bodies.extend(step.confirm_if.iter());
    }
    bodies.extend(procedure.items.iter().filter_map(|item| match item {
        Item::Gate(gate) => gate.condition.as_ref(),
        Item::Step(_) => None,
    }));
    bodies.extend(procedure.finally.iter());
    let mut names: BTreeSet<String> = bodies
        .into_iter()
        .filter_map(|b| compiled.get(b))
        .flat_map(|ast| script_scan::scan(ast).variables)
        .map(|(name, _)| name)
        .collect();
    names.extend(
        messages(runbook, procedure)
            .flat_map(message_text::references)
            .map(|r| message_text::root(r).to_string()),
    );
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

/// The texts an operator reads: guard titles, step titles and confirmation messages.
fn messages<'r>(runbook: &'r Runbook, procedure: &'r Procedure) -> impl Iterator<Item = &'r str> {
    let guards = runbook.guards.iter().chain(&procedure.guards);
    let items = procedure.items.iter().flat_map(|item| match item {
        Item::Gate(gate) => vec![gate.message.as_str()],
        Item::Step(step) => std::iter::once(step.title())
            .chain(step.confirm.as_deref())
            .collect(),
    });
    guards.map(|g| g.title.as_str()).chain(items)
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

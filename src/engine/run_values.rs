//! The values of a run, as the runner binds them into each body's scope: parameters (with how
//! each prints) and secrets. Where they come from is the session's business (`session/`).

use crate::context::run_context::RunContext;
use crate::language::ast::Literal;
use crate::language::script_scan;
use rhai::{AST, Array, Dynamic};
use std::collections::HashSet;

/// A resolved parameter: its rhai value and how it prints.
#[derive(Debug, Clone)]
pub struct ParamValue {
    pub name: String,
    pub value: Dynamic,
    pub shown: String,
}

/// A secret's name and value.
pub struct SecretValue {
    pub name: String,
    pub value: String,
    /// A dry-run stand-in: the secret was not available.
    pub placeholder: bool,
}

/// The rhai value of a literal. Durations become whole seconds.
pub fn literal_value(literal: &Literal) -> Dynamic {
    match literal {
        Literal::String(s) => s.clone().into(),
        Literal::Int(i) => (*i).into(),
        Literal::Float(f) => (*f).into(),
        Literal::Bool(b) => (*b).into(),
        Literal::Duration(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX).into(),
        Literal::List(items) => items.iter().map(literal_value).collect::<Array>().into(),
    }
}

/// How a value prints in plans and events.
pub fn show(value: &Dynamic) -> String {
    if value.is_string() {
        return format!("{value:?}");
    }
    if let Some(items) = value.read_lock::<Array>() {
        let shown: Vec<String> = items.iter().map(show).collect();
        return format!("[{}]", shown.join(", "));
    }
    value.to_string()
}

/// Every name the body `ast` publishes that its dry-run did not (it stopped, or took another
/// branch): an unknown value, so that later steps and rollbacks still plan, and stop where they
/// decide on it. `host`: the host the body acted on.
pub fn publish_unknown(ctx: &RunContext, ast: &AST, host: Option<&str>) {
    let names = script_scan::scan(ast).published;
    let wanted: HashSet<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
    let known: HashSet<String> = ctx
        .published_named(&wanted, host)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for (name, _) in &names {
        if !known.contains(name) {
            ctx.publish(name, host, ctx.unknown_value(name));
        }
    }
}

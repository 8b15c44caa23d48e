//! `let` values: computed once, before the first guard, here, in the order they are declared
//! (the runbook's, then the procedure's), and only those the procedure reads. A run, a plan, a
//! resume and a `rollback RUN` compute them the same way from the same parameters and secrets.
//! In a plan, a value that decides on something only a real run knows is unknown itself. A
//! value built from a secret is masked wherever it shows.

use super::evaluator::{Evaluator, Failure, Slot};
use crate::context::event::Phase;
use crate::context::run_context::{RunContext, UNKNOWN_OPEN};
use crate::language::ast::{Procedure, Runbook, ValueDecl};
use crate::language::{needs, script_scan};
use rhai::{Array, Dynamic, Map};
use std::collections::HashSet;

/// A value whose expression failed.
pub struct ValueFailure {
    pub name: String,
    pub failure: Failure,
}

/// Computes the values `procedure` reads into the run's context. Every value is computed, even
/// after one failed (a plan shows them all; that one is unknown); the failures come back.
pub fn compute(
    evaluator: &Evaluator<'_>,
    runbook: &Runbook,
    procedure: &Procedure,
) -> Vec<ValueFailure> {
    let needed = needs::values(runbook, procedure, evaluator.compiled);
    compute_these(evaluator, runbook, &needed)
}

/// Computes every value declared at the runbook's top (the REPL's session variables).
pub fn compute_runbook(evaluator: &Evaluator<'_>, runbook: &Runbook) -> Vec<ValueFailure> {
    let all: Vec<&ValueDecl> = runbook.values.iter().collect();
    compute_these(evaluator, runbook, &all)
}

fn compute_these(
    evaluator: &Evaluator<'_>,
    runbook: &Runbook,
    decls: &[&ValueDecl],
) -> Vec<ValueFailure> {
    let ctx = evaluator.ctx;
    let mut secret_built: HashSet<&str> = runbook
        .secrets
        .iter()
        .map(|s| s.name.text.as_str())
        .collect();
    let mut values: Vec<(String, Dynamic)> = Vec::new();
    let mut failures = Vec::new();
    ctx.set_values(Vec::new());
    for decl in decls {
        let name = decl.name.text.as_str();
        // Computed like a guard: here, its commands only read.
        ctx.enter(None, Phase::Guard);
        ctx.take_unknown_used();
        let value = match evaluator.evaluate(&decl.expr, &Slot::Here) {
            Ok(value) => value,
            Err(failure) => {
                if !failure.from_unknown {
                    failures.push(ValueFailure {
                        name: name.to_string(),
                        failure,
                    });
                }
                ctx.unknown_value(&format!("value {name}"))
            }
        };
        let reads_secret = evaluator.compiled.get(&decl.expr).is_some_and(|ast| {
            script_scan::scan(ast)
                .variables
                .iter()
                .any(|(read, _)| secret_built.contains(read.as_str()))
        });
        if reads_secret {
            secret_built.insert(name);
            mask_texts(ctx, &value);
        }
        values.push((name.to_string(), value));
        ctx.set_values(values.clone());
    }
    failures
}

/// Masks every text inside a value built from a secret: the value itself may be derived
/// (encoded, cut, joined) beyond what the secret's own mask recognises.
fn mask_texts(ctx: &RunContext, value: &Dynamic) {
    if let Some(map) = value.read_lock::<Map>() {
        map.values().for_each(|v| mask_texts(ctx, v));
    } else if let Some(items) = value.read_lock::<Array>() {
        items.iter().for_each(|v| mask_texts(ctx, v));
    } else if value.is_string() {
        let text = value.to_string();
        if !text.is_empty() && !text.contains(UNKNOWN_OPEN) {
            ctx.add_secret(&text);
        }
    }
}

//! `let` values: computed once, before the first guard, here, in the order they are declared
//! (the runbook's, then the procedure's), and only those the procedure reads. A run, a plan, a
//! resume and a `rollback RUN` compute them the same way from the same parameters and secrets
//! (`check` warns about a value that reads the clock).
//! In a plan, a value that decides on something only a real run knows is unknown itself. A
//! value built from a secret is masked wherever it shows.

use super::evaluator::{Evaluator, Failure, Slot};
use crate::context::event::Phase;
use crate::context::run_context::{RunContext, UNKNOWN_OPEN};
use crate::language::ast::{Procedure, Runbook, ValueDecl};
use crate::language::{needs, script_scan};
use rhai::{AST, Array, Dynamic, Expr, Map, Position, Stmt};
use std::collections::HashSet;

/// A value computed: whether its expression ran a command (a plan lists those with their
/// commands), and why it failed, if it did (it is unknown then).
pub struct Computed {
    pub name: String,
    pub acted: bool,
    pub failure: Option<Failure>,
}

/// Computes the values `procedure` reads into the run's context. Every value is computed, even
/// after one failed (a plan shows them all; that one is unknown).
pub fn compute(
    evaluator: &Evaluator<'_>,
    runbook: &Runbook,
    procedure: &Procedure,
) -> Vec<Computed> {
    let needed = needs::values(runbook, procedure, evaluator.compiled);
    compute_these(evaluator, runbook, &needed)
}

/// Computes every value declared at the runbook's top (the REPL's session variables).
pub fn compute_runbook(evaluator: &Evaluator<'_>, runbook: &Runbook) -> Vec<Computed> {
    let all: Vec<&ValueDecl> = runbook.values.iter().collect();
    compute_these(evaluator, runbook, &all)
}

fn compute_these(
    evaluator: &Evaluator<'_>,
    runbook: &Runbook,
    decls: &[&ValueDecl],
) -> Vec<Computed> {
    let ctx = evaluator.ctx;
    let mut secret_built: HashSet<&str> = runbook
        .secrets
        .iter()
        .map(|s| s.name.text.as_str())
        .collect();
    let mut values: Vec<(String, Dynamic)> = Vec::new();
    let mut computed = Vec::new();
    ctx.set_values(Vec::new());
    for decl in decls {
        let name = decl.name.text.as_str();
        // Computed like a guard: here, its commands only read.
        ctx.enter(None, Phase::Guard);
        ctx.take_unknown_used();
        ctx.take_acted();
        let (value, failure) = match evaluator.evaluate(&decl.expr, &Slot::Here) {
            Ok(value) => (value, None),
            Err(failure) => (
                ctx.unknown_value(&format!("value {name}")),
                (!failure.from_unknown).then_some(failure),
            ),
        };
        computed.push(Computed {
            name: name.to_string(),
            acted: ctx.take_acted(),
            failure,
        });
        if let Some(ast) = evaluator.compiled.get(&decl.expr) {
            match from_secrets(ast, &secret_built) {
                FromSecrets::Nothing => {}
                FromSecrets::Fields(fields) => {
                    secret_built.insert(name);
                    if let Some(map) = value.read_lock::<Map>() {
                        for field in &fields {
                            map.get(field.as_str())
                                .iter()
                                .for_each(|v| mask_texts(ctx, v));
                        }
                    }
                }
                FromSecrets::Whole => {
                    secret_built.insert(name);
                    mask_texts(ctx, &value);
                }
            }
        }
        values.push((name.to_string(), value));
        ctx.set_values(values.clone());
    }
    computed
}

/// What part of a value is built from a secret.
enum FromSecrets {
    Nothing,
    /// These fields of a map literal (`#{auth: `Bearer ${token}`, user: "deploy"}`: `auth`).
    Fields(Vec<String>),
    Whole,
}

/// Which part of the value of `ast` reads one of `secret_built`. The variables of a map
/// literal's field are those written between its start and the next field's.
fn from_secrets(ast: &AST, secret_built: &HashSet<&str>) -> FromSecrets {
    let reads: Vec<Position> = script_scan::scan(ast)
        .variables
        .into_iter()
        .filter(|(read, _)| secret_built.contains(read.as_str()))
        .map(|(_, at)| at)
        .collect();
    if reads.is_empty() {
        return FromSecrets::Nothing;
    }
    let [Stmt::Expr(expr)] = ast.statements() else {
        return FromSecrets::Whole;
    };
    let Expr::Map(map, _) = expr.as_ref() else {
        return FromSecrets::Whole;
    };
    let place = |at: Position| (at.line().unwrap_or(0), at.position().unwrap_or(0));
    let starts: Vec<(usize, usize)> = map
        .0
        .iter()
        .map(|(_, v)| place(v.start_position()))
        .collect();
    let fields = map
        .0
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            reads.iter().any(|at| {
                let at = place(*at);
                at >= starts[*i] && starts.get(i + 1).is_none_or(|next| at < *next)
            })
        })
        .map(|(_, (key, _))| key.name.to_string())
        .collect();
    FromSecrets::Fields(fields)
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

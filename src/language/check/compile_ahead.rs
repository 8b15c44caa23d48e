//! Bodies compiled ahead of the ordered checks, on every core.
//!
//! rhai's strict variables make a body compile only when every outer name it reads is known
//! where it stands, and only the ordered pass over the runbook knows that (a step reads what
//! the steps before it published). So each body is compiled ahead with the runbook's outer
//! names among its words (parameters, secrets, values, names some body publishes), minus what
//! it publishes itself; the ordered pass takes that result only when all those names are known
//! at the body's place. rhai consults the scope only to accept or reject a name, so the AST is
//! then the one compiling in order would give. Any other body (a name read too early, any
//! error) is compiled again in order, with the exact diagnostics of before.
//!
//! The bodies are compiled in batches, in the order the checks visit them, so a runbook of
//! thousands of steps never holds all its ASTs at once.

use crate::diagnostic::source::Location;
use crate::language::ast::{Body, Item, Runbook};
use crate::language::function_names::{KnownFunctions, Unresolved};
use crate::language::script_scan::{self, Scan};
use rhai::{AST, Engine, Scope};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bodies compiled at once: enough to keep every core busy between two waits, few enough that
/// their ASTs stay a small part of the memory.
const BATCH: usize = 512;

/// A body compiled, and what the checks read from its AST.
pub(super) struct Ahead {
    pub ast: AST,
    pub scan: Scan,
    pub unresolved: Vec<Unresolved>,
}

impl Ahead {
    pub fn of(ast: AST, functions: &KnownFunctions) -> Self {
        Self {
            scan: script_scan::scan(&ast),
            unresolved: functions.unresolved(&ast),
            ast,
        }
    }
}

/// A body compiled ahead, with the outer names it was given.
struct Speculation<'a> {
    assumed: Vec<&'a str>,
    ahead: Ahead,
}

pub(super) struct CompileAhead<'a> {
    engine: &'a Engine,
    functions: &'a KnownFunctions,
    /// Every body, in the order the checks visit them.
    bodies: Vec<&'a Body>,
    position: HashMap<Location, usize>,
    /// The names a body may read from outside it, wherever it stands.
    outer: HashSet<&'a str>,
    /// The current batch; `None` for a body that did not compile ahead.
    batch: HashMap<Location, Option<Speculation<'a>>>,
}

impl<'a> CompileAhead<'a> {
    pub fn new(runbook: &'a Runbook, engine: &'a Engine, functions: &'a KnownFunctions) -> Self {
        let bodies = bodies_in_check_order(runbook);
        let position = bodies
            .iter()
            .enumerate()
            .map(|(index, body)| (body.origin, index))
            .collect();
        let values = runbook
            .values
            .iter()
            .chain(runbook.procedures.iter().flat_map(|p| &p.values));
        let outer = runbook
            .params
            .iter()
            .map(|p| p.name.text.as_str())
            .chain(runbook.secrets.iter().map(|s| s.name.text.as_str()))
            .chain(values.map(|v| v.name.text.as_str()))
            .chain(bodies.iter().flat_map(|b| published_literals(&b.code)))
            .collect();
        Self {
            engine,
            functions,
            bodies,
            position,
            outer,
            batch: HashMap::new(),
        }
    }

    /// `body` compiled, if compiling it in order with the outer names `known` gives the same:
    /// it compiled ahead, and every outer name it was given is known here.
    pub fn take(&mut self, body: &Body, known: &HashSet<String>) -> Option<Ahead> {
        if !self.batch.contains_key(&body.origin) {
            let start = *self.position.get(&body.origin)?;
            self.compile_batch(start);
        }
        let speculation = self.batch.remove(&body.origin)??;
        speculation
            .assumed
            .iter()
            .all(|name| known.contains(*name))
            .then_some(speculation.ahead)
    }

    /// Compiles the batch of bodies from `start`, the unused rest of the last one dropped.
    fn compile_batch(&mut self, start: usize) {
        let end = (start + BATCH).min(self.bodies.len());
        let batch = &self.bodies[start..end];
        let next = AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = batch.get(index) else {
                    return done;
                };
                done.push((body.origin, self.speculate(body)));
            }
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let compiled: Vec<_> = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads.min(batch.len()))
                .map(|_| scope.spawn(work))
                .collect();
            let mut all = work();
            for helper in helpers {
                // A panic in rhai's compiler is a bug to see, not to hide.
                all.extend(
                    helper
                        .join()
                        .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                );
            }
            all
        });
        self.batch = compiled.into_iter().collect();
    }

    fn speculate(&self, body: &'a Body) -> Option<Speculation<'a>> {
        let own: Vec<&str> = published_literals(&body.code).collect();
        let assumed: Vec<&str> = body
            .words()
            .into_iter()
            .filter(|word| self.outer.contains(word) && !own.contains(word))
            .collect();
        let mut scope = Scope::new();
        for name in &assumed {
            scope.push(name.to_string(), ());
        }
        let ast = self.engine.compile_with_scope(&scope, &body.code).ok()?;
        Some(Speculation {
            assumed,
            ahead: Ahead::of(ast, self.functions),
        })
    }
}

/// Every body of `runbook`, in the order `Checker` visits them.
fn bodies_in_check_order(runbook: &Runbook) -> Vec<&Body> {
    let mut bodies: Vec<&Body> = runbook.values.iter().map(|v| &v.expr).collect();
    bodies.extend(runbook.guards.iter().map(|g| &g.body));
    for procedure in &runbook.procedures {
        bodies.extend(procedure.values.iter().map(|v| &v.expr));
        bodies.extend(procedure.guards.iter().map(|g| &g.body));
        for item in &procedure.items {
            match item {
                Item::Gate(gate) => bodies.extend(&gate.condition),
                Item::Step(step) => {
                    bodies.extend(&step.confirm_if);
                    bodies.extend(&step.when);
                    bodies.push(&step.body);
                    bodies.extend(&step.rollback);
                }
            }
        }
        bodies.extend(&procedure.finally);
    }
    bodies
}

/// The names `code` passes as a string literal to `publish(…)`, found in the text: a guess
/// (the AST decides what is published), which only needs to be right for speed.
fn published_literals(code: &str) -> impl Iterator<Item = &str> {
    code.match_indices("publish").filter_map(|(at, word)| {
        let rest = code[at + word.len()..].trim_start();
        let rest = rest.strip_prefix('(')?.trim_start();
        let rest = rest.strip_prefix('"')?;
        rest.split_once('"').map(|(name, _)| name)
    })
}

#[cfg(test)]
mod tests {
    use super::published_literals;

    #[test]
    fn published_names_are_read_from_the_text() {
        let code = r#"publish("a", 1); publish ( "b_2" , x); publish(name, 3); log("publish")"#;
        assert_eq!(published_literals(code).collect::<Vec<_>>(), ["a", "b_2"]);
    }
}

//! The checks of `let` values: each expression compiles with the names before it (a name
//! declared further down is a use before its definition), names are declared once, nothing
//! assigns to a constant (parameter, secret, value, published value), and every value is read.

use super::{Checker, Names};
use crate::diagnostic::rhai_position::span_in_body;
use crate::language::ast::{Body, Procedure, ValueDecl};
use crate::language::reserved_words::RHAI_RESERVED;
use crate::language::script_scan::Scan;
use rhai::{ASTNode, Expr, Scope};
use std::collections::HashMap;

/// Functions whose answer changes from one run to the next.
const CLOCK: &[&str] = &["now", "timestamp"];

impl Checker<'_> {
    /// Checks `values` in order, each seeing the names before it, and adds them to `names`.
    pub(super) fn values(&mut self, values: &[ValueDecl], names: &mut Names) {
        for (index, value) in values.iter().enumerate() {
            names.later = values[index..]
                .iter()
                .map(|v| (v.name.text.clone(), v.name.span.start.line))
                .collect();
            names.defining = Some(value.name.text.clone());
            let scan = self.body(&value.expr, names);
            self.time_dependent(value);
            names.later = HashMap::new();
            names.defining = None;
            names.value(&value.name.text);
            let from_secret = scan.is_some_and(|scan| {
                scan.variables
                    .iter()
                    .any(|(read, _)| names.secret_built.contains(read))
            });
            if from_secret {
                names.secret_built.push(value.name.text.clone());
            }
        }
    }

    /// A value read, while values are checked, before the line that defines it (or in its own
    /// definition): the error and its help.
    pub(super) fn early_use(name: &str, names: &Names) -> Option<(String, String)> {
        let line = names.later.get(name)?;
        Some(if names.defining.as_deref() == Some(name) {
            (
                format!("value `{name}` is used in its own definition"),
                "a value is computed from parameters, secrets and the values declared before it"
                    .to_string(),
            )
        } else {
            (
                format!("value `{name}` is used before its definition"),
                format!(
                    "`{name}` is defined on line {line}: declare it before the values that read it"
                ),
            )
        })
    }

    /// Warns about a value that reads the clock: `resume` and `rollback RUN` compute values
    /// again from the journaled parameters, and would get another time.
    fn time_dependent(&mut self, value: &ValueDecl) {
        let Some(ast) = self.compiled.get(&value.expr).cloned().or_else(|| {
            self.engine
                .compile_with_scope(&Self::declared_words(&value.expr), &value.expr.code)
                .ok()
        }) else {
            return;
        };
        let mut at = None;
        ast.walk(&mut |path: &[ASTNode]| {
            if let Some(ASTNode::Expr(Expr::FnCall(call, pos))) = path.last()
                && call.namespace.is_empty()
                && CLOCK.contains(&call.name.as_str())
                && at.is_none()
            {
                at = Some(*pos);
            }
            true
        });
        if let Some(at) = at {
            self.warning(
                span_in_body(value.expr.origin, at),
                format!(
                    "value `{}` reads the clock: `resume` and `rollback RUN` compute it again, at another time",
                    value.name.text
                ),
            )
            .help = Some(
                "compute it in a step and `publish` it: the journal keeps published values".into(),
            );
        }
    }

    /// A scope declaring every word of `body` (its names are checked elsewhere).
    fn declared_words(body: &Body) -> Scope<'static> {
        let mut scope = Scope::new();
        for word in body.words() {
            scope.push(word.to_string(), ());
        }
        scope
    }

    /// A procedure's own values: named once, and by no name of the runbook.
    pub(super) fn procedure_value_names(&mut self, procedure: &Procedure) {
        let runbook = self.runbook;
        let mut seen: HashMap<&str, &str> = runbook
            .params
            .iter()
            .map(|p| (p.name.text.as_str(), "parameter"))
            .chain(
                runbook
                    .secrets
                    .iter()
                    .map(|s| (s.name.text.as_str(), "secret")),
            )
            .chain(
                runbook
                    .modules
                    .iter()
                    .map(|m| (m.alias.text.as_str(), "module")),
            )
            .chain(
                runbook
                    .values
                    .iter()
                    .map(|v| (v.name.text.as_str(), "value")),
            )
            .collect();
        for value in &procedure.values {
            let name = &value.name;
            if RHAI_RESERVED.contains(&name.text.as_str()) {
                self.error(
                    name.span,
                    format!(
                        "`{}` is reserved by rhai and cannot name a value",
                        name.text
                    ),
                );
            }
            if let Some(first) = seen.insert(&name.text, "value") {
                self.error(
                    name.span,
                    format!("`{}` is already declared as a {first}", name.text),
                );
            }
        }
    }

    /// Assignments in `body` to a name declared outside it: a parameter, secret, value or
    /// published value is a constant.
    pub(super) fn assignments(&mut self, body: &Body, scan: &Scan, names: &Names) {
        for (name, at) in &scan.assigned {
            if scan.declared.contains(name) {
                continue;
            }
            if let Some(kind) = names.constant_kind(name) {
                let span = span_in_body(body.origin, *at);
                self.error(span, format!("`{name}` is a {kind}: it cannot be assigned"))
                    .help = Some(format!(
                    "copy it into a local of the body first: `let my_{name} = {name};`"
                ));
            }
        }
    }

    /// Warns about values nothing reads.
    pub(super) fn unused_values(&mut self) {
        let runbook = self.runbook;
        let values = runbook
            .values
            .iter()
            .chain(runbook.procedures.iter().flat_map(|p| &p.values));
        for value in values {
            if !self.variables_read.contains(&value.name.text) {
                self.warning(
                    value.name.span,
                    format!("value `{}` is never used", value.name.text),
                )
                .help = Some("remove it, or read it in a body or a message".into());
            }
        }
    }
}

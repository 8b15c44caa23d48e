//! A body that does not compile: the error at its place in the `.rb42` file, worded for what
//! the checks know (a name read before its step publishes it, a close name, a module to
//! import), and what the body publishes all the same.

use super::{Checker, Names};
use crate::diagnostic::did_you_mean;
use crate::diagnostic::rhai_position::span_in_body;
use crate::language::ast::Body;
use crate::language::script_scan::{self, Scan};
use rhai::{ParseErrorType, Scope};

impl Checker<'_> {
    /// Reports why `body` does not compile; what it publishes, when that is still known.
    pub(super) fn compile_error(
        &mut self,
        body: &Body,
        names: &Names,
        e: &rhai::ParseError,
    ) -> Option<Scan> {
        if let ParseErrorType::ModuleUndefined(name) = e.err_type()
            && self.runbook.modules.iter().any(|m| &m.alias.text == name)
        {
            // Declared but not loaded: the module's own error is already reported.
            return None;
        }
        let span = span_in_body(body.origin, e.position());
        // What the body publishes is still known: later steps keep those names, so one
        // mistake is one diagnostic.
        let lenient = self.lenient_scan(body);
        let (message, help) = match e.err_type() {
            ParseErrorType::VariableUndefined(name) => {
                let own = lenient
                    .as_ref()
                    .is_some_and(|s| s.published.iter().any(|(p, _)| p == name));
                if let Some((message, help)) = Self::early_use(name, names) {
                    self.error(span, message).help = Some(help);
                    return None;
                }
                let help = match did_you_mean(name, names.all()) {
                    _ if own => format!("`{name}` is published by this same step: a published value is visible from the next step on; keep it in a `let` to use it here"),
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "declare it with `param`, `secret` or `let`, or publish it from an earlier step".into(),
                };
                (format!("unknown variable `{name}`"), Some(help))
            }
            ParseErrorType::ModuleUndefined(name) => {
                let aliases = self.runbook.modules.iter().map(|m| m.alias.text.as_str());
                let help = match did_you_mean(name, aliases) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => {
                        format!("import it with `use \"stdlib/{name}.rhai\" as {name}`")
                    }
                };
                (format!("unknown module `{name}`"), Some(help))
            }
            other => (other.to_string(), None),
        };
        let d = self.error(span, message);
        d.help = help;
        lenient
    }

    /// What a body that did not compile for an unknown name publishes, compiled again with
    /// every word it contains declared; none if it does not compile even so.
    fn lenient_scan(&self, body: &Body) -> Option<Scan> {
        let mut scope = Scope::new();
        for word in body.words() {
            scope.push(word.to_string(), ());
        }
        let ast = self.engine.compile_with_scope(&scope, &body.code).ok()?;
        // Its names only: the body's other findings wait until it compiles.
        Some(Scan {
            published: script_scan::scan(&ast).published,
            ..Scan::default()
        })
    }
}

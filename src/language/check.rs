//! Static checks: everything that can be known without running. Names resolve (parameters,
//! secrets, published values, modules, procedures), types agree, every body compiles, and
//! lints warn about what reviewers miss. Each finding points at its `.rb42` line.

mod compile_ahead;
mod compile_error;
mod values;

use super::ast::{Body, Item, Literal, ParamType, Procedure, Runbook};
use super::function_names::KnownFunctions;
use super::message_text;
use super::reserved_words::RHAI_RESERVED;
use super::script_scan::Scan;
use super::secret_flow;
use crate::diagnostic::rhai_position::span_in_body;
use crate::diagnostic::source::{Location, SourceFile, Span};
use crate::diagnostic::{Diagnostic, did_you_mean};
use compile_ahead::{Ahead, CompileAhead};
use rhai::{AST, Engine, Scope};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// The compiled bodies of a runbook, found by where each body starts.
#[derive(Default)]
pub struct Compiled {
    asts: HashMap<Location, AST>,
}

impl Compiled {
    pub fn get(&self, body: &Body) -> Option<&AST> {
        self.asts.get(&body.origin)
    }

    /// Every compiled body.
    pub fn asts(&self) -> impl Iterator<Item = &AST> {
        self.asts.values()
    }
}

/// What `check` found, and the bodies it compiled.
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub compiled: Compiled,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The compiled bodies, ready to run; or, when anything is wrong, only the errors (the
    /// warnings are `check`'s business).
    pub fn compiled_or_errors(self) -> Result<Compiled, Vec<Diagnostic>> {
        if self.has_errors() {
            Err(self
                .diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect())
        } else {
            Ok(self.compiled)
        }
    }
}

/// Whether [`check`] keeps the compiled bodies, for a run or a plan to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Compiled,
    /// Diagnostics only (`runbook check`, editors): each body's AST is dropped once checked,
    /// so a runbook of thousands of steps never holds them all.
    DiagnosticsOnly,
}

/// What a check made outside the language found (the `on` targets against the hosts and the
/// inventory, in `hosts::target_check`): its diagnostics join the others, and the names it
/// read count as used.
#[derive(Default)]
pub struct Findings {
    pub diagnostics: Vec<Diagnostic>,
    pub names_read: BTreeSet<String>,
}

/// Runs every static check; `engine` must already hold the runbook's modules. `targets` is what
/// the check of the `on` targets found.
pub fn check(
    runbook: &Runbook,
    source: &Arc<SourceFile>,
    engine: &Engine,
    keep: Keep,
    targets: Findings,
) -> Checked {
    let functions = KnownFunctions::of(engine);
    let mut checker = Checker {
        runbook,
        source,
        engine,
        diagnostics: Vec::new(),
        compiled: Compiled::default(),
        keep,
        variables_read: BTreeSet::new(),
        functions: &functions,
        ahead: CompileAhead::new(runbook, engine, &functions),
    };
    checker.declarations();
    checker.procedures();
    checker.diagnostics.extend(targets.diagnostics);
    checker.variables_read.extend(targets.names_read);
    // A body that does not compile reads nothing we know of: no "never used" noise then.
    if !checker.diagnostics.iter().any(Diagnostic::is_error) {
        checker.unused_params();
        checker.unused_values();
    }
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|d| (d.place.as_ref().map(|(_, s)| s.start), !d.is_error()));
    Checked {
        diagnostics,
        compiled: checker.compiled,
    }
}

struct Checker<'a> {
    runbook: &'a Runbook,
    source: &'a Arc<SourceFile>,
    engine: &'a Engine,
    diagnostics: Vec<Diagnostic>,
    compiled: Compiled,
    keep: Keep,
    variables_read: BTreeSet<String>,
    functions: &'a KnownFunctions,
    ahead: CompileAhead<'a>,
}

/// What a body may read besides its own locals.
#[derive(Clone, Default)]
struct Names {
    params: Vec<String>,
    secrets: Vec<String>,
    /// `let` values computed before this point.
    values: Vec<String>,
    /// `let` values declared after this point (while values are checked), with their line:
    /// naming one is a use before its definition.
    later: HashMap<String, usize>,
    /// The value being checked, while values are.
    defining: Option<String>,
    /// The secrets, and the values built from one: what must not reach a command line.
    secret_built: Vec<String>,
    published: Vec<String>,
    /// The names of `published`, and every name above: looked up once per word of each body,
    /// so that a procedure of thousands of steps is checked in linear time.
    published_set: HashSet<String>,
    known: HashSet<String>,
}

impl Names {
    fn new(params: Vec<String>, secrets: Vec<String>) -> Self {
        let known = params.iter().chain(&secrets).cloned().collect();
        Self {
            secret_built: secrets.clone(),
            params,
            secrets,
            known,
            ..Self::default()
        }
    }

    fn publish(&mut self, name: &str) {
        if self.published_set.insert(name.to_string()) {
            self.published.push(name.to_string());
            self.known.insert(name.to_string());
        }
    }

    fn value(&mut self, name: &str) {
        self.values.push(name.to_string());
        self.known.insert(name.to_string());
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .chain(&self.secrets)
            .chain(&self.values)
            .chain(&self.published)
            .map(String::as_str)
    }

    /// What a name from outside a body is, if it is one: bodies cannot assign to any of them.
    fn constant_kind(&self, name: &str) -> Option<&'static str> {
        if self.params.iter().any(|p| p == name) {
            Some("parameter")
        } else if self.secrets.iter().any(|s| s == name) {
            Some("secret")
        } else if self.values.iter().any(|v| v == name) {
            Some("value")
        } else if self.published_set.contains(name) {
            Some("published value")
        } else {
            None
        }
    }
}

impl Checker<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::error(message).at(self.source, span));
        self.diagnostics
            .last_mut()
            .unwrap_or_else(|| unreachable!())
    }

    fn warning(&mut self, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diagnostics
            .push(Diagnostic::warning(message).at(self.source, span));
        self.diagnostics
            .last_mut()
            .unwrap_or_else(|| unreachable!())
    }

    fn declarations(&mut self) {
        let runbook = self.runbook;
        let mut seen: HashMap<&str, &str> = HashMap::new();
        let names = runbook
            .params
            .iter()
            .map(|p| (&p.name, "parameter"))
            .chain(runbook.secrets.iter().map(|s| (&s.name, "secret")))
            .chain(runbook.modules.iter().map(|m| (&m.alias, "module")))
            .chain(runbook.values.iter().map(|v| (&v.name, "value")));
        for (name, kind) in names {
            if RHAI_RESERVED.contains(&name.text.as_str()) {
                self.error(
                    name.span,
                    format!(
                        "`{}` is reserved by rhai and cannot name a {kind}",
                        name.text
                    ),
                );
            }
            if let Some(first) = seen.insert(&name.text, kind) {
                self.error(
                    name.span,
                    format!("`{}` is already declared as a {first}", name.text),
                );
            }
        }
        for param in &runbook.params {
            if let Some(default) = &param.default
                && !literal_fits(&default.value, param.ty)
            {
                self.error(
                    default.span,
                    format!(
                        "the default of `{}` is not a {}",
                        param.name.text,
                        param.ty.name()
                    ),
                );
            }
            for value in param.allowed.iter().flatten() {
                if !literal_fits(&value.value, param.ty) {
                    self.error(
                        value.span,
                        format!(
                            "this allowed value of `{}` is not a {}",
                            param.name.text,
                            param.ty.name()
                        ),
                    );
                }
            }
            if let (Some(default), Some(allowed)) = (&param.default, &param.allowed)
                && !allowed.iter().any(|a| a.value == default.value)
            {
                self.error(
                    default.span,
                    format!(
                        "the default of `{}` is not one of its allowed values",
                        param.name.text
                    ),
                );
            }
        }
        if runbook.procedures.is_empty() {
            self.error(runbook.name.span, "this runbook has no procedure")
                .help = Some("add `procedure deploy \"Title\" { step … }`".into());
        }
        let defaults: Vec<_> = runbook.procedures.iter().filter(|p| p.is_default).collect();
        if let Some(second) = defaults.get(1) {
            let span = second.id.span;
            self.error(
                span,
                format!(
                    "`{}` is the second procedure marked default",
                    second.id.text
                ),
            );
        }
        let mut ids = BTreeSet::new();
        for procedure in &runbook.procedures {
            if !ids.insert(&procedure.id.text) {
                self.error(
                    procedure.id.span,
                    format!("duplicate procedure id `{}`", procedure.id.text),
                );
            }
        }
    }

    fn base_names(&self) -> Names {
        Names::new(
            self.runbook
                .params
                .iter()
                .map(|p| p.name.text.clone())
                .collect(),
            self.runbook
                .secrets
                .iter()
                .map(|s| s.name.text.clone())
                .collect(),
        )
    }

    fn procedures(&mut self) {
        let mut base = self.base_names();
        self.values(&self.runbook.values, &mut base);
        for guard in &self.runbook.guards {
            self.message(&guard.title, guard.span, &base);
            self.body(&guard.body, &base);
        }
        for procedure in &self.runbook.procedures {
            self.procedure(procedure, &base);
        }
    }

    fn procedure(&mut self, procedure: &Procedure, base: &Names) {
        let mut names = base.clone();
        self.procedure_value_names(procedure);
        self.values(&procedure.values, &mut names);
        for guard in &procedure.guards {
            self.message(&guard.title, guard.span, &names);
            self.body(&guard.body, &names);
        }
        let mut step_ids = BTreeSet::new();
        let has_rollbacks = procedure.steps().any(|s| s.rollback.is_some());
        let last_step = procedure
            .items
            .iter()
            .rposition(|i| matches!(i, Item::Step(_)));
        for (index, item) in procedure.items.iter().enumerate() {
            let step = match item {
                Item::Gate(gate) => {
                    self.message(&gate.message, gate.span, &names);
                    if let Some(condition) = &gate.condition {
                        self.body(condition, &names);
                    }
                    if last_step.is_none_or(|last| index > last) {
                        self.error(
                            gate.span,
                            "a confirmation must be followed by a step it guards",
                        );
                    }
                    continue;
                }
                Item::Step(step) => step,
            };
            if !step_ids.insert(step.id.text.as_str()) {
                self.error(
                    step.id.span,
                    format!(
                        "duplicate step id `{}` in procedure `{}`",
                        step.id.text, procedure.id.text
                    ),
                );
            }
            self.message(step.title(), step.id.span, &names);
            if let Some(question) = &step.confirm {
                self.message(question, step.id.span, &names);
            }
            if let Some(condition) = &step.confirm_if {
                self.body(condition, &names);
            }
            if let Some(when) = &step.when {
                self.body(when, &names);
            }
            let Some(scan) = self.body(&step.body, &names) else {
                continue;
            };
            // What a step publishes, its own rollback and every later body may read.
            for (name, at) in &scan.published {
                if names.values.contains(name) {
                    let span = span_in_body(step.body.origin, *at);
                    self.error(
                        span,
                        format!("`{name}` is a value: a step cannot publish it"),
                    )
                    .help = Some("publish it under another name".into());
                }
                names.publish(name);
            }
            for at in &scan.dynamic_publish {
                let span = span_in_body(step.body.origin, *at);
                self.warning(
                    span,
                    "publish with a computed name: later steps cannot be checked against it",
                );
            }
            if let Some(rollback) = &step.rollback {
                self.body(rollback, &names);
            } else if let Some(why) = &step.rollback_none {
                if why.trim().is_empty() {
                    self.error(
                        step.id.span,
                        format!("`rollback none` on step `{}` must say why", step.id.text),
                    )
                    .help = Some("rollback none \"backups are kept, nothing to undo\"".into());
                }
            } else if has_rollbacks && let Some(at) = scan.first_change {
                let span = span_in_body(step.body.origin, at);
                self.warning(
                    span,
                    format!(
                        "step `{}` changes the world but has no rollback, while other steps of `{}` have one",
                        step.id.text, procedure.id.text
                    ),
                )
                .help = Some("add `rollback { … }`, mark reads with #{read: true}, or say why there is none: `rollback none \"…\"`".into());
            }
        }
        if let Some(finally) = &procedure.finally {
            self.body(finally, &names);
        }
    }

    /// Warns about `${name}` references in a step title, confirmation message or guard title
    /// that name no parameter, secret or value published earlier: they would show as `⟨name⟩`.
    fn message(&mut self, text: &str, span: Span, names: &Names) {
        for reference in message_text::references(text) {
            let name = message_text::root(reference);
            if !names.all().any(|known| known == name) {
                let help =
                    did_you_mean(name, names.all()).map(|m| format!("did you mean `${{{m}}}`?"));
                self.warning(
                    span,
                    format!("`${{{reference}}}` names no parameter, secret or value published before it: it shows as ⟨{reference}⟩"),
                )
                .help = help;
            } else {
                self.variables_read.insert(name.to_string());
            }
        }
    }

    /// Compiles one body with the names it may read (or takes it compiled ahead, when that is
    /// the same); reports what is wrong inside it.
    fn body(&mut self, body: &Body, names: &Names) -> Option<Scan> {
        let ahead = match self.ahead.take(body, &names.known) {
            Some(ahead) => ahead,
            None => match self
                .engine
                .compile_with_scope(&Self::scope(body, names), &body.code)
            {
                Ok(ast) => Ahead::of(ast, self.functions),
                Err(e) => return self.compile_error(body, names, &e),
            },
        };
        let Ahead {
            ast,
            scan,
            unresolved,
        } = ahead;
        self.variables_read
            .extend(scan.variables.iter().map(|(n, _)| n.clone()));
        self.assignments(body, &scan, names);
        for (var, at) in &scan.shell_interpolations {
            if names.params.contains(var) || names.published_set.contains(var) {
                let span = span_in_body(body.origin, *at);
                self.warning(
                    span,
                    format!("`{var}` is interpolated into a shell command without quoting"),
                )
                .help = Some(format!(
                    "write ${{quote({var})}}, or pass an argv array: sh([\"cmd\", {var}])"
                ));
            }
        }
        for call in unresolved {
            let span = span_in_body(body.origin, call.at);
            self.error(span, call.message).help = call.help;
        }
        self.secret_leaks(body, &ast, names);
        if self.keep == Keep::Compiled {
            self.compiled.asts.insert(body.origin, ast);
        }
        Some(scan)
    }

    /// The outer names `body` may read where it stands: the known ones among its words.
    fn scope(body: &Body, names: &Names) -> Scope<'static> {
        let mut scope = Scope::new();
        // Plain variables, not constants: the optimizer would inline a constant's value.
        for word in body.words() {
            if names.known.contains(word) {
                scope.push(word.to_string(), ());
            }
        }
        scope
    }

    /// Warns where a secret, or a value built from one, reaches a command line.
    fn secret_leaks(&mut self, body: &Body, ast: &AST, names: &Names) {
        for leak in secret_flow::leaks(ast, &names.secret_built) {
            let span = span_in_body(body.origin, leak.at);
            let what = if names.secrets.contains(&leak.secret) {
                format!("secret `{}`", leak.secret)
            } else {
                format!("value `{}`, built from a secret,", leak.secret)
            };
            self.warning(
                span,
                format!(
                    "{what} reaches the command line of `{}`, where `ps` shows it to every user of the machine",
                    leak.call
                ),
            )
            .help = Some(format!(
                "pass it in the environment (#{{env: #{{VAR: {}}}}}) or on standard input (#{{stdin: {}}})",
                leak.secret, leak.secret
            ));
        }
    }

    fn unused_params(&mut self) {
        for param in &self.runbook.params {
            if !self.variables_read.contains(&param.name.text) {
                self.warning(
                    param.name.span,
                    format!("parameter `{}` is never used", param.name.text),
                );
            }
        }
    }
}

/// Whether a literal is a value of the type.
pub fn literal_fits(literal: &Literal, ty: ParamType) -> bool {
    match (literal, ty) {
        (Literal::String(_), ParamType::String)
        | (Literal::Int(_), ParamType::Int)
        | (Literal::Bool(_), ParamType::Bool) => true,
        (Literal::Duration(_), ParamType::Duration) => true,
        (Literal::String(s), ParamType::Duration) => super::duration::parse(s).is_some(),
        (Literal::List(items), ParamType::List) => {
            items.iter().all(|i| matches!(i, Literal::String(_)))
        }
        _ => false,
    }
}

//! The syntax tree of a runbook, as the parser builds it and everything after reads it.

use crate::diagnostic::source::{Location, Span};
use crate::language::output_limit::OutputLimit;
use std::collections::HashSet;
use std::time::Duration;

/// A name with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A whole `.rb42` file.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub name: Name,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub contacts: Vec<Contact>,
    pub tags: Vec<String>,
    pub params: Vec<Param>,
    pub secrets: Vec<Secret>,
    pub modules: Vec<ModuleUse>,
    pub hosts: Vec<HostDecl>,
    pub groups: Vec<GroupDecl>,
    pub inventory: Option<ValueAt>,
    /// `let name = …;` at the top: values every procedure may read.
    pub values: Vec<ValueDecl>,
    pub guards: Vec<Guard>,
    pub procedures: Vec<Procedure>,
}

impl Runbook {
    pub fn procedure(&self, id: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.id.text == id)
    }
}

/// `contact "Name" "how to reach"`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Contact {
    pub name: String,
    pub reach: Option<String>,
}

/// The declared type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    String,
    Int,
    Bool,
    Duration,
    List,
}

impl ParamType {
    pub fn name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Int => "int",
            ParamType::Bool => "bool",
            ParamType::Duration => "duration",
            ParamType::List => "list",
        }
    }
}

/// A literal written in the runbook (defaults and allowed values).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(Duration),
    List(Vec<Literal>),
}

/// A literal with its place.
#[derive(Debug, Clone)]
pub struct LiteralAt {
    pub value: Literal,
    pub span: Span,
}

/// `param name: type = default …`.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: Name,
    pub ty: ParamType,
    pub default: Option<LiteralAt>,
    pub allowed: Option<Vec<LiteralAt>>,
    pub env: Option<String>,
    pub help: Option<String>,
}

/// Where a secret's value comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "source", content = "from", rename_all = "lowercase")]
pub enum SecretSource {
    Env(String),
    File(String),
    Prompt(String),
    /// A program's standard output: its argv (no shell) and how long it may take.
    Command {
        argv: Vec<String>,
        #[serde(skip)]
        timeout: Option<Duration>,
    },
}

impl SecretSource {
    /// The source's keyword: `env`, `file`, `prompt` or `command`.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretSource::Env(_) => "env",
            SecretSource::File(_) => "file",
            SecretSource::Prompt(_) => "prompt",
            SecretSource::Command { .. } => "command",
        }
    }

    /// Its argument as plain text: the variable, the path, the question, or the command line.
    pub fn target(&self) -> String {
        match self {
            SecretSource::Env(text) | SecretSource::File(text) | SecretSource::Prompt(text) => {
                text.clone()
            }
            SecretSource::Command { argv, .. } => argv
                .iter()
                .map(|word| crate::shell_quote::quote(word))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Its argument as a runbook writes it: `"VAR"`, or `["pass", "show", "prod/db"]`.
    pub fn written(&self) -> String {
        match self {
            SecretSource::Command { argv, .. } => format!("{argv:?}"),
            _ => format!("{:?}", self.target()),
        }
    }
}

/// `secret name from …`.
#[derive(Debug, Clone)]
pub struct Secret {
    pub name: Name,
    pub source: SecretSource,
    /// Absent means empty, not an error.
    pub optional: bool,
}

/// `use "path" as alias`.
#[derive(Debug, Clone)]
pub struct ModuleUse {
    pub path: String,
    pub path_span: Span,
    pub alias: Name,
}

/// A value written in a host declaration: text, a number, or a parameter or secret by name.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Ref(String),
}

/// A value with its place.
#[derive(Debug, Clone)]
pub struct ValueAt {
    pub value: Value,
    pub span: Span,
}

/// `host id "user@address:port" { … }`: a machine reached over SSH.
#[derive(Debug, Clone)]
pub struct HostDecl {
    pub name: Name,
    pub address: Option<ValueAt>,
    pub user: Option<ValueAt>,
    pub port: Option<ValueAt>,
    pub identity: Option<ValueAt>,
    pub jump: Vec<ValueAt>,
    /// `option "ServerAliveInterval" 15`: passed to ssh as written.
    pub options: Vec<(String, ValueAt)>,
}

/// `group id [host, …]`.
#[derive(Debug, Clone)]
pub struct GroupDecl {
    pub name: Name,
    pub members: Vec<Name>,
}

/// How many hosts of a fan-out may fail before the step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tolerance {
    /// The first failure stops the step (the default).
    #[default]
    None,
    /// Up to this percentage of hosts may fail.
    Percent(u8),
    /// Every host runs whatever the others do.
    All,
}

/// `on target forks N tolerate …`.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: Name,
    pub forks: Option<u32>,
    pub tolerate: Tolerance,
}

/// The target that means "this machine, no SSH".
pub const LOCAL_TARGET: &str = "local";

/// rhai source inside braces, with where its first character stands in the file.
#[derive(Debug, Clone)]
pub struct Body {
    pub code: String,
    pub origin: Location,
}

impl Body {
    /// Every identifier-like word of the code, strings included: a superset of the outer
    /// variables the body can name. Giving a body only the runbook's names found here keeps
    /// its scope small when a procedure publishes thousands of values.
    pub fn words(&self) -> HashSet<&str> {
        self.code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| !word.is_empty())
            .collect()
    }
}

/// `let name = expression;`: a constant computed once, before the first guard.
#[derive(Debug, Clone)]
pub struct ValueDecl {
    pub name: Name,
    /// The expression, compiled and evaluated like a body.
    pub expr: Body,
}

impl ValueDecl {
    /// The expression on one line, as listings and pages show it.
    pub fn written(&self) -> String {
        self.expr
            .code
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `guard "title" { … }`.
#[derive(Debug, Clone)]
pub struct Guard {
    pub title: String,
    pub span: Span,
    pub body: Body,
}

/// `procedure id "Title" { … }`.
#[derive(Debug, Clone)]
pub struct Procedure {
    pub id: Name,
    pub title: Option<String>,
    pub description: Option<String>,
    pub is_default: bool,
    pub target: Option<Target>,
    /// `let name = …;` inside the procedure: after the runbook's values, before its guards.
    pub values: Vec<ValueDecl>,
    pub guards: Vec<Guard>,
    pub items: Vec<Item>,
    pub finally: Option<Body>,
}

impl Procedure {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id.text)
    }

    /// The runbook's values, then the procedure's own, in the order they are computed.
    pub fn values<'a>(&'a self, runbook: &'a Runbook) -> impl Iterator<Item = &'a ValueDecl> {
        runbook.values.iter().chain(&self.values)
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.items.iter().filter_map(|item| match item {
            Item::Step(step) => Some(step),
            Item::Gate(_) => None,
        })
    }
}

/// What a procedure is made of, in order.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a few per procedure; boxing would only add noise
pub enum Item {
    Step(Step),
    Gate(Gate),
}

/// `confirm ["always"] "question"` between steps.
#[derive(Debug, Clone)]
pub struct Gate {
    pub message: String,
    /// `confirm always`: answered only by the operator at a terminal, never by a flag.
    pub always: bool,
    pub span: Span,
    /// `confirm "…" if { … }`: asked only where this holds.
    pub condition: Option<Body>,
}

/// `retry N every D backoff F`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub times: u32,
    pub delay: Duration,
    pub backoff: f64,
}

/// `step id "Title" … { … } rollback { … }`.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: Name,
    pub title: Option<String>,
    pub target: Option<Target>,
    pub retry: Option<Retry>,
    pub timeout: Option<Duration>,
    pub when: Option<Body>,
    pub confirm: Option<String>,
    /// `confirm "…" if { … }`: the question is asked only where this holds.
    pub confirm_if: Option<Body>,
    /// `optional`: run, skip or abort, as the operator chooses.
    pub optional: bool,
    /// `confirm always`: answered only by the operator at a terminal, never by a flag.
    pub confirm_always: bool,
    /// `journal N|all`: the output lines the journal keeps of the step, instead of the run's.
    pub journal: Option<OutputLimit>,
    pub body: Body,
    pub rollback: Option<Body>,
    /// `rollback always`: the rollback also runs when the step itself fails.
    pub rollback_always: bool,
    /// `rollback none "why"`: the step deliberately owes no rollback, for this reason.
    pub rollback_none: Option<String>,
}

impl Step {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.id.text)
    }
}

/// How a confirmation's `if { … }` reads after its question: ` (only if env == "production")`,
/// or nothing.
pub fn only_if(condition: Option<&Body>) -> String {
    condition.map_or_else(String::new, |c| {
        let code: Vec<&str> = c.code.split_whitespace().collect();
        format!(" (only if {})", code.join(" "))
    })
}

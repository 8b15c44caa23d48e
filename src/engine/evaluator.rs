//! The one body evaluator, shared by the runner, the tracer behind `doc` and `plan --base`, and
//! the REPL: it builds a body's scope (parameters, secrets, the published values it names, as
//! the slot it runs on sees them), evaluates the body on a slot, and explains a failure.

use super::rhai_error::{Explained, explain};
use super::run_values::{ParamValue, SecretValue};
use crate::context::acting_host;
use crate::context::run_context::RunContext;
use crate::context::stop_signal::StopReason;
use crate::context::unknown_value::STOP_SENTENCE;
use crate::diagnostic::error_kind::ErrorKind;
use crate::diagnostic::rhai_position;
use crate::diagnostic::snippet::Snippet;
use crate::diagnostic::source::SourceFile;
use crate::language::ast::Body;
use crate::language::check::Compiled;
use rhai::{Dynamic, Engine, Scope};
use std::fmt;
use std::sync::Arc;

/// Where one evaluation of a body acts: here, or on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    Here,
    Host(String),
}

impl Slot {
    /// The host, if the slot is one.
    pub fn host(&self) -> Option<&str> {
        match self {
            Slot::Here => None,
            Slot::Host(h) => Some(h),
        }
    }

    /// `web1: ` before a message about a host; nothing here.
    pub fn prefix(&self) -> String {
        self.host().map(|h| format!("{h}: ")).unwrap_or_default()
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.host().unwrap_or("here"))
    }
}

/// Why a body did not finish.
#[derive(Debug)]
pub struct Failure {
    /// The failure as a sentence, with the functions it happened in.
    pub message: String,
    /// Only the innermost sentence (pages say what stopped, not where inside the helpers).
    pub sentence: String,
    pub host: Option<String>,
    /// The statement that failed, with its line's text for a caret (boxed: a `Result` with a
    /// `Failure` stays small).
    pub location: Option<Box<Snippet>>,
    pub kind: ErrorKind,
    pub stopped: Option<StopReason>,
    pub declined: bool,
    /// In a dry-run: the failure came from a value only a real run knows.
    pub from_unknown: bool,
    /// In a dry-run: a decision on the value only a real run knows, `⟨…⟩`, stopped the body
    /// here (the message says the rest depends on it).
    pub unknown: Option<Box<str>>,
}

impl Failure {
    /// The message, prefixed with the host it happened on.
    pub fn describe_host(&self) -> String {
        match &self.host {
            Some(host) => format!("{host}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// The message, followed by where it happened.
    pub fn describe(&self) -> String {
        match &self.location {
            Some(at) => format!("{} (at {at})", self.message),
            None => self.message.clone(),
        }
    }
}

/// What a body is evaluated with.
pub struct Evaluator<'a> {
    pub ctx: &'a Arc<RunContext>,
    pub engine: &'a Engine,
    pub compiled: &'a Compiled,
    pub source: &'a Arc<SourceFile>,
    pub params: &'a [ParamValue],
    pub secrets: &'a [SecretValue],
}

impl Evaluator<'_> {
    /// The scope a body starts from on `slot`: parameters, secrets, and the `let` values and
    /// published values it names (a host's own, else every host's by host).
    pub fn scope(&self, body: &Body, slot: &Slot) -> Scope<'static> {
        let mut scope = Scope::new();
        for p in self.params {
            scope.push_constant_dynamic(p.name.clone(), p.value.clone());
        }
        for s in self.secrets {
            scope.push_constant(s.name.clone(), s.value.clone());
        }
        let words = body.words();
        for (name, value) in self.ctx.values_named(&words) {
            scope.push_constant_dynamic(name, value);
        }
        for (name, value) in self.ctx.published_named(&words, slot.host()) {
            scope.push_constant_dynamic(name, value);
        }
        scope
    }

    /// Evaluates a body on this thread, acting on `slot`.
    pub fn evaluate(&self, body: &Body, slot: &Slot) -> Result<Dynamic, Failure> {
        let host = slot.host();
        let Some(ast) = self.compiled.get(body) else {
            let message = "internal: body was not compiled".to_string();
            return Err(Failure {
                sentence: message.clone(),
                message,
                host: host.map(str::to_string),
                location: None,
                kind: ErrorKind::Script,
                stopped: None,
                declined: false,
                from_unknown: false,
                unknown: None,
            });
        };
        let _acting = acting_host::enter(host);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope(body, slot), ast);
        let stopped = self.ctx.stop.check();
        result.map_err(|error| {
            let Explained {
                mut message,
                mut sentence,
                position,
                kind,
                on_unknown,
            } = explain(*error);
            // A decision on an unknown value handed out before this body (a published name)
            // comes from an unknown too.
            let used = self.ctx.take_unknown_used();
            let from_unknown = self.ctx.is_dry_run() && (used || on_unknown);
            let unknown = (from_unknown && on_unknown && stopped.is_none()).then(|| {
                if let Some(origin) = sentence.strip_prefix(STOP_SENTENCE) {
                    return origin.into();
                }
                let origin = self.ctx.last_unknown();
                sentence = format!("{STOP_SENTENCE}{origin}");
                message.clone_from(&sentence);
                origin.into()
            });
            let message = match stopped {
                Some(reason) if message.contains(&reason.to_string()) => message,
                Some(reason) => reason.to_string(),
                None => message,
            };
            Failure {
                location: position.map(|p| {
                    let at = Snippet::of(self.source, rhai_position::span_in_body(body.origin, p));
                    Box::new(at.masked(|line| self.ctx.mask(line)))
                }),
                kind: stopped.map_or(kind, StopReason::kind),
                host: host.map(str::to_string),
                stopped,
                declined: self.ctx.take_declined(),
                from_unknown,
                unknown,
                message: self.ctx.mask(&message),
                sentence: self.ctx.mask(&sentence),
            }
        })
    }
}

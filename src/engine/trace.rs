//! The dry-run trace a page (and `plan --base`) is made from: every guard, step body, rollback
//! and `finally` of a procedure evaluated once, in order, in dry-run mode, recording the actions
//! each would take.
//!
//! The primitives are the ones a plan uses (dry-run is the one setting they check), but the
//! walk differs from the run loop on purpose: a page documents the procedure, not one run of
//! it, so every step is traced whatever its `when` says (the condition is shown instead), a body
//! that stops early does not hide the steps after it, and a step's rollback is traced even when
//! the dry-run of its body stopped. The values it is given (parameters, secrets as placeholders,
//! hosts) are resolved by the caller (`session::doc_trace`); the clock, the environment and the
//! local file checks answer with stand-ins (`frozen_world`).

use super::evaluator::{Evaluator, Slot};
use super::frozen_world;
use super::let_values;
use super::message_filling;
use super::plan::PlannedAction;
use crate::context::event::{Event, EventSink, Level, Phase};
use crate::context::run_context::{RunContext, UNKNOWN_OPEN};
use crate::context::secret_mask::SecretMask;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::engine::run_values::{ParamValue, SecretValue, publish_unknown};
use crate::engine::script_engine;
use crate::hosts::resolution::Hosts;
use crate::language::ast::{Body, Item, Procedure, Runbook};
use crate::language::check::Compiled;
use rhai::Engine;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// What one body would do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TracedBody {
    /// Every action, in order, on every host the body runs on.
    pub actions: Vec<PlannedAction>,
    /// The questions its `confirm()` calls would ask.
    pub asks: Vec<String>,
    /// What its `warn()` calls say.
    pub warnings: Vec<String>,
    /// Why the dry-run of the body stopped before its end, if it did.
    pub stopped: Option<String>,
    /// Whether that stop came from a value only a real run knows (a command's output, a
    /// parameter without value): then it says nothing about the runbook being wrong.
    pub stopped_on_unknown: bool,
    /// The value only a real run knows that a decision stopped the body at, `⟨…⟩`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
}

/// What one step would do, and what its rollback would undo.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StepTrace {
    pub body: TracedBody,
    /// `None` when the step has no rollback.
    pub rollback: Option<TracedBody>,
    /// The hosts it runs on; empty for this machine.
    pub hosts: Vec<String>,
}

/// The trace of one procedure.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProcedureTrace {
    /// The runbook's guards, then the procedure's, in order.
    pub guards: Vec<TracedBody>,
    /// Each guard and step title and confirmation message as written, with its `${name}`
    /// references filled in as a run fills them at that point (`message_filling`); a text
    /// written twice keeps its first filling.
    pub texts: BTreeMap<String, String>,
    /// By step id.
    pub steps: BTreeMap<String, StepTrace>,
    pub finally: Option<TracedBody>,
    /// The hosts the procedure's own target stands for; empty for this machine.
    pub hosts: Vec<String>,
}

/// A runbook with the trace of each of its procedures.
pub struct TracedRunbook {
    pub source: Arc<SourceFile>,
    pub runbook: Runbook,
    /// Each parameter as the trace saw it: given, default, or a placeholder.
    pub params: Vec<ParamValue>,
    /// The procedures' traces, in the runbook's order.
    pub procedures: Vec<(String, ProcedureTrace)>,
    /// Every host and group name with the hosts it stands for.
    pub targets: BTreeMap<String, Vec<String>>,
}

impl ProcedureTrace {
    /// A title or message as written, as the run would show it (`texts`).
    pub fn text(&self, written: &str) -> String {
        self.texts
            .get(written)
            .cloned()
            .unwrap_or_else(|| written.to_string())
    }
}

impl TracedRunbook {
    pub fn trace(&self, procedure: &str) -> Option<&ProcedureTrace> {
        self.procedures
            .iter()
            .find(|(id, _)| id == procedure)
            .map(|(_, t)| t)
    }
}

/// Collects the events of the body being traced.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl EventSink for Recorder {
    fn emit(&self, event: &Event) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event.clone());
    }
}

impl Recorder {
    fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// One procedure's dry-run: its own context, so values one procedure publishes never leak into
/// another's trace.
pub struct Tracer<'a> {
    ctx: Arc<RunContext>,
    recorder: Arc<Recorder>,
    engine: Engine,
    compiled: Compiled,
    runbook: &'a Runbook,
    source: Arc<SourceFile>,
    params: &'a [ParamValue],
    secrets: Vec<SecretValue>,
}

impl<'a> Tracer<'a> {
    pub fn new(
        runbook: &'a Runbook,
        source: &Arc<SourceFile>,
        params: &'a [ParamValue],
        secrets: &'a BTreeMap<String, String>,
        hosts: Hosts,
        inventory: Option<&Path>,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Self, Vec<Diagnostic>> {
        let recorder = Arc::new(Recorder::default());
        let ctx = Arc::new(RunContext::dry(
            source.dir().to_path_buf(),
            runtime.clone(),
            Arc::clone(&recorder) as Arc<dyn EventSink>,
        ));
        ctx.set_hosts(hosts);
        // A password inside a URL given with --param is a secret too.
        ctx.set_mask(SecretMask::new(
            params
                .iter()
                .filter_map(|p| crate::sql::address::password(&p.value.to_string())),
        ));
        let (mut engine, checked) = script_engine::prepare(&ctx, runbook, source, inventory);
        let compiled = checked.compiled_or_errors()?;
        frozen_world::freeze(&mut engine, &ctx);
        Ok(Self {
            ctx,
            recorder,
            engine,
            compiled,
            runbook,
            source: Arc::clone(source),
            params,
            secrets: secrets
                .iter()
                .map(|(name, value)| SecretValue {
                    name: name.clone(),
                    value: value.clone(),
                    placeholder: true,
                })
                .collect(),
        })
    }

    pub fn procedure(&self, procedure: &Procedure) -> ProcedureTrace {
        let hosts = self.hosts_of(procedure.target.as_ref().map(|t| t.name.text.as_str()));
        let mut trace = ProcedureTrace {
            hosts: hosts.clone(),
            ..ProcedureTrace::default()
        };
        // A value that fails is unknown to the bodies traced after it (a page describes, the
        // plan reports the failure).
        let_values::compute(&self.evaluator(), self.runbook, procedure);
        for guard in &self.runbook.guards {
            self.fill(&mut trace, &guard.title);
            trace
                .guards
                .push(self.body(&guard.body, None, Phase::Guard, &[]));
        }
        for guard in &procedure.guards {
            self.fill(&mut trace, &guard.title);
            trace
                .guards
                .push(self.body(&guard.body, None, Phase::Guard, &hosts));
        }
        for item in &procedure.items {
            let step = match item {
                Item::Gate(gate) => {
                    self.fill(&mut trace, &gate.message);
                    continue;
                }
                Item::Step(step) => step,
            };
            let id = step.id.text.as_str();
            self.fill(&mut trace, step.title());
            if let Some(question) = &step.confirm {
                self.fill(&mut trace, question);
            }
            let on = step
                .target
                .as_ref()
                .or(procedure.target.as_ref())
                .map(|t| t.name.text.as_str());
            let hosts = self.hosts_of(on);
            let body = self.body(&step.body, Some(id), Phase::Body, &hosts);
            if let Some(ast) = self.compiled.get(&step.body) {
                publish_unknown(&self.ctx, ast, None);
            }
            let rollback = step
                .rollback
                .as_ref()
                .map(|r| self.body(r, Some(id), Phase::Rollback, &hosts));
            trace.steps.insert(
                id.to_string(),
                StepTrace {
                    body,
                    rollback,
                    hosts,
                },
            );
        }
        trace.finally = procedure
            .finally
            .as_ref()
            .map(|f| self.body(f, None, Phase::Finally, &trace.hosts));
        trace
    }

    /// Records a title or message as the run would show it at this point of the procedure.
    fn fill(&self, trace: &mut ProcedureTrace, text: &str) {
        if !trace.texts.contains_key(text) {
            let filled = message_filling::fill(text, &self.ctx, self.runbook, self.params);
            trace.texts.insert(text.to_string(), filled);
        }
    }

    fn hosts_of(&self, target: Option<&str>) -> Vec<String> {
        target
            .and_then(|name| self.ctx.hosts().target(name).map(<[String]>::to_vec))
            .unwrap_or_default()
    }

    /// Traces a body here, or on each host in turn (in order, so the trace is the same every
    /// time).
    fn body(&self, body: &Body, step: Option<&str>, phase: Phase, hosts: &[String]) -> TracedBody {
        let slots: Vec<Slot> = if hosts.is_empty() {
            vec![Slot::Here]
        } else {
            hosts.iter().map(|h| Slot::Host(h.clone())).collect()
        };
        let mut traced = TracedBody::default();
        for slot in slots {
            self.ctx.enter(step, phase);
            self.ctx.take_unknown_used();
            self.recorder.take();
            let result = self.evaluator().evaluate(body, &slot);
            for event in self.recorder.take() {
                match event {
                    Event::Action {
                        primitive,
                        target,
                        command,
                        effect,
                        reason,
                        ..
                    } => traced.actions.push(PlannedAction {
                        primitive,
                        target,
                        command,
                        effect,
                        reason,
                    }),
                    Event::ConfirmationAsked { message, .. } => traced.asks.push(message),
                    Event::Log {
                        level: Level::Warn,
                        message,
                        ..
                    } => traced.warnings.push(message),
                    _ => {}
                }
            }
            let unknown = self.ctx.take_unknown_used();
            if let Err(failure) = result
                && traced.stopped.is_none()
            {
                traced.stopped_at = failure.unknown.as_deref().map(str::to_string);
                let why = match &failure.unknown {
                    Some(origin) => {
                        let at = failure
                            .location
                            .as_ref()
                            .map(|l| format!(" (line {})", l.line))
                            .unwrap_or_default();
                        format!("a decision on {origin}{at}")
                    }
                    None => failure.sentence,
                };
                traced.stopped_on_unknown =
                    failure.from_unknown || unknown || why.contains(UNKNOWN_OPEN);
                traced.stopped = Some(format!("{}{why}", slot.prefix()));
            }
        }
        traced
    }

    fn evaluator(&self) -> Evaluator<'_> {
        Evaluator {
            ctx: &self.ctx,
            engine: &self.engine,
            compiled: &self.compiled,
            source: &self.source,
            params: self.params,
            secrets: &self.secrets,
        }
    }
}

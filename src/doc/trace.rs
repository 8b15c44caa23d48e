//! The dry-run trace a page is made from: every guard, step body, rollback and `finally` of a
//! procedure evaluated once, in order, in dry-run mode, recording the actions each would take.
//!
//! The primitives are the ones a plan uses (dry-run is the one setting they check), but the
//! walk differs from the run loop on purpose: a page documents the procedure, not one run of
//! it, so every step is traced whatever its `when` says (the condition is shown instead), a body
//! that stops early does not hide the steps after it, and a step's rollback is traced even when
//! the dry-run of its body stopped. Parameters come from `--param`, else their default, else a
//! placeholder; secrets are never read (each is its placeholder); the environment is not
//! consulted at all, so the same runbook gives the same trace on any machine.

use super::frozen_world;
use crate::context::acting_host;
use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::{Event, EventSink, Level, Mode, Phase};
use crate::context::run_context::{RunContext, UNKNOWN_OPEN, placeholder};
use crate::context::secret_mask::SecretMask;
use crate::diagnostic::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::engine::parameters::{self, Inputs, ParamValue};
use crate::engine::script_engine;
use crate::hosts::resolution::{Hosts, Sources, Values};
use crate::language::ast::{Body, Item, ParamType, Procedure, Runbook};
use crate::language::check::Compiled;
use crate::language::parser;
use crate::language::script_scan;
use crate::output::plan::PlannedAction;
use rhai::{Array, Dynamic, Engine, EvalAltResult, Scope};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// What the trace of a runbook may be given.
#[derive(Debug, Default, Clone)]
pub struct TraceInputs {
    /// `--param name=value`, in order.
    pub params: Vec<(String, String)>,
    /// `--inventory FILE`, replacing the runbook's own.
    pub inventory: Option<PathBuf>,
}

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

impl TracedRunbook {
    pub fn trace(&self, procedure: &str) -> Option<&ProcedureTrace> {
        self.procedures
            .iter()
            .find(|(id, _)| id == procedure)
            .map(|(_, t)| t)
    }
}

/// Loads, checks and traces every procedure of `path` (or only `only`); any problem is a list
/// of diagnostics, and nothing is traced.
pub fn trace_file(
    path: &Path,
    inputs: &TraceInputs,
    only: Option<&str>,
) -> Result<TracedRunbook, Vec<Diagnostic>> {
    let (source, runbook) = parser::load(path).map_err(|d| vec![d])?;
    trace_runbook(source, runbook, inputs, only)
}

/// Traces `text` as if it were the file at `path` (its modules and relative paths resolve
/// beside it): an earlier version of a runbook, read from git.
pub fn trace_text(
    path: &Path,
    text: String,
    inputs: &TraceInputs,
    only: Option<&str>,
) -> Result<TracedRunbook, Vec<Diagnostic>> {
    let source = Arc::new(SourceFile::new(path, text));
    let runbook = parser::parse(&source).map_err(|d| vec![d])?;
    trace_runbook(source, runbook, inputs, only)
}

fn trace_runbook(
    source: Arc<SourceFile>,
    runbook: Runbook,
    inputs: &TraceInputs,
    only: Option<&str>,
) -> Result<TracedRunbook, Vec<Diagnostic>> {
    if let Some(id) = only
        && runbook.procedure(id).is_none()
    {
        let ids: Vec<&str> = runbook
            .procedures
            .iter()
            .map(|p| p.id.text.as_str())
            .collect();
        let d = Diagnostic::error(format!("no procedure `{id}` in this runbook"))
            .in_file(source.display_path());
        let d = match did_you_mean(id, ids.iter().copied()) {
            Some(close) => d.help(format!("did you mean `{close}`?")),
            None => d.help(format!("procedures: {}", ids.join(", "))),
        };
        return Err(vec![d]);
    }
    let params = doc_params(&runbook, &source, &inputs.params)?;
    let secrets: BTreeMap<String, String> = runbook
        .secrets
        .iter()
        .map(|s| {
            let name = s.name.text.clone();
            (name.clone(), placeholder(&format!("secret {name}")))
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            vec![Diagnostic::error(format!(
                "cannot start the async runtime: {e}"
            ))]
        })?;
    let param_text: BTreeMap<String, String> = params
        .iter()
        .map(|p| (p.name.clone(), p.value.to_string()))
        .collect();
    let resolve_hosts = || {
        Hosts::resolve(
            &Sources {
                runbook: &runbook,
                source: &source,
                inventory: inputs.inventory.as_deref(),
                procedure: None,
            },
            &Values {
                params: &param_text,
                secrets: &secrets,
            },
        )
    };
    let targets = target_names(&runbook, &resolve_hosts()?);
    let mut procedures = Vec::new();
    for procedure in &runbook.procedures {
        if only.is_some_and(|id| id != procedure.id.text) {
            continue;
        }
        let tracer = Tracer::new(
            &runbook,
            &source,
            &params,
            &secrets,
            resolve_hosts()?,
            runtime.handle(),
        )?;
        procedures.push((procedure.id.text.clone(), tracer.procedure(procedure)));
    }
    Ok(TracedRunbook {
        source,
        runbook,
        params,
        procedures,
        targets,
    })
}

/// Every name an `on` may use, with its hosts, as far as the declarations tell.
fn target_names(runbook: &Runbook, hosts: &Hosts) -> BTreeMap<String, Vec<String>> {
    let declared = runbook
        .hosts
        .iter()
        .map(|h| &h.name.text)
        .chain(runbook.groups.iter().map(|g| &g.name.text));
    let used = runbook.procedures.iter().flat_map(|p| {
        p.target
            .iter()
            .chain(p.steps().filter_map(|s| s.target.as_ref()))
            .map(|t| &t.name.text)
    });
    declared
        .chain(used)
        .filter_map(|name| Some((name.clone(), hosts.target(name)?.to_vec())))
        .collect()
}

/// Parameters for a page: `--param`, else the default, else a placeholder. The environment is
/// never read: a page must not depend on where it is made.
fn doc_params(
    runbook: &Runbook,
    source: &Arc<SourceFile>,
    given: &[(String, String)],
) -> Result<Vec<ParamValue>, Vec<Diagnostic>> {
    let declared: Vec<&str> = runbook
        .params
        .iter()
        .map(|p| p.name.text.as_str())
        .collect();
    let mut problems: Vec<Diagnostic> = given
        .iter()
        .filter(|(name, _)| !declared.contains(&name.as_str()))
        .map(|(name, _)| {
            let d = Diagnostic::error(format!("unknown parameter `{name}` (from --param)"))
                .in_file(source.display_path());
            match did_you_mean(name, declared.iter().copied()) {
                Some(close) => d.help(format!("did you mean `{close}`?")),
                None => d.help(format!("declared parameters: {}", declared.join(", "))),
            }
        })
        .collect();
    let is_given = |name: &str| given.iter().any(|(n, _)| n == name);
    // The parameters with a value, resolved as a run resolves them (types, `one of`), without
    // the environment; the others get their placeholder below.
    let mut valued = runbook.clone();
    valued
        .params
        .retain(|p| p.default.is_some() || is_given(&p.name.text));
    for param in &mut valued.params {
        param.env = None;
    }
    let inputs = Inputs {
        cli: given
            .iter()
            .filter(|(n, _)| declared.contains(&n.as_str()))
            .cloned()
            .collect(),
        env_file: HashMap::new(),
        given_by: None,
    };
    let every: std::collections::BTreeSet<String> =
        valued.params.iter().map(|p| p.name.text.clone()).collect();
    let mut values =
        parameters::resolve(&valued, source, &inputs, &every).unwrap_or_else(|mut p| {
            problems.append(&mut p);
            Vec::new()
        });
    if !problems.is_empty() {
        return Err(problems);
    }
    for param in &runbook.params {
        let name = &param.name.text;
        if values.iter().any(|v| &v.name == name) {
            continue;
        }
        let value: Dynamic = match param.ty {
            // One item standing for all of them: a loop over the list shows its body once.
            ParamType::List => vec![Dynamic::from(placeholder(name))]
                .into_iter()
                .collect::<Array>()
                .into(),
            _ => placeholder(name).into(),
        };
        values.push(ParamValue {
            name: name.clone(),
            shown: placeholder(name),
            value,
        });
    }
    values.sort_by_key(|v| declared.iter().position(|d| *d == v.name));
    Ok(values)
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
struct Tracer<'a> {
    ctx: Arc<RunContext>,
    recorder: Arc<Recorder>,
    engine: Engine,
    compiled: Compiled,
    runbook: &'a Runbook,
    params: &'a [ParamValue],
    secrets: &'a BTreeMap<String, String>,
}

impl<'a> Tracer<'a> {
    fn new(
        runbook: &'a Runbook,
        source: &Arc<SourceFile>,
        params: &'a [ParamValue],
        secrets: &'a BTreeMap<String, String>,
        hosts: Hosts,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Self, Vec<Diagnostic>> {
        let recorder = Arc::new(Recorder::default());
        let ctx = Arc::new(RunContext::new(
            Mode::DryRun,
            false,
            source.dir().to_path_buf(),
            runtime.clone(),
            ConfirmationGate::default(),
            crate::ssh::pool::SshSettings::default(),
            Arc::clone(&recorder) as Arc<dyn EventSink>,
        ));
        ctx.set_hosts(hosts);
        // A password inside a URL given with --param is a secret too.
        ctx.set_mask(SecretMask::new(
            params
                .iter()
                .filter_map(|p| crate::sql::address::password(&p.value.to_string())),
        ));
        let (mut engine, checked) = script_engine::prepare(&ctx, runbook, source);
        let compiled = checked.compiled_or_errors()?;
        frozen_world::freeze(&mut engine, &ctx);
        Ok(Self {
            ctx,
            recorder,
            engine,
            compiled,
            runbook,
            params,
            secrets,
        })
    }

    fn procedure(&self, procedure: &Procedure) -> ProcedureTrace {
        let hosts = self.hosts_of(procedure.target.as_ref().map(|t| t.name.text.as_str()));
        let mut trace = ProcedureTrace {
            hosts: hosts.clone(),
            ..ProcedureTrace::default()
        };
        for guard in &self.runbook.guards {
            trace
                .guards
                .push(self.body(&guard.body, None, Phase::Guard, &[]));
        }
        for guard in &procedure.guards {
            trace
                .guards
                .push(self.body(&guard.body, None, Phase::Guard, &hosts));
        }
        for item in &procedure.items {
            let Item::Step(step) = item else { continue };
            let id = step.id.text.as_str();
            let on = step
                .target
                .as_ref()
                .or(procedure.target.as_ref())
                .map(|t| t.name.text.as_str());
            let hosts = self.hosts_of(on);
            let body = self.body(&step.body, Some(id), Phase::Body, &hosts);
            self.stand_in_for_unpublished(&step.body);
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

    /// A value a step publishes but whose dry-run stopped (or branched) before publishing it
    /// becomes a placeholder, so the later steps that read it are still traced.
    fn stand_in_for_unpublished(&self, body: &Body) {
        let Some(ast) = self.compiled.get(body) else {
            return;
        };
        let names = script_scan::scan(ast).published;
        let wanted: HashSet<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        let known: HashSet<String> = self
            .ctx
            .published_named(&wanted)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        for (name, _) in &names {
            if !known.contains(name) {
                self.ctx.publish(name, placeholder(name).into());
            }
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
        let places: Vec<Option<&str>> = if hosts.is_empty() {
            vec![None]
        } else {
            hosts.iter().map(|h| Some(h.as_str())).collect()
        };
        let mut traced = TracedBody::default();
        for host in places {
            self.ctx.enter(step, phase);
            self.ctx.take_unknown_used();
            self.recorder.take();
            let result = self.evaluate(body, host);
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
            if let Err(why) = result
                && traced.stopped.is_none()
            {
                traced.stopped_on_unknown = unknown || why.contains(UNKNOWN_OPEN);
                let on = host.map(|h| format!("{h}: ")).unwrap_or_default();
                traced.stopped = Some(format!("{on}{why}"));
            }
        }
        traced
    }

    fn evaluate(&self, body: &Body, host: Option<&str>) -> Result<(), String> {
        let Some(ast) = self.compiled.get(body) else {
            return Err("internal: body was not compiled".into());
        };
        let _acting = acting_host::enter(host);
        let mut scope = Scope::new();
        for p in self.params {
            scope.push_constant_dynamic(p.name.clone(), p.value.clone());
        }
        for (name, value) in self.secrets {
            scope.push_constant(name.clone(), value.clone());
        }
        for (name, value) in self.ctx.published_named(&body.words()) {
            scope.push_constant_dynamic(name, value);
        }
        self.engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, ast)
            .map(drop)
            .map_err(|e| self.ctx.mask(&sentence(*e)))
    }
}

/// A rhai error as one sentence, without positions inside the body.
fn sentence(mut error: EvalAltResult) -> String {
    let _ = error.take_position();
    match error {
        EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => sentence(*inner),
        other => other.to_string(),
    }
}

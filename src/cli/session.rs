//! What `run` and `plan` share: load and check the runbook, pick the procedure, resolve
//! parameters and secrets, and build the engine bound to a run context. Every problem found
//! here is printed as a diagnostic and ends with exit code 2, before anything runs.

use super::Target;
use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::Status;
use crate::context::event::{EventSink, Mode};
use crate::context::run_context::RunContext;
use crate::context::secret_mask::SecretMask;
use crate::diagnostic::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::engine::parameters::{self, Inputs, ParamValue};
use crate::engine::runner::{Runner, Start};
use crate::engine::script_engine;
use crate::engine::secrets::{self, SecretValue};
use crate::exit_code;
use crate::hosts::resolution::{Hosts, Sources, Values};
use crate::language::ast::{Procedure, Runbook};
use crate::language::check::Compiled;
use crate::language::{needs, parser};
use crate::output::style::Style;
use rhai::Engine;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A runbook ready to run one procedure.
pub struct Session {
    pub source: Arc<SourceFile>,
    pub runbook: Runbook,
    pub procedure: String,
    /// Owns the I/O the primitives block on; dropped last.
    _runtime: tokio::runtime::Runtime,
    pub ctx: Arc<RunContext>,
    engine: Engine,
    compiled: Compiled,
    params: Vec<ParamValue>,
    secrets: Vec<SecretValue>,
    /// Which part of the procedure runs.
    pub start: Start,
}

/// Prints diagnostics the way `check` does, on stderr.
pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let style = Style::for_stderr();
    for d in diagnostics {
        eprint!("{}", d.render(style.colour));
    }
}

/// Fails with exit code 2 after printing `diagnostics`.
fn refuse<T>(diagnostics: &[Diagnostic]) -> Result<T, i32> {
    print_diagnostics(diagnostics);
    Err(exit_code::USAGE)
}

/// Picks the procedure named, or the default one.
pub fn select_procedure<'r>(
    runbook: &'r Runbook,
    source: &Arc<SourceFile>,
    name: Option<&str>,
) -> Result<&'r Procedure, Diagnostic> {
    let ids: Vec<&str> = runbook
        .procedures
        .iter()
        .map(|p| p.id.text.as_str())
        .collect();
    match name {
        Some(name) => runbook.procedure(name).ok_or_else(|| {
            let d = Diagnostic::error(format!("no procedure `{name}` in this runbook"))
                .in_file(source.display_path());
            match did_you_mean(name, ids.iter().copied()) {
                Some(close) => d.help(format!("did you mean `{close}`?")),
                None => d.help(format!("procedures: {}", ids.join(", "))),
            }
        }),
        None => {
            let defaults: Vec<&Procedure> =
                runbook.procedures.iter().filter(|p| p.is_default).collect();
            match (defaults.as_slice(), runbook.procedures.as_slice()) {
                ([one], _) => Ok(one),
                ([], [one]) => Ok(one),
                _ => Err(Diagnostic::error(
                    "this runbook has several procedures and none is marked `default`: name one",
                )
                .in_file(source.display_path())
                .help(format!("procedures: {}", ids.join(", ")))),
            }
        }
    }
}

/// `--confirm ID` naming no step of the procedure: a typo would silently leave a gate closed.
fn unknown_confirmations(procedure: &Procedure, gate: &ConfirmationGate) -> Vec<Diagnostic> {
    let ids: Vec<&str> = procedure.steps().map(|s| s.id.text.as_str()).collect();
    gate.allowed
        .iter()
        .filter(|id| !ids.contains(&id.as_str()))
        .map(|id| {
            let d = Diagnostic::error(format!(
                "--confirm {id}: no step `{id}` in procedure `{}`",
                procedure.id.text
            ));
            match did_you_mean(id, ids.iter().copied()) {
                Some(close) => d.help(format!("did you mean `{close}`?")),
                None => d.help(format!("steps: {}", ids.join(", "))),
            }
        })
        .collect()
}

fn inputs(target: &Target) -> Result<Inputs, Vec<Diagnostic>> {
    let mut inputs = Inputs::default();
    let mut problems = Vec::new();
    match super::param_args::parse(&target.params) {
        Ok(pairs) => inputs.cli = pairs,
        Err(bad) => problems.extend(bad.into_iter().map(Diagnostic::error)),
    }
    if let Some(path) = &target.env_file {
        match dotenvy::from_path_iter(path) {
            Ok(iter) => {
                for item in iter {
                    match item {
                        Ok((k, v)) => {
                            inputs.env_file.insert(k, v);
                        }
                        Err(e) => problems.push(
                            Diagnostic::error(format!("bad line in the env file: {e}"))
                                .in_file(path.display().to_string()),
                        ),
                    }
                }
            }
            Err(e) => problems.push(
                Diagnostic::error(format!("cannot read the env file: {e}"))
                    .in_file(path.display().to_string()),
            ),
        }
    }
    if problems.is_empty() {
        Ok(inputs)
    } else {
        Err(problems)
    }
}

/// The hosts and targets, with parameter and secret values filled in; only `procedure`'s
/// targets must resolve (every one when none is given).
pub fn resolve_hosts(
    runbook: &Runbook,
    procedure: Option<&Procedure>,
    source: &Arc<SourceFile>,
    inventory: Option<&std::path::Path>,
    params: &[ParamValue],
    secrets: &[SecretValue],
) -> Result<Hosts, Vec<Diagnostic>> {
    let params: BTreeMap<String, String> = params
        .iter()
        .map(|p| (p.name.clone(), p.value.to_string()))
        .collect();
    let secrets: BTreeMap<String, String> = secrets
        .iter()
        .map(|s| (s.name.clone(), s.value.clone()))
        .collect();
    Hosts::resolve(
        &Sources {
            runbook,
            source,
            inventory,
            procedure,
        },
        &Values {
            params: &params,
            secrets: &secrets,
        },
    )
}

/// What output must never show: the secrets read, and passwords inside URL parameters
/// (`postgres://app:pw@…`).
pub fn secret_mask(params: &[ParamValue], secrets: &[SecretValue]) -> SecretMask {
    let url_passwords = params
        .iter()
        .filter_map(|p| crate::sql::address::password(&p.value.to_string()));
    SecretMask::new(
        secrets
            .iter()
            .filter(|s| !s.placeholder)
            .map(|s| s.value.clone())
            .chain(url_passwords),
    )
}

impl Session {
    /// Loads, checks and resolves; `sink` is made once the procedure is known.
    pub fn open(
        target: &Target,
        mode: Mode,
        probe: bool,
        gate: ConfirmationGate,
        sink: impl FnOnce(&Procedure) -> Arc<dyn EventSink>,
    ) -> Result<Session, i32> {
        let (source, runbook) = parser::load(&target.file).or_else(|d| refuse(&[d]))?;
        let procedure = select_procedure(&runbook, &source, target.procedure.as_deref())
            .or_else(|d| refuse(&[d]))?;
        let unknown = unknown_confirmations(procedure, &gate);
        if !unknown.is_empty() {
            return refuse(&unknown);
        }
        let sink = sink(procedure);
        let procedure = procedure.id.text.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .or_else(|e| {
                refuse(&[Diagnostic::error(format!(
                    "cannot start the async runtime: {e}"
                ))])
            })?;
        let prompter = gate.prompter.clone();
        let ctx = Arc::new(RunContext::new(
            mode,
            probe,
            source.dir().to_path_buf(),
            runtime.handle().clone(),
            gate,
            target.ssh.settings(),
            sink,
        ));
        let (engine, checked) = script_engine::prepare(&ctx, &runbook, &source);
        let compiled = checked.compiled_or_errors().or_else(|e| refuse(&e))?;
        let inputs = inputs(target).or_else(|p| refuse(&p))?;
        let selected = runbook
            .procedure(&procedure)
            .unwrap_or_else(|| unreachable!("selected above"));
        let needed = needs::names(&runbook, selected, &compiled);
        let params = parameters::resolve(&runbook, &source, &inputs, &needed);
        let secrets = secrets::resolve(
            &runbook,
            &source,
            &inputs,
            prompter.as_deref(),
            mode == Mode::DryRun,
            &needed,
        );
        let (params, secrets) = match (params, secrets) {
            (Ok(p), Ok(s)) => (p, s),
            (p, s) => {
                let mut all = p.err().unwrap_or_default();
                all.extend(s.err().unwrap_or_default());
                return refuse(&all);
            }
        };
        let hosts = resolve_hosts(
            &runbook,
            Some(selected),
            &source,
            target.ssh.inventory.as_deref(),
            &params,
            &secrets,
        )
        .or_else(|p| refuse(&p))?;
        ctx.set_hosts(hosts);
        ctx.set_mask(secret_mask(&params, &secrets));
        tracing::debug!(
            procedure,
            params = params.len(),
            secrets = secrets.len(),
            "session ready"
        );
        Ok(Session {
            source,
            runbook,
            procedure,
            _runtime: runtime,
            ctx,
            engine,
            compiled,
            params,
            secrets,
            start: Start::default(),
        })
    }

    pub fn procedure(&self) -> &Procedure {
        self.runbook
            .procedure(&self.procedure)
            .unwrap_or_else(|| unreachable!("selected at open"))
    }

    /// Every host the selected procedure may act on, as `user@address:port` (for its lock).
    pub fn target_hosts(&self) -> Vec<String> {
        let procedure = self.procedure();
        let hosts = self.ctx.hosts();
        let mut all: Vec<String> = procedure
            .target
            .iter()
            .chain(procedure.steps().filter_map(|s| s.target.as_ref()))
            .flat_map(|t| hosts.target(&t.name.text).unwrap_or_default().to_vec())
            .map(|name| hosts.spec(&name).map_or(name, |spec| spec.destination()))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Runs the selected procedure to its end, then closes the connections it opened.
    pub fn execute(&self) -> Status {
        let status = Runner {
            ctx: &self.ctx,
            engine: &self.engine,
            runbook: &self.runbook,
            source: &self.source,
            compiled: &self.compiled,
            params: &self.params,
            secrets: &self.secrets,
            down: Mutex::default(),
            start: self.start.clone(),
        }
        .run(self.procedure());
        self.ctx.runtime.block_on(self.ctx.ssh.close());
        status
    }
}

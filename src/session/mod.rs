//! The application layer, independent of any front end: a [`request::Request`] goes in, a
//! [`Session`] ready to run (or the diagnostics that stop it) comes out. Load → select the
//! procedure → check → parameters, secrets, hosts and the secret mask → the engine.
//!
//! It also holds what the commands do beyond opening a session, so that the front ends only
//! parse, render and choose exit codes: the static-check API (`static_check`, `runbook_files`),
//! dry-runs (`dry_run`) and plan comparisons (`plan_comparison`), `fmt` over files
//! (`reformat`), the journaled runs, their lock and recovery (`run_journals`, `journaled`,
//! `recovery`), the signals that stop a run (`interrupt_signals`), and the entry points of
//! `doc` (`doc_trace`, `doc_pages`, `stale_pages`). Nothing here prints or chooses an exit code.
//! It may import `render`, `output`, `journal`, `engine`, `context`, `hosts`, `language` and
//! `diagnostic`; never `cli`, `repl` or `lsp` (`tests/layers.rs` checks it).

pub mod age_file;
pub mod doc_pages;
pub mod doc_trace;
pub mod dry_run;
pub mod git_revision;
pub mod host_resolution;
pub mod inputs;
pub mod interrupt_signals;
pub mod journaled;
pub mod masking;
pub mod parameters;
pub mod plan_comparison;
pub mod procedure_selection;
pub mod recovery;
pub mod reformat;
pub mod request;
pub mod run_journals;
pub mod runbook_files;
mod secret_command;
pub mod secret_files;
pub mod secrets;
pub mod stale_pages;
pub mod static_check;

use crate::context::event::{EventSink, Mode, Status};
use crate::context::run_context::RunContext;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::engine::run_values::{ParamValue, SecretValue};
use crate::engine::runner::{FinishedHosts, Runner, Start};
use crate::engine::script_engine;
use crate::language::ast::{Procedure, Runbook};
use crate::language::check::Compiled;
use crate::language::{needs, parser};
use inputs::Inputs;
use procedure_selection::{select_procedure, unknown_confirmations};
use request::Request;
use rhai::Engine;
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

impl Session {
    /// Loads, checks and resolves; `sink` is made once the procedure is known. Every problem
    /// found stops here, before anything runs.
    pub fn open(
        request: &Request,
        sink: impl FnOnce(&Procedure) -> Arc<dyn EventSink>,
    ) -> Result<Session, Vec<Diagnostic>> {
        let (source, runbook) = parser::load(&request.file).map_err(|d| vec![d])?;
        let procedure = select_procedure(&runbook, &source, request.procedure.as_deref())
            .map_err(|d| vec![d])?;
        let gate = request.gate.clone();
        let unknown = unknown_confirmations(procedure, &gate);
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let sink = sink(procedure);
        let procedure = procedure.id.text.clone();
        let runtime = async_runtime()?;
        let prompter = gate.prompter.clone();
        let mode = request.mode;
        let ctx = Arc::new(RunContext::new(
            mode,
            request.probe,
            source.dir().to_path_buf(),
            runtime.handle().clone(),
            gate,
            request.ssh.clone(),
            sink,
        ));
        let (engine, checked) =
            script_engine::prepare(&ctx, &runbook, &source, request.inventory.as_deref());
        let compiled = checked.compiled_or_errors()?;
        let inputs = Inputs::of(request)?;
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
                return Err(all);
            }
        };
        let hosts = host_resolution::resolve_hosts(
            &runbook,
            Some(selected),
            &source,
            request.inventory.as_deref(),
            &params,
            &secrets,
        )?;
        ctx.set_hosts(hosts);
        ctx.set_mask(masking::secret_mask(&params, &secrets));
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
            finished: FinishedHosts::closing(),
        }
        .run(self.procedure());
        self.ctx.runtime.block_on(self.ctx.ssh.close());
        status
    }
}

/// The async runtime the SSH, HTTP and SQL clients of a session run on.
fn async_runtime() -> Result<tokio::runtime::Runtime, Vec<Diagnostic>> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            vec![Diagnostic::error(format!(
                "cannot start the async runtime: {e}"
            ))]
        })
}

//! The workspace behind `runbook repl`: one run context for the whole session (its SSH masters,
//! database pools and Docker engines persist between lines), the rhai engine with every
//! primitive and a scope that persists, the loaded runbook with its parameters and secrets,
//! and the rollbacks `:step` registered. Inputs are resolved by `session`; steps, rollbacks and
//! plans go through the runner, exactly as `runbook run` and `runbook plan` do.
//!
//! It may import `session`, `render`, `output`, `journal`, `engine` and what lies below; never
//! `cli` or `lsp`.

mod listings;
mod on_hosts;
mod procedure_inputs;
mod steps;

use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::{EventSink, Mode, Phase};
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::rhai_position;
use crate::diagnostic::source::SourceFile;
use crate::engine::evaluator::Evaluator;
use crate::engine::let_values;
use crate::engine::rhai_error;
use crate::engine::run_values::{ParamValue, SecretValue};
use crate::engine::script_engine::{self, public_functions};
use crate::hosts::resolution::Hosts;
use crate::language::ast::{Runbook, SecretSource};
use crate::language::check::Compiled;
use crate::language::parser;
use crate::output::console::outln;
use crate::output::style::Style;
use crate::repl::completion::{SharedVocabulary, Vocabulary};
use crate::repl::repl_view::ReplView;
use crate::repl::stdlib_modules;
use crate::session::host_resolution::resolve_hosts;
use crate::session::inputs::Inputs;
use crate::session::masking::secret_mask;
use crate::session::{parameters, secrets};
use crate::ssh::pool::SshSettings;
use crate::value_table;
use crate::{primitives, stdlib};
use rhai::{AST, Dynamic, Engine, Scope};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// What the command line gave the session.
pub struct Options {
    pub ssh: SshSettings,
    pub inventory: Option<PathBuf>,
    pub gate: ConfirmationGate,
}

/// A runbook loaded with `:load` (or on the command line).
struct Loaded {
    source: Arc<SourceFile>,
    runbook: Runbook,
    compiled: Compiled,
    /// `:set` values, as typed.
    given: Vec<(String, String)>,
    params: Vec<ParamValue>,
    /// The secrets read so far (a prompt is asked when a step first needs it).
    secrets: Vec<SecretValue>,
}

use steps::Registered;

pub struct Workspace {
    /// Owns the I/O the primitives block on.
    runtime: tokio::runtime::Runtime,
    /// The context Ctrl-C stops (replaced by `:load`).
    current: Arc<Mutex<Arc<RunContext>>>,
    ctx: Arc<RunContext>,
    view: Arc<ReplView>,
    engine: Engine,
    /// Functions of stdlib modules registered without a `use`: `alias::function`.
    stdlib_functions: Vec<String>,
    scope: Scope<'static>,
    /// Functions defined by earlier lines.
    functions: AST,
    loaded: Option<Loaded>,
    options: Options,
    registered: Vec<Registered>,
    vocabulary: SharedVocabulary,
}

pub fn out(text: &str) {
    outln!("{text}");
}

fn problem(message: &str) {
    report(&[Diagnostic::error(message)]);
}

fn report(diagnostics: &[Diagnostic]) {
    let colour = Style::for_stderr().colour;
    let mut stderr = std::io::stderr().lock();
    for d in diagnostics {
        let _ = write!(stderr, "{}", d.render(colour));
    }
}

impl Workspace {
    pub fn new(options: Options, vocabulary: SharedVocabulary) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let view = Arc::new(ReplView::default());
        let base = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
        let ctx = open_context(&runtime, &view, &options, base, Mode::Run);
        let mut engine = script_engine::build(&ctx);
        let stdlib_functions = stdlib_modules::register(&mut engine, &[]);
        let current = Arc::new(Mutex::new(Arc::clone(&ctx)));
        listen_for_interrupts(&runtime, Arc::clone(&current));
        let workspace = Self {
            runtime,
            current,
            ctx,
            view,
            engine,
            stdlib_functions,
            scope: Scope::new(),
            functions: AST::empty(),
            loaded: None,
            options,
            registered: Vec::new(),
            vocabulary,
        };
        workspace.refresh_vocabulary();
        Ok(workspace)
    }

    /// A new command starts: no interruption, no step, no time limit left from the last one.
    fn begin_command(&self) {
        self.ctx.stop.reset();
        self.ctx.enter(None, Phase::Body);
        self.ctx.take_unknown_used();
        self.ctx.take_declined();
    }

    /// Evaluates a piece of rhai and shows its value.
    pub fn eval(&mut self, code: &str) {
        if code.trim().is_empty() {
            return;
        }
        self.begin_command();
        let source = Arc::new(SourceFile::new("<repl>", code));
        let ast = match self.engine.compile_with_scope(&self.scope, code) {
            Ok(ast) => ast,
            Err(e) => {
                let span = rhai_position::span(e.position());
                report(&[Diagnostic::error(e.err_type().to_string()).at(&source, span)]);
                return;
            }
        };
        self.functions = self.functions.merge(&ast.clone_functions_only());
        let program = self.functions.merge(&ast);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &program);
        match result {
            Ok(value) => {
                // In dry mode, a value only a real run knows shows as its origin.
                let value = unknown_value::written(&value);
                if let Some(text) =
                    value_table::render(&value, &|keys| self.ctx.column_orders.order_of(keys))
                {
                    out(&self.ctx.mask(&text));
                }
            }
            Err(error) => {
                let explained = rhai_error::explain(*error);
                let mut d = Diagnostic::error(self.ctx.mask(&explained.message));
                if let Some(p) = explained.position {
                    d = d.at(&source, rhai_position::span(p));
                }
                report(&[d]);
            }
        }
        self.refresh_vocabulary();
    }

    /// `:load FILE`: a new context in the runbook's directory, its engine and modules; the
    /// variables of the session are kept, the connections of the previous runbook closed.
    /// `given` are the command line's `-p` values. `false` when the file cannot be read,
    /// parsed or compiled, or a parameter's value is wrong (the errors are reported).
    pub fn load(&mut self, path: &Path, given: Vec<(String, String)>) -> bool {
        let (source, runbook) = match parser::load(path) {
            Ok(loaded) => loaded,
            Err(d) => {
                report(&[d]);
                return false;
            }
        };
        let ctx = open_context(
            &self.runtime,
            &self.view,
            &self.options,
            source.dir().to_path_buf(),
            self.ctx.mode(),
        );
        let (mut engine, checked) =
            script_engine::prepare(&ctx, &runbook, &source, self.options.inventory.as_deref());
        let compiled = match checked.compiled_or_errors() {
            Ok(compiled) => compiled,
            Err(errors) => {
                report(&errors);
                return false;
            }
        };
        let mut loaded = Loaded {
            source,
            runbook,
            compiled,
            given,
            params: Vec::new(),
            secrets: Vec::new(),
        };
        // The `-p` values are the command line's: named `--param` in messages.
        let from_command_line = Inputs {
            given_by: None,
            ..inputs(&loaded)
        };
        let none_needed = BTreeSet::new();
        // A wrong `-p` value or environment variable: the runbook does not load, as `run` and
        // `plan` refuse it.
        match parameters::resolve(
            &loaded.runbook,
            &loaded.source,
            &from_command_line,
            &none_needed,
        ) {
            Ok(params) => loaded.params = params,
            Err(problems) => {
                report(&problems);
                return false;
            }
        }
        let aliases: Vec<&str> = loaded
            .runbook
            .modules
            .iter()
            .map(|m| m.alias.text.as_str())
            .collect();
        self.stdlib_functions = stdlib_modules::register(&mut engine, &aliases);
        self.close_connections();
        self.ctx = ctx;
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&self.ctx);
        self.engine = engine;
        // Secrets from the environment or a file are read now; a prompt waits for a step.
        for secret in &loaded.runbook.secrets {
            if matches!(secret.source, SecretSource::Prompt(_)) {
                continue;
            }
            let one = BTreeSet::from([secret.name.text.clone()]);
            if let Ok(found) = secrets::resolve(
                &loaded.runbook,
                &loaded.source,
                &inputs(&loaded),
                None,
                false,
                &one,
            ) {
                loaded.secrets.extend(found);
            }
        }
        let steps = loaded
            .runbook
            .procedures
            .iter()
            .map(|p| p.steps().count())
            .sum::<usize>();
        out(&format!(
            "loaded {} ({}): {} procedure(s), {} step(s), {} parameter(s); :help lists the commands",
            loaded.runbook.name.text,
            loaded.source.display_path(),
            loaded.runbook.procedures.len(),
            steps,
            loaded.runbook.params.len()
        ));
        self.loaded = Some(loaded);
        self.registered.clear();
        self.after_inputs_changed();
        true
    }

    /// Every host of the loaded runbook, with the parameters and secrets set so far.
    fn runbook_hosts(&self, loaded: &Loaded) -> Result<Hosts, Vec<Diagnostic>> {
        resolve_hosts(
            &loaded.runbook,
            None,
            &loaded.source,
            self.options.inventory.as_deref(),
            &loaded.params,
            &loaded.secrets,
        )
    }

    /// Parameters or secrets changed: hosts, the mask and the scope follow.
    fn after_inputs_changed(&mut self) {
        let Some(loaded) = &self.loaded else { return };
        if let Ok(hosts) = self.runbook_hosts(loaded) {
            self.ctx.set_hosts(hosts);
        }
        self.ctx
            .set_mask(secret_mask(&loaded.params, &loaded.secrets));
        self.sync_scope();
        self.refresh_vocabulary();
    }

    /// Parameters, secrets, the runbook's `let` values and published values, as variables of
    /// the session.
    fn sync_scope(&mut self) {
        let mut values: Vec<(String, Dynamic)> = Vec::new();
        if let Some(loaded) = &self.loaded {
            // A value that cannot be computed yet (a secret asked only when a step needs it)
            // is left out; `:step` computes the values again.
            let evaluator = Evaluator {
                ctx: &self.ctx,
                engine: &self.engine,
                compiled: &loaded.compiled,
                source: &loaded.source,
                params: &loaded.params,
                secrets: &loaded.secrets,
            };
            let failed: BTreeSet<String> = let_values::compute_runbook(&evaluator, &loaded.runbook)
                .into_iter()
                .filter(|c| c.failure.is_some())
                .map(|c| c.name)
                .collect();
            values.extend(
                self.ctx
                    .values()
                    .into_iter()
                    .filter(|(name, _)| !failed.contains(name)),
            );
            values.extend(
                loaded
                    .params
                    .iter()
                    .map(|p| (p.name.clone(), p.value.clone())),
            );
            values.extend(
                loaded
                    .secrets
                    .iter()
                    .map(|s| (s.name.clone(), s.value.clone().into())),
            );
        }
        values.extend(self.ctx.published_seen_from(None));
        for (name, value) in values {
            // A constant the operator declared with the same name stays theirs.
            if self.scope.is_constant(&name) != Some(true) {
                self.scope.set_or_push(name, value);
            }
        }
    }

    fn refresh_vocabulary(&self) {
        let mut v = Vocabulary {
            functions: primitives::NAMES.iter().map(ToString::to_string).collect(),
            ..Vocabulary::default()
        };
        v.functions.extend(self.stdlib_functions.iter().cloned());
        let inputs: BTreeSet<String> = self.input_names();
        if let Some(loaded) = &self.loaded {
            for module in &loaded.runbook.modules {
                let text = if stdlib::is_stdlib_path(&module.path) {
                    stdlib::get(&module.path).map(str::to_string)
                } else {
                    std::fs::read_to_string(loaded.source.dir().join(&module.path)).ok()
                };
                let names = text
                    .map(|t| public_functions(&self.engine, &t))
                    .unwrap_or_default();
                v.functions.extend(
                    names
                        .into_iter()
                        .map(|f| format!("{}::{f}", module.alias.text)),
                );
            }
            v.procedures = loaded
                .runbook
                .procedures
                .iter()
                .map(|p| p.id.text.clone())
                .collect();
            for p in &loaded.runbook.procedures {
                for s in p.steps() {
                    v.steps.push(s.id.text.clone());
                    v.steps.push(format!("{}.{}", p.id.text, s.id.text));
                }
            }
        }
        v.params = inputs.iter().cloned().collect();
        v.targets = self
            .ctx
            .hosts()
            .target_names()
            .map(str::to_string)
            .collect();
        v.variables = self
            .scope
            .iter_raw()
            .map(|(name, _, _)| name.to_string())
            .filter(|n| !inputs.contains(n))
            .collect();
        *self
            .vocabulary
            .write()
            .unwrap_or_else(PoisonError::into_inner) = v;
    }

    /// Names of the loaded runbook's parameters and secrets.
    fn input_names(&self) -> BTreeSet<String> {
        self.loaded.as_ref().map_or_else(BTreeSet::new, |l| {
            l.runbook
                .params
                .iter()
                .map(|p| p.name.text.clone())
                .chain(l.runbook.secrets.iter().map(|s| s.name.text.clone()))
                .collect()
        })
    }

    fn loaded(&self) -> Option<&Loaded> {
        if self.loaded.is_none() {
            problem("no runbook loaded: `:load FILE` first");
        }
        self.loaded.as_ref()
    }

    /// `:dry on|off`, or the current mode.
    pub fn dry(&self, on: Option<bool>) {
        if let Some(on) = on {
            self.ctx.set_mode(if on { Mode::DryRun } else { Mode::Run });
        }
        out(if self.ctx.is_dry_run() {
            "dry mode on: primitives show what they would do and change nothing"
        } else {
            "dry mode off: primitives act"
        });
    }

    /// Ctrl-D or `:quit`: a warning for rollbacks never run, then the connections closed.
    pub fn close(&self) {
        if !self.registered.is_empty() {
            let steps: Vec<String> = self
                .registered
                .iter()
                .rev()
                .map(|r| format!("{}.{}", r.procedure, r.owed.step))
                .collect();
            report(&[Diagnostic::warning(format!(
                "{} rollback(s) registered by :step were not run: {}",
                steps.len(),
                steps.join(", ")
            ))]);
        }
        self.close_connections();
    }

    fn close_connections(&self) {
        self.runtime.block_on(self.ctx.ssh.close());
    }
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(ToString::to_string).collect()
}

fn inputs(loaded: &Loaded) -> Inputs {
    Inputs {
        cli: loaded.given.clone(),
        given_by: Some(":set"),
        ..Inputs::default()
    }
}

fn resolve_params(
    loaded: &Loaded,
    needed: &BTreeSet<String>,
) -> Result<Vec<ParamValue>, Vec<Diagnostic>> {
    parameters::resolve(&loaded.runbook, &loaded.source, &inputs(loaded), needed)
}

fn open_context(
    runtime: &tokio::runtime::Runtime,
    view: &Arc<ReplView>,
    options: &Options,
    base: PathBuf,
    mode: Mode,
) -> Arc<RunContext> {
    Arc::new(RunContext::new(
        mode,
        false,
        base,
        runtime.handle().clone(),
        options.gate.clone(),
        options.ssh.clone(),
        Arc::clone(view) as Arc<dyn EventSink>,
    ))
}

/// Ctrl-C stops the running command, as it stops a step of `runbook run`; the session goes on.
fn listen_for_interrupts(runtime: &tokio::runtime::Runtime, current: Arc<Mutex<Arc<RunContext>>>) {
    use tokio::signal::unix::{SignalKind, signal};
    runtime.spawn(async move {
        let Ok(mut interrupts) = signal(SignalKind::interrupt()) else {
            return;
        };
        while interrupts.recv().await.is_some() {
            let ctx = Arc::clone(&current.lock().unwrap_or_else(PoisonError::into_inner));
            ctx.stop.press(false);
        }
    });
}

//! The sandboxed rhai engine of a run: only registered primitives reach the outside; limits on
//! operations, depth and sizes; the stop signal checked between operations; `use` modules
//! loaded from the embedded stdlib or beside the runbook.

use super::switch_guard::{self, Switches};
use crate::context::event::Level;
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::rhai_position;
use crate::diagnostic::source::SourceFile;
use crate::hosts::target_check;
use crate::language::ast::{ModuleUse, Runbook};
use crate::language::check::{self, Checked, Keep};
use crate::language::parser;
use crate::{primitives, stdlib};
use rhai::packages::{Package, StandardPackage};
use rhai::{Engine, FnAccess, Module, Scope};
use std::path::Path;
use std::sync::Arc;

/// Beyond this many operations a body is stopped: an endless loop never hangs a run. It also
/// bounds what a loop can allocate where rhai checks no size (a map grown by `m[k] = v`).
pub const MAX_OPERATIONS: u64 = 20_000_000;

/// Builds the engine with every primitive bound to `ctx`.
pub fn build(ctx: &Arc<RunContext>) -> Engine {
    build_guarding(ctx, Switches::default())
}

/// [`build`], stopping at the `switch` statements of `switches` (see [`switch_guard`]).
fn build_guarding(ctx: &Arc<RunContext>, switches: Switches) -> Engine {
    let mut engine = limited();
    switch_guard::register(&mut engine, switches);
    engine.register_global_module(StandardPackage::new().as_shared_module());
    let c = Arc::clone(ctx);
    engine.on_progress(move |ops| {
        if ops % 256 == 0 {
            c.stop.check().map(|reason| reason.to_string().into())
        } else {
            None
        }
    });
    let c = Arc::clone(ctx);
    engine.on_print(move |text| c.log(Level::Info, text));
    let c = Arc::clone(ctx);
    engine.on_debug(move |text, _, _| c.log(Level::Info, text));
    primitives::register(&mut engine, ctx);
    unknown_value::register(&mut engine);
    engine
}

/// An engine with the limits and settings of a run but nothing registered: enough to compile
/// a script as a run would (the language server lists a module's functions with it).
pub fn limited() -> Engine {
    let mut engine = Engine::new_raw();
    engine
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(64)
        .set_max_expr_depths(64, 64)
        .set_max_string_size(64 * 1024 * 1024)
        .set_max_array_size(1_000_000)
        .set_max_map_size(100_000)
        .set_max_modules(64)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true);
    engine.disable_symbol("eval");
    engine
}

/// The engine of a runbook, with its modules, and everything the static checks found
/// (module problems first). `inventory` is the command line's `-i FILE`, which `on` targets
/// are checked against instead of the runbook's own inventory.
pub fn prepare(
    ctx: &Arc<RunContext>,
    runbook: &Runbook,
    source: &Arc<SourceFile>,
    inventory: Option<&Path>,
) -> (Engine, Checked) {
    prepare_keeping(ctx, runbook, source, inventory, Keep::Compiled)
}

/// [`prepare`] for diagnostics only: the compiled bodies are not kept.
pub fn diagnose(
    ctx: &Arc<RunContext>,
    runbook: &Runbook,
    source: &Arc<SourceFile>,
    inventory: Option<&Path>,
) -> Vec<Diagnostic> {
    prepare_keeping(ctx, runbook, source, inventory, Keep::DiagnosticsOnly)
        .1
        .diagnostics
}

fn prepare_keeping(
    ctx: &Arc<RunContext>,
    runbook: &Runbook,
    source: &Arc<SourceFile>,
    inventory: Option<&Path>,
    keep: Keep,
) -> (Engine, Checked) {
    let switches = Switches::default();
    let mut engine = build_guarding(ctx, switches.clone());
    let problems = load_modules(&mut engine, runbook, source);
    let targets = target_check::check(runbook, source, inventory);
    let mut checked = check::check(runbook, source, &engine, keep, targets);
    for ast in checked.compiled.asts() {
        switches.add(ast);
    }
    checked.diagnostics.splice(0..0, problems);
    (engine, checked)
}

/// Compiles and registers the runbook's `use` modules under their aliases.
fn load_modules(
    engine: &mut Engine,
    runbook: &Runbook,
    source: &Arc<SourceFile>,
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    super::stdlib_imports::install(engine);
    for module_use in &runbook.modules {
        match load_module(engine, module_use, source) {
            Ok(module) => {
                engine.register_static_module(module_use.alias.text.as_str(), module.into())
            }
            Err(d) => {
                problems.push(*d);
                continue;
            }
        };
    }
    problems
}

fn load_module(
    engine: &Engine,
    module_use: &ModuleUse,
    source: &Arc<SourceFile>,
) -> Result<Module, Box<Diagnostic>> {
    let path = &module_use.path;
    let text = module_text(module_use, source)?;
    let module_source = Arc::new(SourceFile::new(path, text));
    let ast = engine.compile(&module_source.text).map_err(|e| {
        Box::new(
            Diagnostic::error(format!("in module: {}", e.err_type()))
                .at(&module_source, rhai_position::span(e.position())),
        )
    })?;
    // A module function named like a primitive would capture the primitive's calls made by
    // other modules' functions (rhai looks in the calling modules first).
    if let Some(f) = ast
        .iter_functions()
        .find(|f| crate::primitives::NAMES.contains(&f.name))
    {
        return Err(Box::new(
            Diagnostic::error(format!(
                "module `{path}` defines `{}`, the name of a primitive: rename it",
                f.name
            ))
            .at(source, module_use.path_span),
        ));
    }
    Module::eval_ast_as_new(Scope::new(), &ast, engine).map_err(|e| {
        Box::new(
            Diagnostic::error(format!("module `{path}` failed to load: {e}"))
                .at(source, module_use.path_span),
        )
    })
}

/// The text of a `use`d module: the embedded stdlib's, or the file's beside the runbook.
pub fn module_text(
    module_use: &ModuleUse,
    source: &Arc<SourceFile>,
) -> Result<String, Box<Diagnostic>> {
    let path = &module_use.path;
    if stdlib::is_stdlib_path(path) {
        stdlib::get(path).map(str::to_string).ok_or_else(|| {
            let known: Vec<&str> = stdlib::MODULES.iter().map(|(p, _)| *p).collect();
            let mut d = Diagnostic::error(format!("no stdlib module `{path}`"));
            d = match crate::diagnostic::did_you_mean(path, known.iter().copied()) {
                Some(close) => d.help(format!("did you mean `{close}`?")),
                None => d.help(format!("the stdlib has: {}", known.join(", "))),
            };
            Box::new(d.at(source, module_use.path_span))
        })
    } else {
        let full = source.dir().join(path);
        let bytes = std::fs::read(&full).map_err(|e| {
            Box::new(
                Diagnostic::error(format!("cannot read module `{}`: {e}", full.display()))
                    .at(source, module_use.path_span),
            )
        })?;
        parser::decode(&bytes).map_err(|d| Box::new(d.in_file(full.display().to_string())))
    }
}

/// The functions a module offers (its private ones left out): what the REPL and the language
/// server complete after `alias::`.
pub fn public_functions(engine: &Engine, text: &str) -> Vec<String> {
    engine.compile(text).map_or_else(
        |_| Vec::new(),
        |ast| {
            ast.iter_functions()
                .filter(|f| f.access != FnAccess::Private)
                .map(|f| f.name.to_string())
                .collect()
        },
    )
}

//! The stdlib in the REPL: every module of `stdlib/` callable without a `use`, under the name
//! of its file (`backup::list(…)`, `checks::command_exists(…)`), and the names completion offers.

use crate::engine::script_engine::public_functions;
use crate::engine::stdlib_imports;
use crate::stdlib;
use rhai::{Engine, Position};

/// The stdlib modules, under the name of their file (`backup::archive`), unless the runbook
/// uses that name for a module of its own; returns their functions.
pub fn register(engine: &mut Engine, taken: &[&str]) -> Vec<String> {
    let mut functions = Vec::new();
    stdlib_imports::install(engine);
    for (path, text) in stdlib::MODULES {
        let alias = path.trim_start_matches("stdlib/").trim_end_matches(".rhai");
        if taken.contains(&alias) {
            continue;
        }
        // The module the runbook's own imports get: loaded once, whoever asks first.
        let Ok(module) = engine
            .module_resolver()
            .resolve(engine, None, path, Position::NONE)
        else {
            continue;
        };
        engine.register_static_module(alias, module);
        functions.extend(
            public_functions(engine, text)
                .into_iter()
                .map(|f| format!("{alias}::{f}")),
        );
    }
    functions
}

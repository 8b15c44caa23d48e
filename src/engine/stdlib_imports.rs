//! `import "stdlib/NAME.rhai" as alias;` inside a module: the stdlib modules share their helpers
//! (the database tools run through the Compose CLI of stdlib/compose.rhai, dumps write the
//! manifest of stdlib/backup.rhai) whatever aliases the runbook gives them. Only the embedded
//! stdlib can be imported, never a file.

use crate::stdlib;
use rhai::module_resolvers::StaticModuleResolver;
use rhai::{Engine, Module, Scope};

/// Lets the engine's scripts import every stdlib module by its path. A module is loaded after
/// those listed before it in [`stdlib::MODULES`], so it may import only those; one that fails to
/// load is left out (its `use` reports why).
pub fn install(engine: &mut Engine) {
    let mut resolver = StaticModuleResolver::new();
    for (path, text) in stdlib::MODULES {
        engine.set_module_resolver(resolver.clone());
        let Ok(ast) = engine.compile(text) else {
            continue;
        };
        if let Ok(module) = Module::eval_ast_as_new(Scope::new(), &ast, engine) {
            resolver.insert(*path, module);
        }
    }
    engine.set_module_resolver(resolver);
}

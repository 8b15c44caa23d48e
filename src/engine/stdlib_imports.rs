//! `import "stdlib/NAME.rhai" as alias;` inside a module: the stdlib modules share their helpers
//! (the database tools run through the Compose CLI of stdlib/compose.rhai, dumps write the
//! manifest of stdlib/backup.rhai) whatever aliases the runbook gives them. Only the embedded
//! stdlib can be imported, never a file.
//!
//! A stdlib module is compiled the first time something imports it, then kept: a runbook that
//! imports none (the quickstart) pays nothing for the 40 KB of rhai the stdlib holds.

use crate::stdlib;
use rhai::module_resolvers::ModuleResolver;
use rhai::{Engine, EvalAltResult, Module, Position, Scope, Shared};
use std::collections::HashMap;
use std::sync::Mutex;

/// Lets the engine's scripts import every stdlib module by its path.
pub fn install(engine: &mut Engine) {
    engine.set_module_resolver(StdlibResolver::default());
}

/// Resolves `stdlib/…` paths to the embedded modules, each loaded once.
#[derive(Default)]
struct StdlibResolver {
    loaded: Mutex<HashMap<&'static str, Shared<Module>>>,
}

impl ModuleResolver for StdlibResolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        let Some(&(name, text)) = stdlib::MODULES.iter().find(|(p, _)| *p == path) else {
            return Err(EvalAltResult::ErrorModuleNotFound(path.to_string(), pos).into());
        };
        if let Some(module) = self.lock().get(name) {
            return Ok(module.clone());
        }
        // Not locked while it loads: a module importing another comes back here.
        let in_module = |e: Box<EvalAltResult>| {
            Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos))
        };
        let ast = engine.compile(text).map_err(|e| in_module(e.into()))?;
        let module: Shared<Module> = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(in_module)?
            .into();
        self.lock().insert(name, module.clone());
        Ok(module)
    }
}

impl StdlibResolver {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, Shared<Module>>> {
        // A panic while the map was held left it whole: it is only read and inserted into.
        self.loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

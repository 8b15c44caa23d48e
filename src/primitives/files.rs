//! Local files and templates: `read_file`, `exists`, `write_file`, and minijinja rendering with
//! `template(path, vars)` and `template_str(source, vars)`.

use super::{Outcome, error};
use crate::context::event::Effect;
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::ErrorKind;
use rhai::{Dynamic, Engine, Map};
use std::sync::Arc;

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("read_file", move |path: &str| read_file(&c, path));
    let c = Arc::clone(ctx);
    engine.register_fn("exists", move |path: &str| c.path(path).exists());
    let c = Arc::clone(ctx);
    engine.register_fn("write_file", move |path: &str, content: &str| {
        write_file(&c, path, content)
    });
    let c = Arc::clone(ctx);
    engine.register_fn("template", move |path: &str, vars: Map| {
        let source = read_file(&c, path)?;
        render(path, &source, vars)
    });
    engine.register_fn("template", |path: &str| -> Outcome<String> {
        error(
            ErrorKind::Script,
            format!("template(\"{path}\") needs its variables: template(path, #{{…}})"),
        )
    });
    engine.register_fn("template_str", |source: &str, vars: Map| {
        render("template", source, vars)
    });
}

fn read_file(ctx: &RunContext, path: &str) -> Outcome<String> {
    std::fs::read_to_string(ctx.path(path))
        .or_else(|e| error(ErrorKind::Io, format!("cannot read `{path}`: {e}")))
}

fn write_file(ctx: &RunContext, path: &str, content: &str) -> Outcome<()> {
    let lines = content.lines().count();
    let summary = format!("write {} bytes ({lines} lines) to {path}", content.len());
    if !ctx.act("write_file", "local", &summary, Effect::Change) {
        return Ok(());
    }
    std::fs::write(ctx.path(path), content)
        .or_else(|e| error(ErrorKind::Io, format!("cannot write `{path}`: {e}")))
}

/// Renders a minijinja template; undefined variables are errors, not blanks.
pub fn render(name: &str, source: &str, vars: Map) -> Outcome<String> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    let vars = unknown_value::written(&Dynamic::from_map(vars));
    let context: serde_json::Value = rhai::serde::from_dynamic(&vars)?;
    env.add_template(name, source)
        .and_then(|_| {
            env.get_template(name)?
                .render(minijinja::Value::from(minijinja::value::Serde(&context)))
        })
        .or_else(|e| error(ErrorKind::Script, format!("template `{name}`: {e}")))
}

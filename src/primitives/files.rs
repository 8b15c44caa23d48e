//! Local files and templates: `read_file`, `exists`, `write_file`, and minijinja rendering with
//! `template(path, vars)` and `template_str(source, vars)`.

use super::{Outcome, error};
use crate::context::event::Effect;
use crate::context::run_context::{
    RunContext, UNKNOWN_CLOSE, UNKNOWN_OPEN, placeholder, unknown_parts,
};
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

/// How a write is shown: `write 102 bytes (8 lines) to PATH`. A text built from values only a
/// real run knows has no size yet: `write ⟨text with output of ls⟩ to PATH`, a *might*.
pub(super) fn write_summary(content: &str, path: &str) -> String {
    let unknown = unknown_parts(content);
    if unknown.is_empty() {
        let lines = content.lines().count();
        return format!("write {} bytes ({lines} lines) to {path}", content.len());
    }
    let origins: Vec<&str> = unknown
        .iter()
        .map(|p| {
            p.trim_start_matches(UNKNOWN_OPEN)
                .trim_end_matches(UNKNOWN_CLOSE)
        })
        .collect();
    let text = placeholder(&format!("text with {}", origins.join(", ")));
    format!("write {text} to {path}")
}

fn write_file(ctx: &RunContext, path: &str, content: &str) -> Outcome<()> {
    let summary = write_summary(content, path);
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

//! `first_answering(candidates, args)`: the first of several programs that answers `args` on
//! the body's host, as `run` would reach it (`["docker", "compose"]` when `docker compose
//! version` works there, else `["docker-compose"]`). A plan that does not run the check
//! (without `--probe`) cannot know it: its value is then an unknown naming every candidate,
//! "chosen at run time", and the commands built from it say so.

use super::Outcome;
use super::process_output::Command;
use super::remote;
use crate::context::run_context::RunContext;
use crate::context::unknown_value::{self, Unknown};
use crate::diagnostic::error_kind::ErrorKind;
use rhai::{Array, Dynamic, Engine, EvalAltResult, Map};
use std::sync::Arc;

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("first_answering", move |candidates: Array, args: Array| {
        first_answering(&c, &candidates, &args)
    });
}

fn first_answering(ctx: &Arc<RunContext>, candidates: &Array, args: &Array) -> Outcome<Array> {
    let programs: Vec<Array> = candidates
        .iter()
        .map(|c| {
            c.clone()
                .try_cast::<Array>()
                .filter(|argv| !argv.is_empty())
        })
        .collect::<Option<_>>()
        .ok_or("first_answering: each candidate is a non-empty argv array")?;
    let Some((last, tried)) = programs.split_last() else {
        return super::error(ErrorKind::Script, "first_answering: no candidate");
    };
    let quiet: Map = [
        ("read".into(), true.into()),
        ("check".into(), false.into()),
        ("quiet".into(), true.into()),
    ]
    .into_iter()
    .collect();
    for program in tried {
        let argv: Array = program.iter().chain(args).cloned().collect();
        let answer = remote::run(
            ctx,
            None,
            Command::from_array("first_answering", &argv)?,
            &quiet,
        );
        let result = match answer {
            Ok(result) => result,
            // A program that cannot start does not answer.
            Err(e) if cannot_start(&e) => continue,
            Err(e) => return super::probed(ctx, Err(e), || chosen_at_run_time(ctx, &programs)),
        };
        if result.get("stdout").is_some_and(Dynamic::is::<Unknown>) {
            return Ok(chosen_at_run_time(ctx, &programs));
        }
        if result.get("code").and_then(|c| c.as_int().ok()) == Some(0) {
            return Ok(program.clone());
        }
    }
    Ok(last.clone())
}

fn cannot_start(e: &EvalAltResult) -> bool {
    matches!(e, EvalAltResult::ErrorRuntime(value, _) if value.tag() == ErrorKind::Io.tag())
}

/// `[⟨docker compose or docker-compose, chosen at run time⟩]`.
fn chosen_at_run_time(ctx: &RunContext, programs: &[Array]) -> Array {
    let names: Vec<String> = programs
        .iter()
        .map(|argv| {
            argv.iter()
                .map(unknown_value::shown)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let named = match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    vec![ctx.unknown_value(&format!("{named}, chosen at run time"))]
}

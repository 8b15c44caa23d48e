//! Container output: `logs` and `exec` on a `docker()` handle, their lines streamed to the event
//! stream tagged `engine:container`.

use super::{DockerHandle, call, unknown};
use crate::context::event::{Effect, Event, Stream};
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::ErrorKind;
use crate::docker::containers::{self, Channel, ExecSpec, LogQuery};
use crate::primitives::options::Options;
use crate::primitives::process_output::{Finished, planned_result, refuse_nul, shown_environment};
use crate::primitives::{Outcome, error};
use crate::shell_quote::quote;
use rhai::{Array, Dynamic, Engine as Rhai, Map};
use std::sync::Arc;

/// Streams container output lines as events, tagged `engine:container`.
fn line_sink<'a>(
    ctx: &'a RunContext,
    source: String,
    quiet: bool,
) -> impl FnMut(Channel, &str) + 'a {
    let step = ctx.cursor().step;
    move |channel, line| {
        if quiet {
            return;
        }
        ctx.emit(&Event::Output {
            step: step.clone(),
            host: Some(source.clone()),
            stream: match channel {
                Channel::Out => Stream::Stdout,
                Channel::Err => Stream::Stderr,
            },
            line: line.to_string(),
        });
    }
}

fn source(handle: &DockerHandle, container: &str) -> String {
    format!("{}:{container}", handle.host.as_deref().unwrap_or("local"))
}

pub(super) fn register(engine: &mut Rhai, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("logs", move |d: &mut DockerHandle, name: &str| {
        logs(&c, d, name, &Map::new())
    });
    let c = Arc::clone(ctx);
    engine.register_fn(
        "logs",
        move |d: &mut DockerHandle, name: &str, opts: Map| logs(&c, d, name, &opts),
    );
    let c = Arc::clone(ctx);
    engine.register_fn(
        "exec",
        move |d: &mut DockerHandle, name: &str, cmd: Dynamic| exec(&c, d, name, cmd, &Map::new()),
    );
    let c = Arc::clone(ctx);
    engine.register_fn(
        "exec",
        move |d: &mut DockerHandle, name: &str, cmd: Dynamic, opts: Map| {
            exec(&c, d, name, cmd, &opts)
        },
    );
}

fn logs(ctx: &RunContext, handle: &DockerHandle, name: &str, opts: &Map) -> Outcome<Dynamic> {
    let o = Options::new(opts, "logs", &["tail", "since", "follow", "grep", "quiet"])?;
    let int = |key: &str| -> Outcome<Option<i64>> {
        match opts.get(key) {
            None => Ok(None),
            Some(v) => v.as_int().map(Some).or_else(|_| {
                error(
                    ErrorKind::Script,
                    format!("logs: `{key}` must be a whole number"),
                )
            }),
        }
    };
    let query = LogQuery {
        tail: int("tail")?,
        since: int("since")?,
        follow: o.seconds("follow")?,
        grep: o.string("grep")?,
    };
    let quiet = o.bool("quiet")?.unwrap_or(false);
    let mut shown = String::from("docker logs");
    if let Some(n) = query.tail {
        shown.push_str(&format!(" --tail {n}"));
    }
    if let Some(s) = query.since {
        shown.push_str(&format!(" --since {s}s"));
    }
    if let Some(f) = query.follow {
        shown.push_str(&format!(" --follow (for {}s)", f.as_secs()));
    }
    shown.push_str(&format!(" {}", quote(name)));
    if let Some(g) = &query.grep {
        shown.push_str(&format!(" | grep -i {}", quote(g)));
    }
    call(
        ctx,
        handle,
        &shown,
        Effect::Read,
        unknown(&format!("log lines of {name}")),
        async |e| {
            let sink = line_sink(ctx, source(handle, name), quiet);
            let lines = containers::logs(&e, name, &query, sink).await?;
            Ok(lines
                .into_iter()
                .map(Dynamic::from)
                .collect::<Array>()
                .into())
        },
    )
}

fn exec(
    ctx: &RunContext,
    handle: &DockerHandle,
    name: &str,
    cmd: Dynamic,
    opts: &Map,
) -> Outcome<Map> {
    let o = Options::new(
        opts,
        "exec",
        &["user", "cwd", "env", "check", "read", "quiet"],
    )?;
    let argv: Vec<String> = if let Some(argv) = cmd.clone().try_cast::<Array>() {
        argv.iter().map(unknown_value::shown).collect()
    } else {
        vec!["sh".into(), "-c".into(), cmd.to_string()]
    };
    if argv.is_empty() {
        return error(ErrorKind::Script, "exec: the command is empty");
    }
    for word in &argv {
        refuse_nul("exec", word)?;
    }
    let env_map = o.map("env")?.unwrap_or_default();
    let env: Vec<String> = env_map
        .iter()
        .map(|(k, v)| format!("{k}={}", unknown_value::shown(v)))
        .collect();
    let spec = ExecSpec {
        argv: argv.clone(),
        user: o.string("user")?,
        workdir: o.string("cwd")?,
        env,
    };
    let read = o.bool("read")?.unwrap_or(ctx.in_condition());
    let checks = o.bool("check")?.unwrap_or(!ctx.in_condition());
    let quiet = o.bool("quiet")?.unwrap_or(false);
    let words: Vec<String> = argv.iter().map(|a| quote(a)).collect();
    let shown = format!(
        "{}docker exec {} {}",
        shown_environment(&env_map),
        quote(name),
        words.join(" ")
    );
    let effect = if read { Effect::Read } else { Effect::Change };
    let finished = call(
        ctx,
        handle,
        &shown,
        effect,
        |_| None,
        async |e| {
            let sink = line_sink(ctx, source(handle, name), quiet);
            let (code, stdout, stderr) = containers::exec(&e, name, &spec, sink).await?;
            Ok(Some(Finished {
                code,
                stdout,
                stderr,
            }))
        },
    )?;
    match finished {
        Some(finished) => finished.into_result(ctx, &shown, checks),
        None => Ok(planned_result(ctx, &shown, checks)),
    }
}

//! `sh`: local commands, as a shell string (`sh -c`) or an argv array (no shell, no quoting).
//! Output streams live to the event stream; the child runs in its own process group so a
//! timeout or Ctrl-C stops everything it started.

use super::process_output::{
    Command, CommandOptions, Finished, Origin, collect_both, own_limit, planned_result, refuse_nul,
    shown_environment,
};
use super::{Outcome, error};
use crate::context::run_context::RunContext;
use crate::context::stop_signal::StopReason;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::ErrorKind;
use crate::shell_quote::quote;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use rhai::{Array, Dynamic, Engine, Map};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("sh", move |cmd: &str| {
        sh(&c, Command::Shell(cmd.into()), &Map::new())
    });
    let c = Arc::clone(ctx);
    engine.register_fn("sh", move |cmd: &str, opts: Map| {
        sh(&c, Command::Shell(cmd.into()), &opts)
    });
    let c = Arc::clone(ctx);
    engine.register_fn("sh", move |argv: Array| {
        sh(&c, Command::from_array("sh", &argv)?, &Map::new())
    });
    let c = Arc::clone(ctx);
    engine.register_fn("sh", move |argv: Array, opts: Map| {
        sh(&c, Command::from_array("sh", &argv)?, &opts)
    });
    engine.register_fn("quote", |word: &str| {
        refuse_nul("quote", word).map(|()| quote(word))
    });
    engine.register_fn("quote", |word: Dynamic| {
        let word = unknown_value::shown(&word);
        refuse_nul("quote", &word).map(|()| quote(&word))
    });
}

fn sh(ctx: &Arc<RunContext>, command: Command, opts: &Map) -> Outcome<Map> {
    let opts = CommandOptions::parse(opts, "sh", false)?;
    run_here(ctx, "sh", &command, &opts)
}

/// Runs a command on this machine, as `sh` does (and `run` without a host).
pub fn run_here(
    ctx: &Arc<RunContext>,
    primitive: &str,
    command: &Command,
    opts: &CommandOptions,
) -> Outcome<Map> {
    let shown = command.display();
    let environment = shown_environment(&opts.env);
    let shown_with_dir = match &opts.cwd {
        Some(dir) => format!("cd {} && {environment}{shown}", quote(dir)),
        None => format!("{environment}{shown}"),
    };
    if !ctx.act(primitive, "local", &shown_with_dir, opts.effect(ctx)) {
        return Ok(planned_result(ctx, &shown, opts.checks(ctx)));
    }
    tracing::debug!(command = %ctx.mask(&shown), "spawning a local command");
    let finished = ctx.runtime.block_on(execute(ctx, command, opts))?;
    tracing::debug!(code = finished.code, "local command finished");
    finished.into_result(ctx, &shown, opts.checks(ctx))
}

pub(super) async fn execute(
    ctx: &Arc<RunContext>,
    command: &Command,
    opts: &CommandOptions,
) -> Outcome<Finished> {
    let mut cmd = match command {
        Command::Shell(script) => {
            let mut c = tokio::process::Command::new("sh");
            c.arg("-c").arg(script);
            c
        }
        Command::Argv(argv) => {
            let mut c = tokio::process::Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
    };
    if let Some(dir) = &opts.cwd {
        cmd.current_dir(ctx.path(dir));
    } else {
        cmd.current_dir(&ctx.base_dir);
    }
    for (key, value) in &opts.env {
        cmd.env(key.as_str(), value.to_string());
    }
    cmd.stdin(if opts.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0)
    .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let what = match command {
                Command::Argv(argv) => format!("`{}`", argv[0]),
                Command::Shell(_) => "sh".into(),
            };
            return error(ErrorKind::Io, format!("cannot start {what}: {e}"));
        }
    };
    let pgid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    if let (Some(input), Some(mut pipe)) = (opts.stdin.clone(), child.stdin.take()) {
        tokio::spawn(async move {
            let _ = pipe.write_all(input.as_bytes()).await;
        });
    }
    let origin = Origin {
        step: ctx.cursor().step,
        host: None,
        quiet: opts.quiet,
    };
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let run = async {
        let ((out, err), status) =
            tokio::join!(collect_both(ctx, &origin, stdout, stderr), child.wait());
        (out, err, status)
    };
    let stopped = tokio::select! {
        (stdout, stderr, status) = run => {
            let code = status.map_or(-1, |s| s.code().map_or(-1, i64::from));
            return Ok(Finished { code, stdout, stderr });
        }
        reason = ctx.stop.wait() => reason,
        () = own_limit(opts.timeout) => StopReason::TimedOut(opts.timeout.unwrap_or_default()),
    };
    if let Some(pgid) = pgid {
        stop_group(pgid).await;
    }
    error(
        stopped.kind(),
        format!("command `{}` {stopped}", ctx.mask(&command.display())),
    )
}

/// SIGTERM to the whole process group, then SIGKILL if it lingers.
async fn stop_group(pgid: Pid) {
    if killpg(pgid, Signal::SIGTERM).is_err() {
        return;
    }
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if killpg(pgid, None).is_err() {
            return;
        }
    }
    let _ = killpg(pgid, Signal::SIGKILL);
}

//! The functions step bodies call. One file per family; each registers itself into the rhai
//! engine with the run's context, and checks the dry-run setting at every side effect.

/// Registers a primitive twice: acting on the current host, and as a method of `RemoteHost`.
macro_rules! both {
    ($engine:ident, $ctx:ident, $name:literal, |$c:ident, $host:ident $(, $arg:ident : $ty:ty)*| $body:expr) => {{
        let $c = std::sync::Arc::clone($ctx);
        $engine.register_fn($name, move |$($arg: $ty),*| {
            let $host: Option<String> = None;
            $body
        });
        let $c = std::sync::Arc::clone($ctx);
        $engine.register_fn($name, move |h: &mut $crate::primitives::remote::RemoteHost $(, $arg: $ty)*| {
            let $host = Some(h.name.clone());
            $body
        });
    }};
}

mod compose_target;
mod connection_origin;
pub mod control;
pub mod docker;
pub mod files;
pub mod http;
pub mod interaction;
mod json_text;
pub mod local;
pub mod options;
mod private_environment;
pub mod process_output;
mod program_choice;
pub mod remote;
pub mod sql;
mod sqlite_copy;
mod target_facts;
mod text;
pub mod time;
mod unknown_arguments;

use crate::context::event::Level;
use crate::context::run_context::RunContext;
use crate::diagnostic::error_kind::{ErrorKind, TypedError};
use rhai::{Dynamic, Engine, EvalAltResult, Position};
use std::sync::Arc;

/// The result type of a primitive called from rhai.
pub type Outcome<T> = Result<T, Box<EvalAltResult>>;

/// Every primitive name, for the static checks and (later) completion.
pub const NAMES: &[&str] = &[
    "sh",
    "quote",
    "env",
    "now",
    "timestamp",
    "trimmed",
    "to_json",
    "parse_time",
    "format_time",
    "parse_duration",
    "format_duration",
    "log",
    "log_table",
    "warn",
    "assert",
    "fail",
    "sleep",
    "wait_until",
    "confirm",
    "choose",
    "publish",
    "dry_run",
    "read_file",
    "write_file",
    "exists",
    "template",
    "template_str",
    "run",
    "first_answering",
    "host",
    "target",
    "upload",
    "download",
    "remote_write",
    "remote_read",
    "remote_exists",
    "listening_ports",
    "disk_free",
    "cpu_count",
    "memory",
    "sha256",
    "file_size",
    "dotenv_read",
    "dotenv_set",
    "docker",
    "query",
    "query_one",
    "scalar",
    "execute",
    "transaction",
    "wait_ready",
    "pg_env",
    "sqlite_backup",
    "sqlite_restore",
    "http_get",
    "http_head",
    "http_post",
    "http_put",
    "http_patch",
    "http_delete",
    "http_wait",
    "ws_check",
    "expect_status",
    "json_path",
    "body_contains",
];

/// Registers every primitive into `engine`, bound to `ctx`.
pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    local::register(engine, ctx);
    remote::register(engine, ctx);
    program_choice::register(engine, ctx);
    docker::register(engine, ctx);
    sql::register(engine, ctx);
    sqlite_copy::register(engine, ctx);
    http::register(engine, ctx);
    control::register(engine, ctx);
    interaction::register(engine, ctx);
    json_text::register(engine, ctx);
    files::register(engine, ctx);
    target_facts::register(engine, ctx);
    time::register(engine);
    text::register(engine);
    unknown_arguments::register(engine);
}

/// Runs `future` unless the run is stopped first (Ctrl-C, step timeout); `what` names the
/// work in the message.
pub async fn unless_stopped<T>(
    ctx: &RunContext,
    what: &str,
    future: impl std::future::Future<Output = Result<T, TypedError>>,
) -> Outcome<T> {
    tokio::select! {
        result = future => result.or_else(|e| error(e.kind, e.message)),
        reason = ctx.stop.wait() => error(reason.kind(), format!("{what} {reason}")),
    }
}

/// A runtime error of a kind, as rhai reports it: the message is the error's value (what a
/// `catch` sees), the kind its tag.
pub fn error<T>(kind: ErrorKind, message: impl Into<String>) -> Outcome<T> {
    let mut value = Dynamic::from(message.into());
    value.set_tag(kind.tag());
    Err(EvalAltResult::ErrorRuntime(value, Position::NONE).into())
}

/// What a read gave. In a dry-run (a `--probe`), a read that failed tells nothing about the
/// real run, whose earlier changes the probe never made: it is reported as a read that could
/// not be probed, with its error, and its value is `unknown()` instead of the step failing.
pub fn probed<T>(ctx: &RunContext, read: Outcome<T>, unknown: impl FnOnce() -> T) -> Outcome<T> {
    match read {
        Err(e) if ctx.is_dry_run() && ctx.stop.check().is_none() => {
            let why = match *e {
                EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
                other => other.to_string(),
            };
            ctx.log(Level::Warn, format!("could not probe: {why}"));
            Ok(unknown())
        }
        read => read,
    }
}

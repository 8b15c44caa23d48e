//! Remote primitives over SSH: `run`, `upload`, `download`, `remote_write`, `remote_read`,
//! `remote_exists` act on the host the body runs `on` (`run` runs here when there is none); `host("name")` gives a handle with the
//! same methods for any other host; `target()` describes the current one. Every call records
//! its action first, so a dry-run lists it per host without connecting.

use super::files::write_summary;
use super::local;
use super::options::Options;
use super::private_environment;
use super::process_output::{
    Command, CommandOptions, Finished, Origin, collect_both, own_limit, planned_result,
};
use super::{Outcome, error, unless_stopped};
use crate::context::acting_host;
use crate::context::event::Effect;
use crate::context::run_context::RunContext;
use crate::context::stop_signal::StopReason;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::ErrorKind;
use crate::hosts::host_spec::HostSpec;
use crate::shell_quote::quote;
use crate::ssh::remote_process::{Ended, RemoteChild};
use crate::ssh::transfer;
use openssh::Session;
use rhai::{Array, Dynamic, Engine, Map};
use std::future::Future;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// A host named in a body: `host("db").run("uptime")`.
#[derive(Debug, Clone)]
pub struct RemoteHost {
    pub(super) name: String,
}

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    engine.register_type_with_name::<RemoteHost>("Host");
    engine.register_get("name", |h: &mut RemoteHost| h.name.clone());
    engine.register_fn("to_string", |h: &mut RemoteHost| h.name.clone());
    let c = Arc::clone(ctx);
    engine.register_fn("host", move |name: &str| -> Outcome<RemoteHost> {
        host_named(&c, name).map(|spec| RemoteHost { name: spec.name })
    });
    let c = Arc::clone(ctx);
    engine.register_fn("target", move || -> Dynamic {
        acting_host::current()
            .and_then(|name| c.hosts().spec(&name).cloned())
            .map_or(Dynamic::UNIT, |spec| describe(&spec).into())
    });
    both!(engine, ctx, "run", |c, h, cmd: &str| run(
        &c,
        h,
        Command::Shell(cmd.into()),
        &Map::new()
    ));
    both!(engine, ctx, "run", |c, h, cmd: &str, opts: Map| run(
        &c,
        h,
        Command::Shell(cmd.into()),
        &opts
    ));
    both!(engine, ctx, "run", |c, h, argv: Array| run(
        &c,
        h,
        Command::from_array("run", &argv)?,
        &Map::new()
    ));
    both!(engine, ctx, "run", |c, h, argv: Array, opts: Map| run(
        &c,
        h,
        Command::from_array("run", &argv)?,
        &opts
    ));
    both!(engine, ctx, "upload", |c, h, local: &str, remote: &str| {
        upload(&c, h, local, remote, &Map::new())
    });
    both!(
        engine,
        ctx,
        "upload",
        |c, h, local: &str, remote: &str, opts: Map| upload(&c, h, local, remote, &opts)
    );
    both!(
        engine,
        ctx,
        "download",
        |c, h, remote: &str, local: &str| download(&c, h, remote, local)
    );
    both!(
        engine,
        ctx,
        "remote_write",
        |c, h, path: &str, content: &str| remote_write(&c, h, path, content, &Map::new())
    );
    both!(
        engine,
        ctx,
        "remote_write",
        |c, h, path: &str, content: &str, opts: Map| remote_write(&c, h, path, content, &opts)
    );
    both!(engine, ctx, "remote_read", |c, h, path: &str| remote_read(
        &c, h, path
    ));
    both!(engine, ctx, "remote_exists", |c, h, path: &str| {
        remote_exists(&c, h, path)
    });
}

/// `#{name, address, user, port, vars}` of a host.
fn describe(spec: &HostSpec) -> Map {
    let mut map = Map::new();
    map.insert("name".into(), spec.name.clone().into());
    map.insert("address".into(), spec.address.clone().into());
    map.insert(
        "user".into(),
        spec.user.clone().map_or(Dynamic::UNIT, Dynamic::from),
    );
    map.insert(
        "port".into(),
        spec.port
            .map_or(Dynamic::UNIT, |p| Dynamic::from(i64::from(p))),
    );
    let vars: Map = spec
        .vars
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.clone().into()))
        .collect();
    map.insert("vars".into(), vars.into());
    map
}

pub(super) fn host_named(ctx: &RunContext, name: &str) -> Outcome<HostSpec> {
    let hosts = ctx.hosts();
    if let Some(spec) = hosts.spec(name) {
        return Ok(spec.clone());
    }
    if let Some([one]) = hosts.target(name) {
        return hosts.spec(one).cloned().ok_or_else(|| unknown(name));
    }
    // An address written in the body: `host("deploy@10.0.0.5")`.
    if name.contains('@') || name.contains('.') || name.contains(':') {
        return HostSpec::from_address(name, name).or_else(|e| error(ErrorKind::Script, e));
    }
    Err(unknown(name))
}

fn unknown(name: &str) -> Box<rhai::EvalAltResult> {
    format!("no host `{name}`: declare it with `host {name} \"user@address\"` or in the inventory")
        .into()
}

/// The host a call acts on: the handle's, or the body's `on` target; none means this machine.
pub(super) fn acting(ctx: &RunContext, handle: Option<String>) -> Outcome<Option<HostSpec>> {
    handle
        .or_else(acting_host::current)
        .map(|name| host_named(ctx, &name))
        .transpose()
}

/// The shell script sent to the host, as plans show it: environment, directory, sudo, then
/// the command.
fn remote_script(command: &Command, opts: &CommandOptions) -> Outcome<String> {
    script(command, opts, false)
}

/// The script that runs, with its environment read from standard input, and the options that
/// feed it that input: no value of the environment is on a command line of the host.
pub(super) fn private_script(
    command: &Command,
    opts: &CommandOptions,
) -> Outcome<(String, CommandOptions)> {
    let script = script(command, opts, true)?;
    let mut fed = opts.clone();
    if !opts.env.is_empty() {
        let mut input = private_environment::stdin_line(&opts.env)?;
        input.push_str(opts.stdin.as_deref().unwrap_or_default());
        fed.stdin = Some(input);
        fed.env = Map::new();
    }
    Ok((script, fed))
}

fn script(command: &Command, opts: &CommandOptions, env_on_stdin: bool) -> Outcome<String> {
    let mut script = String::new();
    if env_on_stdin && !opts.env.is_empty() {
        script.push_str(private_environment::READ_FROM_STDIN);
    }
    for (key, value) in opts.env.iter().filter(|_| !env_on_stdin) {
        if !private_environment::valid_name(key) {
            return error(
                ErrorKind::Script,
                format!("run: `{key}` is not an environment variable name"),
            );
        }
        script.push_str(&format!(
            "export {key}={}; ",
            quote(&unknown_value::shown(value))
        ));
    }
    if let Some(dir) = &opts.cwd {
        script.push_str(&format!("cd -- {} && ", quote(dir)));
    }
    script.push_str(&command.display());
    Ok(match &opts.sudo {
        Some(user) => format!("sudo -n -u {} -- sh -c {}", quote(user), quote(&script)),
        None => script,
    })
}

/// `run` on the target host; on this machine when the body has none.
pub(super) fn run(
    ctx: &Arc<RunContext>,
    handle: Option<String>,
    command: Command,
    opts: &Map,
) -> Outcome<Map> {
    let opts = CommandOptions::parse(opts, "run", true)?;
    let Some(name) = handle.or_else(acting_host::current) else {
        return match &opts.sudo {
            Some(_) => {
                let (script, fed) = private_script(&command, &opts)?;
                local::run_here(ctx, "run", &Command::Shell(script), &fed)
            }
            None => local::run_here(ctx, "run", &command, &opts),
        };
    };
    let spec = host_named(ctx, &name)?;
    let script = remote_script(&command, &opts)?;
    if !ctx.act("run", &spec.name, &script, opts.effect(ctx)) {
        return Ok(planned_result(ctx, &script, opts.checks(ctx)));
    }
    tracing::debug!(host = %spec.name, command = %ctx.mask(&script), "running a remote command");
    let (private, fed) = private_script(&command, &opts)?;
    let finished = ctx
        .runtime
        .block_on(execute(ctx, &spec, &private, &command, &fed))?;
    finished.into_result(ctx, &command.display(), opts.checks(ctx))
}

async fn session(ctx: &RunContext, spec: &HostSpec) -> Outcome<Arc<Session>> {
    unless_stopped(
        ctx,
        &format!("connecting to {}", spec.name),
        ctx.ssh.session(spec),
    )
    .await
}

pub(super) async fn execute(
    ctx: &Arc<RunContext>,
    spec: &HostSpec,
    script: &str,
    command: &Command,
    opts: &CommandOptions,
) -> Outcome<Finished> {
    let session = session(ctx, spec).await?;
    let shown = ctx.mask(&command.display());
    let mut child = RemoteChild::spawn(&session, script, opts.stdin.is_some())
        .await
        .or_else(|e| error(ErrorKind::Unreachable, format!("{}: {e}", spec.name)))?;
    if let (Some(input), Some(mut pipe)) = (opts.stdin.clone(), child.stdin.take()) {
        tokio::spawn(async move {
            let _ = pipe.write_all(input.as_bytes()).await;
            let _ = pipe.shutdown().await;
        });
    }
    let origin = Origin {
        step: ctx.cursor().step,
        host: Some(spec.name.clone()),
        quiet: opts.quiet,
    };
    let stopper = child.stopper();
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    // Output to its end first: the master may still hold output when the exit status comes,
    // and ending the session then would drop it.
    let run = async {
        let (out, err) = collect_both(ctx, &origin, stdout, stderr).await;
        (out, err, child.wait().await)
    };
    let stopped = tokio::select! {
        (stdout, stderr, ended) = run => {
            let code = match ended {
                Ended::Exited(code) => code,
                Ended::Killed => -1,
                Ended::ConnectionLost => {
                    ctx.ssh.forget(&spec.name);
                    return error(ErrorKind::Unreachable, format!(
                        "the connection to {} was lost while running `{shown}`",
                        spec.name
                    ));
                }
            };
            return Ok(Finished { code, stdout, stderr });
        }
        reason = ctx.stop.wait() => reason,
        () = own_limit(opts.timeout) => StopReason::TimedOut(opts.timeout.unwrap_or_default()),
    };
    stopper.stop().await;
    error(
        stopped.kind(),
        format!("command `{shown}` on {} {stopped}", spec.name),
    )
}

/// `#{mode: 0o600}` (or "600") on writes.
fn mode_option(opts: &Map, primitive: &'static str) -> Outcome<Option<u32>> {
    Options::new(opts, primitive, &["mode"])?;
    match opts.get("mode") {
        None => Ok(None),
        Some(v) => {
            let parsed = match v.as_int() {
                Ok(n) => u32::try_from(n).ok(),
                Err(_) => u32::from_str_radix(&v.to_string(), 8).ok(),
            };
            match parsed {
                Some(m) if m <= 0o7777 => Ok(Some(m)),
                _ => error(
                    ErrorKind::Script,
                    format!("{primitive}: `mode` must be a file mode such as 0o640 or \"640\""),
                ),
            }
        }
    }
}

/// `#{path, bytes}`.
fn transferred(path: &str, bytes: u64) -> Map {
    let mut map = Map::new();
    map.insert("path".into(), path.into());
    map.insert(
        "bytes".into(),
        i64::try_from(bytes).unwrap_or(i64::MAX).into(),
    );
    map
}

/// Runs a transfer over the host's connection unless the run stops first; `what` names it in
/// errors.
fn transfer_on<T, F, Fut>(ctx: &RunContext, spec: &HostSpec, what: &str, work: F) -> Outcome<T>
where
    F: FnOnce(Arc<Session>) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    ctx.runtime.block_on(async {
        let session = session(ctx, spec).await?;
        unless_stopped(ctx, what, async {
            work(session)
                .await
                .map_err(|e| ErrorKind::Io.error(format!("{what} failed: {e}")))
        })
        .await
    })
}

fn upload(
    ctx: &Arc<RunContext>,
    handle: Option<String>,
    local: &str,
    remote: &str,
    opts: &Map,
) -> Outcome<Map> {
    let mode = mode_option(opts, "upload")?;
    let path = ctx.path(local);
    let Some(spec) = acting(ctx, handle)? else {
        return here::copy(ctx, "upload", &path, &ctx.path(remote), mode)
            .map(|n| transferred(remote, n));
    };
    let summary = format!("upload {local} → {remote}");
    if !ctx.act("upload", &spec.name, &summary, Effect::Change) {
        return Ok(transferred(remote, 0));
    }
    let what = format!("upload of {local} to {}:{remote}", spec.name);
    let bytes = transfer_on(ctx, &spec, &what, |s| async move {
        transfer::upload(&s, &path, remote, mode).await
    })?;
    Ok(transferred(remote, bytes))
}

fn download(
    ctx: &Arc<RunContext>,
    handle: Option<String>,
    remote: &str,
    local: &str,
) -> Outcome<Map> {
    let path = ctx.path(local);
    let Some(spec) = acting(ctx, handle)? else {
        return here::copy(ctx, "download", &ctx.path(remote), &path, None)
            .map(|n| transferred(local, n));
    };
    let summary = format!("download {remote} → {local}");
    if !ctx.act("download", &spec.name, &summary, Effect::Change) {
        return Ok(transferred(local, 0));
    }
    let what = format!("download of {}:{remote}", spec.name);
    let bytes = transfer_on(ctx, &spec, &what, |s| async move {
        transfer::download(&s, remote, &path).await
    })?;
    Ok(transferred(local, bytes))
}

fn remote_write(
    ctx: &Arc<RunContext>,
    handle: Option<String>,
    path: &str,
    content: &str,
    opts: &Map,
) -> Outcome<Map> {
    let mode = mode_option(opts, "remote_write")?;
    let Some(spec) = acting(ctx, handle)? else {
        return here::write(ctx, &ctx.path(path), content, mode).map(|n| transferred(path, n));
    };
    let summary = write_summary(content, path);
    if !ctx.act("remote_write", &spec.name, &summary, Effect::Change) {
        return Ok(transferred(path, 0));
    }
    let what = format!("writing {}:{path}", spec.name);
    let bytes = transfer_on(ctx, &spec, &what, |s| async move {
        transfer::write(&s, content.as_bytes(), path, mode).await
    })?;
    Ok(transferred(path, bytes))
}

fn remote_read(ctx: &Arc<RunContext>, handle: Option<String>, path: &str) -> Outcome<Dynamic> {
    let Some(spec) = acting(ctx, handle)? else {
        return here::read(ctx, &ctx.path(path));
    };
    let shown = format!("cat -- {}", quote(path));
    if !ctx.act("remote_read", &spec.name, &shown, Effect::Read) {
        return Ok(ctx.unknown_value(&format!("content of {}:{path}", spec.name)));
    }
    let what = format!("reading {}:{path}", spec.name);
    let bytes = transfer_on(ctx, &spec, &what, |s| async move {
        transfer::read(&s, path).await
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned().into())
}

fn remote_exists(ctx: &Arc<RunContext>, handle: Option<String>, path: &str) -> Outcome<Dynamic> {
    let Some(spec) = acting(ctx, handle)? else {
        return Ok(ctx.path(path).exists().into());
    };
    let script = format!("test -e {}", quote(path));
    if !ctx.act("remote_exists", &spec.name, &script, Effect::Read) {
        return Ok(ctx.unknown_value(&format!("whether {}:{path} exists", spec.name)));
    }
    let opts = CommandOptions::parse(&quiet(), "remote_exists", true)?;
    let command = Command::Shell(script.clone());
    let (private, fed) = private_script(&command, &opts)?;
    let finished = ctx
        .runtime
        .block_on(execute(ctx, &spec, &private, &command, &fed))?;
    Ok((finished.code == 0).into())
}

fn quiet() -> Map {
    let mut map = Map::new();
    map.insert("quiet".into(), true.into());
    map
}

/// The same transfers when the body runs here (`on local`, or no target): plain file copies.
mod here {
    use super::super::files::write_summary;
    use super::super::{Outcome, error};
    use crate::context::event::Effect;
    use crate::context::run_context::RunContext;
    use crate::diagnostic::error_kind::ErrorKind;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    fn set_mode(path: &Path, mode: Option<u32>) -> Outcome<()> {
        match mode {
            Some(m) => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).or_else(|e| {
                    error(
                        ErrorKind::Io,
                        format!("cannot set the mode of {}: {e}", path.display()),
                    )
                })
            }
            None => Ok(()),
        }
    }

    pub fn copy(
        ctx: &RunContext,
        what: &str,
        from: &Path,
        to: &Path,
        mode: Option<u32>,
    ) -> Outcome<u64> {
        let summary = format!("{what} {} → {}", from.display(), to.display());
        if !ctx.act(what, "local", &summary, Effect::Change) {
            return Ok(0);
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).or_else(|e| {
                error(
                    ErrorKind::Io,
                    format!("cannot create {}: {e}", parent.display()),
                )
            })?;
        }
        if from.is_dir() {
            let status = std::process::Command::new("cp")
                .arg("-a")
                .arg(from.join("."))
                .arg(to)
                .status();
            let created = std::fs::create_dir_all(to).is_ok();
            return match status {
                Ok(s) if s.success() && created => Ok(0),
                _ => error(
                    ErrorKind::Io,
                    format!("cannot copy {} to {}", from.display(), to.display()),
                ),
            };
        }
        let bytes = std::fs::copy(from, to).or_else(|e| {
            error(
                ErrorKind::Io,
                format!("cannot copy {} to {}: {e}", from.display(), to.display()),
            )
        })?;
        set_mode(to, mode)?;
        Ok(bytes)
    }

    pub fn write(ctx: &RunContext, path: &Path, content: &str, mode: Option<u32>) -> Outcome<u64> {
        let summary = write_summary(content, &path.display().to_string());
        if !ctx.act("remote_write", "local", &summary, Effect::Change) {
            return Ok(0);
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).or_else(|e| {
                error(
                    ErrorKind::Io,
                    format!("cannot create {}: {e}", parent.display()),
                )
            })?;
        }
        std::fs::write(path, content).or_else(|e| {
            error(
                ErrorKind::Io,
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
        set_mode(path, mode)?;
        Ok(content.len() as u64)
    }

    pub fn read(ctx: &RunContext, path: &Path) -> Outcome<rhai::Dynamic> {
        let shown = format!("read {}", path.display());
        if !ctx.act("remote_read", "local", &shown, Effect::Read) {
            return Ok(ctx.unknown_value(&format!("content of {}", path.display())));
        }
        std::fs::read_to_string(path)
            .map(rhai::Dynamic::from)
            .or_else(|e| {
                error(
                    ErrorKind::Io,
                    format!("cannot read {}: {e}", path.display()),
                )
            })
    }
}

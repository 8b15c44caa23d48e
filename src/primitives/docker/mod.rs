//! `docker()`: the Docker engine of the body's target (this machine, or the `on` host through
//! SSH), or `docker("name")` for another. Its methods list, inspect and manage containers,
//! stream logs and exec output to the event stream, wait for health, and manage images.
//! Changes are recorded with the engine named; reads run in a dry-run only with `--probe`, which
//! looks once where a run would wait, and leaves unknown what it could not read.

mod container_output;
mod images;

use super::options::Options;
use super::remote::host_named;
use super::{Outcome, probed, unless_stopped};
use crate::context::acting_host;
use crate::context::event::{Effect, Event, Level};
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::{ErrorKind, TypedError};
use crate::docker::containers::{self, Engine, Filter, Lifecycle, Until};
use crate::docker::engines::local_name;
use crate::hosts::host_spec::HostSpec;
use crate::shell_quote::quote;
use rhai::{Array, Dynamic, Engine as Rhai, Map};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// An engine named in a body: `docker()` or `docker("vm")`.
#[derive(Debug, Clone)]
pub struct DockerHandle {
    /// The host whose engine this is; none for this machine.
    host: Option<String>,
}

impl DockerHandle {
    /// How plans and messages name the engine.
    fn label(&self) -> String {
        match &self.host {
            Some(host) => format!("docker@{host}"),
            None => "docker@local".into(),
        }
    }
}

pub fn register(engine: &mut Rhai, ctx: &Arc<RunContext>) {
    engine.register_type_with_name::<DockerHandle>("Docker");
    engine.register_get("name", |d: &mut DockerHandle| d.label());
    engine.register_fn("docker", || DockerHandle {
        host: acting_host::current(),
    });
    let c = Arc::clone(ctx);
    engine.register_fn("docker", move |target: &str| -> Outcome<DockerHandle> {
        if target == "local" {
            return Ok(DockerHandle { host: None });
        }
        host_named(&c, target).map(|spec| DockerHandle {
            host: Some(spec.name),
        })
    });
    register_reads(engine, ctx);
    register_lifecycle(engine, ctx);
    container_output::register(engine, ctx);
    images::register(engine, ctx);
}

/// Records the call, then (unless planning) runs `work` on the engine, racing the stop signal;
/// a probe that fails gives what a plan gives.
fn call<T>(
    ctx: &RunContext,
    handle: &DockerHandle,
    command: &str,
    effect: Effect,
    planned: impl FnOnce(&RunContext) -> T,
    work: impl AsyncFnOnce(Engine) -> Result<T, String>,
) -> Outcome<T> {
    if !ctx.act("docker", &handle.label(), command, effect) {
        return Ok(planned(ctx));
    }
    let done = ctx.runtime.block_on(async {
        let engine = connect(ctx, handle).await?;
        let name = format!("`{command}` on {}", engine.name);
        unless_stopped(ctx, &name, async {
            work(engine).await.map_err(|e| ErrorKind::Docker.error(e))
        })
        .await
    });
    probed(ctx, done, || planned(ctx))
}

/// The engine of `host` (this machine's when none); the primitives that find Compose services
/// by name use it too.
pub(super) async fn engine_of(
    ctx: &RunContext,
    host: Option<&HostSpec>,
) -> Result<Engine, TypedError> {
    Ok(match host {
        None => Engine {
            docker: ctx.docker.local().await?,
            name: format!("local ({})", local_name()),
        },
        Some(spec) => Engine {
            docker: ctx.docker.remote(&ctx.ssh, spec).await?,
            name: spec.name.clone(),
        },
    })
}

async fn connect(ctx: &RunContext, handle: &DockerHandle) -> Outcome<Engine> {
    let spec = handle
        .host
        .as_deref()
        .map(|host| host_named(ctx, host))
        .transpose()?;
    let name = spec
        .as_ref()
        .map_or_else(|| format!("local ({})", local_name()), |s| s.name.clone());
    unless_stopped(
        ctx,
        &format!("connecting to Docker on {name}"),
        engine_of(ctx, spec.as_ref()),
    )
    .await
}

/// A JSON value as rhai sees it.
fn dynamic(value: &Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

fn unknown(what: &str) -> impl FnOnce(&RunContext) -> Dynamic + '_ {
    move |ctx| ctx.unknown_value(what)
}

fn register_reads(engine: &mut Rhai, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("containers", move |d: &mut DockerHandle| {
        containers_of(&c, d, &Map::new())
    });
    let c = Arc::clone(ctx);
    engine.register_fn("containers", move |d: &mut DockerHandle, opts: Map| {
        containers_of(&c, d, &opts)
    });
    let c = Arc::clone(ctx);
    engine.register_fn("inspect", move |d: &mut DockerHandle, name: &str| {
        let what = format!("state of container {name}");
        call(
            &c,
            d,
            &format!("docker inspect {}", quote(name)),
            Effect::Read,
            unknown(&what),
            async |e| containers::inspect(&e, name).await.map(|v| dynamic(&v)),
        )
    });
    let c = Arc::clone(ctx);
    engine.register_fn("stats", move |d: &mut DockerHandle, name: &str| {
        call(
            &c,
            d,
            &format!("docker stats --no-stream {}", quote(name)),
            Effect::Read,
            unknown("container stats"),
            async |e| containers::stats(&e, name).await.map(|v| dynamic(&v)),
        )
    });
    let c = Arc::clone(ctx);
    engine.register_fn("version", move |d: &mut DockerHandle| {
        call(
            &c,
            d,
            "docker version",
            Effect::Read,
            unknown("engine version"),
            async |e| {
                crate::docker::images::version(&e)
                    .await
                    .map(|v| dynamic(&v))
            },
        )
    });
    let c = Arc::clone(ctx);
    engine.register_fn("info", move |d: &mut DockerHandle| {
        call(
            &c,
            d,
            "docker info",
            Effect::Read,
            unknown("engine info"),
            async |e| crate::docker::images::info(&e).await.map(|v| dynamic(&v)),
        )
    });
    for (method, until) in [
        ("wait_running", Until::Running),
        ("wait_healthy", Until::Healthy),
    ] {
        let c = Arc::clone(ctx);
        engine.register_fn(
            method,
            move |d: &mut DockerHandle, name: &str, timeout: i64| {
                wait(&c, d, name, until, timeout, false)
            },
        );
    }
    let c = Arc::clone(ctx);
    engine.register_fn(
        "wait_healthy",
        move |d: &mut DockerHandle, name: &str, timeout: i64, opts: Map| {
            let o = Options::new(&opts, "wait_healthy", &["keep_waiting"])?;
            let keep_waiting = o.bool("keep_waiting")?.unwrap_or(false);
            wait(&c, d, name, Until::Healthy, timeout, keep_waiting)
        },
    );
}

fn containers_of(ctx: &RunContext, handle: &DockerHandle, opts: &Map) -> Outcome<Dynamic> {
    let o = Options::new(
        opts,
        "containers",
        &["name", "label", "project", "service", "status", "all"],
    )?;
    let filter = Filter {
        name: o.string("name")?,
        labels: o.string("label")?.into_iter().collect(),
        project: o.string("project")?,
        service: o.string("service")?,
        status: o.string("status")?,
        all: o.bool("all")?.unwrap_or(false),
    };
    let mut shown = String::from("docker ps");
    for (key, value) in opts {
        shown.push_str(&format!(
            " --filter {key}={}",
            quote(&unknown_value::shown(value))
        ));
    }
    call(
        ctx,
        handle,
        &shown,
        Effect::Read,
        unknown(&format!("containers of {shown}")),
        async |e| {
            let found = containers::list(&e, &filter).await?;
            Ok(found.iter().map(dynamic).collect::<Array>().into())
        },
    )
}

fn wait(
    ctx: &RunContext,
    handle: &DockerHandle,
    name: &str,
    until: Until,
    timeout: i64,
    keep_waiting: bool,
) -> Outcome<Dynamic> {
    let wanted = match until {
        Until::Running => "running",
        Until::Healthy => "healthy",
    };
    let secs = u64::try_from(timeout).unwrap_or(0);
    // Plans and docs say when an unhealthy container does not end the wait at once.
    let through = if keep_waiting {
        ", through unhealthy"
    } else {
        ""
    };
    let shown = format!(
        "wait until {} is {wanted} (up to {secs}s{through})",
        quote(name)
    );
    // A probe sees today's state, before the changes the plan leads up to: it looks once.
    let limit = if ctx.is_dry_run() {
        Duration::ZERO
    } else {
        Duration::from_secs(secs)
    };
    let what = format!("state of container {name}");
    call(
        ctx,
        handle,
        &shown,
        Effect::Read,
        unknown(&what),
        async |e| {
            let step = ctx.cursor().step;
            let progress = |state: &str| {
                ctx.emit(&Event::Log {
                    step: step.clone(),
                    level: Level::Info,
                    message: format!("{name} on {}: {state}", e.name),
                });
            };
            containers::wait(&e, name, until, limit, keep_waiting, progress)
                .await
                .map(|v| dynamic(&v))
                .map_err(|e| {
                    if ctx.is_dry_run() {
                        format!("{e} (a probe does not wait)")
                    } else {
                        e
                    }
                })
        },
    )
}

fn register_lifecycle(engine: &mut Rhai, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("start", move |d: &mut DockerHandle, name: &str| {
        lifecycle(&c, d, name, Lifecycle::Start, "start")
    });
    let c = Arc::clone(ctx);
    engine.register_fn("stop", move |d: &mut DockerHandle, name: &str| {
        lifecycle(&c, d, name, Lifecycle::Stop { timeout: None }, "stop")
    });
    let c = Arc::clone(ctx);
    engine.register_fn(
        "stop",
        move |d: &mut DockerHandle, name: &str, secs: i64| {
            let timeout = i32::try_from(secs).ok();
            lifecycle(
                &c,
                d,
                name,
                Lifecycle::Stop { timeout },
                &format!("stop -t {secs}"),
            )
        },
    );
    let c = Arc::clone(ctx);
    engine.register_fn("restart", move |d: &mut DockerHandle, name: &str| {
        lifecycle(&c, d, name, Lifecycle::Restart { timeout: None }, "restart")
    });
    let c = Arc::clone(ctx);
    engine.register_fn(
        "restart",
        move |d: &mut DockerHandle, name: &str, secs: i64| {
            let timeout = i32::try_from(secs).ok();
            lifecycle(
                &c,
                d,
                name,
                Lifecycle::Restart { timeout },
                &format!("restart -t {secs}"),
            )
        },
    );
    let c = Arc::clone(ctx);
    engine.register_fn("kill", move |d: &mut DockerHandle, name: &str| {
        let signal = "SIGKILL".to_string();
        lifecycle(&c, d, name, Lifecycle::Kill { signal }, "kill")
    });
    let c = Arc::clone(ctx);
    engine.register_fn(
        "kill",
        move |d: &mut DockerHandle, name: &str, signal: &str| {
            let shown = format!("kill -s {signal}");
            let signal = signal.to_string();
            lifecycle(&c, d, name, Lifecycle::Kill { signal }, &shown)
        },
    );
    let c = Arc::clone(ctx);
    engine.register_fn("remove", move |d: &mut DockerHandle, name: &str| {
        let remove = Lifecycle::Remove {
            force: false,
            volumes: false,
        };
        lifecycle(&c, d, name, remove, "rm")
    });
    let c = Arc::clone(ctx);
    engine.register_fn(
        "remove",
        move |d: &mut DockerHandle, name: &str, opts: Map| {
            let o = Options::new(&opts, "remove", &["force", "volumes"])?;
            let force = o.bool("force")?.unwrap_or(false);
            let volumes = o.bool("volumes")?.unwrap_or(false);
            let shown = format!(
                "rm{}{}",
                if force { " -f" } else { "" },
                if volumes { " -v" } else { "" }
            );
            lifecycle(&c, d, name, Lifecycle::Remove { force, volumes }, &shown)
        },
    );
}

fn lifecycle(
    ctx: &RunContext,
    handle: &DockerHandle,
    name: &str,
    action: Lifecycle,
    verb: &str,
) -> Outcome<()> {
    let shown = format!("docker {verb} {}", quote(name));
    call(
        ctx,
        handle,
        &shown,
        Effect::Change,
        |_| (),
        async |e| containers::lifecycle(&e, name, &action).await,
    )
}

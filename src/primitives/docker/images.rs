//! Images on a `docker()` handle: list, pull, build, remove.

use super::{DockerHandle, call, dynamic, unknown};
use crate::context::event::{Effect, Event, Level};
use crate::context::run_context::RunContext;
use crate::docker::images;
use crate::primitives::Outcome;
use crate::primitives::options::Options;
use crate::shell_quote::quote;
use rhai::{Array, Engine as Rhai, Map};
use std::sync::Arc;

pub(super) fn register(engine: &mut Rhai, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("images", move |d: &mut DockerHandle| {
        call(
            &c,
            d,
            "docker images",
            Effect::Read,
            unknown("images"),
            async |e| {
                let found = images::list(&e).await?;
                Ok(found.iter().map(dynamic).collect::<Array>().into())
            },
        )
    });
    let c = Arc::clone(ctx);
    engine.register_fn("pull", move |d: &mut DockerHandle, image: &str| {
        let shown = format!("docker pull {}", quote(image));
        call(
            &c,
            d,
            &shown,
            Effect::Change,
            |_| (),
            async |e| {
                let step = c.cursor().step;
                let progress = |line: &str| {
                    c.emit(&Event::Log {
                        step: step.clone(),
                        level: Level::Info,
                        message: format!("pull {image}: {line}"),
                    });
                };
                images::pull(&e, image, progress).await
            },
        )
    });
    let c = Arc::clone(ctx);
    engine.register_fn(
        "tag",
        move |d: &mut DockerHandle, source: &str, target: &str| {
            let shown = format!("docker tag {} {}", quote(source), quote(target));
            call(
                &c,
                d,
                &shown,
                Effect::Change,
                |_| (),
                async |e| images::tag(&e, source, target).await,
            )
        },
    );
    let c = Arc::clone(ctx);
    engine.register_fn("remove_image", move |d: &mut DockerHandle, image: &str| {
        remove_image(&c, d, image, false)
    });
    let c = Arc::clone(ctx);
    engine.register_fn(
        "remove_image",
        move |d: &mut DockerHandle, image: &str, opts: Map| {
            let force = Options::new(&opts, "remove_image", &["force"])?
                .bool("force")?
                .unwrap_or(false);
            remove_image(&c, d, image, force)
        },
    );
}

fn remove_image(ctx: &RunContext, handle: &DockerHandle, image: &str, force: bool) -> Outcome<()> {
    let shown = format!(
        "docker rmi{} {}",
        if force { " -f" } else { "" },
        quote(image)
    );
    call(
        ctx,
        handle,
        &shown,
        Effect::Change,
        |_| (),
        async |e| images::remove(&e, image, force).await,
    )
}

//! Facts of the body's target, read by primitives instead of hand-written shell: listening TCP
//! ports, free disk space, CPUs and memory, the SHA-256 and size of a file, a dotenv file read or one of
//! its keys set. Like `run`, each acts on the host the body runs `on` (or the `host("…")`
//! handle's), on this machine when there is none. Each runs one fixed command there, its
//! words quoted, whose output is parsed here: the same parser whether the target is local or
//! remote, and no shell text of a runbook's.

mod capacity;
mod checksum;
mod dotenv;
mod ports;

use super::process_output::{Command, CommandOptions, Finished};
use super::remote::{acting, execute, private_script};
use super::{Outcome, error, local, probed};
use crate::context::event::Effect;
use crate::context::run_context::RunContext;
use crate::diagnostic::error_kind::ErrorKind;
use crate::hosts::host_spec::HostSpec;
use rhai::{Dynamic, Engine, Map};
use std::sync::Arc;

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    both!(engine, ctx, "listening_ports", |c, h| ports::listening(
        &Target::of(&c, h)?
    ));
    both!(engine, ctx, "disk_free", |c, h, path: &str| capacity::disk(
        &Target::of(&c, h)?,
        path
    ));
    both!(engine, ctx, "cpu_count", |c, h| capacity::cpus(
        &Target::of(&c, h)?
    ));
    both!(engine, ctx, "memory", |c, h| capacity::memory(&Target::of(
        &c, h
    )?));
    both!(engine, ctx, "sha256", |c, h, path: &str| checksum::sha256(
        &Target::of(&c, h)?,
        path
    ));
    both!(engine, ctx, "file_size", |c, h, path: &str| checksum::size(
        &Target::of(&c, h)?,
        path
    ));
    both!(engine, ctx, "dotenv_read", |c, h, path: &str| dotenv::read(
        &Target::of(&c, h)?,
        path
    ));
    both!(
        engine,
        ctx,
        "dotenv_set",
        |c, h, path: &str, key: &str, value: Dynamic| dotenv::set(
            &Target::of(&c, h)?,
            path,
            key,
            &value
        )
    );
}

/// Where a fact is read: a host, or this machine.
pub(super) struct Target<'a> {
    ctx: &'a Arc<RunContext>,
    host: Option<HostSpec>,
}

impl<'a> Target<'a> {
    fn of(ctx: &'a Arc<RunContext>, handle: Option<String>) -> Outcome<Self> {
        Ok(Self {
            ctx,
            host: acting(ctx, handle)?,
        })
    }

    /// The target as plans name it: the host, or `local`.
    fn name(&self) -> &str {
        self.host.as_ref().map_or("local", |h| h.name.as_str())
    }

    /// `what of HOST` (or `what` locally), for unknown values and messages.
    fn of_what(&self, what: &str) -> String {
        match &self.host {
            Some(h) => format!("{what} on {}", h.name),
            None => what.to_string(),
        }
    }

    /// Records the action; false when it must not happen now (a dry-run, or a read a
    /// probe may not make).
    fn act(&self, primitive: &str, summary: &str, effect: Effect) -> bool {
        self.ctx.act(primitive, self.name(), summary, effect)
    }

    /// A read: recorded as `summary`; done by `work` in a real run or a probe, else the
    /// unknown value `⟨what on HOST⟩` (a probe that fails gives it too).
    fn read(
        &self,
        primitive: &str,
        summary: &str,
        what: &str,
        work: impl FnOnce(&Self) -> Outcome<Dynamic>,
    ) -> Outcome<Dynamic> {
        if !self.act(primitive, summary, Effect::Read) {
            return Ok(self.unknown(what));
        }
        probed(self.ctx, work(self), || self.unknown(what))
    }

    /// A value only a real run knows: `⟨what on HOST⟩`.
    fn unknown(&self, what: &str) -> Dynamic {
        self.ctx.unknown_value(&self.of_what(what))
    }

    /// Runs `argv` on the target, without streaming its output; its standard output, or an
    /// error naming `primitive`, the target and the command's last line of errors.
    fn output(
        &self,
        primitive: &'static str,
        argv: &[&str],
        stdin: Option<String>,
    ) -> Outcome<String> {
        let command = Command::Argv(argv.iter().map(ToString::to_string).collect());
        let mut options = Map::new();
        options.insert("quiet".into(), true.into());
        let mut opts = CommandOptions::parse(&options, primitive, true)?;
        opts.stdin = stdin;
        let ctx = self.ctx;
        let finished: Finished = match &self.host {
            None => ctx.runtime.block_on(local::execute(ctx, &command, &opts))?,
            Some(spec) => {
                let (script, fed) = private_script(&command, &opts)?;
                ctx.runtime
                    .block_on(execute(ctx, spec, &script, &command, &fed))?
            }
        };
        if finished.code != 0 {
            let why = finished
                .stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map_or_else(
                    || format!("exited with code {}", finished.code),
                    |l| l.trim().to_string(),
                );
            return error(
                ErrorKind::ExitStatus,
                format!("{primitive} on {}: {}", self.name(), self.ctx.mask(&why)),
            );
        }
        Ok(finished.stdout)
    }
}

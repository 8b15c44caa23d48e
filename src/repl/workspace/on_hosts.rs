//! `:on TARGET COMMAND`: one shell command on every host of a host or group, side by side, like
//! `ansible web -a uptime`; each host's output tagged with its name, in inventory order.

use super::{Workspace, out, report};
use crate::context::event::{Event, EventSink};
use crate::diagnostic::{Diagnostic, did_you_mean};
use rhai::{Dynamic, Map, Scope};
use std::sync::Arc;

/// Hosts reached at once.
const FORKS: usize = 50;

/// The live view stays quiet while hosts answer: their output is shown grouped afterwards.
struct Quiet;

impl EventSink for Quiet {
    fn emit(&self, _: &Event) {}
}

impl Workspace {
    /// `:on`.
    pub fn on(&mut self, target: &str, command: &str) {
        self.begin_command();
        let hosts = self.ctx.hosts();
        let Some(members) = hosts.target(target).map(<[String]>::to_vec) else {
            let mut d = Diagnostic::error(format!("unknown target `{target}`"));
            d.help = Some(match did_you_mean(target, hosts.target_names()) {
                Some(close) => format!("did you mean `{close}`? (`:hosts` lists them)"),
                None => "`:hosts` lists the hosts and groups".into(),
            });
            report(&[d]);
            return;
        };
        if members.is_empty() {
            report(&[Diagnostic::error(format!(
                "`{target}` names no remote host: type the command as `sh(…)` to run it here"
            ))]);
            return;
        }
        self.view.divert(Some(Arc::new(Quiet)));
        let mut answers: Vec<(String, Result<Dynamic, String>)> = Vec::new();
        for chunk in members.chunks(FORKS) {
            let engine = &self.engine;
            answers.extend(std::thread::scope(|threads| {
                let running: Vec<_> = chunk
                    .iter()
                    .map(|host| {
                        let host = host.clone();
                        threads.spawn(move || {
                            let mut scope = Scope::new();
                            scope.push_constant("__host", host.clone());
                            scope.push_constant("__command", command.to_string());
                            let answer = engine
                                .eval_with_scope::<Dynamic>(
                                    &mut scope,
                                    "host(__host).run(__command, #{check: false})",
                                )
                                .map_err(|e| crate::engine::rhai_error::explain(*e).message);
                            (host, answer)
                        })
                    })
                    .collect();
                running
                    .into_iter()
                    .map(|t| {
                        t.join().unwrap_or_else(|_| {
                            (String::new(), Err("the host's thread died".into()))
                        })
                    })
                    .collect::<Vec<_>>()
            }));
        }
        self.view.divert(None);
        let mut failed = 0;
        for (host, answer) in &answers {
            let (ok, verdict, text) = match answer {
                // A dry mode's answer is only known by a real run.
                Ok(_) if self.ctx.is_dry_run() => (
                    true,
                    format!("would run: {command} (dry mode)"),
                    String::new(),
                ),
                Ok(value) => match value.read_lock::<Map>() {
                    Some(result) => shown(&result),
                    None => (false, format!("✗ no answer: {value}"), String::new()),
                },
                Err(message) => (false, format!("✗ {message}"), String::new()),
            };
            if !ok {
                failed += 1;
            }
            out(&self.ctx.mask(&format!("{host} │ {verdict}")));
            for line in text.lines() {
                out(&self.ctx.mask(&format!("{host} │   {line}")));
            }
        }
        out(&format!(
            "{} host(s): {} ok, {failed} failed",
            answers.len(),
            answers.len() - failed
        ));
    }
}

/// Whether a command succeeded, its verdict and its output (stdout, then stderr).
fn shown(result: &Map) -> (bool, String, String) {
    let code = result
        .get("code")
        .and_then(|c| c.as_int().ok())
        .unwrap_or(-1);
    let text = |key: &str| result.get(key).map(ToString::to_string).unwrap_or_default();
    let verdict = if code == 0 {
        "✓ exit 0".to_string()
    } else {
        format!("✗ exit {code}")
    };
    let mut output = text("stdout");
    let errors = text("stderr");
    if !errors.trim().is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&errors);
    }
    (code == 0, verdict, output)
}

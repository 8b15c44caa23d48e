//! What local and remote commands share: their options, live output lines sent to the event
//! stream while kept for the result, and the `#{code, ok, stdout, stderr}` result.

use super::options::Options;
use super::{Outcome, error};
use crate::context::event::OutputLines;
use crate::context::event::{Effect, Stream};
use crate::context::line_splitter::LineSplitter;
use crate::context::run_context::RunContext;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::ErrorKind;
use crate::shell_quote::quote;
use rhai::{Array, Dynamic, Map};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Output kept in the result beyond this is dropped (it was still streamed).
const MAX_CAPTURE: usize = 8 * 1024 * 1024;

/// Refuses a value holding a NUL byte, which no shell word, argument or path can carry:
/// dropping it, or letting C code cut the value there, would act on another value.
pub fn refuse_nul(what: &str, value: &str) -> Outcome<()> {
    if value.contains('\0') {
        return error(
            ErrorKind::Script,
            format!(
                "{what}: the value holds a NUL byte, which no command, argument or path can carry"
            ),
        );
    }
    Ok(())
}

/// What to run.
pub enum Command {
    Shell(String),
    Argv(Vec<String>),
}

impl Command {
    pub fn from_array(primitive: &str, argv: &Array) -> Outcome<Self> {
        if argv.is_empty() {
            return error(
                ErrorKind::Script,
                format!("{primitive}: the argv array is empty"),
            );
        }
        // A command holding a value only a real run knows is never run, only shown: its
        // unknown words read as their `⟨origin⟩`, without quotes.
        if argv.iter().any(Dynamic::is::<unknown_value::Unknown>) {
            let words: Vec<String> = argv
                .iter()
                .map(|word| {
                    if word.is::<unknown_value::Unknown>() {
                        unknown_value::shown(word)
                    } else {
                        quote(&word.to_string())
                    }
                })
                .collect();
            return Ok(Command::Shell(words.join(" ")));
        }
        Ok(Command::Argv(
            argv.iter().map(ToString::to_string).collect(),
        ))
    }

    /// The command as an operator would type it (argv words quoted for a shell).
    pub fn display(&self) -> String {
        match self {
            Command::Shell(s) => s.clone(),
            Command::Argv(argv) => argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "),
        }
    }
}

/// The environment given to a command as plans show it: `KEY=value ` for each variable, the
/// value quoted for a shell (an unknown value as its `⟨…⟩` origin).
pub fn shown_environment(env: &Map) -> String {
    env.iter()
        .map(|(key, value)| format!("{key}={} ", quote(&unknown_value::shown(value))))
        .collect()
}

/// The options commands accept; `sudo` only remotely.
#[derive(Clone)]
pub struct CommandOptions {
    pub read: Option<bool>,
    pub check: Option<bool>,
    pub cwd: Option<String>,
    pub env: Map,
    pub timeout: Option<Duration>,
    pub stdin: Option<String>,
    pub quiet: bool,
    /// Run as root (`true`) or as the named user, through `sudo -n`.
    pub sudo: Option<String>,
}

impl CommandOptions {
    const LOCAL: &'static [&'static str] =
        &["read", "check", "cwd", "env", "timeout", "stdin", "quiet"];
    const REMOTE: &'static [&'static str] = &[
        "read", "check", "cwd", "env", "timeout", "stdin", "quiet", "sudo",
    ];

    pub fn parse(map: &Map, primitive: &'static str, remote: bool) -> Outcome<Self> {
        let keys = if remote { Self::REMOTE } else { Self::LOCAL };
        let o = Options::new(map, primitive, keys)?;
        let sudo = match map.get("sudo") {
            None => None,
            Some(v) if v.as_bool() == Ok(false) => None,
            Some(v) if v.as_bool() == Ok(true) => Some("root".to_string()),
            Some(_) => o.string("sudo")?,
        };
        Ok(Self {
            read: o.bool("read")?,
            check: o.bool("check")?,
            cwd: o.string("cwd")?,
            env: o.map("env")?.unwrap_or_default(),
            timeout: o.seconds("timeout")?,
            stdin: o.string("stdin")?,
            quiet: o.bool("quiet")?.unwrap_or(false),
            sudo,
        })
    }

    /// Reads by default in guards and `when`; a change elsewhere unless marked.
    pub fn effect(&self, ctx: &RunContext) -> Effect {
        if self.read.unwrap_or(ctx.in_condition()) {
            Effect::Read
        } else {
            Effect::Change
        }
    }

    /// Whether a non-zero exit fails the step.
    pub fn checks(&self, ctx: &RunContext) -> bool {
        self.check.unwrap_or(!ctx.in_condition())
    }
}

/// A finished command.
pub struct Finished {
    /// Exit code; -1 when killed by a signal.
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The result map, or the step's failure when the exit code must be zero.
    pub fn into_result(self, ctx: &RunContext, shown: &str, checks: bool) -> Outcome<Map> {
        if checks && self.code != 0 {
            let how = if self.code < 0 {
                "was killed by a signal".to_string()
            } else {
                format!("exited with code {}", self.code)
            };
            let tail = last_line(&self.stderr)
                .map(|l| format!(": {l}"))
                .unwrap_or_default();
            return error(
                ErrorKind::ExitStatus,
                format!("command `{}` {how}{tail}", ctx.mask(shown)),
            );
        }
        Ok(result_map(self.code, self.stdout, self.stderr))
    }
}

/// `#{code, ok, stdout, stderr}`.
pub fn result_map(code: i64, stdout: String, stderr: String) -> Map {
    let mut map = Map::new();
    map.insert("code".into(), code.into());
    map.insert("ok".into(), (code == 0).into());
    map.insert("stdout".into(), stdout.into());
    map.insert("stderr".into(), stderr.into());
    map
}

/// What a dry-run returns for a command it did not run: output only a real run knows.
pub fn planned_result(ctx: &RunContext, shown: &str, checks: bool) -> Map {
    let mut map = result_map(0, String::new(), String::new());
    let short = shortened(shown);
    let mut unknown = |key: &str, what: &str| {
        map.insert(key.into(), ctx.unknown_value(&format!("{what} of {short}")));
    };
    // A command whose failure fails the step exits 0 if the run goes on; one that may fail
    // (`check: false`, a condition) has an exit code only a real run knows.
    if !checks {
        unknown("code", "exit code");
        unknown("ok", "success");
    }
    unknown("stderr", "errors");
    // Last: the origin a stop names when rhai names none.
    unknown("stdout", "output");
    map
}

/// The first 48 characters of a command, `…` when there are more: enough to name it.
pub fn shortened(shown: &str) -> String {
    let short: String = shown.chars().take(48).collect();
    let ellipsis = if short.len() < shown.len() { "…" } else { "" };
    format!("{short}{ellipsis}")
}

fn last_line(text: &str) -> Option<&str> {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim)
}

pub fn trim_end(mut text: String) -> String {
    let len = text.trim_end_matches(['\n', '\r']).len();
    text.truncate(len);
    text
}

/// Where output lines come from.
#[derive(Clone)]
pub struct Origin {
    pub step: Option<String>,
    pub host: Option<String>,
    pub quiet: bool,
}

/// Bytes read from a command's pipe at once: each read's whole lines go out as one batch.
const CHUNK: usize = 128 * 1024;

/// Streams lines to the event stream while keeping them for the result. Output is read in
/// chunks and sent as batches of whole lines ([`OutputLines`]): a read returns what the command
/// has written so far, so a line printed alone still shows at once.
pub async fn collect(
    ctx: &Arc<RunContext>,
    origin: Origin,
    stream: Stream,
    mut pipe: impl AsyncRead + Unpin,
) -> String {
    let mut kept = String::new();
    let mut splitter = LineSplitter::default();
    let mut chunk = vec![0; CHUNK];
    loop {
        let lines = match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                let last = splitter.finish();
                send(ctx, &origin, stream, last.into_iter().collect(), &mut kept);
                break;
            }
            Ok(n) => splitter.push(&chunk[..n]),
        };
        send(ctx, &origin, stream, lines, &mut kept);
    }
    trim_end(kept)
}

/// Keeps `lines` (each with its `\n`) for the result and sends them, without their ends.
fn send(
    ctx: &RunContext,
    origin: &Origin,
    stream: Stream,
    mut lines: Vec<String>,
    kept: &mut String,
) {
    if lines.is_empty() {
        return;
    }
    for line in &mut lines {
        if kept.len() < MAX_CAPTURE {
            kept.push_str(line);
        }
        let end = line.trim_end_matches(['\n', '\r']).len();
        line.truncate(end);
    }
    if !origin.quiet {
        ctx.emit_lines(OutputLines {
            step: origin.step.clone(),
            host: origin.host.clone(),
            stream,
            lines,
        });
    }
}

/// Both output streams at once; absent pipes read as empty.
pub async fn collect_both(
    ctx: &Arc<RunContext>,
    origin: &Origin,
    stdout: Option<impl AsyncRead + Unpin>,
    stderr: Option<impl AsyncRead + Unpin>,
) -> (String, String) {
    tokio::join!(
        async {
            match stdout {
                Some(out) => collect(ctx, origin.clone(), Stream::Stdout, out).await,
                None => String::new(),
            }
        },
        async {
            match stderr {
                Some(err) => collect(ctx, origin.clone(), Stream::Stderr, err).await,
                None => String::new(),
            }
        }
    )
}

/// Sleeps for a command's own `timeout` option, or forever.
pub async fn own_limit(timeout: Option<Duration>) {
    match timeout {
        Some(t) => tokio::time::sleep(t).await,
        None => std::future::pending().await,
    }
}

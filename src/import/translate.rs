//! One command line of the source into rhai: a primitive call (`sh`, `run` on a host), a
//! stdlib call where one does exactly what the command does, a change of where the next
//! commands run (`cd`, `export`, `ssh host`), or a TODO saying why it cannot be code.
//!
//! An operator types a block into one shell, where `cd` and `export` last; here each command
//! runs in a shell of its own, so they become the `cwd` and `env` of the commands after them.

use super::command_kind::{ends_in_grep, has_shell_syntax, interactive, is_read_only};
use super::inputs::{Inputs, Module};
use super::placeholders::{self, Hole, Part, Quoting};
use super::rhai_text::{self, Segment};
use super::shell_text::{self, ShellLine};
use super::stdlib_match::{self, Surroundings, Word};
use std::collections::HashSet;

/// What one source command became.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Statements, to run on `host` (none: this machine).
    Code {
        lines: Vec<String>,
        host: Option<String>,
    },
    /// It changed where or how the next commands run; the text says how.
    Context(String),
    /// It cannot be code: the text says why, with the command.
    Todo(String),
    /// A comment of the source, kept.
    Note(String),
}

/// The shell the operator would be typing in.
#[derive(Debug, Clone, Default)]
pub struct Shell {
    cwd: Option<Vec<Segment>>,
    env: Vec<(String, String)>,
    host: Option<String>,
    assigned: HashSet<String>,
}

pub struct Translator<'a> {
    pub inputs: &'a mut Inputs,
    pub shell: Shell,
}

impl<'a> Translator<'a> {
    pub fn new(inputs: &'a mut Inputs) -> Self {
        Self {
            inputs,
            shell: Shell::default(),
        }
    }

    /// A source command; `hint` names the host the source says it runs on, `step_host` the
    /// host of the step it lands in.
    pub fn command(
        &mut self,
        text: &str,
        complete: bool,
        hint: Option<&str>,
        step_host: Option<&str>,
    ) -> Vec<Outcome> {
        if !complete {
            return vec![Outcome::Todo(format!(
                "the block ends inside this command (an unclosed quote or here-document): {}",
                one_line(text)
            ))];
        }
        let first_line = text.lines().next().unwrap_or("");
        let words = shlex::split(first_line).unwrap_or_default();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        if words.first() == Some(&"ssh") {
            return self.ssh(text, &words, step_host);
        }
        if self.shell.host.is_none()
            && let Some(name) = hint
        {
            // The source says these commands run on a server: the shell is there from now on.
            self.shell.host = Some(self.inputs.named_host(name));
            self.shell.cwd = None;
        }
        self.one(text, &words, step_host)
    }

    fn clone_for(&mut self, host: Option<String>) -> Translator<'_> {
        Translator {
            inputs: self.inputs,
            shell: Shell {
                host,
                ..self.shell.clone()
            },
        }
    }

    fn one(&mut self, text: &str, words: &[&str], step_host: Option<&str>) -> Vec<Outcome> {
        if let Some(outcome) = self.context(text, words) {
            return vec![outcome];
        }
        if let Some(why) = left_to_a_person(text, words) {
            return vec![Outcome::Todo(why)];
        }
        let (assignments, rest) = split_assignments(words);
        let (sudo, rest) = split_sudo(rest);
        let mut env = self.shell.env.clone();
        for (name, value) in &assignments {
            let expr = self.assignment_value(name, value, text);
            env.push((name.to_string(), expr));
        }
        let host = self.shell.host.clone();
        let same_host = host.as_deref() == step_host;
        // `pg_dump … > FILE` is the one redirection a call does (its output file).
        let dump_redirect = rest.first() == Some(&"pg_dump")
            && rest.iter().filter(|w| **w == ">").count() == 1
            && !has_shell_syntax(&text.replacen('>', " ", 1));
        let simple = !text.contains('\n')
            && (dump_redirect || !has_shell_syntax(text))
            && sudo.is_none()
            && assignments.is_empty();
        if simple
            && same_host
            && let Some(call) = self.stdlib_call(rest, host.is_none(), text)
        {
            return vec![Outcome::Code {
                lines: vec![format!("{call};")],
                host,
            }];
        }
        let command = if sudo.is_some() || !assignments.is_empty() {
            // The prefix became options: the rest stays as the source wrote it.
            strip_prefix_words(text, words.len() - rest.len()).unwrap_or_else(|| rest.join(" "))
        } else {
            text.to_string()
        };
        let expr = self.shell_expression(&command);
        let mut options: Vec<(String, String)> = Vec::new();
        if let Some(cwd) = &self.shell.cwd {
            options.push(("cwd".into(), rhai_text::expression(cwd)));
        }
        if !env.is_empty() {
            let entries: Vec<String> = env.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            options.push(("env".into(), format!("#{{{}}}", entries.join(", "))));
        }
        if is_read_only(&command) {
            options.push(("read".into(), "true".into()));
        }
        if ends_in_grep(&command) {
            // grep answers "not found" with exit 1: for a look at logs that is an answer.
            options.push(("check".into(), "false".into()));
        }
        let function = match (&host, step_host) {
            (None, None) if sudo.is_some() => "run".to_string(),
            (None, _) => "sh".to_string(),
            (Some(h), Some(s)) if h == s => "run".to_string(),
            (Some(h), _) => format!("host({}).run", rhai_text::string(h)),
        };
        let command_expr = match (&sudo, function.as_str()) {
            (Some(user), "sh") => {
                // `sh` has no sudo option; `sudo -n` fails instead of waiting for a password.
                let prefix = match user {
                    None => "sudo -n ".to_string(),
                    Some(u) => format!("sudo -n -u {u} "),
                };
                prepend(&expr, &prefix)
            }
            (Some(user), _) => {
                options.push((
                    "sudo".into(),
                    user.as_deref()
                        .map_or("true".to_string(), rhai_text::string),
                ));
                expr
            }
            (None, _) => expr,
        };
        let call = if options.is_empty() {
            format!("{function}({command_expr});")
        } else {
            let opts: Vec<String> = options.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!("{function}({command_expr}, #{{{}}});", opts.join(", "))
        };
        vec![Outcome::Code {
            lines: vec![call],
            host,
        }]
    }

    /// `cd DIR`, `export A=B`, `A=B`, `exit`: where and how the next commands run.
    fn context(&mut self, text: &str, words: &[&str]) -> Option<Outcome> {
        if text.contains('\n') || has_shell_syntax(text) {
            return None;
        }
        match words {
            ["cd", dir] => {
                let dir_segments = self.plain_segments(dir, text);
                let next = if dir.starts_with('/')
                    || dir.starts_with('~')
                    || dir.starts_with('$')
                    || dir.starts_with('<')
                {
                    dir_segments
                } else if *dir == ".." || *dir == "-" {
                    return Some(Outcome::Todo(format!(
                        "`{}` depends on where the shell was: write the directory out",
                        one_line(text)
                    )));
                } else {
                    match &self.shell.cwd {
                        Some(cwd) => {
                            let mut joined = cwd.clone();
                            joined.push(Segment::Text("/".into()));
                            joined.extend(dir_segments);
                            joined
                        }
                        None => dir_segments,
                    }
                };
                self.shell.cwd = Some(next);
                Some(Outcome::Context(format!(
                    "{}: the next commands run in that directory (cwd)",
                    one_line(text)
                )))
            }
            ["export", rest @ ..] | rest @ [_, ..]
                if !rest.is_empty() && rest.iter().all(|w| shell_text::is_assignment(w)) =>
            {
                for w in rest {
                    let (name, value) = w.split_once('=').unwrap_or((w, ""));
                    let expr = self.assignment_value(name, value, text);
                    self.shell.env.retain(|(k, _)| k != name);
                    self.shell.env.push((name.to_string(), expr));
                    self.shell.assigned.insert(name.to_string());
                }
                Some(Outcome::Context(format!(
                    "{}: in the environment of the next commands (env)",
                    one_line(text)
                )))
            }
            ["exit"] | ["logout"] if self.shell.host.is_some() => {
                self.shell.host = None;
                self.shell.cwd = None;
                Some(Outcome::Context(format!(
                    "{text}: the next commands run on this machine"
                )))
            }
            _ => None,
        }
    }

    /// `ssh [options] [user@]host [command | <<EOF …]`.
    fn ssh(&mut self, text: &str, words: &[&str], step_host: Option<&str>) -> Vec<Outcome> {
        let mut i = 1;
        let mut login: Option<&str> = None;
        while i < words.len() && words[i].starts_with('-') {
            match words[i] {
                "-p" | "-i" | "-o" | "-J" | "-F" => i += 2,
                "-l" => {
                    login = words.get(i + 1).copied();
                    i += 2;
                }
                flag if flag.len() == 2
                    || flag.chars().skip(1).all(|c| "tTAqvnNCx46".contains(c)) =>
                {
                    i += 1
                }
                _ => {
                    return vec![Outcome::Todo(format!(
                        "an ssh option the importer does not know: {}",
                        one_line(text)
                    ))];
                }
            }
        }
        let Some(target) = words.get(i) else {
            return vec![Outcome::Todo(format!(
                "ssh without a host: {}",
                one_line(text)
            ))];
        };
        let (user, address) = match target.split_once('@') {
            Some((u, a)) => (Some(u), a),
            None => (login, *target),
        };
        let id = self.inputs.host(address, user);
        let remote_words = &words[i + 1..];
        let heredoc = remote_words.iter().any(|w| w.starts_with("<<"));
        if heredoc {
            let body: Vec<&str> = text.lines().skip(1).collect();
            let body = body[..body.len().saturating_sub(1)].join("\n");
            let mut remote = self.clone_for(Some(id.clone()));
            remote.shell.cwd = None;
            let mut out = Vec::new();
            for line in shell_text::lines(&body, "bash", 1) {
                match line {
                    ShellLine::Command { text, complete, .. } => {
                        out.extend(remote.command(&text, complete, None, step_host))
                    }
                    ShellLine::Comment { text, .. }
                    | ShellLine::StepMark { title: text, .. }
                    | ShellLine::Output { text, .. } => {
                        out.push(Outcome::Note(text));
                    }
                }
            }
            return out;
        }
        if remote_words.is_empty() {
            self.shell.host = Some(id.clone());
            self.shell.cwd = None;
            return vec![Outcome::Context(format!(
                "{}: the next commands run on host {id}",
                one_line(text)
            ))];
        }
        let inner = remote_words.join(" ");
        let inner_words = shlex::split(&inner).unwrap_or_default();
        let inner_words: Vec<&str> = inner_words.iter().map(String::as_str).collect();
        let mut remote = self.clone_for(Some(id));
        remote.shell.cwd = None;
        remote.one(&inner, &inner_words, step_host)
    }

    /// A stdlib call or HTTP check doing exactly what the command does.
    fn stdlib_call(&mut self, words: &[&str], local: bool, text: &str) -> Option<String> {
        let words: Vec<Word> = words
            .iter()
            .map(|w| Word {
                text: w.to_string(),
                expr: rhai_text::expression(&self.plain_segments(w, text)),
            })
            .collect();
        if local && let Some(call) = stdlib_match::http_check(&words) {
            return Some(call);
        }
        let cwd = self.shell.cwd.as_ref().map(|c| rhai_text::expression(c));
        let around = Surroundings {
            cwd: cwd.as_deref(),
            env: &self.shell.env,
        };
        if let Some(call) = stdlib_match::compose_call(&words, &around) {
            self.inputs.use_module(Module::Compose);
            return Some(call);
        }
        if self.shell.cwd.is_none()
            && self.shell.env.is_empty()
            && let Some(call) = stdlib_match::database_dump(&words)
        {
            self.inputs.use_module(Module::Database);
            return Some(call);
        }
        None
    }

    /// The value of `NAME=value`: a parameter when the source gives a sample (`...`, a dated
    /// file name), else the text with its placeholders.
    fn assignment_value(&mut self, name: &str, value: &str, example: &str) -> String {
        if is_sample_value(value) {
            let var = self.inputs.param(
                &super::ids::ident(name),
                None,
                Some(name.to_string()),
                format!("{name} in the source, as in: {}", one_line(example)),
            );
            return var;
        }
        rhai_text::expression(&self.plain_segments(value, example))
    }

    /// Text with its placeholders as variables, for a shell command: each spliced with `quote`,
    /// the source's quotes closed around it and opened again after it (a value that was a
    /// whole quoted word, `"$URL"`, loses them).
    fn shell_expression(&mut self, text: &str) -> String {
        let mut segments: Vec<Segment> = Vec::new();
        // The quote the last value closed, to open again before the text after it.
        let mut to_reopen = "";
        for part in placeholders::parts(text, &self.shell.assigned) {
            match part {
                Part::Text(t) => {
                    let t = match t.strip_prefix(to_reopen) {
                        Some(rest) if !to_reopen.is_empty() => rest.to_string(),
                        _ => format!("{to_reopen}{t}"),
                    };
                    to_reopen = "";
                    segments.push(Segment::Text(t));
                }
                Part::Hole(hole) => {
                    let var = self.variable(&hole, text);
                    let quote = match hole.quoting {
                        Quoting::Bare => "",
                        Quoting::Single => "'",
                        Quoting::Double => "\"",
                    };
                    if to_reopen.is_empty() && !quote.is_empty() {
                        match segments.last_mut() {
                            Some(Segment::Text(before)) if before.ends_with(quote) => {
                                before.pop();
                            }
                            _ => segments.push(Segment::Text(quote.into())),
                        }
                    }
                    segments.push(Segment::Expr(format!("quote({var})")));
                    to_reopen = quote;
                }
            }
        }
        segments.push(Segment::Text(to_reopen.into()));
        rhai_text::expression(&merge(segments))
    }

    /// Text with its placeholders as variables, as data (an argv word, a URL, a value).
    fn plain_segments(&mut self, text: &str, example: &str) -> Vec<Segment> {
        placeholders::word_parts(text, &self.shell.assigned)
            .into_iter()
            .map(|part| match part {
                Part::Text(t) => Segment::Text(t),
                Part::Hole(hole) => Segment::Expr(self.variable(&hole, example)),
            })
            .collect()
    }

    fn variable(&mut self, hole: &Hole, example: &str) -> String {
        self.inputs.variable(hole, example)
    }
}

/// Adjacent text segments joined, empty ones dropped.
fn merge(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for s in segments {
        match (out.last_mut(), s) {
            (_, Segment::Text(t)) if t.is_empty() => {}
            (Some(Segment::Text(last)), Segment::Text(t)) => last.push_str(&t),
            (_, s) => out.push(s),
        }
    }
    out
}

/// `expr` with `prefix` before it.
fn prepend(expr: &str, prefix: &str) -> String {
    match expr.strip_prefix('"') {
        Some(rest) => format!("\"{}{rest}", rhai_text::string(prefix).trim_matches('"')),
        None => match expr.strip_prefix('`') {
            Some(rest) if !prefix.contains('`') => format!("`{prefix}{rest}"),
            _ => format!("{} + {expr}", rhai_text::string(prefix)),
        },
    }
}

/// The text after its first `n` words (as the source wrote it, quotes included).
fn strip_prefix_words(text: &str, n: usize) -> Option<String> {
    let mut rest = text.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace)?;
        let word = &rest[..end];
        if word.contains(['\'', '"']) {
            return None;
        }
        rest = rest[end..].trim_start();
    }
    Some(rest.to_string())
}

fn split_assignments<'w>(words: &'w [&'w str]) -> (Vec<(&'w str, &'w str)>, &'w [&'w str]) {
    let n = words
        .iter()
        .take_while(|w| shell_text::is_assignment(w))
        .count();
    if n == words.len() {
        return (Vec::new(), words);
    }
    let pairs = words[..n]
        .iter()
        .filter_map(|w| w.split_once('='))
        .collect();
    (pairs, &words[n..])
}

/// `sudo [-u USER] [-E] CMD`: the user (`None` for root) and the command.
fn split_sudo<'w>(words: &'w [&'w str]) -> (Option<Option<String>>, &'w [&'w str]) {
    match words {
        ["sudo", "-u", user, rest @ ..] if !rest.is_empty() => (Some(Some(user.to_string())), rest),
        ["sudo", "-E", rest @ ..] | ["sudo", rest @ ..]
            if rest.first().is_some_and(|w| !w.starts_with('-')) =>
        {
            (Some(None), rest)
        }
        _ => (None, words),
    }
}

/// A value the source shows as an example to replace: `...`, a dated file name, a sample name.
fn is_sample_value(value: &str) -> bool {
    let digits = value
        .as_bytes()
        .windows(8)
        .any(|w| w.iter().all(u8::is_ascii_digit) && w.starts_with(b"20"));
    value.is_empty()
        || value == "..."
        || value == "…"
        || digits
        || placeholders::is_sample_name(value)
}

/// A command on one line, for a comment.
pub fn one_line(text: &str) -> String {
    rhai_text::comment_text(text)
}

/// Why a command line is left to a person as a TODO, when it cannot become a call: it only
/// sets shell variables, asks a person, or sources a file.
fn left_to_a_person(text: &str, words: &[&str]) -> Option<String> {
    if !words.is_empty()
        && words
            .iter()
            .all(|w| shell_text::is_assignment(w) || *w == "export")
    {
        return Some(format!(
            "a value the shell computes, for the commands after it: compute it in the body and give it as `env`: {}",
            one_line(text)
        ));
    }
    let (_, rest) = split_assignments(words);
    let (_, rest) = split_sudo(rest);
    if let Some(why) = interactive(rest) {
        return Some(format!(
            "{why}, so it is left to a person: {}",
            one_line(text)
        ));
    }
    if matches!(rest.first(), Some(&"source" | &".")) {
        return Some(format!(
            "`source` sets variables for the commands after it, which each run in a shell of their own here: give them as `env`: {}",
            one_line(text)
        ));
    }
    None
}

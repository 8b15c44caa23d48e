//! The templates pages are drawn with: the embedded defaults (files in `templates/`, compiled
//! into the binary), and optionally a user's template, which may `{% extends "runbook.md.j2" %}`
//! and override blocks. One loader serves both: embedded names first, then files beside the
//! user's template. (`templates/` also holds the Markdown templates of plans and plan diffs,
//! which `plan` and `plan_diff` embed themselves: they are not overridable.)

use super::page::{Index, Page};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use std::path::{Path, PathBuf};

/// The embedded page template.
pub const RUNBOOK: &str = "runbook.md.j2";
/// The embedded index template.
pub const INDEX: &str = "index.md.j2";
/// The name a user's template is registered under.
const CUSTOM: &str = "custom page template";

const EMBEDDED: &[(&str, &str)] = &[
    (RUNBOOK, include_str!("templates/runbook.md.j2")),
    (INDEX, include_str!("templates/index.md.j2")),
];

/// The environment pages are rendered in.
pub struct Templates {
    env: Environment<'static>,
    page: &'static str,
}

impl Templates {
    /// The embedded templates, and `custom` (a user's page template) if given.
    pub fn new(custom: Option<&Path>) -> Result<Self, String> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| e.to_string())?;
        env.set_syntax(syntax);
        // A misspelt field fails the render instead of leaving a blank.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let dir: Option<PathBuf> = custom.map(|p| {
            p.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        });
        env.set_loader(move |name| {
            if let Some((_, text)) = EMBEDDED.iter().find(|(n, _)| *n == name) {
                return Ok(Some((*text).to_string()));
            }
            let Some(dir) = &dir else { return Ok(None) };
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some(text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("cannot read {}: {e}", path.display()),
                )),
            }
        });
        env.add_filter("cell", cell);
        env.add_filter("code", code);
        env.add_filter("count", count);
        env.add_filter("first_paragraph", first_paragraph);
        env.add_function("fence", fence);
        let page = match custom {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the template {}: {e}", path.display()))?;
                env.add_template_owned(CUSTOM, text)
                    .map_err(|e| describe(&e))?;
                CUSTOM
            }
            None => RUNBOOK,
        };
        Ok(Self { env, page })
    }

    pub fn page(&self, page: &Page) -> Result<String, String> {
        self.render(
            self.page,
            minijinja::context! { page => Value::from(minijinja::value::Serde(page)) },
        )
    }

    pub fn index(&self, index: &Index) -> Result<String, String> {
        self.render(
            INDEX,
            minijinja::context! { index => Value::from(minijinja::value::Serde(index)) },
        )
    }

    fn render(&self, name: &str, context: Value) -> Result<String, String> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(context))
            .map(|text| tidy(&text))
            .map_err(|e| describe(&e))
    }
}

/// An error with where in which template it happened, and its causes.
fn describe(error: &Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        text.push_str(&format!(": {e}"));
        cause = e.source();
    }
    text
}

/// No run of blank lines, no trailing blanks, one final newline: templates stay readable
/// without counting whitespace, and pages stay clean.
fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut blank = true;
    let mut fenced = false;
    for line in text.lines() {
        let line = if fenced { line } else { line.trim_end() };
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if line.is_empty() && blank && !fenced {
            continue;
        }
        blank = line.is_empty();
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Text safe in a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

/// Inline code, with a fence long enough for the backticks inside.
fn code(text: &str) -> String {
    let longest = longest_backtick_run(text);
    if longest == 0 {
        return format!("`{text}`");
    }
    let ticks = "`".repeat(longest + 1);
    format!("{ticks} {text} {ticks}")
}

/// `3 steps`, `1 step`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The text up to its first blank line.
fn first_paragraph(text: &str) -> String {
    text.split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// A code fence longer than any run of backticks in `lines`.
fn fence(lines: Vec<String>) -> String {
    let longest = lines
        .iter()
        .map(|l| longest_backtick_run(l))
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// The longest run of backticks in `text`: a fence or inline code must be longer.
pub(super) fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

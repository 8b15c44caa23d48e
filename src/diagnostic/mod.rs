//! The one error story: every problem the user must fix is a `Diagnostic` with a severity, a
//! message, optionally a place in a source file, and a hint. It renders as
//! `error: …` / `--> file:line:col` / the source line / a caret, as JSON, or as a GitHub
//! workflow annotation.
//!
//! This folder owns source files and positions (`source`), diagnostics and their rendering, and
//! the did-you-mean suggestion. It is the bottom of the crate: it imports nothing of it.

pub mod source;

use serde::Serialize;
use source::{SourceFile, Span};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A problem found in the user's input, with where it is.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub place: Option<(Arc<SourceFile>, Span)>,
    /// A file named without a position (unreadable file, …).
    pub file: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            place: None,
            file: None,
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(message)
        }
    }

    pub fn at(mut self, source: &Arc<SourceFile>, span: Span) -> Self {
        self.place = Some((Arc::clone(source), source.clamp(span)));
        self
    }

    pub fn in_file(mut self, path: impl Into<String>) -> Self {
        self.file = Some(path.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn path(&self) -> Option<String> {
        match &self.place {
            Some((source, _)) => Some(source.display_path()),
            None => self.file.clone(),
        }
    }

    /// `file:line:col`, `file`, or nothing.
    pub fn where_(&self) -> Option<String> {
        match &self.place {
            Some((source, span)) => Some(format!("{}:{}", source.display_path(), span.start)),
            None => self.file.clone(),
        }
    }

    /// The caret rendering for terminals and logs.
    pub fn render(&self, colour: bool) -> String {
        let paint = |code: &str, text: &str| {
            if colour {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        let label = match self.severity {
            Severity::Error => paint("1;31", "error"),
            Severity::Warning => paint("1;33", "warning"),
        };
        let mut out = format!("{label}: {}\n", self.message);
        match &self.place {
            Some((source, span)) => {
                let line_no = span.start.line.to_string();
                let gutter = " ".repeat(line_no.len());
                out.push_str(&format!(
                    "{gutter}{} {}:{}\n",
                    paint("1;34", "-->"),
                    source.display_path(),
                    span.start
                ));
                if let Some(text) = source.line(span.start.line) {
                    let shown: String = text
                        .chars()
                        .map(|c| if c == '\t' { ' ' } else { c })
                        .collect();
                    let pad = " ".repeat(span.start.col.saturating_sub(1));
                    let room = shown
                        .chars()
                        .count()
                        .saturating_sub(span.start.col - 1)
                        .max(1);
                    let carets = "^".repeat(span.width.clamp(1, room));
                    out.push_str(&format!("{gutter} {}\n", paint("1;34", "|")));
                    out.push_str(&format!(
                        "{} {} {shown}\n",
                        paint("1;34", &line_no),
                        paint("1;34", "|")
                    ));
                    out.push_str(&format!(
                        "{gutter} {} {pad}{}\n",
                        paint("1;34", "|"),
                        paint("1;31", &carets)
                    ));
                }
            }
            None => {
                if let Some(file) = &self.file {
                    out.push_str(&format!(" {} {file}\n", paint("1;34", "-->")));
                }
            }
        }
        if let Some(help) = &self.help {
            out.push_str(&format!(" {} {help}\n", paint("1;36", "= help:")));
        }
        out
    }

    /// One GitHub workflow annotation line.
    pub fn render_github(&self) -> String {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let escape = |s: &str| {
            s.replace('%', "%25")
                .replace('\r', "%0D")
                .replace('\n', "%0A")
        };
        let mut props = Vec::new();
        if let Some(path) = self.path() {
            props.push(format!(
                "file={}",
                escape(&path).replace(',', "%2C").replace(':', "%3A")
            ));
        }
        if let Some((_, span)) = &self.place {
            props.push(format!("line={}", span.start.line));
            props.push(format!("col={}", span.start.col));
        }
        let mut message = self.message.clone();
        if let Some(help) = &self.help {
            message.push_str(&format!(" (help: {help})"));
        }
        format!("::{kind} {}::{}", props.join(","), escape(&message))
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::json!({
            "severity": self.severity,
            "message": self.message,
            "file": self.path(),
            "line": null,
            "column": null,
            "help": self.help,
        });
        if let Some((source, span)) = &self.place {
            value["line"] = span.start.line.into();
            value["column"] = span.start.col.into();
            value["source_line"] = source.line(span.start.line).into();
        }
        value
    }
}

/// The closest of `candidates` to `name`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // The distance costs length × length: a name longer than any typo is not compared.
    if name.len() > MAX_TYPO_LEN {
        return None;
    }
    let allowed = |c: &str| (name.len().max(c.len()) / 3).max(1);
    let chars = name.chars().count();
    candidates
        .into_iter()
        .filter(|c| c.chars().count().abs_diff(chars) <= allowed(c))
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= allowed(c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Longer names get no "did you mean".
const MAX_TYPO_LEN: usize = 256;

/// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::source::Location;

    #[test]
    fn renders_a_caret_under_the_span() {
        let source = Arc::new(SourceFile::new(
            "x.rb42",
            "runbook \"a\" {\n  stpe x {}\n}\n",
        ));
        let text = Diagnostic::error("unexpected `stpe`")
            .at(&source, Span::new(Location::new(2, 3), 4))
            .help("did you mean `step`?")
            .render(false);
        assert_eq!(
            text,
            "error: unexpected `stpe`\n --> x.rb42:2:3\n  |\n2 |   stpe x {}\n  |   ^^^^\n = help: did you mean `step`?\n"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("deplyo", ["deploy", "rollback"]),
            Some("deploy")
        );
        assert_eq!(did_you_mean("zzz", ["deploy", "rollback"]), None);
    }
}

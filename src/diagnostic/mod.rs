//! The one error story: every problem the user must fix is a `Diagnostic` with a severity, a
//! message, optionally a place in a source file, and a hint. It renders as
//! `error: …` / `--> file:line:col` / the source line / a caret, as JSON, or as a GitHub
//! workflow annotation.
//!
//! This folder owns source files and positions (`source`, `rhai_position`), the caret drawn
//! under a place (`snippet`), the painter (`paint`), the did-you-mean suggestion and the kinds
//! of runtime errors (`error_kind`). It is the bottom of the crate: it imports nothing of it.

pub mod did_you_mean;
pub mod error_kind;
pub mod paint;
pub mod rhai_position;
pub mod snippet;
pub mod source;

pub use did_you_mean::did_you_mean;
use paint::Painter;
use serde::Serialize;
use snippet::Snippet;
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
        let painter = Painter { colour };
        let label = match self.severity {
            Severity::Error => painter.paint(paint::ERROR, "error"),
            Severity::Warning => painter.paint(paint::WARNING, "warning"),
        };
        let mut out = format!("{label}: {}\n", self.message);
        match &self.place {
            Some((source, span)) => out.push_str(&Snippet::of(source, *span).render(painter)),
            None => {
                if let Some(file) = &self.file {
                    out.push_str(&format!(
                        " {} {file}\n",
                        painter.paint(paint::GUTTER, "-->")
                    ));
                }
            }
        }
        if let Some(help) = &self.help {
            out.push_str(&format!(
                " {} {help}\n",
                painter.paint(paint::HELP, "= help:")
            ));
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
}

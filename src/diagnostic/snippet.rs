//! A source line with a place marked in it, and the caret drawn under that place. Static
//! diagnostics and runtime failures draw it the same way; events and journals carry it, so a
//! consumer draws the caret without reading the file again.

use super::paint::{self, Painter};
use super::source::{SourceFile, Span};
use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthChar;

/// `file:line:column`, the text of that line, and how many characters the caret covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SnippetWire")]
pub struct Snippet {
    pub file: String,
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// In characters.
    pub width: usize,
    /// The line's text; none when the file is not at hand.
    pub source_line: Option<String>,
}

/// Journals written before places were structured carry `"file:line:col"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SnippetWire {
    Text(String),
    Place {
        file: String,
        line: usize,
        column: usize,
        #[serde(default = "one")]
        width: usize,
        #[serde(default)]
        source_line: Option<String>,
    },
}

fn one() -> usize {
    1
}

impl From<SnippetWire> for Snippet {
    fn from(wire: SnippetWire) -> Self {
        match wire {
            SnippetWire::Place {
                file,
                line,
                column,
                width,
                source_line,
            } => Snippet {
                file,
                line,
                column,
                width,
                source_line,
            },
            SnippetWire::Text(text) => {
                let mut parts = text.rsplitn(3, ':');
                let column = parts.next().and_then(|c| c.parse().ok());
                let line = parts.next().and_then(|l| l.parse().ok());
                match (line, column, parts.next()) {
                    (Some(line), Some(column), Some(file)) => Snippet {
                        file: file.to_string(),
                        line,
                        column,
                        width: 1,
                        source_line: None,
                    },
                    _ => Snippet {
                        file: text,
                        line: 0,
                        column: 0,
                        width: 1,
                        source_line: None,
                    },
                }
            }
        }
    }
}

impl Snippet {
    /// The place `span` in `source`, with its line's text.
    pub fn of(source: &SourceFile, span: Span) -> Self {
        let span = source.clamp(span);
        Self {
            file: source.display_path(),
            line: span.start.line,
            column: span.start.col,
            width: span.width,
            source_line: source.line(span.start.line).map(str::to_string),
        }
    }

    /// The same place, its line passed through `mask` (events and journals never show a
    /// secret, even one written in the source).
    pub fn masked(mut self, mask: impl FnOnce(&str) -> String) -> Self {
        self.source_line = self.source_line.map(|line| mask(&line));
        self
    }

    /// `--> file:line:col`, then the source line and a caret under the place, measured in
    /// display columns (a CJK character or an emoji takes two).
    pub fn render(&self, painter: Painter) -> String {
        let line_no = self.line.to_string();
        let gutter = " ".repeat(line_no.len());
        let bar = painter.paint(paint::GUTTER, "|");
        let mut out = format!("{gutter}{} {self}\n", painter.paint(paint::GUTTER, "-->"));
        if let Some(text) = &self.source_line {
            let shown: String = text
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let before: usize = shown
                .chars()
                .take(self.column.saturating_sub(1))
                .map(display_width)
                .sum();
            let under: usize = shown
                .chars()
                .skip(self.column.saturating_sub(1))
                .take(self.width.max(1))
                .map(display_width)
                .sum();
            let carets = "^".repeat(under.max(1));
            out.push_str(&format!("{gutter} {bar}\n"));
            out.push_str(&format!(
                "{} {bar} {shown}\n",
                painter.paint(paint::GUTTER, &line_no)
            ));
            out.push_str(&format!(
                "{gutter} {bar} {}{}\n",
                " ".repeat(before),
                painter.paint(paint::ERROR, &carets)
            ));
        }
        out
    }
}

/// Columns a character takes on a terminal; control characters are shown as one.
fn display_width(c: char) -> usize {
    c.width().unwrap_or(1)
}

impl std::fmt::Display for Snippet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::source::Location;

    fn caret(text: &str, col: usize, width: usize) -> String {
        let source = SourceFile::new("x.rb42", text);
        let rendered =
            Snippet::of(&source, Span::new(Location::new(1, col), width)).render(Painter::PLAIN);
        rendered.lines().last().unwrap_or_default().to_string()
    }

    #[test]
    fn carets_count_display_columns() {
        assert_eq!(caret("ab x", 4, 1), "  |    ^");
        // Each CJK character and the emoji take two columns on a terminal.
        assert_eq!(caret("日本 x", 4, 1), "  |      ^");
        assert_eq!(caret("🚀 x", 3, 1), "  |    ^");
        assert_eq!(caret("x 日本", 3, 2), "  |   ^^^^");
    }

    #[test]
    fn reads_the_old_text_form_and_the_structured_form() {
        let old: Snippet =
            serde_json::from_str("\"dir/x.rb42:3:5\"").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (old.file.as_str(), old.line, old.column),
            ("dir/x.rb42", 3, 5)
        );
        let new = Snippet {
            file: "x.rb42".into(),
            line: 2,
            column: 3,
            width: 4,
            source_line: Some("  stpe x".into()),
        };
        let json = serde_json::to_string(&new).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Snippet>(&json).ok(), Some(new));
    }
}

//! Source files and positions inside them.

use std::path::{Path, PathBuf};

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    pub line: usize,
    pub col: usize,
}

impl Location {
    pub fn new(line: usize, col: usize) -> Self {
        Self { line, col }
    }

    /// Maps a position inside a body (as rhai reports it) to the `.rb42` file, given where the
    /// body's first character stands in the file.
    pub fn offset_by(self, origin: Location) -> Location {
        if self.line <= 1 {
            Location::new(origin.line, origin.col + self.col.saturating_sub(1))
        } else {
            Location::new(origin.line + self.line - 1, self.col)
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A place in a source file: where it starts and how many characters the caret covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: Location,
    pub width: usize,
}

impl Span {
    pub fn new(start: Location, width: usize) -> Self {
        Self { start, width }
    }

    /// The span of a pest pair, clipped to its first line. Generic over the grammar, so that
    /// positions do not depend on the parser that produces them.
    pub fn of<R: pest::RuleType>(pair: &pest::iterators::Pair<'_, R>) -> Self {
        let (line, col) = pair.line_col();
        let text = pair.as_str();
        let first_line = text.split('\n').next().unwrap_or("");
        Self::new(Location::new(line, col), first_line.chars().count().max(1))
    }
}

/// A file as read from disk, kept for diagnostics.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// The byte offset where each line starts: a place is found without reading the file
    /// from its start (a plan places every step of a 10,000-step runbook).
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// The path as the user named it, for `file:line:col`.
    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    /// The directory relative paths in the runbook resolve against.
    pub fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    /// `span` moved inside the file: rhai columns stop at 65535 (a `u16`), so a place on a
    /// longer line is shown at the line's end rather than past it.
    pub fn clamp(&self, span: Span) -> Span {
        let lines = self.line_starts.len();
        let line = span.start.line.clamp(1, lines);
        let width = self.line(line).map_or(0, |l| l.chars().count());
        let col = span.start.col.clamp(1, width + 1);
        Span::new(Location::new(line, col), span.width)
    }

    /// The text of a 1-based line, without its newline.
    pub fn line(&self, line: usize) -> Option<&str> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        let l = &self.text[start..end];
        Some(l.strip_suffix('\r').unwrap_or(l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_past_the_end_of_its_line_or_file_is_moved_inside() {
        // Found by the fuzz tests: rhai reported column 65535 (its `u16` maximum) on a short
        // line that followed a megabyte-long one.
        let source = SourceFile::new("lib.rhai", "fn prune(dir) {\n  x\n}");
        let clamped = |line, col| source.clamp(Span::new(Location::new(line, col), 1)).start;
        assert_eq!(clamped(1, 65535), Location::new(1, 16));
        assert_eq!(clamped(9, 4), Location::new(3, 2));
        assert_eq!(clamped(0, 0), Location::new(1, 1));
        assert_eq!(clamped(2, 3), Location::new(2, 3));
    }

    #[test]
    fn each_line_is_read_as_the_file_splits_it() {
        for text in ["", "one", "a\r\nb\n", "first\n\nthird\r\n", "é\n😀 x\nlast"] {
            let source = SourceFile::new("f.rb42", text);
            let split: Vec<&str> = text
                .split('\n')
                .map(|l| l.strip_suffix('\r').unwrap_or(l))
                .collect();
            let read: Vec<&str> = (1..=split.len() + 1)
                .map_while(|n| source.line(n))
                .collect();
            assert_eq!(read, split, "{text:?}");
            assert_eq!(source.line(0), None);
        }
    }
}

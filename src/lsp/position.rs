//! LSP positions: 0-based lines and columns counted in UTF-16 code units, to and from the
//! 1-based character columns of `Location` and the text of a line.

use crate::diagnostic::source::{SourceFile, Span};
use lsp_types::{Position, Range};

/// The LSP range of `span` in `source`: its start, and its width in characters on its line.
pub fn range(source: &SourceFile, span: Span) -> Range {
    let line = source.line(span.start.line).unwrap_or("");
    let start_col = span.start.col.saturating_sub(1);
    let end_col = start_col + span.width.max(1);
    let line_no = span.start.line.saturating_sub(1);
    Range::new(
        position(line_no, utf16_len(line, start_col)),
        position(line_no, utf16_len(line, end_col)),
    )
}

/// A position from counts that fit in LSP's `u32` for any text a client can send.
fn position(line: usize, character: usize) -> Position {
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Position::new(clamp(line), clamp(character))
}

/// UTF-16 code units in the first `chars` characters of `line` (all of it when shorter).
fn utf16_len(line: &str, chars: usize) -> usize {
    line.chars().take(chars).map(char::len_utf16).sum()
}

/// The byte offset in `line` of the UTF-16 column `character` (the line's end when past it, and
/// the start of a character when inside one).
pub fn byte_offset(line: &str, character: usize) -> usize {
    let mut units = 0;
    for (offset, c) in line.char_indices() {
        if units + c.len_utf16() > character {
            return offset;
        }
        units += c.len_utf16();
    }
    line.len()
}

/// The byte offset in `text` of `at` (the line's end when its column is past it); `None` when
/// the text has no such line.
pub fn text_offset(text: &str, at: Position) -> Option<usize> {
    let mut start = 0;
    for _ in 0..at.line {
        start += text[start..].find('\n')? + 1;
    }
    let line_text = text[start..].split('\n').next().unwrap_or("");
    let character = usize::try_from(at.character).unwrap_or(usize::MAX);
    Some(start + byte_offset(line_text, character))
}

/// The LSP position of the end of `text`.
pub fn end_of(text: &str) -> Position {
    let last_line = text.rsplit('\n').next().unwrap_or("");
    position(text.matches('\n').count(), utf16_len(last_line, usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::source::Location;

    #[test]
    fn columns_count_utf16_units_after_accents_and_astral_characters() {
        let source = SourceFile::new("r.rb42", "a\n  « Déjà » 😀 x = y;\n");
        // `x` is the 14th character, after 13 of which 😀 takes two UTF-16 units.
        let r = range(&source, Span::new(Location::new(2, 14), 1));
        assert_eq!(r, Range::new(Position::new(1, 14), Position::new(1, 15)));
    }

    #[test]
    fn a_utf16_column_maps_back_to_its_byte() {
        let line = "é😀x";
        assert_eq!(byte_offset(line, 0), 0);
        assert_eq!(byte_offset(line, 1), 2);
        assert_eq!(byte_offset(line, 2), 2, "inside 😀: its start");
        assert_eq!(byte_offset(line, 3), 6);
        assert_eq!(byte_offset(line, 99), 7);
    }

    #[test]
    fn a_line_and_column_map_to_a_byte_of_the_whole_text() {
        let text = "ab\né😀x\n";
        let at = |line, character| text_offset(text, Position::new(line, character));
        assert_eq!(at(0, 1), Some(1));
        assert_eq!(at(0, 9), Some(2), "past the line: its end");
        assert_eq!(at(1, 3), Some(9));
        assert_eq!(at(2, 0), Some(11));
        assert_eq!(at(7, 0), None);
        assert_eq!(
            at(u32::MAX, u32::MAX),
            None,
            "the largest position a client can send"
        );
        assert_eq!(at(1, u32::MAX), Some(10));
    }

    #[test]
    fn the_end_of_a_text_is_counted_in_utf16_units() {
        assert_eq!(end_of("a\né😀"), Position::new(1, 3));
        assert_eq!(end_of("a\n"), Position::new(1, 0));
    }
}

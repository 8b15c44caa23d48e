//! `textDocument/hover`: the reference of the primitive under the cursor.

use super::position;
use super::primitive_reference;
use crate::primitives;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

/// The hover for the word at `at` in `text`, when that word is a documented primitive.
pub fn at(text: &str, at: Position) -> Option<Hover> {
    let word = word_under(text, at)?;
    if !primitives::NAMES.contains(&word) {
        return None;
    }
    let reference = primitive_reference::reference(word)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: reference,
        }),
        range: None,
    })
}

/// The name at `at` in `text`.
pub fn word_under(text: &str, at: Position) -> Option<&str> {
    Some(word_at(text, position::text_offset(text, at)?))
}

/// The name (letters, digits, `_`) around byte `offset` of `text`.
fn word_at(text: &str, offset: usize) -> &str {
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_name(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_name(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    &text[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_under_the_cursor_is_found_from_either_side() {
        assert_eq!(word_at("  sh(\"ls\")", 2), "sh");
        assert_eq!(word_at("  sh(\"ls\")", 4), "sh");
        assert_eq!(word_at("é http_get(x)", 5), "http_get");
        assert_eq!(word_at("a + b", 1), "a");
        assert_eq!(word_at("", 0), "");
    }

    #[test]
    fn only_a_primitive_has_a_hover() {
        let text = "let x = sh(\"ls\");\nlet shell = 1;";
        assert!(at(text, Position::new(0, 9)).is_some());
        assert_eq!(at(text, Position::new(1, 5)), None);
        assert_eq!(at(text, Position::new(7, 0)), None);
    }
}

//! `textDocument/hover`: the reference of the primitive under the cursor.

use super::position;
use super::primitive_reference;
use crate::primitives;
use serde_json::{Value, json};

/// The hover for the word at `line` (0-based) and UTF-16 column `character` of `text`, when
/// that word is a documented primitive.
pub fn at(text: &str, line: usize, character: usize) -> Option<Value> {
    let word = word_under(text, line, character)?;
    if !primitives::NAMES.contains(&word) {
        return None;
    }
    let reference = primitive_reference::reference(word)?;
    Some(json!({ "contents": { "kind": "markdown", "value": reference } }))
}

/// The name at `line` (0-based) and UTF-16 column `character` of `text`.
pub fn word_under(text: &str, line: usize, character: usize) -> Option<&str> {
    Some(word_at(text, position::text_offset(text, line, character)?))
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
        assert!(at(text, 0, 9).is_some());
        assert_eq!(at(text, 1, 5), None);
        assert_eq!(at(text, 7, 0), None);
    }
}

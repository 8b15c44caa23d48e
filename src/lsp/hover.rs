//! `textDocument/hover`: the reference of the primitive or handle method under the cursor, of
//! the language keyword under it, or the expression of the `let` value under it.

use super::keyword_reference;
use super::position;
use super::primitive_reference;
use super::text_place::{self, Place};
use crate::language::ast::Runbook;
use crate::primitives;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

/// The hover for the word at `at` in `text`, when that word is a documented primitive, a
/// documented method called as one (`.wait_healthy(`), a keyword of the language between
/// items, or a value of `runbook` (the last version of the text that parsed).
pub fn at(text: &str, at: Position, runbook: Option<&Runbook>) -> Option<Hover> {
    let offset = position::text_offset(text, at)?;
    let (start, end) = word_bounds(text, offset);
    let word = &text[start..end];
    let place = text_place::at(text, offset);
    let method = text[..start].ends_with('.') && text[end..].starts_with('(');
    let value = if primitives::NAMES.contains(&word) || (method && place == Place::Body) {
        primitive_reference::reference(word)?
    } else if place == Place::Runbook
        && let Some(passage) = keyword_reference::reference(word)
    {
        passage
    } else {
        let runbook = runbook?;
        let value = runbook
            .values
            .iter()
            .chain(runbook.procedures.iter().flat_map(|p| &p.values))
            .find(|v| v.name.text == word)?;
        format!(
            "```rb42\nlet {} = {};\n```\nA value: computed once, before the first guard; a constant.",
            value.name.text, value.expr.code
        )
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
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
    let (start, end) = word_bounds(text, offset);
    &text[start..end]
}

/// Where the name around byte `offset` of `text` starts and ends.
fn word_bounds(text: &str, offset: usize) -> (usize, usize) {
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
    (start, end)
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
        assert!(at(text, Position::new(0, 9), None).is_some());
        assert_eq!(at(text, Position::new(1, 5), None), None);
        assert_eq!(at(text, Position::new(7, 0), None), None);
    }

    #[test]
    fn a_value_shows_its_expression() {
        let text = "runbook \"r\" {\n  let app = #{name: \"shop\"};\n  procedure p { step s { log(app.name); } }\n}\n";
        let (_, runbook) =
            crate::language::parser::load_bytes(std::path::Path::new("r.rb42"), text.as_bytes())
                .expect("parses");
        let Some(Hover {
            contents: HoverContents::Markup(markup),
            ..
        }) = at(text, Position::new(2, 30), Some(&runbook))
        else {
            panic!("no hover on `app`");
        };
        assert!(
            markup.value.contains("let app = #{name: \"shop\"};"),
            "{}",
            markup.value
        );
    }

    fn shown(text: &str, line: u32, character: u32) -> String {
        match at(text, Position::new(line, character), None) {
            Some(Hover {
                contents: HoverContents::Markup(markup),
                ..
            }) => markup.value,
            _ => String::new(),
        }
    }

    #[test]
    fn a_keyword_between_items_shows_its_passage_and_in_a_body_none() {
        let text = "runbook \"r\" {\n  procedure p {\n    step s optional { let x = 1; } rollback none \"kept\"\n  }\n}\n";
        assert!(
            shown(text, 2, 13).starts_with("* `optional`:"),
            "{}",
            shown(text, 2, 13)
        );
        assert!(
            shown(text, 2, 45).starts_with("* `rollback none \"why\"`:"),
            "{}",
            shown(text, 2, 45)
        );
        // rhai's own `let` in a body is not the language's.
        assert_eq!(shown(text, 2, 25), "");
    }

    #[test]
    fn a_documented_method_called_on_a_handle_shows_its_row() {
        let text = "runbook \"r\" {\n  procedure p {\n    step s { docker().wait_healthy(\"web\", 60, #{keep_waiting: true}); }\n  }\n}\n";
        let row = shown(text, 2, 25);
        assert!(
            row.contains("`wait_healthy(name, secs, #{keep_waiting})`"),
            "{row}"
        );
        // The same word not called as a method is nobody's.
        assert_eq!(shown("let wait_healthy = 1;", 0, 6), "");
    }
}

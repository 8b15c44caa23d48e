//! `textDocument/hover`: the reference of the primitive under the cursor, or the expression of
//! the `let` value under it.

use super::position;
use super::primitive_reference;
use crate::language::ast::Runbook;
use crate::primitives;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position};

/// The hover for the word at `at` in `text`, when that word is a documented primitive or a
/// value of `runbook` (the last version of the text that parsed).
pub fn at(text: &str, at: Position, runbook: Option<&Runbook>) -> Option<Hover> {
    let word = word_under(text, at)?;
    let value = if primitives::NAMES.contains(&word) {
        primitive_reference::reference(word)?
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
}

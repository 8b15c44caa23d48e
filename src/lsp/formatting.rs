//! `textDocument/formatting`: the document in `runbook fmt`'s layout, as one edit of the whole
//! text; no edit when it is already laid out, an error naming the problem when it does not parse.

use super::position;
use crate::diagnostic::source::SourceFile;
use crate::format;
use lsp_types::{Position, Range, TextEdit};
use std::path::Path;
use std::sync::Arc;

/// The edits that lay `text` out, or the diagnostic that stops it from parsing, rendered.
pub fn edits(path: &Path, text: &str) -> Result<Vec<TextEdit>, String> {
    let source = Arc::new(SourceFile::new(path, text));
    let formatted = format::format(&source).map_err(|d| d.render(false))?;
    if formatted == text {
        return Ok(Vec::new());
    }
    let whole = Range::new(Position::new(0, 0), position::end_of(text));
    Ok(vec![TextEdit::new(whole, formatted)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untidy_document_is_replaced_whole_and_a_tidy_one_is_left() {
        let untidy = "runbook \"r\" {\nprocedure p { step s { log(\"é😀\"); } }\n}";
        let found = edits(Path::new("r.rb42"), untidy).expect("parses");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].range,
            Range::new(Position::new(0, 0), Position::new(2, 1))
        );
        let tidy = &found[0].new_text;
        assert!(tidy.contains("\n    step s {"), "{tidy}");
        assert_eq!(edits(Path::new("r.rb42"), tidy), Ok(Vec::new()));
    }

    #[test]
    fn a_document_that_does_not_parse_is_an_error_with_its_place() {
        let why = edits(Path::new("r.rb42"), "runbook \"r\" {\n  step\n").expect_err("no parse");
        assert!(why.contains("r.rb42:2:"), "{why}");
    }
}

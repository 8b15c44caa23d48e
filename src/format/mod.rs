//! `runbook fmt`: one canonical layout for `.rb42` files.
//!
//! The grammar drops comments (they are silent rules), so the formatter does not print the
//! syntax tree: it walks the pest pairs of the file, reads the comments and punctuation back
//! from the text between them, and lays the same tokens out again (`layout_tree`, `printer`).
//! Rhai bodies keep their text; only their indentation moves with their block (`body`).

mod body;
mod layout_tree;
mod printer;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::language::parser;
use std::sync::Arc;

/// The canonical text of a runbook, or the diagnostic that stops it from parsing.
pub fn format(source: &Arc<SourceFile>) -> Result<String, Diagnostic> {
    // The whole parse, so that a file `check` refuses is refused here too.
    parser::parse(source)?;
    let file = parser::pest_tree(source)?;
    Ok(printer::print(&layout_tree::build(file, &source.text)))
}

#[cfg(test)]
mod tests;

//! From source text to the syntax tree: reads the file, refuses what is not text, runs the pest
//! grammar (`grammar/runbook.pest`) and turns its pairs into `ast` values. The pieces:
//! `syntax_error` words what pest refuses, `tree_builder` turns pairs into the runbook's items,
//! `host_syntax` reads host declarations and `on` targets, `input_syntax` parameters and secrets.

mod host_syntax;
mod input_syntax;
mod syntax_error;
#[cfg(test)]
mod tests;
mod tree_builder;

use super::ast::Runbook;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::{Location, SourceFile, Span};
use pest::Parser as _;
use pest::iterators::Pair;
use std::path::Path;
use std::sync::Arc;
use syntax_error::syntax_error;
use tree_builder::Builder;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/runbook.pest"]
struct RunbookParser;

/// Deeper nesting than this is refused before parsing, so junk cannot exhaust the stack.
const MAX_NESTING: usize = 128;

/// Reads a runbook file from disk and parses it.
pub fn load(path: &Path) -> Result<(Arc<SourceFile>, Runbook), Diagnostic> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(Diagnostic::error("this is a directory, not a runbook file")
            .in_file(shown)
            .help("name a .rb42 file inside it"));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        Diagnostic::error(format!("cannot read the runbook: {why}")).in_file(shown.clone())
    })?;
    load_bytes(path, &bytes)
}

/// Parses a runbook read elsewhere (standard input), named `path` in diagnostics.
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<(Arc<SourceFile>, Runbook), Diagnostic> {
    let text = decode(bytes).map_err(|d| d.in_file(path.display().to_string()))?;
    let source = Arc::new(SourceFile::new(path, text));
    let runbook = parse(&source)?;
    Ok((source, runbook))
}

/// Refuses binary content and invalid UTF-8, naming where it starts (runbooks and modules).
pub fn decode(bytes: &[u8]) -> Result<String, Diagnostic> {
    let place = |offset: usize| {
        let before = &bytes[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        format!("line {line}, column {col} (byte {offset})")
    };
    if let Some(offset) = bytes.iter().position(|b| *b == 0) {
        return Err(Diagnostic::error(format!(
            "this is a binary file, not a runbook: NUL byte at {}",
            place(offset)
        )));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text).to_string()),
        Err(e) => Err(Diagnostic::error(format!(
            "the file is not valid UTF-8 at {}",
            place(e.valid_up_to())
        ))),
    }
}

/// Parses source text into a syntax tree.
pub fn parse(source: &Arc<SourceFile>) -> Result<Runbook, Diagnostic> {
    let runbook = pest_tree(source)?
        .into_inner()
        .find(|p| p.as_rule() == Rule::runbook)
        .ok_or_else(|| Diagnostic::error("no runbook in file"))?;
    Builder { source }.runbook(runbook)
}

/// The pest pair of the whole file (rule `file`), for tools that work on the text itself, such
/// as the formatter; `parse` builds the syntax tree from it.
pub fn pest_tree(source: &Arc<SourceFile>) -> Result<Pair<'_, Rule>, Diagnostic> {
    let text = &source.text;
    if text.trim().is_empty() {
        return Err(Diagnostic::error("the file is empty")
            .at(source, Span::new(Location::new(1, 1), 1))
            .help("a runbook starts with `runbook \"name\" { … }`"));
    }
    check_nesting(source)?;
    let mut pairs = RunbookParser::parse(Rule::file, text).map_err(|e| syntax_error(source, &e))?;
    pairs.next().ok_or_else(|| Diagnostic::error("empty parse"))
}

fn check_nesting(source: &Arc<SourceFile>) -> Result<(), Diagnostic> {
    let mut depth = 0usize;
    for (line_no, line) in source.text.split('\n').enumerate() {
        for (col, c) in line.chars().enumerate() {
            match c {
                '{' | '[' | '(' => depth += 1,
                '}' | ']' | ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth > MAX_NESTING {
                return Err(Diagnostic::error(format!(
                    "blocks are nested more than {MAX_NESTING} deep"
                ))
                .at(source, Span::new(Location::new(line_no + 1, col + 1), 1)));
            }
        }
    }
    Ok(())
}

/// Every keyword of the language, from the grammar's `kw_*` rules (for editor completion).
pub fn keywords() -> Vec<String> {
    Rule::all_rules()
        .iter()
        .filter_map(|rule| format!("{rule:?}").strip_prefix("kw_").map(str::to_string))
        .collect()
}

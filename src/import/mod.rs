//! `runbook import`: a team's Markdown runbook into a `.rb42` draft to review.
//!
//! The Markdown is read into blocks (`markdown`), cut into sections under their headings
//! (`sections`), and shaped into procedures and steps (`outline`, `procedure_builder`, with
//! `wording` telling instructions from descriptions). Each command line becomes a primitive
//! or stdlib call (`translate`, `stdlib_match`, `shell_text`), each placeholder a parameter or
//! a secret (`placeholders`, `inputs`). The draft is written as plain text (`draft_writer`)
//! and laid out by `runbook fmt`'s own printer; whatever could not become code is a
//! `// TODO(import): …` comment where it stood. The caller checks the draft as `runbook check`
//! does.

mod code_blocks;
mod command_kind;
mod document_file;
mod draft_writer;
mod ids;
mod inputs;
mod markdown;
mod outline;
mod placeholders;
mod procedure_builder;
mod rhai_text;
mod sections;
mod shell_text;
mod stdlib_match;
mod summary;
mod translate;
mod wording;

pub use document_file::read_limited;
pub use summary::Summary;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use std::sync::Arc;

/// The largest document imported: operations runbooks run to tens of KiB; a file a hundred
/// times larger is not one, and its draft would be unreadable anyway.
pub const MAX_BYTES: usize = 1024 * 1024;

/// A draft and its counts.
#[derive(Debug)]
pub struct Draft {
    /// The runbook text, in `runbook fmt`'s layout.
    pub text: String,
    pub summary: Summary,
}

/// Why a document cannot be imported.
#[derive(Debug)]
pub enum ImportError {
    TooLarge {
        bytes: usize,
    },
    /// A NUL byte: an image, an archive, a compiled file.
    Binary {
        offset: usize,
    },
    NotUtf8 {
        line: usize,
    },
    NoHeading,
    NoProcedure,
    /// The written draft does not parse: a bug of the importer, reported with its position.
    Draft(Box<Diagnostic>),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::TooLarge { bytes } => write!(
                f,
                "the file is {} KiB: runbook import reads Markdown runbooks up to {} KiB",
                bytes.div_ceil(1024),
                MAX_BYTES / 1024
            ),
            ImportError::Binary { offset } => {
                write!(
                    f,
                    "the file holds binary data (a NUL byte at offset {offset}), not Markdown"
                )
            }
            ImportError::NotUtf8 { line } => {
                write!(
                    f,
                    "the file is not UTF-8 text (an invalid byte on line {line})"
                )
            }
            ImportError::NoHeading => write!(
                f,
                "the file has no heading: procedures are made from a Markdown runbook's headings (`# Title`, `## Procedure`)"
            ),
            ImportError::NoProcedure => write!(
                f,
                "no section holds a command or numbered instructions: there is no procedure to draft"
            ),
            ImportError::Draft(d) => write!(
                f,
                "the draft does not parse (a bug in runbook import): {}",
                d.message
            ),
        }
    }
}

/// The draft of the Markdown runbook `bytes`, named `source_name` in its header.
pub fn import(source_name: &str, bytes: &[u8]) -> Result<Draft, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::TooLarge { bytes: bytes.len() });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(ImportError::Binary { offset });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ImportError::NotUtf8 {
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let blocks = markdown::read(text);
    if !blocks
        .iter()
        .any(|b| matches!(b.block, markdown::Block::Heading { .. }))
    {
        return Err(ImportError::NoHeading);
    }
    let language = wording::language(text);
    let outline = outline::outline(&sections::document(blocks), language);
    if !outline
        .entries
        .iter()
        .any(|e| matches!(e, outline::Entry::Procedure(_)))
    {
        return Err(ImportError::NoProcedure);
    }
    let (raw, summary) = draft_writer::write(&outline, source_name);
    Ok(Draft {
        text: formatted(raw)?,
        summary,
    })
}

/// The draft in `runbook fmt`'s layout.
fn formatted(raw: String) -> Result<String, ImportError> {
    let source = Arc::new(SourceFile::new("draft.rb42", raw));
    crate::format::format(&source).map_err(|d| ImportError::Draft(Box::new(d)))
}

#[cfg(test)]
mod tests;

//! `runbook fmt`'s work: runbooks read, laid out in the canonical layout (`format`), and
//! rewritten, or, for `--check`, only compared.

use super::runbook_files;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::format;
use crate::language::parser;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A runbook whose layout changes.
pub struct Change {
    pub file: PathBuf,
    pub original: String,
    pub formatted: String,
}

/// What reformatting the runbooks found and did.
#[derive(Default)]
pub struct Reformatted {
    /// The runbooks rewritten (or, when checking, that would be).
    pub changed: Vec<Change>,
    /// How many were already in the canonical layout.
    pub unchanged: usize,
    /// Runbooks that do not parse, and files that cannot be written.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reformats every runbook `paths` name (directories are searched for `*.rb42`), rewriting
/// those that change unless `check`.
pub fn reformat(paths: &[PathBuf], check: bool) -> Reformatted {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut done = Reformatted::default();
    for path in paths {
        runbook_files::expand(path, &mut files, &mut done.diagnostics);
    }
    for file in files {
        let (formatted, original) =
            match parser::load(&file).and_then(|(source, _)| layout(&source)) {
                Ok(pair) => pair,
                Err(d) => {
                    done.diagnostics.push(d);
                    continue;
                }
            };
        if formatted == original {
            done.unchanged += 1;
            continue;
        }
        if !check && let Err(e) = std::fs::write(&file, &formatted) {
            done.diagnostics.push(
                Diagnostic::error(format!("cannot write the runbook: {e}"))
                    .in_file(file.display().to_string()),
            );
            continue;
        }
        done.changed.push(Change {
            file,
            original,
            formatted,
        });
    }
    done
}

/// A runbook read elsewhere (standard input), named `path` in diagnostics: its text in the
/// canonical layout, and as it was.
pub fn reformat_bytes(path: &Path, bytes: &[u8]) -> Result<(String, String), Diagnostic> {
    parser::load_bytes(path, bytes).and_then(|(source, _)| layout(&source))
}

/// The text of `source` in the canonical layout, and as it was.
fn layout(source: &Arc<SourceFile>) -> Result<(String, String), Diagnostic> {
    format::format(source).map(|text| (text, source.text.clone()))
}

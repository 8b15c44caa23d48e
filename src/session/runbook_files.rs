//! The runbooks a command is given: files as named, directories searched for `*.rb42`.

use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};

/// A file as is; a directory's `*.rb42` files, recursively, in name order.
pub fn expand(path: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    if !path.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let before = files.len();
    if let Err(e) = collect_runbooks(path, files) {
        diagnostics.push(
            Diagnostic::error(format!("cannot read the directory: {e}"))
                .in_file(path.display().to_string()),
        );
    } else if files.len() == before {
        diagnostics.push(
            Diagnostic::warning("no .rb42 file in this directory")
                .in_file(path.display().to_string()),
        );
    }
}

fn collect_runbooks(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_runbooks(&entry, files)?;
        } else if entry.extension().is_some_and(|e| e == "rb42") {
            files.push(entry);
        }
    }
    Ok(())
}

//! `runbook doc --check`: the pages on disk compared with the pages that would be written.

use std::path::{Path, PathBuf};

/// Why `path` is not `expected`, with a hint of the first difference; nothing when it is.
pub fn stale(path: &Path, expected: &str) -> Vec<String> {
    let shown = path.display();
    let actual = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return vec![format!("{shown}: missing")];
        }
        Err(e) => return vec![format!("{shown}: cannot read: {e}")],
    };
    if actual == expected {
        return Vec::new();
    }
    let old: Vec<&str> = actual.lines().collect();
    let new: Vec<&str> = expected.lines().collect();
    let first = old
        .iter()
        .zip(&new)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(new.len()));
    let mut hint = format!("{shown}: out of date from line {}", first + 1);
    for line in old.iter().skip(first).take(2) {
        hint.push_str(&format!("\n    - {line}"));
    }
    for line in new.iter().skip(first).take(2) {
        hint.push_str(&format!("\n    + {line}"));
    }
    if old.len() != new.len() {
        hint.push_str(&format!(
            "\n    ({} lines on disk, {} rendered)",
            old.len(),
            new.len()
        ));
    }
    vec![hint]
}

/// Pages in the output directory that no runbook renders any more.
pub fn leftovers(dir: &Path, outputs: &[(PathBuf, String)], extension: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut extra: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .filter(|p| !outputs.iter().any(|(o, _)| o == p))
        .map(|p| {
            format!(
                "{}: no runbook renders it any more (remove it)",
                p.display()
            )
        })
        .collect();
    extra.sort();
    extra
}

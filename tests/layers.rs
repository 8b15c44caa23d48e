//! Imports point one way between the folders of `src/`: a folder may import the folders below
//! it in `LAYERS`, never one above it, and the folders of one layer do not import each other
//! except where `SIDEWAYS` says why. Every `crate::X` path of every file is read (comments
//! left out), so a new import against the flow, or a new folder without a place, fails here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, top to bottom. A folder is `src/NAME/` or the file `src/NAME.rs`.
const LAYERS: &[&[&str]] = &[
    &["main", "lib"],
    &["cli", "repl", "lsp", "import"],
    &["session"],
    &["render"],
    &["output"],
    &["journal"],
    &["engine"],
    &["primitives"],
    &["context"],
    &["ssh", "docker", "sql", "http"],
    &["hosts"],
    &["format"],
    &["language"],
    &["diagnostic"],
    &["exit_code", "stdlib", "shell_quote", "value_table"],
];

/// Imports between folders of one layer, each with its reason.
const SIDEWAYS: &[(&str, &str, &str)] = &[
    (
        "cli",
        "repl",
        "`runbook repl` starts the REPL: the command line dispatches to it",
    ),
    ("cli", "lsp", "`runbook lsp` starts the language server"),
    (
        "cli",
        "import",
        "`runbook import` drafts a runbook from Markdown",
    ),
    (
        "docker",
        "ssh",
        "a Docker engine on a host is reached through an SSH forward of its socket",
    ),
    (
        "http",
        "ssh",
        "a request from a host goes through a forward of its SSH connection",
    ),
    (
        "sql",
        "ssh",
        "a database connection from a host goes through a forward of its SSH connection",
    ),
];

fn layer_of(folder: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&folder))
}

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The folder a file of `src/` belongs to: its first directory, or its own name at the top.
fn folder_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next().expect("a path");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// The first segment of every `crate::…` path in `code`: `crate::a::b` gives `a`,
/// `crate::{a::b, c}` gives `a` and `c`.
fn imported_folders(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        // `$crate::` in a macro is the crate too; `runbook_crate::` is not.
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.insert(first_segment(&item));
        } else {
            found.insert(first_segment(rest));
        }
    }
    found.remove("");
    found
}

fn first_segment(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The code of a file without its comments (line comments and doc comments), so that a doc
/// mentioning `crate::cli` is not an import.
fn without_comments(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn imports_point_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut against = Vec::new();
    let mut unplaced = BTreeSet::new();
    for file in &files {
        let from = folder_of(&src, file);
        let Some(from_layer) = layer_of(&from) else {
            unplaced.insert(from);
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read a source file");
        for to in imported_folders(&without_comments(&text)) {
            if to == from || to == "self" {
                continue;
            }
            let Some(to_layer) = layer_of(&to) else {
                unplaced.insert(to);
                continue;
            };
            let sideways = SIDEWAYS.iter().any(|(a, b, _)| *a == from && *b == to);
            if to_layer < from_layer || (to_layer == from_layer && !sideways) {
                let shown = file.strip_prefix(&src).unwrap_or(file).display();
                against.push(format!("src/{shown}: {from} imports {to}"));
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "folders with no place in LAYERS: {unplaced:?}"
    );
    assert!(
        against.is_empty(),
        "imports against the layers (a folder may import only those below it):\n{}",
        against.join("\n")
    );
}

#[test]
fn the_reader_of_imports_sees_paths_and_groups() {
    let code = "use crate::engine::runner;\nuse crate::{primitives, stdlib::X};\nlet x = $crate::output::console::out(\"\");\nlet y = my_crate::z;";
    let found: Vec<String> = imported_folders(code).into_iter().collect();
    assert_eq!(found, ["engine", "output", "primitives", "stdlib"]);
}

#[test]
fn every_sideways_import_is_within_one_layer() {
    for (a, b, why) in SIDEWAYS {
        assert_eq!(layer_of(a), layer_of(b), "{a} -> {b} ({why})");
        assert!(layer_of(a).is_some(), "{a} has no layer");
    }
}

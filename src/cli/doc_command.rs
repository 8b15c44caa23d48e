//! `runbook doc`: a runbook rendered as a Markdown page, or a directory of runbooks as pages
//! plus an index; `--check` compares with the pages on disk instead of writing them.

use super::session::print_diagnostics;
use crate::doc::page::{Index, Page};
use crate::doc::templates::Templates;
use crate::doc::trace::{self, TraceInputs};
use crate::exit_code;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct DocArgs {
    /// A runbook file (.rb42), or a directory whose runbooks are all rendered.
    path: PathBuf,
    /// Where to write: a file for one runbook (default: stdout), a directory for a directory
    /// of runbooks (one page each, plus index.md).
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// A minijinja page template; it may `{% extends "runbook.md.j2" %}` and override blocks.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// Set a parameter: -p name=value (repeatable). Others show their default, or `⟨name⟩`.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// An Ansible INI inventory, replacing the runbook's own.
    #[arg(short = 'i', long, value_name = "FILE")]
    inventory: Option<PathBuf>,
    /// Write nothing: exit 1, naming each page that differs from what would be written.
    #[arg(long, requires = "output")]
    check: bool,
    /// Output: Markdown pages, or the page model as JSON (what templates see).
    #[arg(long, value_enum, default_value_t = DocFormat::Markdown)]
    format: DocFormat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum DocFormat {
    Markdown,
    Json,
}

pub fn run(args: &DocArgs) -> i32 {
    let given = match super::param_args::parse_or_exit(&args.params) {
        Ok(pairs) => pairs,
        Err(code) => return code,
    };
    let inputs = TraceInputs {
        params: given,
        inventory: args.inventory.clone(),
    };
    let templates = match Templates::new(args.template.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    let renderer = Renderer {
        inputs: &inputs,
        templates: &templates,
        json: args.format == DocFormat::Json,
    };
    if args.path.is_dir() {
        directory(args, &renderer)
    } else {
        single(args, &renderer)
    }
}

struct Renderer<'a> {
    inputs: &'a TraceInputs,
    templates: &'a Templates,
    json: bool,
}

impl Renderer<'_> {
    /// The page of one runbook, and its rendering; diagnostics are printed.
    fn page(&self, file: &Path) -> Option<(Page, String)> {
        let traced = match trace::trace_file(file, self.inputs, None) {
            Ok(t) => t,
            Err(diagnostics) => {
                print_diagnostics(&diagnostics);
                return None;
            }
        };
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let page = Page::new(&traced, &name, &self.inputs.params);
        let text = if self.json {
            Ok(serde_json::to_string_pretty(&page).unwrap_or_default() + "\n")
        } else {
            self.templates.page(&page)
        };
        match text {
            Ok(text) => Some((page, text)),
            Err(e) => {
                eprintln!("error: {}: cannot render the page: {e}", file.display());
                None
            }
        }
    }

    fn index(&self, pages: &[Page]) -> Result<String, String> {
        let index = Index::new(pages);
        if self.json {
            Ok(serde_json::to_string_pretty(&index).unwrap_or_default() + "\n")
        } else {
            self.templates.index(&index)
        }
    }
}

fn single(args: &DocArgs, renderer: &Renderer<'_>) -> i32 {
    let Some((page, text)) = renderer.page(&args.path) else {
        return exit_code::USAGE;
    };
    // `-o docs/` puts the page in the directory, under its own name.
    let output = args.output.as_ref().map(|path| {
        if path.is_dir() {
            let extension = if renderer.json { "json" } else { "md" };
            path.join(Path::new(&page.page).with_extension(extension))
        } else {
            path.clone()
        }
    });
    match &output {
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            exit_code::SUCCESS
        }
        Some(path) if args.check => report(&[stale(path, &text)].concat()),
        Some(path) => write(path, &text),
    }
}

fn directory(args: &DocArgs, renderer: &Renderer<'_>) -> i32 {
    let Some(out_dir) = &args.output else {
        eprintln!(
            "error: {} is a directory: name where its pages go with -o DIR",
            args.path.display()
        );
        return exit_code::USAGE;
    };
    let files = match runbooks_in(&args.path) {
        Ok(files) if files.is_empty() => {
            eprintln!("error: no .rb42 file in {}", args.path.display());
            return exit_code::USAGE;
        }
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.path.display());
            return exit_code::USAGE;
        }
    };
    let extension = if renderer.json { "json" } else { "md" };
    let mut outputs: Vec<(PathBuf, String)> = Vec::new();
    let mut pages = Vec::new();
    let mut failed = false;
    for file in &files {
        match renderer.page(file) {
            Some((page, text)) => {
                let name = Path::new(&page.page).with_extension(extension);
                outputs.push((out_dir.join(name), text));
                pages.push(page);
            }
            None => failed = true,
        }
    }
    if failed {
        return exit_code::USAGE;
    }
    match renderer.index(&pages) {
        Ok(text) => outputs.push((out_dir.join(format!("index.{extension}")), text)),
        Err(e) => {
            eprintln!("error: cannot render the index: {e}");
            return exit_code::USAGE;
        }
    }
    if args.check {
        let mut problems: Vec<String> = outputs
            .iter()
            .flat_map(|(path, text)| stale(path, text))
            .collect();
        problems.extend(leftovers(out_dir, &outputs, extension));
        return report(&problems);
    }
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        eprintln!("error: cannot create {}: {e}", out_dir.display());
        return exit_code::USAGE;
    }
    for (path, text) in &outputs {
        let code = write(path, text);
        if code != exit_code::SUCCESS {
            return code;
        }
    }
    exit_code::SUCCESS
}

/// The runbooks directly inside `dir`, sorted.
fn runbooks_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rb42"))
        .collect();
    files.sort();
    Ok(files)
}

fn write(path: &Path, text: &str) -> i32 {
    match std::fs::write(path, text) {
        Ok(()) => exit_code::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            exit_code::USAGE
        }
    }
}

/// Why `path` is not `expected`, with a hint of the first difference; nothing when it is.
fn stale(path: &Path, expected: &str) -> Vec<String> {
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
fn leftovers(dir: &Path, outputs: &[(PathBuf, String)], extension: &str) -> Vec<String> {
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

/// Prints what is stale: exit 1 if anything is, 0 when every page is fresh.
fn report(problems: &[String]) -> i32 {
    if problems.is_empty() {
        return exit_code::SUCCESS;
    }
    for p in problems {
        eprintln!("stale: {p}");
    }
    eprintln!(
        "{} out of date: run `runbook doc` again without --check",
        if problems.len() == 1 {
            "1 page".to_string()
        } else {
            format!("{} pages", problems.len())
        }
    );
    exit_code::FAILED
}

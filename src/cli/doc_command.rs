//! `runbook doc`: a runbook rendered as a Markdown page, or a directory of runbooks as pages
//! plus an index; `--check` compares with the pages on disk instead of writing them.

use super::{param_pairs_or_exit, print_diagnostics};
use crate::exit_code;
use crate::render::page::Page;
use crate::session::doc_pages::{PageProblem, PageRenderer, runbooks_in};
use crate::session::doc_trace::TraceInputs;
use crate::session::stale_pages::{leftovers, stale};
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
    /// An Ansible INI inventory, as `ansible-playbook -i` takes: its groups and hosts become
    /// targets of `on`. It replaces the runbook's own `inventory`.
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
    let given = match param_pairs_or_exit(&args.params) {
        Ok(pairs) => pairs,
        Err(code) => return code,
    };
    let inputs = TraceInputs {
        params: given,
        inventory: args.inventory.clone(),
    };
    let json = args.format == DocFormat::Json;
    let renderer = match PageRenderer::new(inputs, args.template.as_deref(), json) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    if args.path.is_dir() {
        directory(args, &renderer)
    } else {
        single(args, &renderer)
    }
}

/// The page of one runbook, and its rendering; what stops it is printed.
fn page_of(renderer: &PageRenderer, file: &Path) -> Option<(Page, String)> {
    match renderer.page(file) {
        Ok(page) => Some(page),
        Err(PageProblem::Diagnostics(diagnostics)) => {
            print_diagnostics(&diagnostics);
            None
        }
        Err(PageProblem::Render(e)) => {
            eprintln!("error: {}: cannot render the page: {e}", file.display());
            None
        }
    }
}

fn single(args: &DocArgs, renderer: &PageRenderer) -> i32 {
    let Some((page, text)) = page_of(renderer, &args.path) else {
        return exit_code::USAGE;
    };
    // `-o docs/` puts the page in the directory, under its own name.
    let output = args.output.as_ref().map(|path| {
        if path.is_dir() {
            path.join(Path::new(&page.page).with_extension(renderer.extension()))
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

fn directory(args: &DocArgs, renderer: &PageRenderer) -> i32 {
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
    let extension = renderer.extension();
    let mut outputs: Vec<(PathBuf, String)> = Vec::new();
    let mut pages = Vec::new();
    let mut failed = false;
    for file in &files {
        match page_of(renderer, file) {
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

fn write(path: &Path, text: &str) -> i32 {
    match std::fs::write(path, text) {
        Ok(()) => exit_code::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            exit_code::USAGE
        }
    }
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

//! `runbook doc`: a runbook rendered as a Markdown page, or a directory of runbooks as pages
//! plus an index; `--check` compares with the pages on disk instead of writing them.

use super::{param_pairs_or_exit, print, print_diagnostics};
use crate::exit_code;
use crate::output::console::errln;
use crate::session::doc_pages::{self, PageProblem, PageRenderer};
use crate::session::doc_trace::TraceInputs;
use crate::session::stale_pages::{leftovers, stale};
use clap::{Args, ValueEnum};
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
            errln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    if args.path.is_dir() {
        directory(args, &renderer)
    } else {
        single(args, &renderer)
    }
}

/// Prints why pages could not be drawn; exit 2.
fn refuse(problems: Vec<PageProblem>) -> i32 {
    for problem in problems {
        match problem {
            PageProblem::Diagnostics(diagnostics) => print_diagnostics(&diagnostics),
            PageProblem::Render(why) => errln!("error: {why}"),
        }
    }
    exit_code::USAGE
}

fn single(args: &DocArgs, renderer: &PageRenderer) -> i32 {
    let (page, text) = match renderer.page(&args.path) {
        Ok(drawn) => drawn,
        Err(problem) => return refuse(vec![problem]),
    };
    // `-o docs/` puts the page in the directory, under its own name.
    let output = args.output.as_ref().map(|path| {
        if path.is_dir() {
            path.join(Path::new(&page.page).with_extension(renderer.extension()))
        } else {
            path.clone()
        }
    });
    match output {
        None => print(&text, exit_code::SUCCESS),
        Some(path) if args.check => report(&stale(&path, &text)),
        Some(path) => written(&doc_pages::write(&vec![(path, text)], None)),
    }
}

fn directory(args: &DocArgs, renderer: &PageRenderer) -> i32 {
    let Some(out_dir) = &args.output else {
        errln!(
            "error: {} is a directory: name where its pages go with -o DIR",
            args.path.display()
        );
        return exit_code::USAGE;
    };
    let pages = match renderer.directory(&args.path, out_dir) {
        Ok(pages) => pages,
        Err(problems) => return refuse(problems),
    };
    if args.check {
        let mut problems: Vec<String> = pages
            .iter()
            .flat_map(|(path, text)| stale(path, text))
            .collect();
        problems.extend(leftovers(out_dir, &pages, renderer.extension()));
        return report(&problems);
    }
    written(&doc_pages::write(&pages, Some(out_dir)))
}

fn written(result: &Result<(), String>) -> i32 {
    match result {
        Ok(()) => exit_code::SUCCESS,
        Err(why) => {
            errln!("error: {why}");
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
        errln!("stale: {p}");
    }
    errln!(
        "{} out of date: run `runbook doc` again without --check",
        if problems.len() == 1 {
            "1 page".to_string()
        } else {
            format!("{} pages", problems.len())
        }
    );
    exit_code::FAILED
}

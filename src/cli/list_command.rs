//! `runbook list`: what a runbook offers, without running anything.

use super::print_diagnostics;
use super::{ListArgs, ListFormat};
use crate::exit_code;
use crate::language::parser;
use crate::output::style::Style;
use crate::render::listing;
use std::io::Write;

pub fn run(args: &ListArgs) -> i32 {
    let (_, runbook) = match parser::load(&args.file) {
        Ok(loaded) => loaded,
        Err(d) => {
            print_diagnostics(&[d]);
            return exit_code::USAGE;
        }
    };
    let text = match args.format {
        ListFormat::Text => listing::render_text(&runbook, Style::for_stdout()),
        ListFormat::Json => listing::render_json(&runbook),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    exit_code::SUCCESS
}

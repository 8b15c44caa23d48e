//! `runbook list`: what a runbook offers, without running anything.

use super::{ListArgs, ListFormat, print, print_diagnostics};
use crate::exit_code;
use crate::language::parser;
use crate::output::style::Style;
use crate::render::listing;

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
    print(&text, exit_code::SUCCESS)
}

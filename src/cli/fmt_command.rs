//! `runbook fmt`: rewrites runbooks in the canonical layout, or, with `--check`, names those
//! that would change (with the lines that would) and leaves them alone, for CI.

use super::{FmtArgs, runbook_files};
use crate::exit_code;
use crate::format;
use crate::language::parser;
use crate::output::style::Style;
use std::io::Write;
use std::path::{Path, PathBuf};

/// At most this many lines of each side of a change are shown.
const HINT_LINES: usize = 6;

pub fn run(args: &FmtArgs) -> i32 {
    if args.files.len() == 1 && args.files[0].as_os_str() == "-" {
        return filter(args.check);
    }
    let mut files: Vec<PathBuf> = Vec::new();
    let mut diagnostics = Vec::new();
    for path in &args.files {
        runbook_files::expand(path, &mut files, &mut diagnostics);
    }
    let style = Style::for_stderr();
    let mut out = std::io::stdout().lock();
    let (mut changed, mut unchanged) = (0, 0);
    for file in &files {
        let formatted = parser::load(file).and_then(|(source, _)| {
            format::format(&source).map(|text| (text, source.text.clone()))
        });
        let (text, original) = match formatted {
            Ok(pair) => pair,
            Err(d) => {
                diagnostics.push(d);
                continue;
            }
        };
        if text == original {
            unchanged += 1;
            continue;
        }
        changed += 1;
        if args.check {
            let _ = writeln!(out, "would reformat {}", file.display());
            let _ = write!(out, "{}", hint(&original, &text));
        } else if let Err(e) = std::fs::write(file, &text) {
            diagnostics.push(
                crate::diagnostic::Diagnostic::error(format!("cannot write the runbook: {e}"))
                    .in_file(file.display().to_string()),
            );
            changed -= 1;
        }
    }
    for d in &diagnostics {
        eprint!("{}", d.render(style.colour));
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let verb = if args.check {
        "would reformat"
    } else {
        "reformatted"
    };
    eprintln!(
        "{verb} {changed} of {} file{}, {unchanged} already formatted{}",
        changed + unchanged,
        if changed + unchanged == 1 { "" } else { "s" },
        match errors {
            0 => String::new(),
            1 => ", 1 error".to_string(),
            n => format!(", {n} errors"),
        }
    );
    if errors > 0 {
        exit_code::USAGE
    } else if args.check && changed > 0 {
        exit_code::FAILED
    } else {
        exit_code::SUCCESS
    }
}

/// `runbook fmt -`: standard input to standard output, for editors; with `--check`, nothing
/// printed and exit 1 if the text would change.
fn filter(check: bool) -> i32 {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes) {
        eprintln!("error: cannot read standard input: {e}");
        return exit_code::USAGE;
    }
    let formatted = parser::load_bytes(Path::new("<stdin>"), &bytes)
        .and_then(|(source, _)| format::format(&source).map(|text| (text, source.text.clone())));
    match formatted {
        Err(d) => {
            eprint!("{}", d.render(Style::for_stderr().colour));
            exit_code::USAGE
        }
        Ok((text, original)) if check => {
            if text == original {
                exit_code::SUCCESS
            } else {
                exit_code::FAILED
            }
        }
        Ok((text, _)) => match std::io::stdout().lock().write_all(text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                eprintln!("error: cannot write the runbook: {e}");
                exit_code::USAGE
            }
            _ => exit_code::SUCCESS,
        },
    }
}

/// The first lines that differ, as a diff hunk: the lines between the common start and the
/// common end, `-` before and `+` after.
fn hint(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.split('\n').collect();
    let new: Vec<&str> = new.split('\n').collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut text = format!("@@ line {} @@\n", prefix + 1);
    for (sign, lines) in [
        ('-', &old[prefix..old.len() - suffix]),
        ('+', &new[prefix..new.len() - suffix]),
    ] {
        for line in lines.iter().take(HINT_LINES) {
            text.push_str(&format!("{sign}{line}\n"));
        }
        if lines.len() > HINT_LINES {
            text.push_str(&format!(
                "{sign}… {} more lines\n",
                lines.len() - HINT_LINES
            ));
        }
    }
    text
}

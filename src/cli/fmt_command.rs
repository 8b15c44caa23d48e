//! `runbook fmt`: rewrites runbooks in the canonical layout, or, with `--check`, names those
//! that would change (with the lines that would) and leaves them alone, for CI.

use super::{FmtArgs, print, print_diagnostics};
use crate::exit_code;
use crate::output::console::errln;
use crate::render::reformat_hint::hint;
use crate::session::reformat::{reformat, reformat_bytes};
use std::path::Path;

pub fn run(args: &FmtArgs) -> i32 {
    if args.files.len() == 1 && args.files[0].as_os_str() == "-" {
        return filter(args.check);
    }
    let done = reformat(&args.files, args.check);
    let changed = done.changed.len();
    let errors = done.diagnostics.iter().filter(|d| d.is_error()).count();
    let code = if errors > 0 {
        exit_code::USAGE
    } else if args.check && changed > 0 {
        exit_code::FAILED
    } else {
        exit_code::SUCCESS
    };
    let code = if args.check {
        let listed: String = done
            .changed
            .iter()
            .map(|c| {
                format!("would reformat {}\n", c.file.display())
                    + hint(&c.original, &c.formatted).as_str()
            })
            .collect();
        print(&listed, code)
    } else {
        code
    };
    print_diagnostics(&done.diagnostics);
    let verb = if args.check {
        "would reformat"
    } else {
        "reformatted"
    };
    let total = changed + done.unchanged;
    errln!(
        "{verb} {changed} of {total} file{}, {} already formatted{}",
        if total == 1 { "" } else { "s" },
        done.unchanged,
        match errors {
            0 => String::new(),
            1 => ", 1 error".to_string(),
            n => format!(", {n} errors"),
        }
    );
    code
}

/// `runbook fmt -`: standard input to standard output, for editors; with `--check`, nothing
/// printed and exit 1 if the text would change.
fn filter(check: bool) -> i32 {
    let mut bytes = Vec::new();
    if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes) {
        errln!("error: cannot read standard input: {e}");
        return exit_code::USAGE;
    }
    match reformat_bytes(Path::new("<stdin>"), &bytes) {
        Err(d) => {
            print_diagnostics(&[d]);
            exit_code::USAGE
        }
        Ok((text, original)) if check => {
            if text == original {
                exit_code::SUCCESS
            } else {
                exit_code::FAILED
            }
        }
        Ok((text, _)) => print(&text, exit_code::SUCCESS),
    }
}

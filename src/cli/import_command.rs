//! `runbook import FILE.md [-o FILE.rb42]`: a Markdown runbook into a `.rb42` draft in
//! `runbook fmt`'s layout, checked as `runbook check` checks; the counts on stderr.

use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::import::{self, MAX_BYTES};
use crate::output::style::Style;
use clap::Args;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ImportArgs {
    /// The Markdown runbook (whatever its extension).
    file: PathBuf,
    /// Write the draft to this file instead of standard output.
    #[arg(short, long, value_name = "FILE.rb42")]
    output: Option<PathBuf>,
    /// Replace the output file when it exists.
    #[arg(long, requires = "output")]
    force: bool,
}

pub fn run(args: &ImportArgs) -> i32 {
    let style = Style::for_stderr();
    let fail = |message: String| {
        eprint!(
            "{}",
            Diagnostic::error(message)
                .in_file(args.file.display().to_string())
                .render(style.colour)
        );
        exit_code::USAGE
    };
    if let Some(out) = &args.output
        && out.exists()
        && !args.force
    {
        return fail(format!(
            "{} exists: give --force to replace it",
            out.display()
        ));
    }
    let bytes = match read_limited(&args.file) {
        Ok(bytes) => bytes,
        Err(message) => return fail(message),
    };
    let name = args.file.display().to_string();
    let draft = match import::import(&name, &bytes) {
        Ok(draft) => draft,
        Err(e) => return fail(e.to_string()),
    };
    let check_path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("draft.rb42"));
    let diagnostics = static_check(&check_path, &draft.text);
    let written = match &args.output {
        Some(path) => std::fs::write(path, &draft.text)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => match std::io::stdout().lock().write_all(draft.text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(format!("cannot write the draft: {e}"))
            }
            _ => Ok(()),
        },
    };
    if let Err(message) = written {
        return fail(message);
    }
    for d in &diagnostics {
        eprint!("{}", d.render(style.colour));
    }
    let to = args
        .output
        .as_ref()
        .map_or("standard output".to_string(), |p| p.display().to_string());
    eprint!("{}", draft.summary.render(&name, &to));
    if diagnostics.iter().any(Diagnostic::is_error) {
        eprintln!(
            "error: the draft does not pass `runbook check` (a bug in runbook import): it was written as it is"
        );
        return exit_code::USAGE;
    }
    exit_code::SUCCESS
}

/// The file's bytes; a file over the limit is refused without being read whole (special
/// files, whose size is unknown, are read up to one byte past it).
fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_BYTES as u64 {
        let bytes = usize::try_from(size).unwrap_or(usize::MAX);
        return Err(import::ImportError::TooLarge { bytes }.to_string());
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    Ok(bytes)
}

/// The static check `runbook check` runs, on the draft's text as if it were `path`.
fn static_check(path: &Path, text: &str) -> Vec<Diagnostic> {
    match crate::session::static_check::runtime() {
        Ok(runtime) => crate::session::static_check::check_text(path, text, runtime.handle()),
        Err(e) => vec![Diagnostic::error(e)],
    }
}

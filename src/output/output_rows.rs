//! A command's output lines as the terminal shows them: `  │ [host] line`, the bar dim for
//! standard output and yellow for standard error.

use super::style::Style;
use crate::context::event::Stream;

/// Appends the rows of output `lines` to `rows`: `  │ [host] line`, each with its `\n`.
pub fn output_rows<'a>(
    s: Style,
    stream: Stream,
    host: Option<&str>,
    lines: impl IntoIterator<Item = &'a str>,
    rows: &mut String,
) {
    let bar = match stream {
        Stream::Stdout => s.dim("│"),
        Stream::Stderr => s.yellow("│"),
    };
    let from = host
        .map(|h| format!("{} ", s.cyan(&format!("[{h}]"))))
        .unwrap_or_default();
    for line in lines {
        for piece in ["  ", &bar, " ", &from, line, "\n"] {
            rows.push_str(piece);
        }
    }
}

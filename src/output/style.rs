//! Colours, only when writing to a terminal that understands them and `NO_COLOR` is unset.

use crate::diagnostic::paint::{self, Painter};
use std::io::IsTerminal;

/// Whether escape sequences (colours, a spinner) may be written to `stream`: a terminal,
/// unless `TERM=dumb` says it shows them as text (Emacs' compilation and shell buffers).
pub fn understands_escapes(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("TERM").is_none_or(|term| term != "dumb")
}

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub colour: bool,
}

impl Style {
    pub fn for_stdout() -> Self {
        Self::for_stream(&std::io::stdout())
    }

    pub fn for_stderr() -> Self {
        Self::for_stream(&std::io::stderr())
    }

    fn for_stream(stream: &impl IsTerminal) -> Self {
        Self {
            colour: understands_escapes(stream) && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(self, style: anstyle::Style, text: &str) -> String {
        Painter {
            colour: self.colour,
        }
        .paint(style, text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint(paint::BOLD, text)
    }
    pub fn dim(self, text: &str) -> String {
        self.paint(paint::DIM, text)
    }
    pub fn green(self, text: &str) -> String {
        self.paint(paint::GREEN, text)
    }
    pub fn red(self, text: &str) -> String {
        self.paint(paint::ERROR, text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.paint(paint::YELLOW, text)
    }
    pub fn cyan(self, text: &str) -> String {
        self.paint(paint::CYAN, text)
    }

    /// The painter of `diagnostic`, with this style's choice of colours.
    pub fn painter(self) -> Painter {
        Painter {
            colour: self.colour,
        }
    }
}

//! The one painter: colours and weights through `anstyle`, written only when the stream shows
//! them (the caller decides, from `output::style` or a test).

use anstyle::{AnsiColor, Style};

/// Red and bold: errors and failures.
pub const ERROR: Style = bold(AnsiColor::Red);
/// Yellow and bold: warnings.
pub const WARNING: Style = bold(AnsiColor::Yellow);
/// Blue and bold: the gutter of a source excerpt.
pub const GUTTER: Style = bold(AnsiColor::Blue);
/// Cyan and bold: `= help:`.
pub const HELP: Style = bold(AnsiColor::Cyan);
pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const GREEN: Style = coloured(AnsiColor::Green);
pub const YELLOW: Style = coloured(AnsiColor::Yellow);
pub const CYAN: Style = coloured(AnsiColor::Cyan);

const fn coloured(colour: AnsiColor) -> Style {
    Style::new().fg_color(Some(anstyle::Color::Ansi(colour)))
}

const fn bold(colour: AnsiColor) -> Style {
    coloured(colour).bold()
}

/// Paints text, or leaves it plain when colours are off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Painter {
    pub colour: bool,
}

impl Painter {
    pub const PLAIN: Painter = Painter { colour: false };

    pub fn paint(self, style: Style, text: &str) -> String {
        if self.colour {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paints_only_when_colours_are_on() {
        assert_eq!(Painter::PLAIN.paint(ERROR, "error"), "error");
        let painted = Painter { colour: true }.paint(ERROR, "error");
        assert!(painted.starts_with("\x1b[") && painted.ends_with("\x1b[0m"));
        assert!(painted.contains("error"));
    }
}

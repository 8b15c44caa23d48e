//! The one mapping from rhai positions to places in a source file. rhai counts lines and
//! columns from 1 inside the text it compiled: a step body, a module, a REPL line.

use super::source::{Location, Span};
use rhai::Position;

/// rhai's line and column, or the text's start when rhai gives none.
pub fn location(at: Position) -> Location {
    Location::new(at.line().unwrap_or(1), at.position().unwrap_or(1))
}

/// The one-character span of a rhai position in the text it compiled.
pub fn span(at: Position) -> Span {
    Span::new(location(at), 1)
}

/// The span in the `.rb42` file of a rhai position inside a body whose first character stands
/// at `origin` in the file.
pub fn span_in_body(origin: Location, at: Position) -> Span {
    Span::new(location(at).offset_by(origin), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_position_moves_to_the_file() {
        let origin = Location::new(10, 7);
        assert_eq!(
            span_in_body(origin, Position::new(1, 3)).start,
            Location::new(10, 9)
        );
        assert_eq!(
            span_in_body(origin, Position::new(2, 5)).start,
            Location::new(11, 5)
        );
        assert_eq!(span(Position::NONE).start, Location::new(1, 1));
    }
}

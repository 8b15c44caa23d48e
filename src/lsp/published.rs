//! The values a step publishes, read from its text: each `publish("name", …)` whose name is a
//! literal, and where that name stands in the file. Textual, so that completion and
//! go-to-definition work on the last version that parsed without compiling it (the checker's
//! scan of published names needs each body compiled).

use crate::diagnostic::source::{Location, Span};
use crate::language::ast::Body;

/// One `publish("name", …)` call of a body.
#[derive(Debug, PartialEq, Eq)]
pub struct Published<'a> {
    pub name: &'a str,
    /// The name inside the quotes.
    pub span: Span,
}

/// The `publish` calls of `body` with a literal name, in order.
pub fn in_body(body: &Body) -> impl Iterator<Item = Published<'_>> {
    let code = body.code.as_str();
    code.match_indices("publish(")
        .filter_map(move |(call, text)| {
            let after = &code[call + text.len()..];
            let quoted = after.trim_start().strip_prefix('"')?;
            let name = &quoted[..quoted.find('"')?];
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return None;
            }
            let before = &code[..code.len() - quoted.len()];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            let start = Location::new(line, col).offset_by(body.origin);
            Some(Published {
                name,
                span: Span::new(start, name.chars().count()),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_names_are_found_where_they_stand_and_computed_ones_are_not() {
        let body = Body {
            code: " publish(\"a\", 1);\n  publish( \"é_b\", 2); publish(name, 3); publish(\"x y\", 4);"
                .into(),
            origin: Location::new(5, 10),
        };
        let found: Vec<Published> = in_body(&body).collect();
        assert_eq!(
            found,
            [
                Published {
                    name: "a",
                    span: Span::new(Location::new(5, 20), 1)
                },
                Published {
                    name: "é_b",
                    span: Span::new(Location::new(6, 13), 3)
                },
            ]
        );
    }
}

//! Where a place in a runbook's text is, read lexically from the start, so that it works on
//! text that is half-typed and does not parse: in the runbook language, in the rhai code of a
//! body, or inside a string or comment.
//!
//! The only braces that open runbook-language blocks are those on the line of a
//! `runbook "name"`, `procedure id` or `host id` header (the formatter's layout); every other
//! brace opens a body, or a block inside one.

/// What surrounds a place in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Between the items of a runbook, procedure or host block.
    Runbook,
    /// In the rhai code of a step, guard, `when`, rollback or `finally` body, or of a `let`
    /// value's expression.
    Body,
    /// Inside a string or a comment: nothing to complete.
    Quoted,
}

/// A brace still open at the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Block,
    Body,
    /// `${` inside a rhai `interpolated` string: its `}` goes back into the string.
    Interpolation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    LineComment,
    BlockComment,
    Quote(char),
}

/// The place at byte `offset` of `text` (its end when past it).
pub fn at(text: &str, offset: usize) -> Place {
    let text = &text[..floor_char_boundary(text, offset)];
    let mut open: Vec<Open> = Vec::new();
    let mut mode = Mode::Code;
    let mut line_start = 0;
    // Only the first brace of a header's line opens its block: `procedure p { step s {`.
    let mut brace_on_line = false;
    // Between the `=` of a `let` in a block and its `;`: a value's rhai expression.
    let mut in_value = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let in_body = in_value || open.iter().any(|o| *o != Open::Block);
        match mode {
            Mode::LineComment if c == '\n' => mode = Mode::Code,
            Mode::BlockComment if c == '*' && next == Some('/') => {
                chars.next();
                mode = Mode::Code;
            }
            Mode::Quote(_) if c == '\\' => {
                chars.next();
            }
            Mode::Quote('`') if c == '$' && next == Some('{') => {
                chars.next();
                open.push(Open::Interpolation);
                mode = Mode::Code;
            }
            Mode::Quote(quote) if c == quote => mode = Mode::Code,
            Mode::Code => match c {
                '/' if next == Some('/') => mode = Mode::LineComment,
                '/' if next == Some('*') => {
                    chars.next();
                    mode = Mode::BlockComment;
                }
                '"' => mode = Mode::Quote('"'),
                '=' if !in_body && text[line_start..i].trim_start().starts_with("let ") => {
                    in_value = true;
                }
                ';' if in_value && !open.iter().any(|o| *o != Open::Block) => in_value = false,
                '`' | '\'' if in_body => mode = Mode::Quote(c),
                '{' => {
                    let block = !in_body && !brace_on_line && opens_block(&text[line_start..i]);
                    open.push(if block { Open::Block } else { Open::Body });
                    brace_on_line = true;
                }
                '}' => {
                    let closed = open.pop();
                    if closed == Some(Open::Interpolation) {
                        mode = Mode::Quote('`');
                    }
                }
                _ => {}
            },
            _ => {}
        }
        if c == '\n' {
            line_start = i + 1;
            brace_on_line = false;
        }
    }
    if mode != Mode::Code {
        Place::Quoted
    } else if in_value || open.iter().any(|o| *o != Open::Block) {
        Place::Body
    } else {
        Place::Runbook
    }
}

/// Whether the first brace of a line, after `before`, opens a runbook-language block.
fn opens_block(before: &str) -> bool {
    let mut words = before.split_whitespace();
    match words.next() {
        Some("runbook") => true,
        Some("procedure" | "host") => words.next().is_some_and(|id| {
            id.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        }),
        _ => false,
    }
}

/// The largest char boundary of `text` at or before `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"runbook "r {pas un bloc}" {
  param dir: string = "/srv"
  host vm { address "vm.example" }
  guard "ok" { true }
  procedure q { step one { log(1); } }
  procedure p "Déployer" default {
    step s "Étape" {
      let x = `${ sh("ls").stdout } é { `; // comment { here
      if x != "" { log(x); }
      /* { */ publish("out", x);
    } rollback { log('}'); }
  }
}
"#;

    /// The place just after the first `needle` of `line` (1-based).
    fn after(line: usize, needle: &str) -> Place {
        let start: usize = TEXT.lines().take(line - 1).map(|l| l.len() + 1).sum();
        let line_text = TEXT.lines().nth(line - 1).expect("line");
        let offset = start + line_text.find(needle).expect("needle") + needle.len();
        at(TEXT, offset)
    }

    #[test]
    fn block_items_are_runbook_language_and_bodies_are_rhai() {
        assert_eq!(after(2, "  "), Place::Runbook);
        assert_eq!(
            after(3, "{ "),
            Place::Runbook,
            "a host block holds settings"
        );
        assert_eq!(after(4, "{ "), Place::Body);
        assert_eq!(after(5, "q { "), Place::Runbook);
        assert_eq!(
            after(5, "one { "),
            Place::Body,
            "a step on its procedure's line"
        );
        assert_eq!(after(6, "default {"), Place::Runbook);
        assert_eq!(after(7, "    "), Place::Runbook);
        assert_eq!(after(8, "let "), Place::Body);
        assert_eq!(after(8, "${ "), Place::Body, "an interpolation is code");
        assert_eq!(after(8, "`; "), Place::Body, "the string closed");
        assert_eq!(after(9, "{ "), Place::Body, "a block inside a body");
        assert_eq!(after(9, "x); }"), Place::Body);
        assert_eq!(after(10, "*/ "), Place::Body);
        assert_eq!(
            after(11, "} "),
            Place::Runbook,
            "between a step and its rollback"
        );
        assert_eq!(after(11, "rollback { "), Place::Body);
        assert_eq!(after(11, "); }"), Place::Runbook);
        assert_eq!(after(13, "}"), Place::Runbook);
    }

    #[test]
    fn a_values_expression_is_rhai_up_to_its_semicolon() {
        let text = "runbook \"r\" {\n  let app = #{dir: `${x}`, n: 1};\n  param p: int = 1\n}";
        let after_equals = text.find("#{").unwrap_or_default();
        assert_eq!(at(text, after_equals + 3), Place::Body);
        assert_eq!(
            at(text, text.find("`${").unwrap_or_default() + 4),
            Place::Body
        );
        assert_eq!(
            at(text, text.find("param").unwrap_or_default()),
            Place::Runbook
        );
        assert_eq!(
            at(text, text.find("app").unwrap_or_default()),
            Place::Runbook
        );
    }

    #[test]
    fn strings_and_comments_are_quoted() {
        assert_eq!(after(1, "\"r {"), Place::Quoted);
        assert_eq!(after(2, "\"/s"), Place::Quoted);
        assert_eq!(after(8, "} é"), Place::Quoted);
        assert_eq!(after(8, "// comm"), Place::Quoted);
        assert_eq!(after(10, "/* "), Place::Quoted);
        assert_eq!(after(11, "log('"), Place::Quoted);
    }

    #[test]
    fn any_offset_is_a_place() {
        for offset in 0..=TEXT.len() + 3 {
            at(TEXT, offset);
        }
        assert_eq!(at("", 0), Place::Runbook);
        assert_eq!(
            at("runbook \"r\" {\n  procedure p {\n    step s {", 99),
            Place::Body
        );
    }

    #[test]
    fn every_body_of_the_repository_runbooks_is_rhai_and_every_step_keyword_is_not() {
        use crate::diagnostic::source::Location;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks");
        let mut bodies = 0;
        for entry in std::fs::read_dir(dir).expect("runbooks/") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "rb42") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            let (_, runbook) = crate::language::parser::load(&path).expect("parses");
            let offset = |at: Location| {
                let start: usize = text.lines().take(at.line - 1).map(|l| l.len() + 1).sum();
                let line = text.lines().nth(at.line - 1).expect("line");
                start
                    + line
                        .char_indices()
                        .nth(at.col - 1)
                        .map_or(line.len(), |(i, _)| i)
            };
            for step in runbook.procedures.iter().flat_map(|p| p.steps()) {
                let name = format!("{}: step {}", path.display(), step.id.text);
                assert_eq!(
                    at(&text, offset(step.id.span.start)),
                    Place::Runbook,
                    "{name}"
                );
                for body in std::iter::once(&step.body).chain(&step.rollback) {
                    assert_eq!(at(&text, offset(body.origin)), Place::Body, "{name}");
                    bodies += 1;
                }
            }
        }
        assert!(bodies > 100, "{bodies} bodies");
    }
}

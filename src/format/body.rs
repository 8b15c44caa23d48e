//! Re-indenting a multi-line rhai body without changing what it means: only the whitespace at
//! the start of a line that begins in code, and at the end of a line that ends in code, moves.
//! Lines that begin inside a string, a backtick string or a character literal are kept byte for
//! byte, and so is the end of a line that ends inside one.

/// Where a line of a body begins and ends: in code (or a comment), or inside a literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct LineEnds {
    starts_in_literal: bool,
    ends_in_literal: bool,
}

/// What the scanner is reading, as the grammar's `code` rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    LineComment,
    BlockComment,
    String,
    Char,
    Backtick,
}

/// The state of every line of `code`, following the grammar's `code` rule: `"…"` and `'…'` with
/// `\` escapes, `` `…${ code }…` `` nesting, `//` and (non-nesting) `/* */` comments.
fn line_ends(code: &str) -> Vec<LineEnds> {
    // Open backtick strings; each entry counts the braces opened inside its current `${ … }`.
    let mut interpolations: Vec<usize> = Vec::new();
    let mut mode = Mode::Code;
    let in_literal = |mode: Mode, interpolations: &Vec<usize>| {
        matches!(mode, Mode::String | Mode::Char | Mode::Backtick) || !interpolations.is_empty()
    };
    let mut lines = vec![LineEnds::default()];
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            let inside = in_literal(mode, &interpolations);
            if let Some(last) = lines.last_mut() {
                last.ends_in_literal = inside;
            }
            if mode == Mode::LineComment {
                mode = Mode::Code;
            }
            lines.push(LineEnds {
                starts_in_literal: in_literal(mode, &interpolations),
                ends_in_literal: false,
            });
            continue;
        }
        match mode {
            Mode::Code => match c {
                '/' if chars.peek() == Some(&'/') => mode = Mode::LineComment,
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    mode = Mode::BlockComment;
                }
                '"' => mode = Mode::String,
                '\'' => mode = Mode::Char,
                '`' => mode = Mode::Backtick,
                '{' => {
                    if let Some(depth) = interpolations.last_mut() {
                        *depth += 1;
                    }
                }
                '}' => match interpolations.last_mut() {
                    Some(0) => {
                        interpolations.pop();
                        mode = Mode::Backtick;
                    }
                    Some(depth) => *depth -= 1,
                    None => {}
                },
                _ => {}
            },
            Mode::LineComment => {}
            Mode::BlockComment => {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    mode = Mode::Code;
                }
            }
            Mode::String | Mode::Char => {
                if c == '\\' {
                    // An escaped newline still starts a line inside the literal.
                    if chars.peek() != Some(&'\n') {
                        chars.next();
                    }
                } else if (mode == Mode::String && c == '"') || (mode == Mode::Char && c == '\'') {
                    mode = Mode::Code;
                }
            }
            Mode::Backtick => match c {
                '\\' if chars.peek() != Some(&'\n') => {
                    chars.next();
                }
                '$' if chars.peek() == Some(&'{') => {
                    chars.next();
                    interpolations.push(0);
                    mode = Mode::Code;
                }
                '`' => mode = Mode::Code,
                _ => {}
            },
        }
    }
    if let Some(last) = lines.last_mut() {
        last.ends_in_literal = in_literal(mode, &interpolations);
    }
    lines
}

/// The width of a line's indentation, a tab counting as one level (two columns).
fn indent_width(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 2 } else { 1 })
        .sum()
}

/// The lines of a multi-line body (the text between its braces), re-indented so that its
/// least indented line starts at `indent`, the others keeping their indentation relative to
/// it; the text on the opening brace's line moves to the first line. Blank lines at either end
/// are dropped and runs of blank lines become one.
pub fn reindent(code: &str, indent: &str) -> Vec<String> {
    let ends = line_ends(code);
    let raw: Vec<&str> = code.split('\n').collect();
    let is_code = |i: usize| !ends[i].starts_in_literal;
    let base = (1..raw.len())
        .filter(|i| is_code(*i) && !raw[*i].trim().is_empty())
        .map(|i| indent_width(raw[i]))
        .min()
        .unwrap_or(0);
    // Each line with whether it is a blank line of code (those may go).
    let mut lines: Vec<(String, bool)> = Vec::new();
    for (i, line) in raw.iter().enumerate() {
        let end = ends[i];
        let mut text = if !is_code(i) {
            (*line).to_string()
        } else if line.trim().is_empty() && !end.ends_in_literal {
            String::new()
        } else {
            let relative = if i == 0 {
                0
            } else {
                indent_width(line).saturating_sub(base)
            };
            let rest = line.trim_start_matches([' ', '\t']);
            format!("{indent}{}{rest}", " ".repeat(relative))
        };
        if !end.ends_in_literal {
            text.truncate(text.trim_end().len());
        }
        let blank = is_code(i) && text.is_empty();
        if blank
            && lines
                .last()
                .is_none_or(|(_, previous_blank)| *previous_blank)
        {
            continue;
        }
        lines.push((text, blank));
    }
    while lines.last().is_some_and(|(_, blank)| *blank) {
        lines.pop();
    }
    lines.into_iter().map(|(text, _)| text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_code_and_keeps_literals() {
        let code = " a();\n      if x {\n        let s = `one\n   two ${ {\n 1 } }  \nthree`;   \n      }\n\n\n    ";
        assert_eq!(
            reindent(code, "  "),
            vec![
                "  a();",
                "  if x {",
                "    let s = `one",
                "   two ${ {",
                " 1 } }  ",
                "three`;",
                "  }",
            ]
        );
    }

    #[test]
    fn strings_comments_and_chars() {
        let code = "\n\t\tlet a = \"x\n  y\"; // \"\n\t\t/* ` */ let c = '\"';\n\t\tb()\n";
        assert_eq!(
            reindent(code, "    "),
            vec![
                "    let a = \"x",
                "  y\"; // \"",
                "    /* ` */ let c = '\"';",
                "    b()",
            ]
        );
    }
}

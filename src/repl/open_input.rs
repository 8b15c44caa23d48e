//! Whether typed rhai is still open: a bracket `(` `[` `{`, a string, a `` `…${…}…` ``
//! template or a block comment not closed yet. The prompt then asks for another line instead
//! of evaluating half a block.

#[derive(Clone, Copy, PartialEq)]
enum State {
    Code,
    /// Inside `"…"` or `'…'`.
    Quoted(char),
    /// Inside `` `…` `` (outside its `${…}`).
    Template,
    LineComment,
    BlockComment,
}

/// Marks a `${` of a template on the bracket stack.
const INTERPOLATION: char = '$';

/// True while more input is needed. Unbalanced closers are not "open": rhai reports them.
pub fn is_open(text: &str) -> bool {
    let mut stack: Vec<char> = Vec::new();
    let mut state = State::Code;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match state {
            State::Code => match c {
                '"' | '\'' => state = State::Quoted(c),
                '`' => state = State::Template,
                '/' if chars.peek() == Some(&'/') => state = State::LineComment,
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    state = State::BlockComment;
                }
                '(' | '[' | '{' => stack.push(c),
                ')' | ']' | '}' => match stack.pop() {
                    Some(INTERPOLATION) => state = State::Template,
                    Some(_) => {}
                    None => return false,
                },
                _ => {}
            },
            State::Quoted(quote) => {
                if c == '\\' {
                    chars.next();
                } else if c == quote {
                    state = State::Code;
                }
            }
            State::Template => {
                if c == '`' {
                    state = State::Code;
                } else if c == '$' && chars.peek() == Some(&'{') {
                    chars.next();
                    stack.push(INTERPOLATION);
                    state = State::Code;
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                }
            }
            State::BlockComment => {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    state = State::Code;
                }
            }
        }
    }
    !stack.is_empty()
        || matches!(
            state,
            State::Quoted(_) | State::Template | State::BlockComment
        )
}

#[cfg(test)]
mod tests {
    use super::is_open;

    #[test]
    fn complete_input_is_not_open() {
        for text in [
            "1 + 2",
            "let x = [1, 2];",
            "if x { 1 } else { 2 }",
            r#"sh("echo }")"#,
            "`a ${b} c`",
            "x // a comment with {",
            "/* { */ 1",
            r#""a \" b""#,
            "'}'",
            "1 }",
        ] {
            assert!(!is_open(text), "{text:?} is complete");
        }
    }

    #[test]
    fn open_blocks_strings_and_templates_ask_for_more() {
        for text in [
            "if x {",
            "let m = #{",
            "f(1,\n2",
            "[1,\n",
            r#"let s = "abc"#,
            "`a ${ {",
            "`multi\nline",
            "/* open",
            "`x ${y}",
        ] {
            assert!(is_open(text), "{text:?} is open");
        }
    }
}

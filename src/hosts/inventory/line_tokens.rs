//! Line tokens: the lexing of one inventory line. Positions (line and column in characters),
//! blanks and comments, the words of a host line with their quotes removed, `key=value`, and
//! the value of a `[group:vars]` line.

use super::InventoryError;
use crate::diagnostic::source::Location;

/// User text quoted in a message is cut to this many characters.
const EXCERPT_CHARS: usize = 40;

/// One line of the inventory text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line<'a> {
    /// 1-based.
    pub(super) number: usize,
    pub(super) text: &'a str,
}

impl<'a> Line<'a> {
    /// The text from a byte offset on (empty past the end).
    pub(super) fn rest(self, byte: usize) -> &'a str {
        self.text.get(byte..).unwrap_or_default()
    }

    /// The position of a byte offset of this line.
    pub(super) fn location(self, byte: usize) -> Location {
        let before = self.text.get(..byte).unwrap_or(self.text);
        Location::new(self.number, before.chars().count() + 1)
    }

    pub(super) fn error(self, byte: usize, message: impl Into<String>) -> InventoryError {
        InventoryError::new(self.location(byte), message)
    }
}

/// Whitespace, plus the byte-order mark an editor may put before the first line.
pub(super) fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// The byte length of the blank run that starts `text`.
pub(super) fn blank_len(text: &str) -> usize {
    text.len() - text.trim_start_matches(is_blank).len()
}

/// User text for a message, cut short so a hostile line cannot flood the terminal.
pub(super) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `text` without a trailing comment: a `#` at the start or after whitespace.
pub(super) fn strip_trailing_comment(text: &str) -> &str {
    let mut previous_blank = true;
    for (at, c) in text.char_indices() {
        if c == '#' && previous_blank {
            return &text[..at];
        }
        previous_blank = is_blank(c);
    }
    text
}

/// Variable names are identifiers: a letter or `_`, then letters, digits or `_`.
pub(super) fn check_variable_name(key: &str) -> Result<(), String> {
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else if key.is_empty() {
        Err("missing variable name before `=`".to_owned())
    } else {
        Err(format!(
            "invalid variable name `{}`: use letters, digits and `_`, not starting with a digit",
            excerpt(key)
        ))
    }
}

/// A word of a host line, quotes removed.
#[derive(Debug)]
pub(super) struct Token {
    /// Byte offset in the line where the word starts.
    pub(super) start: usize,
    pub(super) text: String,
    /// The first `=` outside quotes: its byte offset in the line and in `text`.
    pub(super) equals: Option<(usize, usize)>,
}

/// A `key=value` word of a host line.
#[derive(Debug)]
pub(super) struct Assignment<'a> {
    pub(super) key: &'a str,
    pub(super) value: &'a str,
    /// Byte offset in the line where the value starts.
    pub(super) value_at: usize,
}

/// Splits a host line into words the way Ansible's `shlex` does: quotes group and are removed,
/// a backslash escapes the next character, a `#` starting a word starts a comment. Unlike
/// `shlex`, a `#` inside a word (`password=abc#1`) is kept.
pub(super) fn tokenize(line: Line, start: usize) -> Result<Vec<Token>, InventoryError> {
    let mut tokens = Vec::new();
    let mut current: Option<Token> = None;
    let mut at = start;
    while let Some(c) = line.rest(at).chars().next() {
        let mut next = at + c.len_utf8();
        if is_blank(c) {
            tokens.extend(current.take());
        } else if c == '#' && current.is_none() {
            break;
        } else {
            let token = current.get_or_insert_with(|| Token {
                start: at,
                text: String::new(),
                equals: None,
            });
            match c {
                '"' | '\'' => {
                    let (text, end) = read_quoted(line, at)?;
                    token.text.push_str(&text);
                    next = end;
                }
                '\\' => match line.rest(next).chars().next() {
                    Some(escaped) => {
                        token.text.push(escaped);
                        next += escaped.len_utf8();
                    }
                    None => token.text.push('\\'),
                },
                '=' if token.equals.is_none() => {
                    token.equals = Some((at, token.text.len()));
                    token.text.push('=');
                }
                _ => token.text.push(c),
            }
        }
        at = next;
    }
    tokens.extend(current);
    Ok(tokens)
}

/// The text of the quoted string opening at byte `open`, and the byte after its closing quote.
/// Inside double quotes, `\"` and `\\` stand for `"` and `\`; single quotes take text as is.
fn read_quoted(line: Line, open: usize) -> Result<(String, usize), InventoryError> {
    let quote = line.rest(open).chars().next().unwrap_or('"');
    let body_start = open + quote.len_utf8();
    let mut text = String::new();
    let mut chars = line.rest(body_start).char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((text, body_start + offset + c.len_utf8())),
            '\\' if quote == '"' => match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => text.push(escaped),
                Some((_, other)) => {
                    text.push('\\');
                    text.push(other);
                }
                None => text.push('\\'),
            },
            _ => text.push(c),
        }
    }
    let name = if quote == '"' { "double" } else { "single" };
    Err(line.error(
        open,
        format!("unterminated quote: the {name} quote opened here is never closed"),
    ))
}

/// A `[group:vars]` value from byte `from` (just after `=`): trimmed, quotes removed, trailing
/// comment dropped. Returns the value and the byte where it starts.
pub(super) fn read_vars_value(line: Line, from: usize) -> Result<(String, usize), InventoryError> {
    let at = from + blank_len(line.rest(from));
    let value = line.rest(at);
    if !value.starts_with(['"', '\'']) {
        return Ok((strip_trailing_comment(value).trim_end().to_owned(), at));
    }
    let (text, end) = read_quoted(line, at)?;
    let after = line.rest(end).trim_start_matches(is_blank);
    if after.is_empty() || after.starts_with('#') {
        return Ok((text, at));
    }
    Err(line.error(
        line.text.len() - after.len(),
        format!(
            "unexpected `{}` after the quoted value: quote the whole value",
            excerpt(after.trim_end())
        ),
    ))
}

impl Token {
    /// The word as `key=value` after the host name, its key checked.
    pub(super) fn assignment(&self, line: Line) -> Result<Assignment<'_>, InventoryError> {
        let Some((equals_byte, equals_index)) = self.equals else {
            return Err(line.error(
                self.start,
                format!(
                    "expected `key=value` after the host name, found `{}`",
                    excerpt(&self.text)
                ),
            ));
        };
        let key = &self.text[..equals_index];
        check_variable_name(key).map_err(|message| line.error(self.start, message))?;
        Ok(Assignment {
            key,
            value: &self.text[equals_index + 1..],
            value_at: equals_byte + 1,
        })
    }
}

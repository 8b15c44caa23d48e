//! Dotenv files (`KEY=value` lines, as Docker Compose reads them): `dotenv_read(path)` into a
//! map, and `dotenv_set(path, key, value)`, which changes that key's line in place, keeping
//! every other line (comments, blank lines, order) as it was.
//!
//! The new file is written to a temporary name beside the old one, with its mode, then
//! renamed over it: a reader sees the old file or the new one, never half of one. Its content
//! goes through standard input, so no value is on a command line `ps` shows.

use super::Target;
use crate::context::event::Effect;
use crate::context::unknown_value;
use crate::diagnostic::error_kind::ErrorKind;
use crate::primitives::{Outcome, error};
use crate::shell_quote::quote;
use rhai::{Dynamic, Map};

/// The file's content (nothing when it does not exist), then a `.`: the output's trailing
/// newlines, which a command's result drops, are the file's.
const READ: &str = "if [ -e \"$1\" ]; then cat -- \"$1\"; fi && printf .";

/// Standard input to a temporary file with the old file's mode, renamed over it.
const WRITE: &str = "t=$(mktemp \"$1.XXXXXX\") || exit 1; \
     if { [ ! -e \"$1\" ] || cp -p -- \"$1\" \"$t\"; } && cat > \"$t\" && mv -f -- \"$t\" \"$1\"; \
     then exit 0; fi; rm -f -- \"$t\"; exit 1";

/// `#{KEY: value}` of the file; a key given twice has its last value, as Compose reads it.
pub fn read(target: &Target<'_>, path: &str) -> Outcome<Dynamic> {
    let summary = format!("cat -- {}", quote(path));
    target.read(
        "dotenv_read",
        &summary,
        &format!("variables of {path}"),
        |t| {
            let text = t.output("dotenv_read", &["cat", "--", path], None)?;
            let map: Map = text
                .lines()
                .filter_map(entry)
                .map(|(key, value)| (key.into(), value.into()))
                .collect();
            Ok(map.into())
        },
    )
}

/// Sets `key` to `value`; returns the previous value, `()` when the key was absent. The file
/// is created when missing (mode 600), and left untouched when the value is already there.
pub fn set(target: &Target<'_>, path: &str, key: &str, value: &Dynamic) -> Outcome<Dynamic> {
    if key.is_empty() || key.contains(['=', '#', '\n']) || key.contains(char::is_whitespace) {
        return error(
            ErrorKind::Script,
            format!("dotenv_set: `{key}` is not a variable name"),
        );
    }
    let value = unknown_value::shown(value);
    let summary = format!("set {key}={value} in {path}");
    if !target.act("dotenv_set", &summary, Effect::Change) {
        return Ok(target.unknown(&format!("previous value of {key} in {path}")));
    }
    let sh = |script: &'static str| ["sh", "-c", script, "sh", path];
    let read = target.output("dotenv_set", &sh(READ), None)?;
    let old = read.strip_suffix('.').unwrap_or(&read);
    let (new, previous) = with_key(old, key, &value);
    if new != old {
        target.output("dotenv_set", &sh(WRITE), Some(new))?;
    }
    Ok(previous.map_or(Dynamic::UNIT, Dynamic::from))
}

/// The text with `key` set: its first line rewritten (an `export ` before it kept), its later
/// lines dropped, or a line added at the end; and the value it had.
pub fn with_key(text: &str, key: &str, value: &str) -> (String, Option<String>) {
    let line = format!("{key}={}", encoded(value));
    let mut out = String::with_capacity(text.len() + line.len() + 1);
    let mut previous = None;
    for old in text.split_inclusive('\n') {
        match entry(old) {
            Some((k, v)) if k == key => {
                if previous.is_none() {
                    let export = if old.trim_start().starts_with("export ") {
                        "export "
                    } else {
                        ""
                    };
                    out.push_str(&format!("{export}{line}\n"));
                }
                previous.get_or_insert(v);
            }
            _ => out.push_str(old),
        }
    }
    if previous.is_none() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&line);
        out.push('\n');
    }
    (out, previous)
}

/// `(key, value)` of a `KEY=value` line (`export ` allowed before it); `None` for a comment,
/// a blank line or anything else. Values: `'literal'`, `"with \" \\ \n escapes"`, or bare
/// (up to a ` #` comment, blanks around it trimmed).
pub fn entry(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    let line = line.strip_prefix("export ").unwrap_or(line);
    if line.starts_with('#') {
        return None;
    }
    let (key, rest) = line.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let value = if let Some(quoted) = rest.strip_prefix('\'') {
        quoted.split('\'').next().unwrap_or_default().to_string()
    } else if let Some(quoted) = rest.strip_prefix('"') {
        unescaped(quoted)
    } else {
        let end = rest.find(" #").unwrap_or(rest.len());
        rest[..end].trim_end().to_string()
    };
    Some((key.to_string(), value))
}

/// A double-quoted value up to its closing quote.
fn unescaped(quoted: &str) -> String {
    let mut value = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => value.push('\n'),
                Some(other) => value.push(other),
                None => value.push('\\'),
            },
            c => value.push(c),
        }
    }
    value
}

/// A value as a line holds it: bare when nothing in it needs quoting, else in single quotes
/// (no escapes, no interpolation), else in double quotes with `\\`, `\"` and `\n`.
fn encoded(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+,=".contains(c);
    if value.chars().all(plain) {
        value.to_string()
    } else if !value.contains(['\'', '\n']) {
        format!("'{value}'")
    } else {
        let escaped = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        format!("\"{escaped}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# the database\nexport DB_POOL=5 # per worker\nNAME='my app'\n\nDB_POOL=6\nTOKEN=\"a \\\"b\\\"\"\n";

    #[test]
    fn entries_read_as_compose_reads_them() {
        let entries: Vec<(String, String)> = FILE.lines().filter_map(entry).collect();
        let pairs: Vec<(&str, &str)> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("DB_POOL", "5"),
                ("NAME", "my app"),
                ("DB_POOL", "6"),
                ("TOKEN", "a \"b\"")
            ]
        );
    }

    #[test]
    fn a_key_set_keeps_comments_and_order_and_drops_its_later_lines() {
        let (text, previous) = with_key(FILE, "DB_POOL", "12");
        assert_eq!(previous.as_deref(), Some("5"));
        assert_eq!(
            text,
            "# the database\nexport DB_POOL=12\nNAME='my app'\n\nTOKEN=\"a \\\"b\\\"\"\n"
        );
    }

    #[test]
    fn a_new_key_is_added_at_the_end_quoted_as_needed() {
        let (text, previous) = with_key("A=1", "B", "it's a $secret");
        assert_eq!(previous, None);
        assert_eq!(text, "A=1\nB=\"it's a $secret\"\n");
        let (text, _) = with_key("", "C", "two words");
        assert_eq!(text, "C='two words'\n");
        for value in ["x y", "it's", "a\\b\"c\nd", ""] {
            let (text, _) = with_key("", "K", value);
            assert_eq!(entry(&text), Some(("K".into(), value.into())), "{text}");
        }
    }
}

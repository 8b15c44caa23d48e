//! Placeholders in the source's commands — `<BACKUP_FILE>`, `${TAG}`, `$POSTGRES_DB`,
//! `YOUR_API_KEY`, `votre-serveur`, `backup_YYYYMMDD_HHMMSS`, `previous-tag`, `{id}`,
//! `[service]` — found with the shell quoting they stand in, so that each becomes a parameter
//! (or a secret) spliced back where it was.

use super::ids;
use std::collections::HashSet;

/// Where a placeholder stands in a shell line: the quoting around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    Bare,
    Single,
    Double,
}

/// A piece of a command: source text, or a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Hole(Hole),
}

/// A placeholder as found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hole {
    /// As written (`<BACKUP_FILE>`, `$TAG`).
    pub written: String,
    /// The name it suggests (`backup_file`, `tag`).
    pub name: String,
    /// The environment variable a `$NAME` read.
    pub env: Option<String>,
    /// `${NAME:-default}`'s default.
    pub default: Option<String>,
    pub quoting: Quoting,
}

/// Shell variables that are the shell's own, never placeholders.
const SHELL_VARIABLES: &[&str] = &[
    "HOME", "PATH", "PWD", "OLDPWD", "USER", "SHELL", "HOSTNAME", "RANDOM", "LANG", "TERM", "UID",
    "EUID", "PPID", "SECONDS", "LINENO", "IFS", "LOGNAME", "TMPDIR",
];

/// The parts of a shell line; `assigned` names the variables the source set itself (they
/// stay shell variables).
pub fn parts(text: &str, assigned: &HashSet<String>) -> Vec<Part> {
    scan(text, assigned, true)
}

/// The parts of a word the shell already unquoted (an argument, a URL): quotes are text.
pub fn word_parts(text: &str, assigned: &HashSet<String>) -> Vec<Part> {
    scan(text, assigned, false)
}

fn scan(text: &str, assigned: &HashSet<String>, shell: bool) -> Vec<Part> {
    let chars: Vec<char> = text.chars().collect();
    let mut parts = Vec::new();
    let mut literal = String::new();
    let (mut single, mut double) = (false, false);
    let mut i = 0;
    while i < chars.len() {
        let quoting = if single {
            Quoting::Single
        } else if double {
            Quoting::Double
        } else {
            Quoting::Bare
        };
        let at_word_start = i == 0 || !is_word_char(chars[i - 1]);
        let found = match chars[i] {
            '$' if !single => dollar(&chars, i, assigned),
            '<' => angle(&chars, i),
            '{' => braces(&chars, i),
            '[' if at_word_start => brackets(&chars, i),
            c if at_word_start && is_word_char(c) => sample_word(&chars, i),
            _ => None,
        };
        if let Some((len, mut hole)) = found {
            hole.quoting = quoting;
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(Part::Hole(hole));
            i += len;
            continue;
        }
        let c = chars[i];
        match c {
            '\\' if shell && !single => {
                literal.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    literal.push(next);
                    i += 1;
                }
            }
            '\'' if shell && !double => {
                single = !single;
                literal.push(c);
            }
            '"' if shell && !single => {
                double = !double;
                literal.push(c);
            }
            _ => literal.push(c),
        }
        if at_word_start && is_word_char(c) {
            // Copy the rest of a word that is not a placeholder as it is.
            while i + 1 < chars.len() && is_word_char(chars[i + 1]) {
                i += 1;
                literal.push(chars[i]);
            }
        }
        i += 1;
    }
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    parts
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

fn hole(written: String, name: String) -> Hole {
    Hole {
        written,
        name,
        env: None,
        default: None,
        quoting: Quoting::Bare,
    }
}

fn take_while(chars: &[char], from: usize, f: impl Fn(char) -> bool) -> usize {
    chars[from..].iter().take_while(|&&c| f(c)).count()
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `$NAME` or `${NAME}` or `${NAME:-default}`.
fn dollar(chars: &[char], i: usize, assigned: &HashSet<String>) -> Option<(usize, Hole)> {
    let braced = chars.get(i + 1) == Some(&'{');
    let start = i + 1 + usize::from(braced);
    if !chars
        .get(start)
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_')
    {
        return None;
    }
    let n = take_while(chars, start, is_ident_char);
    let name: String = chars[start..start + n].iter().collect();
    if SHELL_VARIABLES.contains(&name.as_str()) || assigned.contains(&name) {
        return None;
    }
    let mut end = start + n;
    let mut default = None;
    if braced {
        if chars.get(end) == Some(&':') && chars.get(end + 1) == Some(&'-') {
            let close = chars[end..].iter().position(|&c| c == '}')? + end;
            default = Some(chars[end + 2..close].iter().collect());
            end = close;
        }
        if chars.get(end) != Some(&'}') {
            return None;
        }
        end += 1;
    }
    let mut found = hole(chars[i..end].iter().collect(), ids::ident(&name));
    found.env = Some(name);
    found.default = default;
    Some((end - i, found))
}

/// `<NAME>` (not a redirection: the name runs straight to `>`).
fn angle(chars: &[char], i: usize) -> Option<(usize, Hole)> {
    if i > 0 && chars[i - 1] == '<' {
        return None;
    }
    let n = take_while(chars, i + 1, |c| {
        c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')
    });
    let end = i + 1 + n;
    let inner: String = chars[i + 1..end].iter().collect();
    if n == 0
        || chars.get(end) != Some(&'>')
        || !inner.starts_with(char::is_alphabetic)
        || inner.ends_with(' ')
    {
        return None;
    }
    Some((n + 2, hole(format!("<{inner}>"), ids::ident(&inner))))
}

/// `{id}` in a path or URL (`{a,b}` is brace expansion, `{}` is `find -exec`'s).
fn braces(chars: &[char], i: usize) -> Option<(usize, Hole)> {
    if i > 0 && chars[i - 1] == '$' {
        return None;
    }
    let n = take_while(chars, i + 1, is_ident_char);
    if n == 0 || chars.get(i + 1 + n) != Some(&'}') {
        return None;
    }
    let inner: String = chars[i + 1..i + 1 + n].iter().collect();
    Some((n + 2, hole(format!("{{{inner}}}"), ids::ident(&inner))))
}

/// `[service]`, a word of its own: an argument the reader fills in.
fn brackets(chars: &[char], i: usize) -> Option<(usize, Hole)> {
    let n = take_while(chars, i + 1, |c| {
        c.is_ascii_alphabetic() || c == '_' || c == '-'
    });
    let end = i + 1 + n;
    let after = chars.get(end + 1);
    if n < 2 || chars.get(end) != Some(&']') || after.is_some_and(|c| !c.is_whitespace()) {
        return None;
    }
    let inner: String = chars[i + 1..end].iter().collect();
    Some((n + 2, hole(format!("[{inner}]"), ids::ident(&inner))))
}

/// Words that are samples: `YOUR_TOKEN`, `votre-serveur`, `backup_YYYYMMDD_HHMMSS`,
/// `previous-tag`, `username`, `changeme`.
fn sample_word(chars: &[char], i: usize) -> Option<(usize, Hole)> {
    let n = take_while(chars, i, is_word_char);
    let word: String = chars[i..i + n].iter().collect();
    let word = word.trim_end_matches('.');
    let n = word.chars().count();
    let lower = word.to_lowercase();
    if word.is_empty() && chars[i..].starts_with(&['.', '.', '.']) {
        // An elided part of a path (`images/.../main.png`).
        let in_path = i > 0 && chars[i - 1] == '/' && chars.get(i + 3) == Some(&'/');
        return in_path.then(|| (3, hole("...".to_string(), "path".to_string())));
    }
    let name = if let Some(rest) = ["your_", "your-", "votre_", "votre-", "ton_", "ton-"]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
    {
        ids::ident(rest)
    } else if word.contains("YYYY") {
        let (stem, _) = word.split_once('.').unwrap_or((word, ""));
        let cleaned = [
            "YYYYMMDD", "YYYYmmdd", "HHMMSS", "HHmmss", "YYYY", "MM", "DD", "HH", "SS",
        ]
        .iter()
        .fold(stem.to_string(), |s, d| s.replace(d, ""));
        let name = ids::ident(&cleaned);
        if name.is_empty() {
            "date".to_string()
        } else {
            name
        }
    } else if (lower.contains("previous") && (lower.contains("tag") || lower.contains("version")))
        || matches!(lower.as_str(), "username" | "changeme" | "xxx" | "xxxx")
    {
        ids::ident(word)
    } else {
        return None;
    };
    (!name.is_empty()).then(|| (n, hole(word.to_string(), name)))
}

/// Whether a host or user name is a sample (`production-server`, `votre-serveur`, `user`).
pub fn is_sample_name(text: &str) -> bool {
    let t = text.to_lowercase();
    let sample_word = [
        "your", "votre", "example", "server", "serveur", "host", "xxx",
    ]
    .iter()
    .any(|w| t.contains(w));
    matches!(
        t.as_str(),
        "user" | "username" | "utilisateur" | "you" | "me" | "..."
    ) || (sample_word && !t.contains('.'))
        || t.starts_with('<')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holes(text: &str) -> Vec<(String, String, Quoting)> {
        parts(text, &HashSet::from(["SET".to_string()]))
            .into_iter()
            .filter_map(|p| match p {
                Part::Hole(h) => Some((h.written, h.name, h.quoting)),
                Part::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn placeholders_are_found_with_their_quoting() {
        assert_eq!(
            holes("git clone <repository-url> && echo $HOME $SET"),
            [(
                "<repository-url>".into(),
                "repository_url".into(),
                Quoting::Bare
            )]
        );
        assert_eq!(
            holes(r#"psql -c "SELECT pg_database_size('$POSTGRES_DB');""#),
            [("$POSTGRES_DB".into(), "postgres_db".into(), Quoting::Double)]
        );
        assert_eq!(holes("echo '$NOT' ${TAG:-latest}").len(), 1);
        assert_eq!(
            holes("sed -i 's|web:previous-tag|g' f; cat backups/backup_YYYYMMDD_HHMMSS/m.json"),
            [
                (
                    "previous-tag".into(),
                    "previous_tag".into(),
                    Quoting::Single
                ),
                (
                    "backup_YYYYMMDD_HHMMSS".into(),
                    "backup".into(),
                    Quoting::Bare
                )
            ]
        );
        assert_eq!(holes("curl http://x/products/{id}/main.png").len(), 1);
        assert_eq!(holes("logs [service]")[0].1, "service");
        assert!(holes("psql < dump.sql; cat <<EOF; find . -exec rm {} ;").is_empty());
    }

    #[test]
    fn the_text_between_placeholders_is_kept() {
        let text = "docker pull ${DOCKER_IMAGE}:${PREVIOUS_TAG} && ls";
        let rebuilt: String = parts(text, &HashSet::new())
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Hole(h) => h.written.clone(),
            })
            .collect();
        assert_eq!(rebuilt, text);
    }
}

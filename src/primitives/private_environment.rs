//! The environment of a command sent as a shell script (over SSH, or through `sudo`), kept off
//! every command line: `ps` on the host would show `export PGPASSWORD=…` written into the
//! script. The script starts by reading one line from its standard input and evaluating it;
//! that line sets the variables, every byte written as an octal escape of `printf` (a builtin:
//! no process carries the values), so a value with newlines or quotes stays one line and data.

use super::{Outcome, error};
use crate::diagnostic::error_kind::ErrorKind;
use rhai::Map;

/// What the script runs first: the variables, from the first line of its standard input.
pub const READ_FROM_STDIN: &str =
    "IFS= read -r __runbook_env && eval \"$__runbook_env\" && unset __runbook_env && ";

/// Whether `key` can name an environment variable.
pub fn valid_name(key: &str) -> bool {
    key.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The line [`READ_FROM_STDIN`] evaluates, newline included.
pub fn stdin_line(env: &Map) -> Outcome<String> {
    let mut line = String::new();
    for (key, value) in env {
        if !valid_name(key) {
            return error(
                ErrorKind::Script,
                format!("run: `{key}` is not an environment variable name"),
            );
        }
        let escaped: String = value
            .to_string()
            .bytes()
            .map(|b| format!("\\{b:03o}"))
            .collect();
        // The `x` keeps trailing newlines from `$(…)`, which would drop them.
        line.push_str(&format!(
            "{key}=\"$(printf '{escaped}x')\"; export {key}=\"${{{key}%x}}\"; "
        ));
    }
    line.push('\n');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_byte_for_byte_through_a_shell() {
        let mut env = Map::new();
        let value = "it's a \"secret\"\n$(id) `id` \\ %s ünï\n\n";
        env.insert("SECRET".into(), value.into());
        let line = stdin_line(&env).unwrap();
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        assert!(!line.contains("secret"), "{line}");
        let script = format!("{READ_FROM_STDIN}printf %s \"$SECRET\"");
        let out = std::process::Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(line.as_bytes())?;
                child.wait_with_output()
            })
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
    }

    #[test]
    fn a_bad_name_is_refused() {
        let mut env = Map::new();
        env.insert("A;B".into(), "x".into());
        assert!(stdin_line(&env).is_err());
    }
}

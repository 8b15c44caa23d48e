//! `sha256(path)`: the SHA-256 of a file on the target, as `sha256sum` prints it.

use super::Target;
use crate::diagnostic::error_kind::ErrorKind;
use crate::primitives::{Outcome, error};
use rhai::Dynamic;

pub fn sha256(target: &Target<'_>, path: &str) -> Outcome<Dynamic> {
    let summary = format!("sha256sum -- {}", crate::shell_quote::quote(path));
    target.read("sha256", &summary, &format!("SHA-256 of {path}"), |t| {
        let out = t.output("sha256", &["sha256sum", "--", path], None)?;
        let digest = out
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .trim_start_matches('\\');
        if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return error(
                ErrorKind::Script,
                format!("sha256: `sha256sum` answered `{out}`"),
            );
        }
        Ok(digest.to_ascii_lowercase().into())
    })
}

//! Facts of one file on the target: `sha256(path)`, its SHA-256 as `sha256sum` prints it, and
//! `file_size(path)`, its size in bytes as `stat` gives it (a link followed).

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

pub fn size(target: &Target<'_>, path: &str) -> Outcome<Dynamic> {
    let summary = format!("stat -L -c %s -- {}", crate::shell_quote::quote(path));
    target.read("file_size", &summary, &format!("size of {path}"), |t| {
        let out = t.output("file_size", &["stat", "-L", "-c", "%s", "--", path], None)?;
        match out.trim().parse::<i64>() {
            Ok(bytes) => Ok(bytes.into()),
            Err(_) => error(
                ErrorKind::Script,
                format!("file_size: `stat` answered `{}`", out.trim()),
            ),
        }
    })
}

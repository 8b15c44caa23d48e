//! What kind of failure stopped a step: a stable name that `--format json` events and the
//! journal carry as `error_kind`, so a script can tell an unreachable host from a refused login,
//! a timeout or a non-zero exit without reading the sentence.

use serde::{Deserialize, Serialize};

/// The kinds, named in snake case on the wire. The names are stable: add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Nothing answers at the address: refused, no route, unknown name, reset.
    Unreachable,
    /// The server refused the credentials (SSH key, HTTP 401/403 is `http_status`).
    Auth,
    /// The host key is unknown or changed.
    HostKey,
    /// A step's, a primitive's or a connection's time limit ran out.
    Timeout,
    /// A command ended with a non-zero status or was killed by a signal.
    ExitStatus,
    /// An HTTP answer had a status the step did not accept.
    HttpStatus,
    /// The database refused a statement or a connection.
    Sql,
    /// The Docker engine refused a request.
    Docker,
    /// Reading or writing a file, or a transfer, failed.
    Io,
    /// The operator pressed Ctrl-C (or the run got SIGTERM).
    Interrupted,
    /// The operator declined a confirmation.
    Declined,
    /// `assert` or `fail` in the runbook.
    Assertion,
    /// The body itself is wrong: a bad argument, a type error, an unknown function.
    Script,
}

impl ErrorKind {
    /// Every kind, in the order the README lists them.
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::Unreachable,
        ErrorKind::Auth,
        ErrorKind::HostKey,
        ErrorKind::Timeout,
        ErrorKind::ExitStatus,
        ErrorKind::HttpStatus,
        ErrorKind::Sql,
        ErrorKind::Docker,
        ErrorKind::Io,
        ErrorKind::Interrupted,
        ErrorKind::Declined,
        ErrorKind::Assertion,
        ErrorKind::Script,
    ];

    /// The number a rhai value carries as its tag, so that the kind travels with the error
    /// through rhai (a `catch` still sees the plain message). 0 is rhai's default tag.
    pub fn tag(self) -> i32 {
        Self::ALL
            .iter()
            .position(|k| *k == self)
            .and_then(|i| i32::try_from(i + 1).ok())
            .unwrap_or(0)
    }

    /// The kind a tag stands for; none for an untagged value.
    pub fn from_tag(tag: i32) -> Option<ErrorKind> {
        let index = usize::try_from(tag).ok()?.checked_sub(1)?;
        Self::ALL.get(index).copied()
    }

    /// A typed error of this kind.
    pub fn error(self, message: impl Into<String>) -> TypedError {
        TypedError {
            kind: self,
            message: message.into(),
        }
    }
}

/// A failure with its kind: what transports and primitives return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedError {
    pub kind: ErrorKind,
    pub message: String,
}

impl TypedError {
    /// The same failure, its message prefixed (`web1: …`).
    pub fn context(mut self, prefix: impl std::fmt::Display) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

impl std::fmt::Display for TypedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TypedError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_names_are_stable() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_tag(kind.tag()), Some(kind));
        }
        assert_eq!(ErrorKind::from_tag(0), None);
        assert_eq!(
            serde_json::to_string(&ErrorKind::HostKey).ok().as_deref(),
            Some("\"host_key\"")
        );
        assert_eq!(
            serde_json::to_string(&ErrorKind::ExitStatus)
                .ok()
                .as_deref(),
            Some("\"exit_status\"")
        );
    }
}

//! What went wrong when ssh could not connect, told the way an operator acts on it.
//! ssh reports through text only; this reads its log.

use crate::diagnostic::error_kind::ErrorKind;
use crate::hosts::host_spec::HostSpec;
use std::path::Path;

/// Why a connection failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectError {
    /// The host's key is not in known_hosts and strict checking is on.
    UnknownHostKey,
    /// The key differs from the one recorded: refused, always.
    ChangedHostKey {
        presented: Option<String>,
        recorded: Vec<String>,
    },
    /// The server refused every key offered.
    AuthenticationRefused,
    /// Nothing answers at that address.
    Unreachable(String),
    Other(String),
}

impl ConnectError {
    /// Reads ssh's own words.
    pub fn from_ssh_log(log: &str, host: &HostSpec, known_hosts: Option<&Path>) -> Self {
        if log.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
            || log.contains("Host key for") && log.contains("has changed")
        {
            return ConnectError::ChangedHostKey {
                presented: presented_fingerprint(log),
                recorded: recorded_fingerprints(host, known_hosts),
            };
        }
        if log.contains("Host key verification failed") {
            return ConnectError::UnknownHostKey;
        }
        if log.contains("Permission denied") || log.contains("Too many authentication failures") {
            return ConnectError::AuthenticationRefused;
        }
        for (needle, said) in [
            ("Connection refused", "connection refused"),
            ("timed out", "connection timed out"),
            ("No route to host", "no route to host"),
            ("Could not resolve hostname", "unknown host name"),
            ("Network is unreachable", "network unreachable"),
            ("Connection closed by", "the server closed the connection"),
            ("Connection reset", "connection reset"),
        ] {
            if log.contains(needle) {
                return ConnectError::Unreachable(said.into());
            }
        }
        let last = log
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("ssh failed without a message");
        ConnectError::Other(last.trim_start_matches("ssh: ").to_string())
    }

    /// The kind of failure, for events and journals.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ConnectError::UnknownHostKey | ConnectError::ChangedHostKey { .. } => {
                ErrorKind::HostKey
            }
            ConnectError::AuthenticationRefused => ErrorKind::Auth,
            ConnectError::Unreachable(said) if said.contains("timed out") => ErrorKind::Timeout,
            ConnectError::Unreachable(_) | ConnectError::Other(_) => ErrorKind::Unreachable,
        }
    }

    /// The sentence shown to the operator, naming the host.
    pub fn explain(&self, host: &HostSpec) -> String {
        let who = format!("{} ({})", host.name, host.destination());
        match self {
            ConnectError::UnknownHostKey => format!(
                "the host key of {who} is not in known_hosts, and strict checking refuses \
                 unknown hosts; check the key with its administrator, then run again with \
                 --accept-new-host-keys to record it"
            ),
            ConnectError::ChangedHostKey {
                presented,
                recorded,
            } => {
                let presented = presented.as_deref().unwrap_or("(not shown by ssh)");
                let recorded = if recorded.is_empty() {
                    "(see known_hosts)".to_string()
                } else {
                    recorded.join(", ")
                };
                format!(
                    "the host key of {who} has CHANGED: it presents {presented}, known_hosts \
                     records {recorded}; refused (this may be an attack, or a reinstalled \
                     machine: check, then remove the old line with `ssh-keygen -R`)"
                )
            }
            ConnectError::AuthenticationRefused => format!(
                "{who} refused authentication: no key offered was accepted. runbook logs in \
                 with keys (`identity`, ssh-agent); password authentication is not supported: \
                 run `ssh-keygen -t ed25519 -f ~/.ssh/runbook` then \
                 `ssh-copy-id -i ~/.ssh/runbook.pub {}` once",
                host.destination()
            ),
            ConnectError::Unreachable(why) => format!("cannot reach {who}: {why}"),
            ConnectError::Other(message) => format!("cannot connect to {who}: {message}"),
        }
    }
}

/// `SHA256:…` from "The fingerprint for the ED25519 key sent by the remote host is\nSHA256:…".
fn presented_fingerprint(log: &str) -> Option<String> {
    log.split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .map(|w| w.trim_end_matches('.').to_string())
}

/// The fingerprints known_hosts records for the host, through `ssh-keygen -F`.
fn recorded_fingerprints(host: &HostSpec, known_hosts: Option<&Path>) -> Vec<String> {
    let lookup = match host.port {
        Some(port) if port != 22 => format!("[{}]:{port}", host.address),
        _ => host.address.clone(),
    };
    let mut command = std::process::Command::new("ssh-keygen");
    command.args(["-l", "-F", &lookup]);
    if let Some(file) = known_hosts {
        command.arg("-f").arg(file);
    }
    let Ok(output) = command.stderr(std::process::Stdio::null()).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with("SHA256:"))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostSpec {
        HostSpec::from_address("web1", "deploy@127.0.0.1:2201").unwrap()
    }

    #[test]
    fn tells_each_failure_apart() {
        let cases = [
            (
                "No ED25519 host key is known for [127.0.0.1]:2201 and you have requested strict checking.\r\nHost key verification failed.",
                "not in known_hosts",
            ),
            (
                "deploy@127.0.0.1: Permission denied (publickey).",
                "refused authentication",
            ),
            (
                "ssh: connect to host 127.0.0.1 port 2201: Connection refused",
                "cannot reach web1 (deploy@127.0.0.1:2201): connection refused",
            ),
        ];
        for (log, expected) in cases {
            let said = ConnectError::from_ssh_log(log, &host(), None).explain(&host());
            assert!(said.contains(expected), "{said}");
        }
    }

    #[test]
    fn a_changed_key_names_the_presented_fingerprint() {
        let log = "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nThe fingerprint for the ED25519 key sent by the remote host is\nSHA256:abcDEF123.\nHost key verification failed.";
        let error = ConnectError::from_ssh_log(log, &host(), Some(Path::new("/nonexistent")));
        let said = error.explain(&host());
        assert!(
            said.contains("CHANGED") && said.contains("SHA256:abcDEF123"),
            "{said}"
        );
    }
}

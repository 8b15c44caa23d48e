//! Engine errors told the way an operator acts on them.

use crate::diagnostic::did_you_mean;
use bollard::errors::Error;

/// A sentence for a failed call on `engine` about `what` (a container or image, if any).
pub fn explain(engine: &str, what: &str, error: &Error) -> String {
    match error {
        Error::DockerResponseServerError {
            status_code: 404, ..
        } => format!("{what}: not found on {engine}"),
        Error::DockerResponseServerError {
            status_code,
            message,
        } => format!("{what}: the engine on {engine} answered {status_code}: {message}"),
        other => unreachable_engine(engine, &other.to_string()),
    }
}

/// The engine does not answer, or refuses us.
pub fn unreachable_engine(engine: &str, detail: &str) -> String {
    if detail.contains("ermission denied") {
        format!(
            "permission denied on the Docker socket of {engine}: add the user to the `docker` \
             group (then log in again), or run as root"
        )
    } else {
        format!("cannot reach the Docker engine {engine}: {detail}")
    }
}

/// "not found", with the names that do exist and are close.
pub fn not_found(engine: &str, kind: &str, name: &str, known: &[String]) -> String {
    let close = did_you_mean(name, known.iter().map(String::as_str))
        .map(|c| format!(": did you mean `{c}`?"))
        .unwrap_or_default();
    format!("no {kind} `{name}` on {engine}{close}")
}

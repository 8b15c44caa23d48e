//! Where parameter and secret values come from, besides defaults: `-p NAME=VALUE` pairs and an
//! env file (the process environment is read where a value is looked up).

use super::age_file;
use super::request::Request;
use crate::diagnostic::Diagnostic;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where values come from, besides defaults.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    /// `--param name=value`, in order.
    pub cli: Vec<(String, String)>,
    /// `--env-file` keys.
    pub env_file: HashMap<String, String>,
    /// How the `cli` values were given, for messages: `--param` unless the REPL says `:set`.
    pub given_by: Option<&'static str>,
    /// The age identity file that decrypts `*.age` files, if one was named.
    pub age_identity: Option<PathBuf>,
}

impl Inputs {
    /// How the `cli` values were given, as messages name it.
    pub(super) fn given_by(&self) -> &'static str {
        self.given_by.unwrap_or("--param")
    }

    /// An environment variable, the process environment winning over the env file.
    pub fn env(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .or_else(|| self.env_file.get(name).cloned())
    }

    /// The inputs a request names: its `-p` pairs and its env file; every problem at once.
    pub fn of(request: &Request) -> Result<Self, Vec<Diagnostic>> {
        let mut inputs = Inputs::default();
        let mut problems = Vec::new();
        match param_pairs(&request.params) {
            Ok(pairs) => inputs.cli = pairs,
            Err(bad) => problems.extend(bad.into_iter().map(Diagnostic::error)),
        }
        inputs.age_identity = age_file::identity_file(request.age_identity.as_deref());
        if let Some(path) = &request.env_file {
            match env_file(path, inputs.age_identity.as_deref()) {
                Ok(iter) => {
                    for item in iter {
                        match item {
                            Ok((k, v)) => {
                                inputs.env_file.insert(k, v);
                            }
                            Err(e) => problems.push(
                                Diagnostic::error(format!("bad line in the env file: {e}"))
                                    .in_file(path.display().to_string()),
                            ),
                        }
                    }
                }
                Err(e) => problems.push(
                    Diagnostic::error(format!("cannot read the env file: {e}"))
                        .in_file(path.display().to_string()),
                ),
            }
        }
        if problems.is_empty() {
            Ok(inputs)
        } else {
            Err(problems)
        }
    }
}

/// The lines of an env file; a `*.age` one is decrypted in memory first.
fn env_file(
    path: &Path,
    identity: Option<&Path>,
) -> Result<dotenvy::Iter<Box<dyn std::io::Read>>, String> {
    let reader: Box<dyn std::io::Read> = if age_file::is_encrypted(path) {
        let plain = age_file::decrypt(path, identity, &|_| None)?;
        Box::new(std::io::Cursor::new(plain))
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| e.to_string())?)
    };
    Ok(dotenvy::from_read_iter(reader))
}

/// `-p NAME=VALUE` arguments as every front end reads them: the pairs, in order; or every
/// argument that is not `NAME=VALUE`, as messages.
pub fn param_pairs(raw: &[String]) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut pairs = Vec::new();
    let mut bad = Vec::new();
    for arg in raw {
        match arg.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                pairs.push((name.trim().to_string(), value.to_string()));
            }
            _ => bad.push(format!("--param `{arg}` is not NAME=VALUE")),
        }
    }
    if bad.is_empty() { Ok(pairs) } else { Err(bad) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_everything_after_the_first_equals_sign() {
        let raw = [
            "host=vm-1".to_string(),
            " url =postgres://a:b@h/db?x=1".to_string(),
        ];
        assert_eq!(
            param_pairs(&raw).unwrap(),
            [
                ("host".to_string(), "vm-1".to_string()),
                ("url".to_string(), "postgres://a:b@h/db?x=1".to_string())
            ]
        );
    }

    #[test]
    fn every_malformed_argument_is_named() {
        let raw = ["ok=1".to_string(), "novalue".to_string(), "=x".to_string()];
        assert_eq!(
            param_pairs(&raw).unwrap_err(),
            [
                "--param `novalue` is not NAME=VALUE",
                "--param `=x` is not NAME=VALUE"
            ]
        );
    }
}

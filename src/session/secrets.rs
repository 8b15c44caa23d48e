//! Secret values: read from the environment, a file (age-encrypted or not), a prompt, or a
//! command's output; every missing one listed at once before step 1. Their values go into the run's mask, never into output.

use super::age_file;
use super::inputs::Inputs;
use super::secret_command;
use crate::context::confirmation_gate::Prompter;
use crate::context::run_context::placeholder;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::SourceFile;
use crate::engine::run_values::SecretValue;
use crate::language::ast::{Runbook, SecretSource};
use std::sync::Arc;

/// Reads every secret. In a dry-run a missing secret becomes a placeholder instead of an error.
pub fn resolve(
    runbook: &Runbook,
    source: &Arc<SourceFile>,
    inputs: &Inputs,
    prompter: Option<&dyn Prompter>,
    dry_run: bool,
    needed: &std::collections::BTreeSet<String>,
) -> Result<Vec<SecretValue>, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let mut values = Vec::new();
    // Only what the procedure reads is asked for.
    for secret in runbook
        .secrets
        .iter()
        .filter(|s| needed.contains(&s.name.text))
    {
        // A command is never run, nor a file decrypted, for a plan or a doc: a placeholder
        // stands for the value.
        if dry_run && costly(&secret.source) {
            values.push(SecretValue {
                name: secret.name.text.clone(),
                value: placeholder(&format!("secret {}", secret.name.text)),
                placeholder: true,
            });
            continue;
        }
        let found = match &secret.source {
            SecretSource::Env(var) => inputs
                .env(var)
                .ok_or_else(|| format!("environment variable {var} is not set")),
            SecretSource::File(path) => read_secret_file(source, path, inputs, prompter),
            SecretSource::Command { argv, timeout } => secret_command::read(argv, *timeout),
            SecretSource::Prompt(question) => match prompter {
                Some(p) if !dry_run => p
                    .secret(question)
                    .ok_or_else(|| "no answer at the prompt".to_string()),
                _ => Err("it is asked at a prompt, and there is no terminal".to_string()),
            },
        };
        match found {
            Ok(value) => values.push(SecretValue {
                name: secret.name.text.clone(),
                value,
                placeholder: false,
            }),
            Err(_) if secret.optional => values.push(SecretValue {
                name: secret.name.text.clone(),
                value: String::new(),
                placeholder: false,
            }),
            Err(_) if dry_run => values.push(SecretValue {
                name: secret.name.text.clone(),
                value: placeholder(&format!("secret {}", secret.name.text)),
                placeholder: true,
            }),
            Err(why) => problems.push(
                Diagnostic::error(format!("missing secret `{}`: {why}", secret.name.text))
                    .at(source, secret.name.span),
            ),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// Whether reading the secret runs something (a command, a decryption): never for a plan.
fn costly(source: &SecretSource) -> bool {
    match source {
        SecretSource::Command { .. } => true,
        SecretSource::File(path) => age_file::is_encrypted(std::path::Path::new(path)),
        SecretSource::Env(_) | SecretSource::Prompt(_) => false,
    }
}

fn read_secret_file(
    source: &SourceFile,
    path: &str,
    inputs: &Inputs,
    prompter: Option<&dyn Prompter>,
) -> Result<String, String> {
    let expanded = match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => std::path::Path::new(&home).join(rest),
        _ => source.dir().join(path),
    };
    let text = if age_file::is_encrypted(&expanded) {
        let ask = |question: &str| prompter.and_then(|p| p.secret(question));
        let plain = age_file::decrypt(&expanded, inputs.age_identity.as_deref(), &ask)?;
        String::from_utf8(plain)
            .map_err(|_| format!("{} does not decrypt to text", expanded.display()))?
    } else {
        std::fs::read_to_string(&expanded)
            .map_err(|e| format!("cannot read {}: {e}", expanded.display()))?
    };
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

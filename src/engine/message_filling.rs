//! The one filling of `${name}` references in the texts an operator reads (step titles,
//! confirmation messages, guard titles), the same for `run`, `plan` and `doc`: a parameter's
//! value, a value published by an earlier step, `⟨secret NAME⟩` for a secret (never its value),
//! and `⟨…⟩` for what is not known (a value only a real run knows, a name with no value).

use super::run_values::ParamValue;
use crate::context::run_context::{RunContext, placeholder};
use crate::context::unknown_value;
use crate::language::ast::Runbook;
use crate::language::message_text;
use std::collections::HashSet;

/// `text` with its `${name}` references filled in from what the run (or the dry-run) knows now.
pub fn fill(text: &str, ctx: &RunContext, runbook: &Runbook, params: &[ParamValue]) -> String {
    message_text::expand(text, |name| {
        if runbook.secrets.iter().any(|s| s.name.text == name) {
            return Some(placeholder(&format!("secret {name}")));
        }
        let value = ctx
            .published_named(&HashSet::from([name]), None)
            .pop()
            .map(|(_, v)| v)
            .or_else(|| {
                params
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.value.clone())
            })?;
        Some(unknown_value::shown(&value))
    })
}

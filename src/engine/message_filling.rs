//! The one filling of `${name}` references in the texts an operator reads (step titles,
//! confirmation messages, guard titles), the same for `run`, `plan` and `doc`: a parameter's
//! value, a `let` value (`${app.name}`: one of its fields), a value published by an earlier step, `⟨secret NAME⟩` for a secret (never its value),
//! and `⟨…⟩` for what is not known (a value only a real run knows, a name with no value).

use super::run_values::ParamValue;
use crate::context::run_context::{RunContext, placeholder};
use crate::context::unknown_value::{self, Unknown};
use crate::language::ast::Runbook;
use crate::language::message_text;
use rhai::Map;
use std::collections::HashSet;

/// `text` with its `${name}` references filled in from what the run (or the dry-run) knows now.
pub fn fill(text: &str, ctx: &RunContext, runbook: &Runbook, params: &[ParamValue]) -> String {
    message_text::expand(text, |reference| {
        let name = message_text::root(reference);
        if runbook.secrets.iter().any(|s| s.name.text == name) {
            return Some(placeholder(&format!("secret {name}")));
        }
        let named = HashSet::from([name]);
        let mut value = ctx
            .published_named(&named, None)
            .pop()
            .or_else(|| ctx.values_named(&named).pop())
            .map(|(_, v)| v)
            .or_else(|| {
                params
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.value.clone())
            })?;
        for field in message_text::fields(reference) {
            if value.is::<Unknown>() {
                break;
            }
            let inner = value.read_lock::<Map>()?.get(field)?.clone();
            value = inner;
        }
        Some(unknown_value::shown(&value))
    })
}

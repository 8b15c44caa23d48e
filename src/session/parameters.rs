//! Parameter values: from `--param`, then the environment variable a parameter names, then the
//! env file, then the default. Every problem is reported at once, before anything runs.

use super::inputs::Inputs;
use crate::diagnostic::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::engine::run_values::{ParamValue, literal_value, show};
use crate::language::ast::{Literal, Param, ParamType, Runbook};
use crate::language::duration;
use rhai::{Array, Dynamic};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Resolves every parameter, or lists every problem.
pub fn resolve(
    runbook: &Runbook,
    source: &Arc<SourceFile>,
    inputs: &Inputs,
    needed: &BTreeSet<String>,
) -> Result<Vec<ParamValue>, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let declared: Vec<&str> = runbook
        .params
        .iter()
        .map(|p| p.name.text.as_str())
        .collect();
    let mut given: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, value) in &inputs.cli {
        if declared.contains(&name.as_str()) {
            given.insert(name, value);
        } else {
            let mut d = Diagnostic::error(format!(
                "unknown parameter `{name}` (from {})",
                inputs.given_by()
            ))
            .in_file(source.display_path());
            d = match did_you_mean(name, declared.iter().copied()) {
                Some(close) => d.help(format!("did you mean `{close}`?")),
                None if declared.is_empty() => d.help("this runbook declares no parameters"),
                None => d.help(format!("declared parameters: {}", declared.join(", "))),
            };
            problems.push(d);
        }
    }
    let mut values = Vec::new();
    for param in &runbook.params {
        let found = given
            .get(param.name.text.as_str())
            .map(|v| ((*v).to_string(), inputs.given_by().to_string()))
            .or_else(|| {
                let var = param.env.as_ref()?;
                inputs
                    .env(var)
                    .map(|v| (v, format!("environment variable {var}")))
            });
        let value = match found {
            Some((text, origin)) => from_text(param, &text).map_err(|why| {
                Diagnostic::error(format!(
                    "parameter `{}` {why} (from {origin})",
                    param.name.text
                ))
                .at(source, param.name.span)
            }),
            None => match &param.default {
                Some(default) => Ok(default_value(param, &default.value)),
                // Required by another procedure only.
                None if !needed.contains(&param.name.text) => continue,
                None => {
                    let mut how = match inputs.given_by {
                        Some(command) => format!("{command} {} …", param.name.text),
                        None => format!("--param {}=…", param.name.text),
                    };
                    if let Some(var) = &param.env {
                        how.push_str(&format!(" or {var}=…"));
                    }
                    Err(Diagnostic::error(format!(
                        "missing required parameter `{}`",
                        param.name.text
                    ))
                    .at(source, param.name.span)
                    .help(format!("set it with {how}")))
                }
            },
        };
        match value.and_then(|v| allowed(param, v).map_err(|d| d.at(source, param.name.span))) {
            Ok(value) => values.push(ParamValue {
                name: param.name.text.clone(),
                shown: show(&value),
                value,
            }),
            Err(d) => problems.push(d),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

fn allowed(param: &Param, value: Dynamic) -> Result<Dynamic, Diagnostic> {
    let Some(allowed) = &param.allowed else {
        return Ok(value);
    };
    let values: Vec<Dynamic> = allowed.iter().map(|a| literal_value(&a.value)).collect();
    if values.iter().any(|a| a.to_string() == value.to_string()) {
        return Ok(value);
    }
    let list: Vec<String> = values.iter().map(show).collect();
    Err(Diagnostic::error(format!(
        "parameter `{}` is {}, which is not one of {}",
        param.name.text,
        show(&value),
        list.join(", ")
    )))
}

/// A default as its parameter's type: a duration may be written `10m` or `"10m"`.
fn default_value(param: &Param, literal: &Literal) -> Dynamic {
    match (param.ty, literal) {
        (ParamType::Duration, Literal::String(text)) => duration::parse(text).map_or_else(
            || literal_value(literal),
            |d| literal_value(&Literal::Duration(d)),
        ),
        _ => literal_value(literal),
    }
}

fn from_text(param: &Param, text: &str) -> Result<Dynamic, String> {
    match param.ty {
        ParamType::String => Ok(text.to_string().into()),
        ParamType::Int => text
            .trim()
            .parse::<i64>()
            .map(Dynamic::from)
            .map_err(|_| format!("must be an int, not `{text}`")),
        ParamType::Bool => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(true.into()),
            "false" | "no" | "0" | "off" => Ok(false.into()),
            _ => Err(format!("must be true or false, not `{text}`")),
        },
        ParamType::Duration => duration::parse(text)
            .map(|d| Dynamic::from(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
            .ok_or_else(|| format!("must be a duration like 30s, 10m or 1h30m, not `{text}`")),
        ParamType::List => {
            let trimmed = text.trim();
            if trimmed.starts_with('[') {
                let items: Vec<String> = serde_json::from_str(trimmed)
                    .map_err(|e| format!("must be a JSON list of strings: {e}"))?;
                Ok(items
                    .into_iter()
                    .map(Dynamic::from)
                    .collect::<Array>()
                    .into())
            } else {
                Ok(trimmed
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Dynamic::from(s.to_string()))
                    .collect::<Array>()
                    .into())
            }
        }
    }
}

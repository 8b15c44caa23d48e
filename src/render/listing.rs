//! `runbook list`: procedures, parameters, secrets and steps of a runbook.

use crate::engine::run_values::{literal_value, show};
use crate::language::ast::{Item, Param, Runbook, Step, ValueDecl, only_if};
use crate::language::duration;
use crate::output::style::Style;
use crate::output::titled::titled;
use serde_json::json;

pub fn render_text(runbook: &Runbook, style: Style) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("{} {}", style.bold("runbook"), runbook.name.text));
    if let Some(d) = &runbook.description {
        line(format!("  {d}"));
    }
    if let Some(owner) = &runbook.owner {
        line(format!("  {} {owner}", style.dim("owner:")));
    }
    for contact in &runbook.contacts {
        let reach = contact
            .reach
            .as_deref()
            .map_or(String::new(), |r| format!(": {r}"));
        line(format!(
            "  {} {}{reach}",
            style.dim("contact:"),
            contact.name
        ));
    }
    if !runbook.tags.is_empty() {
        line(format!(
            "  {} {}",
            style.dim("tags:"),
            runbook.tags.join(", ")
        ));
    }
    if !runbook.params.is_empty() {
        line(String::new());
        line(style.bold("parameters"));
        for p in &runbook.params {
            line(parameter_line(p, style));
        }
    }
    if !runbook.secrets.is_empty() {
        line(String::new());
        line(style.bold("secrets"));
        for s in &runbook.secrets {
            line(format!(
                "  {} from {} {}",
                s.name.text,
                s.source.kind(),
                s.source.written()
            ));
        }
    }
    if !runbook.values.is_empty() {
        line(String::new());
        line(style.bold("values"));
        for v in &runbook.values {
            line(format!("  {} = {}", v.name.text, v.written()));
        }
    }
    line(String::new());
    line(style.bold("procedures"));
    for p in &runbook.procedures {
        let default = if p.is_default {
            style.dim(" (default)")
        } else {
            String::new()
        };
        line(format!(
            "  {} — {}{default}",
            style.bold(&p.id.text),
            p.title()
        ));
        for v in &p.values {
            line(format!("      let {} = {}", v.name.text, v.written()));
        }
        for g in runbook.guards.iter().chain(&p.guards) {
            line(format!("      guard: {}", g.title));
        }
        let mut n = 0;
        for item in &p.items {
            match item {
                Item::Gate(g) => line(format!(
                    "      {} {}{}",
                    style.yellow("confirm:"),
                    g.message,
                    only_if(g.condition.as_ref())
                )),
                Item::Step(s) => {
                    n += 1;
                    let marks = step_marks(s, style);
                    line(format!(
                        "      {n}. {}{}{marks}",
                        s.id.text,
                        titled(&s.id.text, s.title())
                    ));
                }
            }
        }
        if p.finally.is_some() {
            line("      finally".into());
        }
    }
    out
}

/// A parameter: its name, type, default (or `required`), allowed values, variable and help.
fn parameter_line(p: &Param, style: Style) -> String {
    let default = p.default.as_ref().map_or_else(
        || style.yellow("required"),
        |d| format!("= {}", show(&literal_value(&d.value))),
    );
    let mut extra = Vec::new();
    if let Some(allowed) = &p.allowed {
        let values: Vec<String> = allowed
            .iter()
            .map(|a| show(&literal_value(&a.value)))
            .collect();
        extra.push(format!("one of {}", values.join(", ")));
    }
    if let Some(env) = &p.env {
        extra.push(format!("env {env}"));
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        style.dim(&format!(" ({})", extra.join("; ")))
    };
    let help = p
        .help
        .as_ref()
        .map(|h| format!(" — {h}"))
        .unwrap_or_default();
    format!("  {}: {} {default}{extra}{help}", p.name.text, p.ty.name())
}

/// A step's attributes, dimmed in brackets: rollback, retry, timeout, when, confirm.
fn step_marks(s: &Step, style: Style) -> String {
    let mut marks = Vec::new();
    if s.rollback_always {
        marks.push("rollback always".to_string());
    } else if s.rollback.is_some() {
        marks.push("rollback".to_string());
    } else if s.rollback_none.is_some() {
        marks.push("rollback none".to_string());
    }
    if let Some(r) = s.retry {
        marks.push(format!("retry {}", r.times));
    }
    if let Some(t) = s.timeout {
        marks.push(format!("timeout {}", duration::format(t)));
    }
    if s.when.is_some() {
        marks.push("when".into());
    }
    if s.confirm.is_some() {
        marks.push(
            if s.confirm_if.is_some() {
                "confirm if"
            } else {
                "confirm"
            }
            .into(),
        );
    }
    if s.optional {
        marks.push("optional".into());
    }
    if marks.is_empty() {
        String::new()
    } else {
        style.dim(&format!(" [{}]", marks.join(", ")))
    }
}

pub fn render_json(runbook: &Runbook) -> String {
    let params: Vec<_> = runbook
        .params
        .iter()
        .map(|p| {
            json!({
                "name": p.name.text,
                "type": p.ty,
                "default": p.default.as_ref().map(|d| show(&literal_value(&d.value))),
                "required": p.default.is_none(),
                "allowed": p.allowed.as_ref().map(|a| a.iter().map(|v| show(&literal_value(&v.value))).collect::<Vec<_>>()),
                "env": p.env,
                "help": p.help,
            })
        })
        .collect();
    let secrets: Vec<_> = runbook
        .secrets
        .iter()
        .map(|s| json!({ "name": s.name.text, "from": s.source }))
        .collect();
    let values = |values: &[ValueDecl]| -> Vec<_> {
        values
            .iter()
            .map(|v| json!({ "name": v.name.text, "expression": v.written() }))
            .collect()
    };
    let procedures: Vec<_> = runbook
        .procedures
        .iter()
        .map(|p| {
            let steps: Vec<_> = p
                .steps()
                .map(|s| {
                    json!({
                        "id": s.id.text,
                        "title": s.title(),
                        "rollback": s.rollback.is_some(),
                        "rollback_always": s.rollback_always,
                        "rollback_none": s.rollback_none,
                        "optional": s.optional,
                        "retry": s.retry.map(|r| r.times),
                        "timeout": s.timeout.map(duration::format),
                        "when": s.when.as_ref().map(|w| w.code.trim().to_string()),
                        "confirm": s.confirm,
                    })
                })
                .collect();
            json!({
                "id": p.id.text,
                "title": p.title(),
                "default": p.is_default,
                "description": p.description,
                "values": values(&p.values),
                "guards": runbook.guards.iter().chain(&p.guards).map(|g| g.title.clone()).collect::<Vec<_>>(),
                "steps": steps,
                "confirmations": p.items.iter().filter(|i| matches!(i, Item::Gate(_))).count(),
                "finally": p.finally.is_some(),
            })
        })
        .collect();
    let value = json!({
        "runbook": runbook.name.text,
        "description": runbook.description,
        "owner": runbook.owner,
        "contacts": runbook.contacts,
        "tags": runbook.tags,
        "params": params,
        "secrets": secrets,
        "values": values(&runbook.values),
        "procedures": procedures,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

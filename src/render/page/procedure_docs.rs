//! A procedure's part of a page: its guards, gates and steps, each step with its commands
//! taken from the dry-run trace.

use super::{
    BodyDoc, CommandBlock, GuardDoc, ItemDoc, ProcedureDoc, StepDoc, ValueRow, target_doc,
};
use crate::engine::plan::PlannedAction;
use crate::engine::trace::{ProcedureTrace, StepTrace, TracedBody};
use crate::language::ast::{Guard, Item, Procedure, Step, only_if};
use crate::language::duration;
use crate::render::flow_diagram::Flow;
use std::collections::BTreeMap;

pub(super) fn procedure_doc(
    procedure: &Procedure,
    trace: &ProcedureTrace,
    runbook_guards: &[Guard],
    targets: &BTreeMap<String, Vec<String>>,
) -> ProcedureDoc {
    let guards = procedure
        .guards
        .iter()
        .enumerate()
        .map(|(i, g)| GuardDoc {
            title: trace.text(&g.title),
            code: one_line(&g.body.code),
            body: trace
                .guards
                .get(runbook_guards.len() + i)
                .map(body_doc)
                .unwrap_or_default(),
        })
        .collect();
    let anchor = format!("procedure-{}", procedure.id.text);
    let mut items = Vec::new();
    let mut number = 0;
    for (position, item) in procedure.items.iter().enumerate() {
        match item {
            Item::Gate(gate) => {
                let before = procedure.items[position + 1..]
                    .iter()
                    .find_map(|i| match i {
                        Item::Step(s) => Some(s.id.text.clone()),
                        Item::Gate(_) => None,
                    })
                    .unwrap_or_default();
                items.push(ItemDoc::Gate {
                    message: format!(
                        "{}{}{}",
                        trace.text(&gate.message),
                        only_if(gate.condition.as_ref()),
                        always_asked(gate.always)
                    ),
                    before,
                });
            }
            Item::Step(step) => {
                number += 1;
                let traced = trace.steps.get(&step.id.text).cloned().unwrap_or_default();
                items.push(ItemDoc::Step(Box::new(step_doc(
                    step, number, &anchor, trace, &traced, targets,
                ))));
            }
        }
    }
    let steps: Vec<&Step> = procedure.steps().collect();
    ProcedureDoc {
        id: procedure.id.text.clone(),
        title: procedure.title().to_string(),
        description: procedure.description.clone(),
        default: procedure.is_default,
        target: procedure.target.as_ref().map(|t| target_doc(t, targets)),
        values: procedure.values.iter().map(ValueRow::of).collect(),
        guards,
        steps: steps.len(),
        confirmations: items
            .iter()
            .filter(|i| matches!(i, ItemDoc::Gate { .. }))
            .count()
            + steps.iter().filter(|s| s.confirm.is_some()).count(),
        rollbacks: steps.iter().filter(|s| s.rollback.is_some()).count(),
        items,
        finally: trace.finally.as_ref().map(body_doc),
        diagram: Flow {
            procedure,
            runbook_guards,
            hosts: &|name| targets.get(name).cloned().unwrap_or_default(),
            anchor: Some(&|step| format!("{anchor}-{step}")),
            text: &|written| trace.text(written),
        }
        .mermaid(),
        anchor,
    }
}

fn step_doc(
    step: &Step,
    number: usize,
    procedure_anchor: &str,
    procedure_trace: &ProcedureTrace,
    traced: &StepTrace,
    targets: &BTreeMap<String, Vec<String>>,
) -> StepDoc {
    StepDoc {
        number,
        id: step.id.text.clone(),
        // As a run would show them: `${name}` references filled in by the trace.
        title: procedure_trace.text(step.title()),
        anchor: format!("{procedure_anchor}-{}", step.id.text),
        target: step.target.as_ref().map(|t| target_doc(t, targets)),
        retry: step.retry.map(|r| {
            let times = if r.times == 1 {
                "once".to_string()
            } else {
                format!("{} times", r.times)
            };
            let mut text = format!("{times}, every {}", duration::format(r.delay));
            if (r.backoff - 1.0).abs() > f64::EPSILON {
                text.push_str(&format!(", backoff ×{}", r.backoff));
            }
            text
        }),
        timeout: step.timeout.map(duration::format),
        when: step.when.as_ref().map(|w| one_line(&w.code)),
        confirm: step.confirm.as_deref().map(|c| {
            format!(
                "{}{}{}",
                procedure_trace.text(c),
                only_if(step.confirm_if.as_ref()),
                always_asked(step.confirm_always)
            )
        }),
        body: body_doc(&traced.body),
        rollback: traced.rollback.as_ref().map(body_doc),
        rollback_always: step.rollback_always,
        rollback_none: step.rollback_none.clone(),
        optional: step.optional,
    }
}

/// What a page adds to a `confirm always`.
fn always_asked(always: bool) -> &'static str {
    if always {
        " (always asked: no --yes or --confirm answers it)"
    } else {
        ""
    }
}

/// Code on one line, its runs of blanks squeezed.
pub(super) fn one_line(code: &str) -> String {
    code.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Groups a body's actions into blocks: one per run of consecutive actions on one target in
/// one language.
pub fn body_doc(body: &TracedBody) -> BodyDoc {
    let mut blocks: Vec<CommandBlock> = Vec::new();
    for action in &body.actions {
        let lang = language(action);
        let line = command_line(action, lang);
        match blocks.last_mut() {
            Some(block) if block.target == action.target && block.lang == lang => {
                block.lines.push(line);
            }
            _ => blocks.push(CommandBlock {
                target: action.target.clone(),
                lang: lang.into(),
                lines: vec![line],
            }),
        }
    }
    BodyDoc {
        blocks,
        asks: body.asks.clone(),
        warnings: body.warnings.clone(),
        stopped: body.stopped.clone(),
        stopped_on_unknown: body.stopped_on_unknown,
    }
}

/// Primitives whose command is a shell command line, as it would be typed.
const SHELL: &[&str] = &["sh", "run", "remote_exists"];
/// Primitives whose command is SQL.
const SQL: &[&str] = &["query", "query_one", "scalar", "execute", "transaction"];

fn language(action: &PlannedAction) -> &'static str {
    if SQL.contains(&action.primitive.as_str()) {
        "sql"
    } else {
        "sh"
    }
}

/// A shell command as is; any other action as a comment naming its primitive.
fn command_line(action: &PlannedAction, lang: &str) -> String {
    if SHELL.contains(&action.primitive.as_str()) || lang == "sql" {
        return action.command.clone();
    }
    let comment = if lang == "sql" { "--" } else { "#" };
    let command = action.command.replace('\n', " ");
    if command.starts_with(&action.primitive) {
        format!("{comment} {command}")
    } else {
        format!("{comment} {}: {command}", action.primitive)
    }
}

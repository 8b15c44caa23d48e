//! Plans (`engine::plan`) rendered as text for a terminal, Markdown for a pull request
//! (`templates/plan.md.j2`) or JSON for tools.

use crate::context::event::{Effect, GuardStatus};
use crate::context::run_context::unknown_parts;
use crate::engine::plan::{Plan, PlannedAction, PlannedItem, StepOutlook};
use crate::output::action_line;
use crate::output::style::Style;
use crate::output::titled::titled;

fn action_line(action: &PlannedAction, style: Style) -> String {
    action_line::action_line(
        action.effect,
        &action.target,
        &action.command,
        action.reason.as_deref(),
        style,
    )
}

/// The summary line: what a reviewer sees first.
fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let stopped = if s.stopped == 0 {
        String::new()
    } else {
        format!(
            ", {} on a value only a real run knows",
            plural(s.stopped, "step stops", "steps stop")
        )
    };
    format!(
        "{}, {}, {}, {}, {}, {}{stopped} · targets: {}",
        plural(s.steps, "step", "steps"),
        plural(s.changes, "change", "changes"),
        plural(s.reads, "read", "reads"),
        plural(s.might, "might change", "might change"),
        plural(s.confirmations, "confirmation", "confirmations"),
        plural(s.rollbacks, "rollback", "rollbacks"),
        if s.targets.is_empty() {
            "none".into()
        } else {
            s.targets.join(", ")
        }
    )
}

pub fn render_text(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "{} {} › {}{}",
        style.bold("Plan"),
        plan.runbook,
        plan.procedure,
        titled(&plan.procedure, &plan.title)
    ));
    line(format!("{} {}", style.dim("file:"), plan.file));
    if !plan.params.is_empty() {
        let params: Vec<String> = plan
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        line(format!("{} {}", style.dim("params:"), params.join(", ")));
    }
    line(format!("{} {}", style.dim("summary:"), summary_line(plan)));
    if !plan.guards.is_empty() {
        line(String::new());
        line(style.bold("Guards"));
        for guard in &plan.guards {
            let status = match guard.status {
                GuardStatus::Passed => style.green("✓ passes"),
                GuardStatus::Failed => style.red("✗ FAILS"),
                GuardStatus::Unknown => style.yellow("? checked at run time"),
            };
            let why = guard
                .message
                .as_ref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            line(format!("  {} — {status}{why}", guard.title));
            for action in &guard.actions {
                line(format!("      {}", action_line(action, style)));
            }
        }
    }
    line(String::new());
    line(style.bold("Steps"));
    for item in &plan.items {
        match item {
            PlannedItem::Confirmation { id, message } => {
                line(format!(
                    "  {} confirm before `{id}`: {message}",
                    style.yellow("?")
                ));
            }
            PlannedItem::Step(step) => {
                let attrs = if step.attributes.is_empty() {
                    String::new()
                } else {
                    style.dim(&format!("  [{}]", step.attributes.join(", ")))
                };
                line(format!(
                    "  {}. {}{}{attrs}",
                    step.number,
                    style.bold(&step.id),
                    titled(&step.id, &step.title)
                ));
                for note in &step.notes {
                    line(format!("      {} {note}", style.dim("·")));
                }
                if step.actions.is_empty() && matches!(step.outlook, StepOutlook::WillRun) {
                    line(format!("      {}", style.dim("(no command)")));
                }
                for action in &step.actions {
                    line(format!("      {}", action_line(action, style)));
                }
                match &step.rollback {
                    Some(actions) if actions.is_empty() => line(format!(
                        "      {} {}",
                        style.dim("rollback:"),
                        style.dim("(no command)")
                    )),
                    Some(actions) => {
                        line(format!("      {}", style.dim("rollback:")));
                        for action in actions {
                            line(format!("        {}", action_line(action, style)));
                        }
                    }
                    None => {}
                }
            }
        }
    }
    if let Some(actions) = &plan.finally {
        line(String::new());
        line(style.bold("Finally"));
        for action in actions {
            line(format!("      {}", action_line(action, style)));
        }
    }
    out
}

/// The plan for a pull request; `diagram` is the procedure's Mermaid flow.
pub fn render_markdown(plan: &Plan, diagram: &str) -> String {
    let mut env = minijinja::Environment::new();
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.add_filter("cell", |text: String| text.replace('|', "\\|"));
    env.add_function("titled", |id: String, title: String| titled(&id, &title));
    env.add_filter("count", |n: usize, noun: String| {
        if n == 1 {
            format!("1 {noun}")
        } else {
            format!("{n} {noun}s")
        }
    });
    env.add_filter("effect", |e: String| match e.as_str() {
        "change" => "🟠 change".to_string(),
        "read" => "🟢 read".to_string(),
        "might" => "🔵 might".to_string(),
        other => other.to_string(),
    });
    let rendered = env
        .template_from_str(include_str!("templates/plan.md.j2"))
        .and_then(|t| {
            t.render(minijinja::context! {
                plan => minijinja::Value::from(minijinja::value::Serde(plan)),
                diagram => diagram,
                might => minijinja::Value::from(minijinja::value::Serde(might_explained(plan))),
            })
        });
    rendered.unwrap_or_else(|e| format!("cannot render the plan: {e}\n"))
}

/// Every "might change" action of the steps, with what it is waiting for in words.
fn might_explained(plan: &Plan) -> Vec<serde_json::Value> {
    let mut list = Vec::new();
    for item in &plan.items {
        let PlannedItem::Step(step) = item else {
            continue;
        };
        for action in step.actions.iter().filter(|a| a.effect == Effect::Might) {
            let why: Vec<String> = unknown_parts(&action.command)
                .iter()
                .map(|part| explain_unknown(part))
                .collect();
            list.push(serde_json::json!({
                "step": step.id,
                "command": action.command,
                "why": format!("built from {}", why.join(" and ")),
            }));
        }
    }
    list
}

pub fn render_json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).unwrap_or_default() + "\n"
}

/// What a `⟨…⟩` placeholder stands for, in words.
fn explain_unknown(part: &str) -> String {
    let inner = part
        .trim_start_matches(crate::context::run_context::UNKNOWN_OPEN)
        .trim_end_matches(crate::context::run_context::UNKNOWN_CLOSE);
    if let Some(command) = inner.strip_prefix("output of ") {
        format!("the output of `{command}`, which only a real run reads")
    } else if let Some(name) = inner.strip_prefix("secret ") {
        format!("the secret `{name}`, which this plan was not given")
    } else if let Some(request) = inner.strip_prefix("response of ") {
        format!("the response of `{request}`")
    } else if let Some(what) = inner.strip_prefix("result of ") {
        format!("the result of a `{what}` on the database")
    } else {
        format!("`{part}`, known only at run time")
    }
}

//! Asking the operator from inside a body: `confirm(message)` and `choose(prompt, options)`.

use super::{Outcome, error};
use crate::context::event::{Answer, AnsweredBy, Event};
use crate::context::run_context::RunContext;
use crate::diagnostic::error_kind::ErrorKind;
use rhai::{Array, Dynamic, Engine};
use std::sync::Arc;

pub fn register(engine: &mut Engine, ctx: &Arc<RunContext>) {
    let c = Arc::clone(ctx);
    engine.register_fn("confirm", move |message: &str| confirm(&c, message));
    let c = Arc::clone(ctx);
    engine.register_fn("choose", move |prompt: &str, options: Array| {
        choose(&c, prompt, options)
    });
}

/// Asks; a refusal stops the run as declined (exit 3) after its rollbacks.
fn confirm(ctx: &RunContext, message: &str) -> Outcome<bool> {
    let id = ctx.cursor().step.unwrap_or_default();
    if ctx.confirm(&id, message, Vec::new()) {
        Ok(true)
    } else {
        ctx.mark_declined();
        error(ErrorKind::Declined, format!("declined: {message}"))
    }
}

fn choose(ctx: &RunContext, prompt: &str, options: Array) -> Outcome<Dynamic> {
    let labels: Vec<String> = options.iter().map(ToString::to_string).collect();
    if labels.is_empty() {
        return error(
            ErrorKind::Script,
            format!("choose: nothing to choose from for “{prompt}”"),
        );
    }
    let id = ctx.cursor().step.unwrap_or_default();
    ctx.emit(&Event::ConfirmationAsked {
        id: id.clone(),
        message: format!("{prompt} ({})", labels.join(" | ")),
        next: Vec::new(),
    });
    let picked = if ctx.is_dry_run() {
        Some(0)
    } else {
        ctx.gate
            .prompter
            .as_ref()
            .and_then(|p| p.choose(prompt, &labels, &ctx.stop))
    };
    let by = match (ctx.is_dry_run(), &ctx.gate.prompter) {
        (true, _) => AnsweredBy::DryRun,
        (false, Some(_)) => AnsweredBy::Operator,
        (false, None) => AnsweredBy::NoTerminal,
    };
    let answer = if picked.is_some() {
        Answer::Yes
    } else {
        Answer::No
    };
    ctx.emit(&Event::ConfirmationAnswered { id, answer, by });
    match picked {
        Some(index) => Ok(options[index].clone()),
        None => {
            ctx.mark_declined();
            error(
                ErrorKind::Declined,
                format!("declined: nothing chosen for “{prompt}”"),
            )
        }
    }
}

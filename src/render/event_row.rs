//! One journaled event in words, for the table under a run's timeline: its name, the lane it
//! belongs to, its step, and what it says.

use crate::context::event::Event;
use crate::context::unknown_value::STOP_SENTENCE;
use crate::output::action_line::action_line;
use crate::output::left_out::left_out;
use crate::output::style::Style;
use crate::output::titled::titled;

/// What a row shows of an event.
pub struct Described {
    pub event: &'static str,
    /// A host, or `local`.
    pub lane: String,
    pub step: Option<String>,
    pub text: String,
}

#[allow(
    clippy::too_many_lines,
    reason = "one short arm per kind of event, each its row on the timeline: the match is the table of rows"
)]
pub fn describe(event: &Event, local: &str) -> Described {
    let here = || local.to_string();
    let (name, lane, step, text): (&'static str, String, Option<String>, String) = match event {
        Event::RunStarted {
            runbook,
            procedure,
            title,
            steps,
            ..
        } => (
            "run_started",
            here(),
            None,
            format!(
                "{runbook} › {procedure}{} ({steps} steps)",
                titled(procedure, title)
            ),
        ),
        Event::GuardChecked {
            title,
            status,
            message,
            ..
        } => (
            "guard_checked",
            here(),
            None,
            with(format!("{title}: {status:?}").to_lowercase(), message),
        ),
        Event::StepStarted {
            step,
            title,
            index,
            total,
            attempt,
            attempts,
            ..
        } => {
            let attempt = if *attempts > 1 {
                format!(", attempt {attempt} of {attempts}")
            } else {
                String::new()
            };
            (
                "step_started",
                here(),
                Some(step.clone()),
                format!("{index}/{total} {title}{attempt}"),
            )
        }
        Event::Output {
            step,
            host,
            stream,
            line,
        } => (
            if matches!(stream, crate::context::event::Stream::Stderr) {
                "stderr"
            } else {
                "stdout"
            },
            host.clone().unwrap_or_else(here),
            step.clone(),
            line.clone(),
        ),
        Event::OutputLeftOut {
            step,
            host,
            lines,
            bytes,
        } => (
            "output_left_out",
            host.clone().unwrap_or_else(here),
            step.clone(),
            left_out(*lines, *bytes),
        ),
        // Worded as the plan and the live view word it.
        Event::Action {
            step,
            target,
            command,
            effect,
            reason,
            ..
        } => (
            "action",
            here(),
            step.clone(),
            action_line(
                *effect,
                target,
                command,
                reason.as_deref(),
                Style { colour: false },
            ),
        ),
        Event::Log { step, message, .. } => ("log", here(), step.clone(), message.clone()),
        Event::Published {
            step,
            host,
            name,
            value,
            ..
        } => (
            "published",
            host.clone().unwrap_or_else(here),
            Some(step.clone()),
            format!("{name} = {value}"),
        ),
        Event::StepFinished { step, duration_ms } => (
            "step_finished",
            here(),
            Some(step.clone()),
            format!("in {}", duration(*duration_ms)),
        ),
        Event::StepSkipped { step, reason, .. } => {
            ("step_skipped", here(), Some(step.clone()), reason.clone())
        }
        Event::StepRetrying {
            step,
            attempt,
            error,
            delay_ms,
            ..
        } => (
            "step_retrying",
            here(),
            Some(step.clone()),
            format!(
                "attempt {attempt} failed: {error}; next in {}",
                duration(*delay_ms)
            ),
        ),
        Event::StepFailed {
            step,
            error,
            location,
            ..
        } => (
            "step_failed",
            here(),
            Some(step.clone()),
            with(error.clone(), &location.as_ref().map(ToString::to_string)),
        ),
        Event::StepStopped {
            step,
            host,
            origin,
            location,
            ..
        } => (
            "step_stopped",
            host.clone().unwrap_or_else(here),
            Some(step.clone()),
            with(
                format!("{STOP_SENTENCE}{origin}"),
                &location.as_ref().map(ToString::to_string),
            ),
        ),
        Event::ConfirmationAsked { id, message, .. } => (
            "confirmation_asked",
            here(),
            (!id.is_empty()).then(|| id.clone()),
            message.clone(),
        ),
        Event::ConfirmationAnswered { id, answer, by } => (
            "confirmation_answered",
            here(),
            (!id.is_empty()).then(|| id.clone()),
            format!("{answer:?} ({by:?})").to_lowercase(),
        ),
        Event::HostFinished {
            step,
            phase,
            host,
            ok,
            error,
            duration_ms,
            ..
        } => (
            "host_finished",
            host.clone(),
            step.clone(),
            with(
                format!(
                    "{phase:?} {} in {}",
                    if *ok { "ok" } else { "failed" },
                    duration(*duration_ms)
                )
                .to_lowercase(),
                error,
            ),
        ),
        Event::RollbackOwed { step, hosts } => (
            "rollback_owed",
            here(),
            Some(step.clone()),
            if hosts.is_empty() {
                "owed from now on".into()
            } else {
                format!("owed from now on, on {}", hosts.join(", "))
            },
        ),
        Event::RollbackStarted { step, title, host } => (
            "rollback_started",
            host.clone().unwrap_or_else(here),
            Some(step.clone()),
            title.clone(),
        ),
        Event::RollbackFinished {
            step,
            host,
            ok,
            error,
            ..
        } => (
            "rollback_finished",
            host.clone().unwrap_or_else(here),
            Some(step.clone()),
            with(if *ok { "ok" } else { "failed" }.into(), error),
        ),
        Event::FinallyFinished { ok, error, .. } => (
            "finally_finished",
            here(),
            None,
            with(if *ok { "ok" } else { "failed" }.into(), error),
        ),
        Event::RunFinished {
            status,
            exit_code,
            duration_ms,
            steps_done,
            rolled_back,
            rollbacks_failed,
        } => (
            "run_finished",
            here(),
            None,
            format!(
                "{status:?}, exit {exit_code}, in {}: {steps_done} steps done, {rolled_back} rolled back{}",
                duration(*duration_ms),
                if *rollbacks_failed > 0 {
                    format!(", {rollbacks_failed} rollback(s) failed")
                } else {
                    String::new()
                }
            )
            .to_lowercase(),
        ),
    };
    Described {
        event: name,
        lane,
        step,
        text,
    }
}

fn with(text: String, more: &Option<String>) -> String {
    match more {
        Some(m) => format!("{text}: {m}"),
        None => text,
    }
}

/// `350 ms`, `4.2 s`, `3 min 5 s`.
pub fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

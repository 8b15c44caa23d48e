//! Conditions: guards (before any step) and a step's `when`. Both are evaluated on every slot
//! of their place, whatever the others answer, and read as true, false or unknown (a dry-run
//! that met a value only a real run knows).

use super::place::{Moment, Place};
use super::{Ending, Runner};
use crate::context::event::{Event, GuardStatus, Level, Phase};
use crate::context::unknown_value::Unknown;
use crate::diagnostic::error_kind::ErrorKind;
use crate::engine::evaluator::{Failure, Slot};
use crate::engine::let_values::{self, Computed};
use crate::language::ast::{Body, Guard, Procedure, Step};

/// What a condition answered on one slot.
enum Answer {
    True,
    False,
    /// A dry-run cannot tell: the condition decided on the value only a real run knows,
    /// `⟨…⟩`.
    Unknown(String),
    NotBool(&'static str),
    Failed(Failure),
}

impl Runner<'_> {
    /// Evaluates a condition on every slot of `place`.
    fn condition(&self, body: &Body, at: Moment<'_>, place: &Place) -> Vec<(Slot, Answer)> {
        let spread = self.on(body, at, &place.slots, place.every_slot(), None);
        let unknown = self.ctx.take_unknown_used();
        let last = self.ctx.last_unknown();
        let done = spread.done.into_iter().map(|(slot, value)| {
            // A condition that only hands back a published unknown value (`when { stack_down }`)
            // decided nothing on it itself: it is unknown all the same.
            let handed = value.read_lock::<Unknown>().map(|u| u.origin.clone());
            let answer = match (value.as_bool(), handed) {
                _ if unknown => Answer::Unknown(last.clone()),
                (_, Some(origin)) => Answer::Unknown(origin),
                (Ok(true), None) => Answer::True,
                (Ok(false), None) => Answer::False,
                (Err(kind), None) => Answer::NotBool(kind),
            };
            (slot, answer)
        });
        let failed = spread.failed.into_iter().map(|(slot, f)| {
            let answer = if f.from_unknown {
                Answer::Unknown(f.unknown.map_or_else(|| last.clone(), String::from))
            } else {
                Answer::Failed(f)
            };
            (slot, answer)
        });
        done.chain(failed).collect()
    }

    /// Computes the procedure's `let` values, before its guards. A value whose expression ran
    /// a command is reported like a guard, with its commands; one that fails as a failed guard
    /// (nothing runs), and it is unknown for the rest of a plan.
    pub(super) fn values(&self, procedure: &Procedure) -> bool {
        let mut all_ok = true;
        for Computed {
            name,
            acted,
            failure,
        } in let_values::compute(&self.evaluator(), self.runbook, procedure)
        {
            if failure.is_none() && !acted {
                continue;
            }
            all_ok &= failure.is_none();
            self.ctx.emit(&Event::GuardChecked {
                title: format!("value `{name}`"),
                status: if failure.is_some() {
                    GuardStatus::Failed
                } else {
                    GuardStatus::Passed
                },
                message: failure.as_ref().map(Failure::describe),
                error_kind: failure.as_ref().map(|f| f.kind),
            });
        }
        all_ok
    }

    /// Evaluates every guard (on each slot of `place`), reporting each; true when none failed.
    pub(super) fn guards<'g>(
        &self,
        guards: impl Iterator<Item = &'g Guard>,
        place: &Place,
    ) -> bool {
        let mut all_ok = true;
        for guard in guards {
            let mut status = GuardStatus::Passed;
            let mut messages = Vec::new();
            let mut error_kind = None;
            for (slot, answer) in
                self.condition(&guard.body, Moment::new(None, Phase::Guard), place)
            {
                let on = slot.prefix();
                let (this, message) = match answer {
                    Answer::Unknown(origin) => (
                        GuardStatus::Unknown,
                        Some(format!("{on}decided on {origin}")),
                    ),
                    Answer::True => (GuardStatus::Passed, None),
                    Answer::False => (
                        GuardStatus::Failed,
                        (!on.is_empty()).then(|| format!("{on}false")),
                    ),
                    Answer::NotBool(kind) => {
                        error_kind = error_kind.or(Some(ErrorKind::Script));
                        (
                            GuardStatus::Failed,
                            Some(format!("{on}a guard must end in true or false, not {kind}")),
                        )
                    }
                    Answer::Failed(f) => {
                        error_kind = error_kind.or(Some(f.kind));
                        (GuardStatus::Failed, Some(format!("{on}{}", f.describe())))
                    }
                };
                // Failed beats unknown, which beats passed.
                if status != GuardStatus::Failed && this != GuardStatus::Passed {
                    status = this;
                }
                messages.extend(message);
            }
            all_ok &= status != GuardStatus::Failed;
            self.ctx.emit(&Event::GuardChecked {
                title: self.message(&guard.title),
                status,
                message: (!messages.is_empty()).then(|| messages.join("; ")),
                // A guard that is false is a check that did not hold.
                error_kind: (status == GuardStatus::Failed)
                    .then(|| error_kind.unwrap_or(ErrorKind::Assertion)),
            });
        }
        all_ok
    }

    /// Whether a confirmation with `if { … }` is asked: where its condition holds on some slot
    /// of `place`, or cannot be known before a run. `step` is the step it guards (its own, or
    /// the one after a gate), which a failing condition fails.
    pub(super) fn asks(
        &self,
        condition: &Body,
        step: &Step,
        place: &Place,
    ) -> Result<bool, Ending> {
        let id = step.id.text.as_str();
        let code = condition.code.trim();
        let mut asked = false;
        let mut unknown = None;
        for (slot, answer) in self.condition(condition, Moment::new(Some(id), Phase::When), place) {
            let on = slot.prefix();
            match answer {
                Answer::True => asked = true,
                Answer::False => {}
                Answer::Unknown(origin) => {
                    asked = true;
                    unknown.get_or_insert(origin);
                }
                Answer::NotBool(kind) => {
                    return self.fail(
                        step,
                        &format!("{on}`confirm … if` must be true or false, not {kind}"),
                        None,
                        ErrorKind::Script,
                    );
                }
                Answer::Failed(f) => {
                    return self.fail(
                        step,
                        &format!("{on}`confirm … if` failed: {}", f.message),
                        f.location,
                        f.kind,
                    );
                }
            }
        }
        if let Some(origin) = unknown {
            self.ctx.log(
                Level::Info,
                format!("asks only if `{code}`: unknown until a real run (decided on {origin})"),
            );
        } else if !asked {
            self.ctx.log(
                Level::Info,
                format!("not asked: `if {{ {code} }}` is false"),
            );
        }
        Ok(asked)
    }

    /// Evaluates a step's `when` on each slot: the slots where the step runs.
    pub(super) fn when(
        &self,
        step: &Step,
        when: &Body,
        place: &Place,
    ) -> Result<Vec<Slot>, Ending> {
        let id = step.id.text.as_str();
        let condition = when.code.trim();
        let mut answers = self.condition(when, Moment::new(Some(id), Phase::When), place);
        // A failure is told first, whatever the other slots answered.
        if let Some(at) = answers
            .iter()
            .position(|(_, a)| matches!(a, Answer::Failed(_)))
            && let (slot, Answer::Failed(f)) = answers.swap_remove(at)
        {
            let on = slot.prefix();
            return self.fail(
                step,
                &format!("{on}`when` failed: {}", f.message),
                f.location,
                f.kind,
            );
        }
        let mut chosen = Vec::new();
        let mut unknown = None;
        for (slot, answer) in answers {
            let on = slot.prefix();
            match answer {
                Answer::True => chosen.push(slot),
                Answer::Unknown(origin) => {
                    unknown.get_or_insert(origin);
                    chosen.push(slot);
                }
                Answer::False => {
                    if let Slot::Host(host) = &slot {
                        self.ctx.log(
                            Level::Info,
                            format!("{host}: skipped, `when {{ {condition} }}` is false"),
                        );
                    }
                }
                Answer::NotBool(kind) => {
                    return self.fail(
                        step,
                        &format!("{on}`when` must be true or false, not {kind}"),
                        None,
                        ErrorKind::Script,
                    );
                }
                Answer::Failed(_) => {}
            }
        }
        if let Some(origin) = unknown {
            self.ctx.log(
                Level::Info,
                format!(
                    "runs only if `{condition}`: unknown until a real run (checked at run time, decided on {origin})"
                ),
            );
        }
        Ok(chosen)
    }
}

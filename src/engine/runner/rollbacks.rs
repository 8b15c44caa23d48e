//! Rollbacks: previewed in a dry-run where the step would complete, run newest first when the
//! procedure does not complete, each on the slots it is owed on and under the fan-out policy
//! its step ran with. Every slot is rolled back, whatever happens on the others.

use super::Runner;
use super::place::{Moment, Place};
use crate::context::event::{Event, Level, Phase};
use crate::diagnostic::error_kind::ErrorKind;
use crate::engine::evaluator::{Failure, Slot};
use crate::engine::rollback_stack::{Owed, RollbackStack};
use crate::language::ast::{Procedure, Step};
use rhai::Dynamic;

/// How the owed rollbacks went.
#[derive(Default)]
pub(super) struct Undone {
    /// Rollbacks that ran to their end on every slot they were owed on.
    pub rolled_back: usize,
    /// Rollbacks that failed (or were not run) on at least one slot: still owed.
    pub failed: usize,
}

impl Runner<'_> {
    /// The rollbacks an earlier run of `procedure` still owes (`Start::owed`).
    pub(super) fn owed_before<'p>(&self, procedure: &'p Procedure) -> RollbackStack<'p> {
        let mut stack = RollbackStack::default();
        for (id, hosts) in &self.start.owed {
            if let Some(step) = procedure.steps().find(|s| &s.id.text == id) {
                let target = step.target.as_ref().or(procedure.target.as_ref());
                stack.register(step, self.owed_place(target, hosts));
            }
        }
        stack
    }

    /// Runs every owed rollback, newest first.
    pub(super) fn undo(&self, stack: &mut RollbackStack<'_>) -> Undone {
        self.ctx.stop.begin_rollbacks();
        let mut undone = Undone::default();
        for owed in stack.drain_newest_first() {
            if self.rollback(&owed) {
                undone.rolled_back += 1;
            } else {
                undone.failed += 1;
            }
        }
        undone
    }

    /// Shows, in a dry-run, what a step's rollback would do where it would be owed.
    pub(super) fn preview(&self, step: &Step, place: &Place) {
        let Some(rollback) = &step.rollback else {
            return;
        };
        let id = step.id.text.as_str();
        let at = Moment::new(Some(id), Phase::Rollback);
        let spread = self.on(rollback, at, &place.slots, place.every_slot(), None);
        for (slot, f) in spread.failed {
            if f.from_unknown {
                self.stopped(step, &slot, f, true);
            } else {
                self.ctx.log(
                    Level::Warn,
                    format!("the rollback of `{id}` would fail: {}", f.describe()),
                );
            }
        }
    }

    /// Runs one owed rollback on every slot it is owed on; false when it failed on one.
    fn rollback(&self, owed: &Owed<'_>) -> bool {
        let step = owed.step;
        let Some(body) = &step.rollback else {
            return true;
        };
        let id = step.id.text.as_str();
        if self.ctx.stop.rollbacks_abandoned() {
            for slot in &owed.place.slots {
                self.ctx.emit(&Event::RollbackFinished {
                    step: id.into(),
                    host: slot.host().map(str::to_string),
                    ok: false,
                    error: Some(
                        "not run: stopped by the operator; still owed (`runbook rollback RUN`)"
                            .into(),
                    ),
                    error_kind: Some(ErrorKind::Interrupted),
                    location: None,
                });
            }
            return false;
        }
        let report = |slot: &Slot, result: Option<&Result<Dynamic, Failure>>| {
            let host = slot.host().map(str::to_string);
            let event = match result {
                None => Event::RollbackStarted {
                    step: id.into(),
                    title: self.message(step.title()),
                    host,
                },
                Some(result) => {
                    let failure = result.as_ref().err();
                    Event::RollbackFinished {
                        step: id.into(),
                        host,
                        ok: failure.is_none(),
                        error: failure.map(|f| f.message.clone()),
                        error_kind: failure.map(|f| f.kind),
                        location: failure.and_then(|f| f.location.clone()),
                    }
                }
            };
            self.ctx.emit(&event);
        };
        let at = Moment::new(Some(id), Phase::Rollback).limited(step.timeout);
        let place = &owed.place;
        let spread = self.on(body, at, &place.slots, place.every_slot(), Some(&report));
        spread.failed.is_empty()
    }
}

//! The attempts of a step on its place: each attempt runs where the previous one failed (or did
//! not start), waiting between attempts as `retry` says; what the fan-out policy tolerates
//! leaves the failed hosts out of the rest of the run. The step's rollback is owed where it
//! completed (and, with `rollback always`, where it failed).

use super::failure::summary;
use super::place::{Moment, Place};
use super::{Ending, Runner, millis, plural};
use crate::context::event::{Event, Level, Phase};
use crate::context::host_list::host_list;
use crate::context::stop_signal::StopReason;
use crate::diagnostic::error_kind::ErrorKind;
use crate::engine::evaluator::{Failure, Slot};
use crate::engine::rollback_stack::RollbackStack;
use crate::engine::run_values::publish_unknown;
use crate::language::ast::Step;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

impl Runner<'_> {
    /// The attempts of a step on `place`, the `index`th of `total`. `Ok(true)`: it ran; `Err`
    /// ends the procedure.
    pub(super) fn attempts<'p>(
        &self,
        step: &'p Step,
        place: &Place,
        stack: &mut RollbackStack<'p>,
        (index, total): (usize, usize),
    ) -> Result<bool, Ending> {
        let id = step.id.text.as_str();
        let attempts = step.retry.map_or(1, |r| r.times.saturating_add(1));
        let mut delay = step.retry.map_or(Duration::ZERO, |r| r.delay);
        let mut pending = place.slots.clone();
        let mut done: Vec<Slot> = Vec::new();
        let moment = Moment::new(Some(id), Phase::Body).limited(step.timeout);
        for attempt in 1..=attempts {
            self.ctx.emit(&Event::StepStarted {
                step: id.to_string(),
                title: self.message(step.title()),
                index,
                total,
                attempt,
                attempts,
                hosts: pending.iter().filter(|slot| slot.host().is_some()).count(),
            });
            let started = Instant::now();
            let spread = self.on(&step.body, moment, &pending, place.policy, None);
            done.extend(spread.done_places());
            let (unknown, failed): (Vec<_>, Vec<_>) = spread
                .failed
                .into_iter()
                .partition(|(_, f)| self.ctx.is_dry_run() && f.from_unknown);
            for (slot, f) in unknown {
                self.stopped(step, &slot, f, false);
                if let Some(ast) = self.compiled.get(&step.body) {
                    publish_unknown(self.ctx, ast, slot.host());
                }
                done.push(slot);
            }
            let owing =
                |done: Vec<Slot>, failed: &[(Slot, Failure)]| place.with(owing(step, done, failed));
            if let Some(ending) = failed.iter().find_map(|(_, f)| self.stopping(step, f)) {
                stack.register(step, owing(done, &failed));
                return Err(ending);
            }
            if failed.is_empty() && spread.not_run.is_empty() {
                self.finished(step, started);
                let done = place.with(done);
                if self.ctx.is_dry_run() {
                    self.preview(step, &done);
                }
                stack.register(step, done);
                return Ok(true);
            }
            let summary = summary(&failed);
            // Slots left not started, and none failed: the run was stopped.
            let kind = failed
                .first()
                .map_or(ErrorKind::Interrupted, |(_, f)| f.kind);
            if attempt < attempts && !self.ctx.is_dry_run() {
                pending = failed.iter().map(|(slot, _)| slot.clone()).collect();
                pending.extend(spread.not_run);
                if let Err(ending) = self.retrying(step, attempt, summary, kind, &mut delay) {
                    stack.register(step, owing(done, &failed));
                    return Err(ending);
                }
                continue;
            }
            let exceeded = !spread.not_run.is_empty()
                || place.policy.exceeded(failed.len(), place.slots.len());
            if !exceeded {
                let mut down = self.down.lock().unwrap_or_else(PoisonError::into_inner);
                down.extend(
                    failed
                        .iter()
                        .filter_map(|(s, _)| s.host().map(str::to_string)),
                );
                drop(down);
                self.ctx.log(
                    Level::Warn,
                    format!(
                        "tolerated: {summary}; {} left out of the remaining steps",
                        plural(failed.len(), "host")
                    ),
                );
                self.finished(step, started);
                let owed = owing(done, &failed);
                self.preview_owed(step, &owed);
                stack.register(step, owed);
                return Ok(true);
            }
            let owed = owing(done, &failed);
            stack.register(step, owed.clone());
            let location = failed.first().and_then(|(_, f)| f.location.clone());
            let not_run: Vec<String> = spread.not_run.iter().map(Slot::to_string).collect();
            let message = if not_run.is_empty() {
                summary
            } else {
                format!("{summary} (not started on {})", host_list(&not_run))
            };
            let ending = self.fail(step, &message, location, kind);
            self.preview_owed(step, &owed);
            return ending;
        }
        Ok(true)
    }

    /// In a dry-run, previews the rollback a step that would fail (or be tolerated) still owes
    /// where it completed: the run would run it there.
    fn preview_owed(&self, step: &Step, owed: &Place) {
        if self.ctx.is_dry_run() && !owed.slots.is_empty() {
            self.preview(step, owed);
        }
    }

    /// Records that the plan of `step` (or of its rollback) on `slot` stopped at a decision on
    /// a value only a real run knows, as `failure` tells.
    pub(super) fn stopped(&self, step: &Step, slot: &Slot, failure: Failure, rollback: bool) {
        let Some(origin) = failure.unknown else {
            let what = if rollback { "rollback " } else { "" };
            self.ctx.log(
                Level::Warn,
                format!(
                    "{}{what}planned up to an unknown value: {}",
                    slot.prefix(),
                    failure.message
                ),
            );
            return;
        };
        self.ctx.emit(&Event::StepStopped {
            step: step.id.text.clone(),
            host: slot.host().map(str::to_string),
            origin: origin.into(),
            location: failure.location,
            rollback,
        });
    }

    fn finished(&self, step: &Step, started: Instant) {
        self.ctx.emit(&Event::StepFinished {
            step: step.id.text.clone(),
            duration_ms: millis(started.elapsed()),
        });
    }

    /// Reports a failed attempt and waits before the next.
    fn retrying(
        &self,
        step: &Step,
        attempt: u32,
        error: String,
        kind: ErrorKind,
        delay: &mut Duration,
    ) -> Result<(), Ending> {
        self.ctx.emit(&Event::StepRetrying {
            step: step.id.text.clone(),
            attempt,
            error,
            error_kind: Some(kind),
            delay_ms: millis(*delay),
        });
        if self.pause(*delay).is_err() {
            return Err(Ending::Interrupted);
        }
        let factor = step.retry.map_or(1.0, |r| r.backoff);
        *delay = delay.mul_f64(factor).min(Duration::from_secs(3600));
        Ok(())
    }

    /// Waits between attempts; `Err` when interrupted.
    fn pause(&self, delay: Duration) -> Result<(), StopReason> {
        self.ctx.runtime.block_on(async {
            tokio::select! {
                () = tokio::time::sleep(delay) => Ok(()),
                reason = self.ctx.stop.wait() => Err(reason),
            }
        })
    }
}

/// The slots that owe the step's rollback: where it completed, and with `rollback always` also
/// where it failed.
fn owing(step: &Step, mut done: Vec<Slot>, failed: &[(Slot, Failure)]) -> Vec<Slot> {
    if step.rollback_always {
        done.extend(failed.iter().map(|(slot, _)| slot.clone()));
    }
    done
}

//! Where a body runs: a list of slots (here, or hosts) with the fan-out policy they follow. A
//! single `Here` runs inline; hosts run at most `forks` at once, each on its own thread. Every
//! phase (guards, `when`, attempts, previews, rollbacks, `finally`) goes through [`Runner::on`].

use super::{Runner, millis};
use crate::context::event::{Event, Phase};
use crate::engine::evaluator::{Failure, Slot};
use crate::engine::fan_out::{self, DEFAULT_FORKS, Policy, Spread};
use crate::language::ast::{Body, Target, Tolerance};
use rhai::Dynamic;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

/// The slots a body runs on and how the fan-out over them proceeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub slots: Vec<Slot>,
    pub policy: Policy,
}

impl Place {
    /// This machine.
    pub fn here() -> Self {
        Self {
            slots: vec![Slot::Here],
            policy: Policy {
                forks: 1,
                tolerate: Tolerance::None,
            },
        }
    }

    pub fn is_here(&self) -> bool {
        self.slots == [Slot::Here]
    }

    /// The same policy over other slots.
    pub fn with(&self, slots: Vec<Slot>) -> Self {
        Self {
            slots,
            policy: self.policy,
        }
    }

    /// The host names of the slots (none here).
    pub fn hosts(&self) -> Vec<String> {
        self.slots
            .iter()
            .filter_map(|s| s.host().map(str::to_string))
            .collect()
    }

    /// The same forks, every slot run whatever happens on the others (conditions, rollbacks,
    /// `finally`).
    pub fn every_slot(&self) -> Policy {
        Policy {
            tolerate: Tolerance::All,
            ..self.policy
        }
    }
}

impl Runner<'_> {
    /// Where a body with this target runs; hosts that failed earlier are left out.
    pub(super) fn place(&self, target: Option<&Target>) -> Place {
        let Some((names, policy)) = self.resolve(target) else {
            return Place::here();
        };
        let down = self.down.lock().unwrap_or_else(PoisonError::into_inner);
        let slots = names
            .into_iter()
            .filter(|h| !down.contains(h))
            .map(Slot::Host)
            .collect();
        Place { slots, policy }
    }

    /// Where an owed rollback runs: the hosts it is owed on, with its step's policy.
    pub(super) fn owed_place(&self, target: Option<&Target>, hosts: &[String]) -> Place {
        match self.resolve(target) {
            Some((_, policy)) if !hosts.is_empty() => Place {
                slots: hosts.iter().cloned().map(Slot::Host).collect(),
                policy,
            },
            None if !hosts.is_empty() => Place {
                slots: hosts.iter().cloned().map(Slot::Host).collect(),
                policy: Policy {
                    forks: DEFAULT_FORKS,
                    tolerate: Tolerance::None,
                },
            },
            _ => Place::here(),
        }
    }

    /// The hosts a target stands for and its policy; none: it runs here.
    fn resolve(&self, target: Option<&Target>) -> Option<(Vec<String>, Policy)> {
        let target = target?;
        let hosts = self.ctx.hosts();
        let names = hosts.target(&target.name.text).unwrap_or_default();
        if names.is_empty() {
            return None;
        }
        let forks = target.forks.map_or(DEFAULT_FORKS, |f| {
            usize::try_from(f).unwrap_or(DEFAULT_FORKS)
        });
        Some((
            names.to_vec(),
            Policy {
                forks,
                tolerate: target.tolerate,
            },
        ))
    }

    /// Enters a body: where we are, fresh markers, the time limit.
    pub(super) fn begin(&self, step: Option<&str>, phase: Phase, timeout: Option<Duration>) {
        self.ctx.enter(step, phase);
        self.ctx.take_unknown_used();
        self.ctx.take_declined();
        self.ctx.stop.limit(timeout);
    }

    /// Runs a body on every slot of `slots` under `policy`. Each host's end is told by a
    /// `HostFinished` event, unless `report` tells each slot's start and end itself (rollbacks).
    pub(super) fn on(
        &self,
        body: &Body,
        at: Moment<'_>,
        slots: &[Slot],
        policy: Policy,
        report: Option<&Reporter<'_>>,
    ) -> Spread<Slot, Dynamic, Failure> {
        self.begin(at.step, at.phase, at.timeout);
        let evaluator = self.evaluator();
        let each = |slot: &Slot| {
            if let Some(report) = report {
                report(slot, None);
            }
            let started = Instant::now();
            let result = evaluator.evaluate(body, slot);
            match (report, slot) {
                (Some(report), _) => report(slot, Some(&result)),
                (None, Slot::Host(host)) => self.ctx.emit(&Event::HostFinished {
                    step: at.step.map(str::to_string),
                    phase: at.phase,
                    host: host.clone(),
                    ok: result.is_ok(),
                    error: result.as_ref().err().map(|f| f.message.clone()),
                    error_kind: result.as_ref().err().map(|f| f.kind),
                    duration_ms: millis(started.elapsed()),
                }),
                (None, Slot::Here) => {}
            }
            if let (Phase::Body, Some(step), Slot::Host(host), Ok(_)) =
                (at.phase, at.step, slot, &result)
            {
                self.release_after(step, host);
            }
            result
        };
        // A plan lists each host's actions in the inventory's order, the same every time.
        let spread = if self.ctx.is_dry_run() {
            fan_out::spread_in_order(slots, policy, each)
        } else {
            fan_out::spread(slots, policy, each)
        };
        self.ctx.stop.limit(None);
        spread
    }
}

/// Tells a slot's start (`None`) and end (its result), on the slot's thread.
pub type Reporter<'a> = dyn Fn(&Slot, Option<&Result<Dynamic, Failure>>) + Sync + 'a;

/// Which body of the procedure runs: its step, its phase, its time limit.
#[derive(Clone, Copy)]
pub struct Moment<'a> {
    pub step: Option<&'a str>,
    pub phase: Phase,
    pub timeout: Option<Duration>,
}

impl<'a> Moment<'a> {
    pub fn new(step: Option<&'a str>, phase: Phase) -> Self {
        Self {
            step,
            phase,
            timeout: None,
        }
    }

    pub fn limited(self, timeout: Option<Duration>) -> Self {
        Self { timeout, ..self }
    }
}

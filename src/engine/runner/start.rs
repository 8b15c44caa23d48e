//! Which part of a procedure a run covers: all of it, from a step on (resume, `--from`), one
//! step (`--only`, the REPL's `:step`), or only the rollbacks an earlier run still owes.

use crate::language::ast::{Item, Procedure};

/// Which part of a procedure a run covers.
#[derive(Debug, Default, Clone)]
pub struct Start {
    /// Skip the steps before this one (a gate right before it still asks).
    pub from: Option<String>,
    /// Run only this step.
    pub only: Option<String>,
    /// With `only`: the gate right before the step asks too (the REPL's `:step`).
    pub only_with_gate: bool,
    /// Rollbacks an earlier run of the procedure still owes: (step id, hosts).
    pub owed: Vec<(String, Vec<String>)>,
    /// Run nothing but the owed rollbacks (`runbook rollback RUN`).
    pub rollback_only: bool,
}

impl Start {
    /// Whether the item at `position` runs.
    pub(super) fn includes(&self, procedure: &Procedure, position: usize) -> bool {
        let id_at = |p: usize| match procedure.items.get(p) {
            Some(Item::Step(s)) => Some(s.id.text.as_str()),
            _ => None,
        };
        let gate = matches!(procedure.items.get(position), Some(Item::Gate(_)));
        // A gate belongs to the step after it.
        let own = if gate { position + 1 } else { position };
        if let Some(only) = &self.only {
            return (!gate || self.only_with_gate) && id_at(own) == Some(only.as_str());
        }
        if let Some(from) = &self.from {
            let first = procedure
                .items
                .iter()
                .position(|i| matches!(i, Item::Step(s) if &s.id.text == from));
            return first.is_some_and(|f| own >= f);
        }
        true
    }
}

//! Rollbacks registered by completed steps, undone last-in first-out.

use crate::language::ast::Step;

/// A step whose rollback is owed, and the hosts it completed on (none: it ran locally).
pub struct Owed<'a> {
    pub step: &'a Step,
    pub hosts: Vec<String>,
}

/// The steps whose rollbacks are owed, in the order they completed.
#[derive(Default)]
pub struct RollbackStack<'a> {
    owed: Vec<Owed<'a>>,
}

impl<'a> RollbackStack<'a> {
    /// Registers the rollback of a step that just succeeded (if it has one), on the hosts
    /// where it completed.
    pub fn register(&mut self, step: &'a Step, hosts: Vec<String>) {
        if step.rollback.is_some() {
            self.owed.push(Owed { step, hosts });
        }
    }

    /// Registers the rollback of a step that ran on hosts, for those where it completed.
    pub fn register_hosts(&mut self, step: &'a Step, hosts: Vec<String>) {
        if !hosts.is_empty() {
            self.register(step, hosts);
        }
    }

    pub fn len(&self) -> usize {
        self.owed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owed.is_empty()
    }

    /// Takes the owed rollbacks, most recent first.
    pub fn drain_newest_first(&mut self) -> impl Iterator<Item = Owed<'a>> + use<'a> {
        std::mem::take(&mut self.owed).into_iter().rev()
    }
}

//! Rollbacks registered by completed steps, undone last-in first-out.

use super::runner::place::Place;
use crate::language::ast::Step;

/// A step whose rollback is owed, and where: the slots it completed on, with the fan-out
/// policy the step ran under (its rollback follows the same).
pub struct Owed<'a> {
    pub step: &'a Step,
    pub place: Place,
}

/// The steps whose rollbacks are owed, in the order they completed.
#[derive(Default)]
pub struct RollbackStack<'a> {
    owed: Vec<Owed<'a>>,
}

impl<'a> RollbackStack<'a> {
    /// Registers the rollback of a step (if it has one) on the slots of `place` where it
    /// completed; nothing when it completed nowhere.
    pub fn register(&mut self, step: &'a Step, place: Place) {
        if step.rollback.is_some() && !place.slots.is_empty() {
            self.owed.push(Owed { step, place });
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

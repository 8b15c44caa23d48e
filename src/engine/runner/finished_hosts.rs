//! Hosts the procedure is finished with: once the last body of the forward path that targets a
//! host (its guards, a step with its `when`, `finally`) has run on it, its SSH master is closed,
//! so that a one-step run over 200 hosts keeps about `forks` masters, not 200. A rollback or a
//! body that names the host later reconnects through the pool; a host with an open forward keeps
//! its master (the pool sees to it).

use super::Runner;
use crate::language::ast::{Item, Procedure};
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

/// Where in the forward path of a procedure a body runs, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Point {
    Guards,
    /// The item at this position of the procedure.
    Item(usize),
    Finally,
}

/// Whether a run closes the masters of the hosts it is finished with, and which hosts are not
/// finished yet.
#[derive(Debug, Default)]
pub struct FinishedHosts {
    closing: bool,
    /// Each host still connected for the forward path, and its last point there.
    last: Mutex<BTreeMap<String, Point>>,
    /// The position of each step, by id.
    positions: Mutex<BTreeMap<String, usize>>,
}

impl FinishedHosts {
    /// A run: masters close as their hosts finish.
    pub fn closing() -> Self {
        Self {
            closing: true,
            ..Self::default()
        }
    }

    /// The REPL: masters stay open for the next command.
    pub fn kept() -> Self {
        Self::default()
    }

    fn last(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Point>> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn positions(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, usize>> {
        self.positions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The hosts whose last point is before `point`, forgotten.
    fn before(&self, point: Point) -> Vec<String> {
        let mut last = self.last();
        let done: Vec<String> = last
            .iter()
            .filter(|(_, at)| **at < point)
            .map(|(host, _)| host.clone())
            .collect();
        for host in &done {
            last.remove(host);
        }
        done
    }
}

impl Runner<'_> {
    /// Learns where each host is used last in the part of `procedure` this run covers.
    pub(super) fn plan_finished_hosts(&self, procedure: &Procedure) {
        // A plan keeps them: previews of rollbacks follow each step there.
        if !self.finished.closing || self.start.rollback_only || self.ctx.is_dry_run() {
            return;
        }
        let target = procedure.target.as_ref();
        let mut last = BTreeMap::new();
        let mut uses = |hosts: Vec<String>, point: Point| {
            for host in hosts {
                last.insert(host, point);
            }
        };
        if !procedure.guards.is_empty() {
            uses(self.place(target).hosts(), Point::Guards);
        }
        let mut positions = BTreeMap::new();
        for (position, item) in procedure.items.iter().enumerate() {
            // A gate's condition runs on the hosts of the step after it, which comes later.
            if let Item::Step(step) = item
                && self.start.includes(procedure, position)
            {
                positions.insert(step.id.text.clone(), position);
                uses(
                    self.place(step.target.as_ref().or(target)).hosts(),
                    Point::Item(position),
                );
            }
        }
        if procedure.finally.is_some() {
            uses(self.place(target).hosts(), Point::Finally);
        }
        *self.finished.last() = last;
        *self.finished.positions() = positions;
    }

    /// Closes the masters of the hosts used last before the item at `position` (a false `when`,
    /// a skipped step, a host that failed and was left out).
    pub(super) fn release_before(&self, position: usize) {
        self.release_all(self.finished.before(Point::Item(position)));
    }

    /// Closes the masters of the hosts the steps are finished with, before rollbacks and
    /// `finally`.
    pub(super) fn release_after_steps(&self) {
        self.release_all(self.finished.before(Point::Finally));
    }

    /// Closes `host`'s master if the body of `step` that just ran there was its last use.
    pub(super) fn release_after(&self, step: &str, host: &str) {
        let Some(position) = self.finished.positions().get(step).copied() else {
            return;
        };
        let mut last = self.finished.last();
        if last.get(host) != Some(&Point::Item(position)) {
            return;
        }
        last.remove(host);
        drop(last);
        self.release_all(vec![host.to_string()]);
    }

    fn release_all(&self, hosts: Vec<String>) {
        if hosts.is_empty() {
            return;
        }
        self.ctx.runtime.block_on(async {
            for host in &hosts {
                self.ctx.ssh.release(host).await;
            }
        });
    }
}

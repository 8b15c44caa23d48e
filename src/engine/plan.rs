//! The plan model: what a dry-run would do, as a reviewer reads it — guards, steps with the
//! commands they would run and whether each changes something, confirmations, rollbacks, and a
//! summary. `plan_collector` builds it from a dry-run's events; `render::plan` draws it.

use crate::context::event::{Effect, GuardStatus};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct PlannedAction {
    pub primitive: String,
    pub target: String,
    pub command: String,
    pub effect: Effect,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedGuard {
    pub title: String,
    pub status: GuardStatus,
    pub message: Option<String>,
    pub actions: Vec<PlannedAction>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutlook {
    WillRun,
    Skipped,
    WouldFail,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub id: String,
    pub title: String,
    pub number: usize,
    pub outlook: StepOutlook,
    /// `retry 3 every 5s, timeout 10m, when { … }`.
    pub attributes: Vec<String>,
    pub notes: Vec<String>,
    pub actions: Vec<PlannedAction>,
    /// What its rollback would run; `None` when it has none.
    pub rollback: Option<Vec<PlannedAction>>,
    /// `change`, `read`, `might` or `none`: the strongest effect of its actions.
    pub effect: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlannedItem {
    Step(PlannedStep),
    Confirmation { id: String, message: String },
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    pub steps: usize,
    pub changes: usize,
    pub reads: usize,
    pub might: usize,
    pub confirmations: usize,
    pub rollbacks: usize,
    pub targets: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Plan {
    pub runbook: String,
    pub file: String,
    pub procedure: String,
    pub title: String,
    pub probe: bool,
    pub params: BTreeMap<String, String>,
    pub guards: Vec<PlannedGuard>,
    pub items: Vec<PlannedItem>,
    pub finally: Option<Vec<PlannedAction>>,
    pub summary: Summary,
}

//! The plan model: what a dry-run would do, as a reviewer reads it — guards, steps with the
//! commands they would run and whether each changes something, confirmations, rollbacks, and a
//! summary. `plan_collector` builds it from a dry-run's events; `render::plan` draws it.

use crate::context::event::{Effect, GuardStatus};
use crate::context::unknown_value::STOP_SENTENCE;
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

/// Where a step's plan stopped: the rest of the step depends on a value only a real run knows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PlannedStop {
    /// The host the body was planned on; none here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `⟨output of ls -1td …⟩`.
    pub origin: String,
    /// `file:line:col` of the decision.
    pub location: Option<String>,
}

impl PlannedStop {
    /// `web1: the rest of this step depends on ⟨…⟩ (file:line:col)`.
    pub fn describe(&self) -> String {
        let on = self
            .host
            .as_ref()
            .map(|h| format!("{h}: "))
            .unwrap_or_default();
        let at = self
            .location
            .as_ref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        format!("{on}{STOP_SENTENCE}{}{at}", self.origin)
    }
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
    /// Where its plan stopped at a value only a real run knows (one per host at most).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stops: Vec<PlannedStop>,
    /// What its rollback would run; `None` when it has none.
    pub rollback: Option<Vec<PlannedAction>>,
    /// Where the preview of its rollback stopped at a value only a real run knows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rollback_stops: Vec<PlannedStop>,
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
    /// Steps whose plan stopped at a value only a real run knows.
    pub stopped: usize,
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

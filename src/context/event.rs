//! The event stream: everything a run does is told as typed events, and every output (terminal,
//! JSON lines, plan, later the journal and the REPL) is a consumer of them.

use crate::diagnostic::error_kind::ErrorKind;
use crate::diagnostic::snippet::Snippet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether the run changes the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Run,
    DryRun,
}

/// Which part of a procedure is executing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Guard,
    When,
    Body,
    Rollback,
    Finally,
}

/// What an action does to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Reads only: safe in any run.
    Read,
    /// Changes something.
    Change,
    /// Depends on a value only a real run knows.
    Might,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardStatus {
    Passed,
    Failed,
    /// Not evaluated in a dry-run: it reads the world and `--probe` was not given.
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    Skip,
    Abort,
}

/// Who answered a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnsweredBy {
    Operator,
    /// `--yes` or `--confirm ID`.
    Flag,
    /// No terminal to ask: fails closed.
    NoTerminal,
    /// No terminal to ask a `confirm always`, which no flag answers: fails closed.
    OperatorOnly,
    /// A dry-run lists confirmations and never stops at them.
    DryRun,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Succeeded,
    GuardFailed,
    Failed,
    Declined,
    Interrupted,
    RollbackFailed,
}

impl Status {
    /// The documented exit code of a run that ended this way.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Succeeded => 0,
            Status::GuardFailed | Status::Failed => 1,
            Status::Declined | Status::Interrupted => 3,
            Status::RollbackFailed => 4,
        }
    }
}

/// One thing that happened. Field names are stable: `--format json` prints these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        runbook: String,
        file: String,
        procedure: String,
        title: String,
        mode: Mode,
        params: BTreeMap<String, String>,
        steps: usize,
    },
    GuardChecked {
        title: String,
        status: GuardStatus,
        message: Option<String>,
        /// What kind of failure (`diagnostic::error_kind`); none when nothing failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_kind: Option<ErrorKind>,
    },
    StepStarted {
        step: String,
        title: String,
        index: usize,
        total: usize,
        attempt: u32,
        attempts: u32,
        /// The hosts this attempt fans out over; none (0) on this machine.
        #[serde(default, skip_serializing_if = "is_zero")]
        hosts: usize,
    },
    Output {
        step: Option<String>,
        /// The remote host the line came from; none for local commands.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        stream: Stream,
        line: String,
    },
    /// Journal only: output lines of a step (on a host) the journal left out, between the head
    /// it kept and the tail it keeps; they were streamed live. Never in the live stream.
    OutputLeftOut {
        step: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        lines: u64,
        /// Their size, newlines included.
        bytes: u64,
    },
    Action {
        step: Option<String>,
        phase: Phase,
        primitive: String,
        target: String,
        command: String,
        effect: Effect,
        reason: Option<String>,
    },
    Log {
        step: Option<String>,
        level: Level,
        message: String,
    },
    Published {
        step: String,
        /// The host it was published on: that host's value. None: published here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        name: String,
        value: String,
        /// The value as JSON, so a resumed run gets it back typed.
        #[serde(default)]
        json: serde_json::Value,
    },
    StepFinished {
        step: String,
        duration_ms: u64,
    },
    StepSkipped {
        step: String,
        title: String,
        reason: String,
    },
    StepRetrying {
        step: String,
        attempt: u32,
        error: String,
        /// What kind of failure (`diagnostic::error_kind`); none when nothing failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_kind: Option<ErrorKind>,
        delay_ms: u64,
    },
    StepFailed {
        step: String,
        title: String,
        error: String,
        /// What kind of failure (`diagnostic::error_kind`); none when nothing failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_kind: Option<ErrorKind>,
        /// Where in the source it failed, with the line's text for a caret.
        location: Option<Box<Snippet>>,
    },
    /// A dry-run's plan of a step stopped at a decision on a value only a real run knows:
    /// the rest of the step depends on it.
    StepStopped {
        step: String,
        /// The host the body ran on; none here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        /// `⟨…⟩`.
        origin: String,
        /// Where the decision is, with the line's text for a caret.
        location: Option<Box<Snippet>>,
        /// It is the preview of the step's rollback that stopped.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rollback: bool,
    },
    ConfirmationAsked {
        id: String,
        message: String,
        next: Vec<String>,
    },
    ConfirmationAnswered {
        id: String,
        answer: Answer,
        by: AnsweredBy,
    },
    /// One host of a step (or guard, rollback, `finally`) that runs on hosts is done.
    HostFinished {
        step: Option<String>,
        phase: Phase,
        host: String,
        ok: bool,
        error: Option<String>,
        /// What kind of failure (`diagnostic::error_kind`); none when nothing failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_kind: Option<ErrorKind>,
        duration_ms: u64,
    },
    /// A `rollback always` step is about to run: from now on its rollback is owed on these hosts
    /// (none: on this machine), whether the step completes, fails or the run dies.
    RollbackOwed {
        step: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hosts: Vec<String>,
    },
    RollbackStarted {
        step: String,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
    },
    RollbackFinished {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        ok: bool,
        error: Option<String>,
        /// What kind of failure (`diagnostic::error_kind`); none when nothing failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_kind: Option<ErrorKind>,
        location: Option<Box<Snippet>>,
    },
    FinallyFinished {
        ok: bool,
        error: Option<String>,
        /// What kind of failure (`diagnostic::error_kind`); none when nothing failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_kind: Option<ErrorKind>,
    },
    RunFinished {
        status: Status,
        exit_code: i32,
        duration_ms: u64,
        steps_done: usize,
        /// Rollbacks that ran to their end everywhere they were owed.
        rolled_back: usize,
        /// Rollbacks that failed (on at least one host): still owed.
        #[serde(default, skip_serializing_if = "is_zero")]
        rollbacks_failed: usize,
    },
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A consumer of events.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: &Event);

    /// A batch of output lines, as the `Output` events it stands for; consumers that write
    /// somewhere (terminal, journal) take the batch whole, in one write.
    fn emit_lines(&self, batch: &OutputLines) {
        for event in batch.events() {
            self.emit(&event);
        }
    }
}

/// Hands every event to several consumers, in order.
pub struct FanOut(pub Vec<std::sync::Arc<dyn EventSink>>);

impl EventSink for FanOut {
    fn emit(&self, event: &Event) {
        for sink in &self.0 {
            sink.emit(event);
        }
    }

    fn emit_lines(&self, batch: &OutputLines) {
        for sink in &self.0 {
            sink.emit_lines(batch);
        }
    }
}

/// Drops every event (static checks build an engine but run nothing).
pub struct Discard;

impl EventSink for Discard {
    fn emit(&self, _: &Event) {}
}

/// Output lines of one stream of one command, read together, in order, without their `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLines {
    pub step: Option<String>,
    /// The remote host the lines came from; none for local commands.
    pub host: Option<String>,
    pub stream: Stream,
    pub lines: Vec<String>,
}

impl OutputLines {
    /// The batch as the `Output` events it stands for, one per line.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.lines.iter().map(|line| Event::Output {
            step: self.step.clone(),
            host: self.host.clone(),
            stream: self.stream,
            line: line.clone(),
        })
    }
}
